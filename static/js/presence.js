// Proof of presence, on the resident's side (airdrop/presence.py).
// - The page a screen's QR opens (templates/airdrop/here.html): sends its form at once.
// - The wallet: "Scan the code on the screen" (the camera, qr-scanner.js) opens that page; while a
//   scan lasts (15 min) it checks in every minute without a position and says where and until when.
// Kept apart from wallet.js, which checks in with GPS; the server applies the same limits to both.
import { startScanning } from "./qr-scanner.js";

(function () {
  "use strict";
  var hereForm = document.getElementById("here-form");
  if (hereForm && hereForm.hasAttribute("data-auto-submit")) {
    var working = document.getElementById("here-working");
    if (working) working.hidden = false;
    hereForm.querySelector("button").disabled = true;  // one scan, one request
    hereForm.submit();
    return;
  }

  var box = document.getElementById("presence");
  if (!box) return;
  var texts = JSON.parse(document.getElementById("presence-texts").textContent);
  var line = document.getElementById("presence-status");
  var scanButton = document.getElementById("presence-scan");
  var scannerBox = document.getElementById("presence-scanner");
  var video = document.getElementById("presence-video");
  var camera = null, until = 0, busy = false;
  var HERE = /^\/here\/\d+\/\d+\/[A-Za-z0-9_-]+$/;

  function say(message, kind) {
    line.textContent = message;
    line.className = "presence-line" + (kind ? " " + kind : "");
    line.hidden = !message;
  }

  function refreshShelf() {
    var shelf = document.getElementById("shelf");
    var panel = document.getElementById("airdrop");
    if (!shelf || shelf.dataset.shelf !== "usable" || !panel) return;
    fetch(panel.dataset.fragmentUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r); })
      .then(function (html) { shelf.innerHTML = html; })
      .catch(function () { /* the next visit shows them */ });
  }

  function checkIn() {
    if (busy || !navigator.onLine) return;
    busy = true;
    window.Linli.api(box.dataset.checkinUrl, { method: "POST" }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { until = 0; return; }  // 409: no scan in the last 15 minutes
        until = Date.parse(body.present.until);
        var where = texts.present.replace("{fence}", body.present.fence_name)
          .replace("{time}", window.Linli.when(body.present.until, "time"));
        say(where + " " + (body.message || ""), body.outcome === "dropped" ? "good" : "");
        if (body.outcome === "dropped") refreshShelf();
      });
    }).catch(function () { /* offline or refused: the GPS line says so */ })
      .then(function () { busy = false; });
  }

  function stopCamera() {
    if (camera) camera.stop();
    camera = null;
    scannerBox.hidden = true;
    scanButton.hidden = false;
  }

  function opened(text) {
    stopCamera();
    var url;
    try { url = new URL(text, window.location.href); } catch (e) { url = null; }
    if (url && url.origin === window.location.origin && HERE.test(url.pathname)) {
      say(texts.opening);
      window.location.assign(url.href);
    } else {
      say(texts.not_ours, "bad");
    }
  }

  scanButton.addEventListener("click", function () {
    say("");
    scannerBox.hidden = false;
    scanButton.hidden = true;
    startScanning(video, opened)
      .then(function (c) { if (scannerBox.hidden) c.stop(); else camera = c; })
      .catch(function () { stopCamera(); say(texts.no_camera, "bad"); });
  });
  document.getElementById("presence-stop").addEventListener("click", stopCamera);

  checkIn();
  setInterval(function () {
    if (until > Date.now() && document.visibilityState === "visible") checkIn();
    else if (until && until <= Date.now()) { until = 0; say(texts.ended); }
  }, 60000);
})();
