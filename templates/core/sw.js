// Linli service worker: the shell is cached so the app opens instantly and says "offline" (in the
// language of the last page seen) instead of showing the browser's error page. Pages and API answers
// are not cached, except what a resident needs without network, network first and the last copy
// when offline (or after NETWORK_TIMEOUT_MS on a signal too weak to answer, or on a 5xx):
// - her wallet (/wallet, each shelf) and every usable coupon's page, so that a coupon is shown at a
//   till in a lift with no signal: the wallet page hands over its coupons ("keep-pages") and this
//   worker fetches the ones it lacks; their rotating codes are drawn on the phone (coupon-keys.js);
// - a signage board (/signage/<id>, not personal), so a lift screen that reloads offline shows its
//   last board and says so.
// The wallet's copies belong to one account (X-Linli-Account, core.web.offline_account): they are
// dropped on sign-out, and as soon as a page comes back signed out or signed in as someone else.
// A page asks "served?" to learn whether it is such a copy (it then says when it was built).
// Rendered by core.web.service_worker: the shell's names carry their content's hash, and the
// cache's name changes with them, so a release drops the old copies.
const VERSION = {{ version|tojson }};
const COUPONS = "linli-coupons";  // the signed-in resident's wallet and coupon pages
const SIGNAGE = "linli-signage";
const STATE = "linli-state";  // what must outlive this worker (its globals die when idle)
const SHELL = {{ shell|tojson }};
const LANGUAGES = {{ languages|tojson }};
const NETWORK_TIMEOUT_MS = 4000;
const COUPON_PAGE_TTL_MS = 3600 * 1000;  // a kept coupon page is fetched again after this long
const PERSONAL = /^\/wallet(\/coupons\/\d+)?$/;
const COUPON_PAGE = /^\/wallet\/coupons\/\d+$/;
const BOARD = /^\/signage\/\d+$/;

