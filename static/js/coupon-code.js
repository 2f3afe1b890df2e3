// The rotating code at the till: the coupon's secret is fetched once and kept on this device,
// so the QR (coupon id, 30-second step, RFC 6238 code) keeps changing without any network.
import { renderSVG } from "/vendor/uqr/dist/index.mjs";
import { HOTP, Secret } from "/vendor/otpauth/dist/otpauth.esm.min.js";

const STORE = "linli.keys";
const box = document.getElementById("till-code");

function keys() {
  try { return JSON.parse(localStorage.getItem(STORE) || "{}"); } catch (e) { return {}; }
}

function remember(key) {
  const all = keys();
  const now = Date.now();
  // Forget keys of coupons that have expired: nothing to show for them any more.
  Object.keys(all).forEach((id) => { if (Date.parse(all[id].expires_at) < now) delete all[id]; });
  all[key.coupon_id] = key;
  localStorage.setItem(STORE, JSON.stringify(all));
}

async function loadKey(id, url) {
  const held = keys()[id];
  if (held) return held;
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error("no key");
  const key = await response.json();
  remember(key);
  return key;
}

function draw(key) {
  const seconds = Date.now() / 1000;
  const step = Math.floor(seconds / key.period);
  const code = HOTP.generate({ secret: Secret.fromBase32(key.secret), algorithm: key.algorithm,
    digits: key.digits, counter: step });
  const payload = `LL1:${key.coupon_id}:${step}:${code}`;
  const qr = document.getElementById("qr");
  qr.innerHTML = renderSVG(payload, { ecc: "M", border: 2 });
  qr.dataset.payload = payload;
  document.getElementById("short-code").textContent = `${key.coupon_id}-${code.slice(0, 3)} ${code.slice(3)}`;
  const left = Math.ceil(key.period - (seconds % key.period));
  const bar = document.getElementById("qr-time");
  bar.value = left;
  bar.max = key.period;
}

async function start() {
  if (!box) return;
  let key;
  try {
    key = await loadKey(box.dataset.couponId, box.dataset.keyUrl);
  } catch (e) {
    box.querySelector(".qr-status").textContent = box.dataset.offlineText;
    return;
  }
  box.classList.add("ready");
  draw(key);
  setInterval(() => draw(key), 1000);
}

start();
