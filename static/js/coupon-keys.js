// The coupon keys this device holds: each usable coupon's TOTP secret, fetched once while online and
// kept in localStorage ("linli.keys", which signing out removes: static/js/app.js), so that the
// coupon page draws its rotating QR with no network. The wallet fetches the keys of every usable
// coupon (keepKeys), a coupon page the one it shows (loadKey). The keys belong to one account:
// a page of another account (core.web.offline_account) finds none, so a shared phone never shows
// the last person's coupons to the next.
const STORE = "linli.keys";
const OWNER = "linli.keys.account";

function read() {
  try { return JSON.parse(localStorage.getItem(STORE) || "{}"); } catch (e) { return {}; }
}

function write(all) {
  try { localStorage.setItem(STORE, JSON.stringify(all)); } catch (e) { /* storage full or disabled */ }
}

// The keys held for `account` ("" or undefined: whoever the page does not name).
export function heldKeys(account) {
  if (account) {
    let owner = null;
    try { owner = localStorage.getItem(OWNER); } catch (e) { return {}; }
    if (owner !== account) {
      try {
        localStorage.removeItem(STORE);
        localStorage.setItem(OWNER, account);
      } catch (e) { return {}; }
      return {};
    }
  }
  return read();
}

function forgetExpired(all) {
  const now = Date.now();
  Object.keys(all).forEach((id) => { if (Date.parse(all[id].expires_at) < now) delete all[id]; });
  return all;
}

async function fetchKey(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`no key (${response.status})`);
  return response.json();
}

// The key of one coupon: held, or fetched now (and then held).
export async function loadKey(id, url, account) {
  const held = heldKeys(account)[id];
  if (held) return held;
  const key = await fetchKey(url);
  const all = forgetExpired(heldKeys(account));
  all[key.coupon_id] = key;
  write(all);
  return key;
}

// Exactly the keys of `wanted` ({coupon id: key URL}, the usable coupons): the missing ones fetched,
// those of coupons no longer usable forgotten. Resolves to how many are held.
export async function keepKeys(account, wanted) {
  const held = heldKeys(account);
  const all = {};
  Object.keys(wanted).forEach((id) => { if (held[id]) all[id] = held[id]; });
  const missing = Object.keys(wanted).filter((id) => !all[id]);
  async function worker() {  // a few at a time, not a burst of requests
    while (missing.length) {
      const id = missing.shift();
      try { all[id] = await fetchKey(wanted[id]); } catch (e) { /* offline again, or used meanwhile: next visit */ }
    }
  }
  await Promise.all([worker(), worker(), worker()]);
  write(forgetExpired(all));
  return Object.keys(all).length;
}
