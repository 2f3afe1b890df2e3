// The service worker's side of the outbox (static/js/outbox.js, imported before this file by
// templates/core/sw.js): it sends waiting reports on Background Sync ("linli-outbox") and when a
// page asks (app.js, on every page opened and when the network returns), then tells the
// resident: every open page hears it, and a notification says it where she allowed them and no
// page of ours is in front of her. A sent report stays in the outbox, "sent", until a page has
// shown it and answered "told": sent while no page was open, the next page she opens says so.
(function () {
  "use strict";
  var outbox = self.LinliOutbox;

  function mayNotify() {
    try { return self.Notification && self.Notification.permission === "granted"; } catch (e) { return false; }
  }

  async function tell() {
    var news = await outbox.news();
    if (!news.length) return;
    var windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    var seen = windows.some(function (w) { return w.visibilityState === "visible"; });
    if (!seen && mayNotify()) {
      for (var i = 0; i < news.length; i++) {
        if (news[i].notified) continue;
        await self.registration.showNotification(news[i].title, {
          body: news[i].text, tag: "linli-outbox-" + news[i].key, data: { url: news[i].url },
          icon: "/static/icons/icon-192.png"
        });
        await outbox.update(news[i].key, { notified: true });
      }
    }
    // Every open page shows them and answers "told" (below); until one has, they stay for the next.
    windows.forEach(function (w) { w.postMessage({ type: "linli-outbox-news", news: news }); });
  }

  function pause(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // The phone says "online" a moment before requests go through (a waking radio, a captive
  // portal): a page's "send now" tries again a few times over half a minute. Background Sync
  // tries again later by itself (with its own back-off) when its attempt met no network.
  var RETRY_MS = [1000, 3000, 8000, 15000];

  async function flushAndTell(fromSync) {
    var result = await outbox.flush();
    for (var i = 0; !fromSync && result.offline && self.navigator.onLine !== false && i < RETRY_MS.length; i++) {
      await pause(RETRY_MS[i]);
      result = await outbox.flush();
    }
    await tell();
    if (fromSync && result.offline) throw new Error("outbox: still offline");
  }

  self.addEventListener("sync", function (event) {
    if (event.tag === outbox.TAG) event.waitUntil(flushAndTell(true));
  });

  self.addEventListener("message", function (event) {
    if (!event.data) return;
    if (event.data.type === "linli-outbox-flush") event.waitUntil(flushAndTell(false));
    if (event.data.type === "linli-outbox-told") event.waitUntil(outbox.told(event.data.news || []));
  });
})();
