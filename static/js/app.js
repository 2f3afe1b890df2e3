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

  // Reports written offline (static/js/outbox.js): the service worker sends what waits when a
  // page opens and when the network returns, and every open page says what was sent (or refused)
  // in sentences the outbox stored in the resident's language when she wrote the report.
  var told = {};
  window.Linli.showOutboxNews = function (news) {
    var main = document.getElementById("main");
    (news || []).forEach(function (item) {
      // Two senders finishing together may both tell: each sentence is shown once.
      if (!main || told[item.key + item.text]) return;
      told[item.key + item.text] = true;
      var p = document.createElement("p");
      p.className = item.sent ? "notice outbox-news" : "error outbox-news";
      p.setAttribute("role", item.sent ? "status" : "alert");
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.text;
      p.appendChild(link);
      main.insertBefore(p, main.firstChild);
    });
    document.dispatchEvent(new CustomEvent("linli:outbox-news", { detail: news }));
  };
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (!event.data || event.data.type !== "linli-outbox-news") return;
      window.Linli.showOutboxNews(event.data.news);
      // Shown: the worker may forget them (a page closing before this line leaves them for the next).
      if (event.source) event.source.postMessage({ type: "linli-outbox-told", news: event.data.news });
    });
    var askToSend = function () {
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) registration.active.postMessage({ type: "linli-outbox-flush" });
      });
    };
    window.addEventListener("online", askToSend);
    window.addEventListener("load", askToSend);
    window.Linli.sendOutbox = askToSend;
  }

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function (err) {
        console.warn("service worker not registered", err);
      });
    });
  }
})();
