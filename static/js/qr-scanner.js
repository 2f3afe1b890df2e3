// Reading a QR code live from the camera, shared by the till and the wallet's "Scan the code on the
// screen": the browser's own BarcodeDetector where there is one, jsQR (vendor/jsqr, loaded by the
// page as a classic script) otherwise.
//
//   var scanner = startScanning(video, onText)  // a Promise: resolves once the camera plays
//   scanner.then(function (s) { ... s.stop() ... })  // rejects when there is no camera or no leave
// onText(text) is called once, with the camera already stopped.
export function startScanning(video, onText) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return Promise.reject(new Error("no camera"));
  }
  var stream = null;
  function stop() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
  }
  function loop(detector, canvas) {
    if (!stream) return;
    var next = function () { requestAnimationFrame(function () { loop(detector, canvas); }); };
    if (video.readyState < 2) { next(); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length && stream) { stop(); onText(codes[0].rawValue); } else next();
      }).catch(next);
      return;
    }
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var found = window.jsQR && window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    if (found && found.data) { stop(); onText(found.data); } else next();
  }
  return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
    .then(function (s) {
      stream = s;
      video.srcObject = s;
      return video.play();
    })
    .then(function () {
      var detector = "BarcodeDetector" in window ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
      loop(detector, document.createElement("canvas"));
      return { stop: stop };
    })
    .catch(function (error) { stop(); throw error; });
}
