// The settings page's "Turn on for this phone": subscribe this browser to Web Push with the
// server's VAPID key and send the PushSubscription to /api/push/subscriptions. Without
// JavaScript, or without PushManager, the button stays hidden or says why; the rest of the page
// is a plain form.
(function () {
  "use strict";
  var box = document.getElementById("push-subscribe");
  if (!box) return;
  var button = document.getElementById("push-subscribe-button");
  var status = document.getElementById("push-status");
  box.hidden = false;
  var needsJs = document.getElementById("push-needs-js");
  if (needsJs) needsJs.hidden = true;

  function say(text) { status.textContent = text; }

  function keyBytes(base64url) {
    var padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4);
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    button.disabled = true;
    say(box.dataset.unsupported);
    return;
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error("denied");
      return Promise.all([navigator.serviceWorker.ready, window.Linli.api("/api/push/key").then(function (r) { return r.json(); })]);
    }).then(function (both) {
      return both[0].pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(both[1].public_key) });
    }).then(function (subscription) {
      return window.Linli.api("/api/push/subscriptions", { method: "POST", body: subscription.toJSON() });
    }).then(function (response) {
      if (!response.ok) throw new Error("failed");
      window.location.reload();
    }).catch(function (error) {
      button.disabled = false;
      say(error && error.message === "denied" ? box.dataset.denied : box.dataset.failed);
    });
  });
})();