self.addEventListener("install", (event) => {
  // Without cookies: the offline pages are the same for everyone (no name, no account bar).
  const requests = SHELL.map((url) => new Request(url, { credentials: "omit" }));
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(requests)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  const kept = [VERSION, COUPONS, SIGNAGE, STATE];
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => !kept.includes(k)).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

// Every change to the kept pages and to STATE, one after the other: "is this the same account?"
// and the copy that follows must not interleave with another page's.
let queue = Promise.resolve();
function serial(task) {
  const run = queue.then(task);
  queue = run.catch(() => undefined);
  return run;
}

const memo = {};
async function recall(name) {
  if (!(name in memo)) {
    const hit = await (await caches.open(STATE)).match(`/__linli/${name}`);
    memo[name] = hit ? await hit.text() : "";
  }
  return memo[name];
}

async function remember(name, value) {
  if ((await recall(name)) === value) return;
  memo[name] = value;
  await (await caches.open(STATE)).put(`/__linli/${name}`, new Response(value));
}

async function forgetPages() {
  await caches.delete(COUPONS);
  await remember("account", "");
}

function isPage(response) {
  return response.ok && (response.headers.get("Content-Type") || "").startsWith("text/html");
}

// A page from the network: remember its language, and whose it is (someone else's, or nobody's,
// and the last account's copies go). Then keep `copy` as `key` in `cacheName`, if it is one to keep.
async function notice(response, copy, cacheName, key) {
  if (!isPage(response)) return false;
  const lang = response.headers.get("Content-Language");
  if (LANGUAGES.includes(lang)) await remember("lang", lang);
  const account = response.headers.get("X-Linli-Account") || "";
  if (account !== await recall("account")) {
    await caches.delete(COUPONS);
    await remember("account", account);
  }
  if (!copy || !cacheName || response.redirected || (cacheName === COUPONS && !account)) return false;
  await (await caches.open(cacheName)).put(key, copy);
  return true;
}

// The cache key of a page: /wallet and /wallet?shelf=usable&page=1 are the same list.
function pageKey(url) {
  const key = new URL(url.pathname, url.origin);
  if (url.pathname === "/wallet") {
    const shelf = url.searchParams.get("shelf"), page = url.searchParams.get("page");
    if (shelf && shelf !== "usable") key.searchParams.set("shelf", shelf);
    if (page && page !== "1") key.searchParams.set("page", page);
  }
  return key.href;
}

function offlinePage() {
  return recall("lang").then((lang) => caches.match(`/offline?lang=${lang}`, { ignoreVary: true }))
    .then((hit) => hit || caches.match("/offline", { ignoreVary: true }));
}

// Pages (client ids) this worker answered with a kept copy, for their "served?" question.
const servedFromCache = new Set();
function served(event, hit) {
  if (event.resultingClientId) {
    servedFromCache.add(event.resultingClientId);
    if (servedFromCache.size > 50) servedFromCache.delete(servedFromCache.values().next().value);
  }
  return hit;
}

function navigate(event, url) {
  const cacheName = PERSONAL.test(url.pathname) ? COUPONS : BOARD.test(url.pathname) ? SIGNAGE : null;
  const key = pageKey(url);
  let kept = Promise.resolve();
  const network = fetch(event.request).then((response) => {
    // Copied now, before the page starts reading the body.
    const copy = cacheName && response.ok && !response.redirected ? response.clone() : null;
    kept = serial(() => notice(response, copy, cacheName, key));
    return response;
  });
  event.waitUntil(network.then(() => kept).catch(() => undefined));
  if (!cacheName) return network.catch(offlinePage);
  const copy = () => caches.open(cacheName).then((cache) => cache.match(key, { ignoreVary: true }));
  return new Promise((resolve) => {
    let done = false;
    const answer = (response) => { if (!done) { done = true; resolve(response); } };
    const timer = setTimeout(() => copy().then((hit) => { if (hit) answer(served(event, hit)); }),
      NETWORK_TIMEOUT_MS);
    network.then((response) => {
      clearTimeout(timer);
      // A server that cannot answer (a proxy's 502/503/504) is no better than no network.
      if (response.status >= 500) copy().then((hit) => answer(hit ? served(event, hit) : response));
      else answer(response);
    }, () => {
      clearTimeout(timer);
      copy().then((hit) => (hit ? served(event, hit) : offlinePage())).then(answer);
    });
  });
}

function dated(response) {
  return Date.parse(response.headers.get("Date") || "") || 0;
}

// The wallet page's "keep-pages": exactly these pages of the wallet are kept. Coupon pages no longer
// listed (used, expired, voided) go; those missing or older than COUPON_PAGE_TTL_MS are fetched, and
// a list page when its copy is older than `since` (the wallet page that asks was built then).
async function keepPages(urls, since) {
  const keys = [...new Set(urls.map((u) => new URL(u, self.location.origin))
    .filter((u) => u.origin === self.location.origin && PERSONAL.test(u.pathname)).map(pageKey))];
  const wanted = new Set(keys);
  await serial(async () => {
    const cache = await caches.open(COUPONS);
    const gone = (await cache.keys()).filter((r) => COUPON_PAGE.test(new URL(r.url).pathname) && !wanted.has(r.url));
    await Promise.all(gone.map((r) => cache.delete(r)));
  });
  const todo = keys.slice();
  let kept = 0;
  async function worker() {
    while (todo.length) {
      const key = todo.shift();
      const hit = await (await caches.open(COUPONS)).match(key, { ignoreVary: true });
      const limit = COUPON_PAGE.test(new URL(key).pathname) ? Date.now() - COUPON_PAGE_TTL_MS : since - 1000;
      if (hit && dated(hit) >= limit) { kept += 1; continue; }
      try {
        const response = await fetch(key, { credentials: "same-origin" });
        if (await serial(() => notice(response, response, COUPONS, key))) kept += 1;
      } catch (e) {
        if (hit) kept += 1;  // the network went meanwhile: the older copy stays
      }
    }
  }
  await Promise.all([worker(), worker()]);
  return { kept, of: keys.length };
}

// A signage board opened before this worker controlled it: kept now, so a reload offline finds it.
async function keepBoard(href) {
  const url = new URL(href, self.location.origin);
  if (url.origin !== self.location.origin || !BOARD.test(url.pathname)) return { kept: 0 };
  const key = pageKey(url);
  if (await (await caches.open(SIGNAGE)).match(key, { ignoreVary: true })) return { kept: 1 };
  const response = await fetch(key, { credentials: "same-origin" });
  return { kept: (await serial(() => notice(response, response, SIGNAGE, key))) ? 1 : 0 };
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(event, url));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
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
  const data = event.data;
  if (data === "signed-out") {
    event.waitUntil(serial(forgetPages));
    return;
  }
  const port = event.ports && event.ports[0];
  if (!data || !port) return;
  const reply = (work) => event.waitUntil(work.then((answer) => port.postMessage(answer),
    () => port.postMessage({ kept: 0, failed: true })));
  if (data.type === "served") {
    port.postMessage({ fromCache: Boolean(event.source && servedFromCache.has(event.source.id)) });
  } else if (data.type === "keep-pages" && Array.isArray(data.urls)) {
    reply(keepPages(data.urls.map(String), Number(data.since) || 0));
  } else if (data.type === "keep-board") {
    reply(keepBoard(String(data.url)));
  }
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
