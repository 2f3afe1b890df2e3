// The rotating code at the till: the coupon's secret is fetched once and kept on this device
// (coupon-keys.js; the wallet page fetches every usable coupon's), so the QR (coupon id, 30-second
// step, RFC 6238 code) keeps changing without any network.
import { renderSVG } from "../vendor/uqr/dist/index.mjs";
import { HOTP, Secret } from "../vendor/otpauth/dist/otpauth.esm.min.js";
import { loadKey } from "./coupon-keys.js";
import { yuan } from "./money.js";

const box = document.getElementById("till-code");

let drawn = "";
const CODES = ["short-code", "short-code-full"];

// The typed code stays on one line: where a long coupon number would not fit the width, the
// digits shrink just enough (the style sheet sets the size, this only ever makes it smaller).
function fit(node) {
  node.style.fontSize = "";
  if (!node.clientWidth || node.scrollWidth <= node.clientWidth) return;
  const size = parseFloat(getComputedStyle(node).fontSize);
  node.style.fontSize = `${Math.floor(size * (node.clientWidth / node.scrollWidth) * 0.97)}px`;
}

function fitAll() {
  CODES.forEach((id) => { const node = document.getElementById(id); if (node) fit(node); });
}

const refit = new MutationObserver((changes) => changes.forEach((change) => fit(change.target)));
CODES.forEach((id) => {
  const node = document.getElementById(id);
  if (node) refit.observe(node, { childList: true, characterData: true, subtree: false });
});
window.addEventListener("resize", fitAll);

function draw(key) {
  const seconds = Date.now() / 1000;
  const step = Math.floor(seconds / key.period);
  const code = HOTP.generate({ secret: Secret.fromBase32(key.secret), algorithm: key.algorithm,
    digits: key.digits, counter: step });
  const payload = `LL1:${key.coupon_id}:${step}:${code}`;
  if (payload !== drawn) {
    // The page's QR and the cashier view's QR are the same code, redrawn only when it changes.
    const svg = renderSVG(payload, { ecc: "M", border: 2 });
    const typed = `${key.coupon_id}-${code.slice(0, 3)} ${code.slice(3)}`;
    ["qr", "qr-full"].forEach((id) => {
      const qr = document.getElementById(id);
      if (!qr) return;
      qr.innerHTML = svg;
      qr.dataset.payload = payload;
    });
    CODES.forEach((id) => {
      const node = document.getElementById(id);
      if (node) node.textContent = typed;
    });
    drawn = payload;
  }
  const left = Math.ceil(key.period - (seconds % key.period));
  ["qr-time", "qr-time-full"].forEach((id) => {
    const bar = document.getElementById(id);
    if (!bar) return;
    bar.value = left;
    bar.max = key.period;
  });
}

// "Show to cashier": the QR and the code alone, black on white and as large as the screen allows,
// full screen where the browser lets a page do that (not on iPhones) and a full-viewport overlay
// otherwise. Tap anywhere, the Back button or Esc to leave; focus returns to the button.
function cashierView() {
  const view = document.getElementById("cashier-view");
  const opener = document.getElementById("cashier-open");
  if (!view || !opener) return;
  const theme = document.querySelector('meta[name="theme-color"]');
  const brand = theme ? theme.content : "";
  let wakeLock = null;
  // Set when closing the view asks the browser to leave full screen: the full-screen change that
  // follows belongs to that close, and must not close a view opened again meanwhile.
  let leaving = false;

  function open() {
    if (typeof view.showModal === "function") view.showModal(); else view.setAttribute("open", "");
    fitAll();  // measured only now that the view has a size
    document.documentElement.classList.add("cashier-mode");
    if (theme) theme.content = "#ffffff";  // the browser's own bar goes white too
    const root = document.documentElement;
    if (document.fullscreenEnabled && root.requestFullscreen && !document.fullscreenElement) {
      root.requestFullscreen({ navigationUI: "hide" }).catch(() => undefined);
    }
    // Keep the screen on while the cashier scans (nothing to do where there is no wake lock).
    if (navigator.wakeLock) {
      navigator.wakeLock.request("screen").then((lock) => { wakeLock = lock; }).catch(() => undefined);
    }
    const close = document.getElementById("cashier-close");
    if (close) close.focus();
  }

  function close() {
    if (view.open) {
      if (typeof view.close === "function") view.close(); else { view.removeAttribute("open"); closed(); }
    }
  }

  function closed() {
    document.documentElement.classList.remove("cashier-mode");
    if (theme) theme.content = brand;
    if (document.fullscreenElement && document.exitFullscreen) {
      leaving = true;
      document.exitFullscreen().catch(() => { leaving = false; });
    }
    if (wakeLock) { wakeLock.release().catch(() => undefined); wakeLock = null; }
    opener.focus();
  }

  opener.addEventListener("click", open);
  view.addEventListener("close", closed);
  view.addEventListener("click", close);  // a tap anywhere, the Back button included
  // Esc: the dialog closes itself ("cancel"); in full screen the browser leaves full screen first.
  document.addEventListener("keydown", (event) => { if (event.key === "Escape" && view.open) close(); });
  document.addEventListener("fullscreenchange", () => {
    if (document.fullscreenElement) return;
    if (leaving) { leaving = false; return; }
    close();  // the browser left full screen (Esc, a gesture): the view goes with it
  });
}

// The till talks back: the moment the cashier redeems this coupon (or voids that), the page says
// so and the QR goes (or returns). Without this stream a reload shows the same, server-rendered.
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (all, name) => (name in values ? values[name] : all));
}

function listen() {
  if (!box || !window.EventSource || !box.dataset.liveUrl) return;
  const state = document.getElementById("coupon-state");
  const stamp = document.getElementById("used-stamp");
  const source = new EventSource(box.dataset.liveUrl);
  source.addEventListener("coupon", (message) => {
    const event = JSON.parse(message.data);
    if (event.kind === "used") {
      const view = document.getElementById("cashier-view");
      if (view && view.open) view.close();
      box.hidden = true;
      stamp.hidden = false;
      state.textContent = fill(box.dataset.usedText, { time: window.Linli.when(event.at, "time"),
        shop: box.dataset.shop, amount: yuan(event.saved_cents) });
    } else if (event.kind === "back") {
      box.hidden = false;
      stamp.hidden = true;
      state.textContent = box.dataset.backText;
      fitAll();
    } else if (event.kind === "void") {
      window.location.reload();
    }
  });
}

async function start() {
  if (!box) return;
  let key;
  try {
    key = await loadKey(box.dataset.couponId, box.dataset.keyUrl, box.dataset.account);
  } catch (e) {
    box.querySelector(".qr-status").textContent = box.dataset.offlineText;
    return;
  }
  box.classList.add("ready");
  draw(key);
  fitAll();
  cashierView();
  setInterval(() => draw(key), 1000);
}

listen();
start();
