// The wallet's pages offline: talking to the service worker (templates/core/sw.js), which keeps them,
// and the status line that says a page is not live ("You are offline. Shown as of 14:03").

// One question to the worker, one answer (null when there is no worker or it does not answer).
function ask(worker, message, timeoutMs) {
  return new Promise((resolve) => {
    if (!worker) { resolve(null); return; }
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), timeoutMs);
    channel.port1.onmessage = (event) => { clearTimeout(timer); resolve(event.data); };
    worker.postMessage(message, [channel.port2]);
  });
}

// Whether this page is the worker's copy rather than the server's answer just now.
export function servedFromCache() {
  const sw = navigator.serviceWorker;
  return ask(sw && sw.controller, { type: "served" }, 1000).then((answer) => Boolean(answer && answer.fromCache));
}

// Ask the worker to keep exactly these wallet pages (it fetches the missing ones itself). The
// first visit is not controlled by the worker yet: wait until it is active.
export function keepPages(urls, since) {
  if (!navigator.serviceWorker) return Promise.resolve(null);
  return navigator.serviceWorker.ready.then((registration) =>
    ask(registration.active, { type: "keep-pages", urls, since }, 60000));
}

// The status line (templates/wallet/_offline_status.html): shown while offline, or for good on a
// copy, with the time the server built the page; today's as a time, an older one with its date.
export function offlineStatus(node, fromCache) {
  if (!node) return;
  const built = new Date(node.dataset.builtAt);
  const today = window.Linli.when(built, { year: "numeric", month: "numeric", day: "numeric" }) ===
    window.Linli.when(new Date(), { year: "numeric", month: "numeric", day: "numeric" });
  node.textContent = node.dataset.template.replace("{time}", window.Linli.when(built, today ? "time" : undefined));
  const update = () => { node.hidden = !fromCache && navigator.onLine !== false; };
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  update();
}
