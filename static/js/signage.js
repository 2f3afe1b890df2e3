// Signage (templates/airdrop/signage.html): alternates English and Chinese every 10 s, polls the board
// every 60 s with If-None-Match, keeps the last board in localStorage, and moves rows from NEXT to NOW
// (and off the screen) as time passes, offline too, saying since when it is offline. The service
// worker (templates/core/sw.js) keeps the page itself, so a screen that reloads offline comes back.
(function () {
  "use strict";
  var body = document.body;
  var boardUrl = body.dataset.boardUrl;
  var holder = document.getElementById("signage-board");
  var notice = document.getElementById("signage-offline");
  var clock = document.getElementById("signage-clock");
  var tz = document.documentElement.dataset.timezone;
  var key = "linli-signage:" + boardUrl;
  var LANGS = [["en", "en"], ["zh", "zh-Hans"]];
  var langIndex = 0;
  var offlineSince = null;
  var etag = null;

  function hhmm(date) {
    return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz })
      .format(date);
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; }
  }

  function save(html) {
    try { localStorage.setItem(key, JSON.stringify({ html: html, etag: etag })); } catch (e) { /* full: keep on screen */ }
  }

  function recompute() {
    var now = Date.now();
    var nowList = holder.querySelector('.signage-rows[data-part="now"]');
    var nextList = holder.querySelector('.signage-rows[data-part="next"]');
    if (!nowList || !nextList) return;
    holder.querySelectorAll(".signage-row").forEach(function (row) {
      var start = Date.parse(row.dataset.start), end = Date.parse(row.dataset.end);
      if (end <= now) row.remove();
      else if (start <= now && row.parentNode === nextList) nowList.appendChild(row);
    });
    [nowList, nextList].forEach(function (list) {
      list.parentNode.querySelector(".signage-none").hidden = list.children.length > 0;
    });
    clock.textContent = hhmm(new Date());
    fitRows();
  }

  // A row cut in half by the bottom of its part is hidden instead (the screen is never scrolled).
  function fitRows() {
    holder.querySelectorAll(".signage-part").forEach(function (part) {
      var bottom = part.getBoundingClientRect().bottom, full = false;
      part.querySelectorAll(".signage-row").forEach(function (row) {
        row.hidden = false;
        if (full || row.getBoundingClientRect().bottom > bottom + 1) { row.hidden = true; full = true; }
      });
    });
  }

  function showOffline() {
    if (offlineSince === null) offlineSince = new Date();
    notice.querySelectorAll("[data-template]").forEach(function (span) {
      span.textContent = span.dataset.template.replace("{time}", hhmm(offlineSince));
    });
    notice.hidden = false;
  }

  function refresh() {
    var headers = etag ? { "If-None-Match": etag } : {};
    return fetch(boardUrl, { headers: headers, cache: "no-store" }).then(function (response) {
      if (response.status === 304) return null;
      if (!response.ok) throw new Error(String(response.status));
      etag = response.headers.get("ETag");
      return response.text();
    }).then(function (html) {
      if (html !== null) { holder.innerHTML = html; save(html); }
      offlineSince = null;
      notice.hidden = true;
      recompute();
    }).catch(function () {
      showOffline();
      recompute();
    });
  }

  function swapLanguage() {
    langIndex = (langIndex + 1) % LANGS.length;
    body.dataset.lang = LANGS[langIndex][0];
    document.documentElement.lang = LANGS[langIndex][1];
    fitRows();  // the other language's rows may be taller
  }

  // Is this page the worker's copy? (Then its board is older than the one kept here.) And, when it
  // is not, have the worker keep it: the first visit is not the worker's to see.
  function worker(message) {
    var sw = navigator.serviceWorker;
    return new Promise(function (resolve) {
      var target = message.type === "served" ? sw && sw.controller : null;
      if (!sw || (message.type === "served" && !target)) { resolve(null); return; }
      var send = function (to) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) { resolve(event.data); };
        to.postMessage(message, [channel.port2]);
      };
      if (target) send(target);
      else sw.ready.then(function (registration) { send(registration.active); });
      setTimeout(function () { resolve(null); }, 1000);
    });
  }

  // A screen that only ever shows this page registers the worker itself (app.js is not loaded here).
  if (navigator.serviceWorker) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});

  var stored = load();
  worker({ type: "served" }).then(function (answer) {
    var copy = Boolean(answer && answer.fromCache);
    if (copy || navigator.onLine === false) {
      if (stored) { holder.innerHTML = stored.html; etag = stored.etag; }
      showOffline();
    } else {
      save(holder.innerHTML);
      worker({ type: "keep-board", url: window.location.pathname });
    }
    recompute();
  });
  recompute();
  setInterval(swapLanguage, 10000);
  setInterval(refresh, 60000);
  setInterval(recompute, 15000);
  window.addEventListener("online", refresh);
  window.addEventListener("offline", refresh);
  window.addEventListener("resize", fitRows);

  // Proof of presence (only on the admin's screen link): the server draws each 30-second code and
  // says how long it lasts (X-Code-Expires-In); the next is fetched then. Offline the code is
  // hidden, not frozen: a stale code would only be refused at the phone.
  var codeBox = document.getElementById("signage-code");
  if (!codeBox) return;
  var qr = document.getElementById("signage-qr");
  var codeOffline = document.getElementById("signage-code-offline");
  var codeTimer = null, shownUrl = null;

  function hideCode() {
    qr.hidden = true;
    codeOffline.hidden = false;
  }

  function nextCode(ms) {
    clearTimeout(codeTimer);
    codeTimer = setTimeout(loadCode, ms);
  }

  function loadCode() {
    fetch(codeBox.dataset.codeUrl, { cache: "no-store" }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      var left = parseFloat(response.headers.get("X-Code-Expires-In"));
      return response.blob().then(function (blob) {
        if (navigator.onLine === false) throw new Error("offline meanwhile");  // an answer from before
        var url = URL.createObjectURL(blob);
        qr.src = url;
        if (shownUrl) URL.revokeObjectURL(shownUrl);
        shownUrl = url;
        qr.hidden = false;
        codeOffline.hidden = true;
        nextCode((isFinite(left) ? left : 5) * 1000 + 300);
      });
    }).catch(function () {
      hideCode();
      nextCode(5000);
    });
  }

  window.addEventListener("offline", hideCode);
  window.addEventListener("online", loadCode);
  if (navigator.onLine === false) hideCode();
  loadCode();
}());
