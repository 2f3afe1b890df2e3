// Linli service worker: the shell is cached so the app opens instantly and says "offline"
// instead of showing the browser's error page. Pages and API answers are not cached, with one
// exception: a coupon's own page, so that it can be shown at a till without network (its
// rotating code is drawn on the phone). Those copies are dropped when the person signs out.
// Rendered by core.web.service_worker: the shell's names carry their content's hash, and the
// cache's name changes with them, so a release drops the old copies.
const VERSION = {{ version|tojson }};
const COUPONS = "linli-coupons";
const SHELL = {{ shell|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== VERSION && k !== COUPONS).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  const path = new URL(request.url).pathname;
  if (request.mode === "navigate" && path.startsWith("/wallet/coupons/")) {
    // Network first, the last copy when offline.
    event.respondWith(fetch(request).then((response) => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        event.waitUntil(caches.open(COUPONS).then((cache) => cache.put(request, copy)));
      }
      return response;
    }).catch(() => caches.open(COUPONS).then((cache) => cache.match(request))
      .then((hit) => hit || caches.match("/offline"))));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match("/offline")));
    return;
  }
  if (path.startsWith("/static/")) {
    // Stale-while-revalidate: instant from the cache, refreshed behind the scenes. Hashed names
    // never change; the few plain ones (modules a hashed module imports, the coupon page's QR
    // and TOTP libraries) reach phones on their next visit.
    event.respondWith(caches.open(VERSION).then((cache) => cache.match(request).then((hit) => {
      const fresh = fetch(request).then((response) => {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
      if (hit) {
        event.waitUntil(fresh.catch(() => undefined));
        return hit;
      }
      return fresh;
    })));
  }
});

self.addEventListener("message", (event) => {
  if (event.data === "signed-out") event.waitUntil(caches.delete(COUPONS));
});

// Web Push (reminders/): the server sends {title, body, lang, url, tag}, encrypted for this browser.
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data && event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "Linli", {
    body: data.body || "", lang: data.lang || "", tag: data.tag || undefined, data: { url: data.url || "/" },
    icon: "/static/icons/icon-192.png"
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
    const open = windows.find((w) => w.url === url);
    return open ? open.focus() : self.clients.openWindow(url);
  }));
});
importScripts(...{{ outbox_scripts|tojson }});  // reports written offline: static/js/sw-outbox.js
