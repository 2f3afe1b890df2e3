// Linli service worker: the shell is cached so the app opens instantly and says "offline"
// instead of showing the browser's error page. Pages and API answers are never cached:
// they carry personal data and must be fresh.
const VERSION = "linli-shell-v2";
const SHELL = ["/offline", "/static/css/app.css", "/static/js/app.js", "/static/icons/icon-192.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match("/offline")));
    return;
  }
  if (request.url.includes("/static/")) {
    // Stale-while-revalidate: instant from the cache, refreshed behind the scenes, so a new
    // release reaches phones on their next visit without a cache-busting scheme.
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
