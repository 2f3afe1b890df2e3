// Linli PWA shell: registers the service worker and gives every fetch the CSRF token.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');

  // Pages call Linli.api(...) for JSON requests: the session cookie alone is never enough
  // for a state change, the token from the page must come along.
  window.Linli = {
    csrfToken: function () { return meta ? meta.content : ""; },
    api: function (path, options) {
      options = options || {};
      var headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
      if (options.body !== undefined && typeof options.body !== "string" && !(options.body instanceof FormData)) {
        options.body = JSON.stringify(options.body);
        headers["Content-Type"] = "application/json";
      }
      if ((options.method || "GET").toUpperCase() !== "GET") headers["X-CSRFToken"] = window.Linli.csrfToken();
      return fetch(path, Object.assign({}, options, { headers: headers, credentials: "same-origin" }));
    }
  };

  // Signing out forgets this device's coupon keys and offline coupon pages: phones are shared.
  document.addEventListener("submit", function (event) {
    if (!event.target.matches || !event.target.matches("form[data-sign-out]")) return;
    try { localStorage.removeItem("linli.keys"); } catch (e) { /* storage disabled */ }
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage("signed-out");
    }
  });

  // Print buttons (no inline handlers: the content security policy forbids them).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function (err) {
        console.warn("service worker not registered", err);
      });
    });
  }
})();
