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
    },
    // A time as the server's `when` filter writes it: the page's language in the reader's region
    // (<html data-locale>, "en-GB" / "en-US" / "zh-Hans-CN"), the district's clock, to the minute.
    // style: "datetime" (default), "time", or Intl options of your own (the time zone is added).
    when: function (value, style) {
      var root = document.documentElement;
      var options = style === "time" ? { hour: "numeric", minute: "2-digit" }
        : (style && typeof style === "object") ? Object.assign({}, style)
          : { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" };
      options.timeZone = root.dataset.timezone || undefined;
      return new Intl.DateTimeFormat(root.dataset.locale || root.lang, options).format(new Date(value));
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
