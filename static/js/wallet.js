// The wallet: check in when the page opens (and every minute while it is visible), show what
// dropped and why, and how far each shop is. The position goes to the server once per check-in.
// On a coupon's own page the position is asked for only on the resident's tap, for the distance.
// Online, the wallet keeps every usable coupon on the phone (its page and its key) for offline use;
// offline, both pages say so and since when they are shown.
import { keepKeys } from "./coupon-keys.js";
import { yuan } from "./money.js";
import { keepPages, offlineStatus, servedFromCache } from "./offline.js";
import { distanceText, localized } from "./texts.js";

(function () {
  "use strict";
  var textsNode = document.getElementById("airdrop-texts");
  var texts = textsNode ? JSON.parse(textsNode.textContent) : {};
  var panel = document.getElementById("airdrop");

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function metres(lat1, lon1, lat2, lon2) {
    var r = 6371008.8, rad = Math.PI / 180;
    var dp = (lat2 - lat1) * rad, dl = (lon2 - lon1) * rad;
    var a = Math.sin(dp / 2) * Math.sin(dp / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * r * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  function showDistances(coords) {
    document.querySelectorAll("[data-shop-lat]").forEach(function (node) {
      var d = metres(coords.latitude, coords.longitude, +node.dataset.shopLat, +node.dataset.shopLon);
      node.textContent = distanceText(d, texts.metres_away, texts.km_away);
    });
  }


  // Every usable coupon's key, then its page (the service worker fetches those it lacks); the
  // shelf says when it is done (data-offline="ready"). `fresh`: the list changed since the page was
  // built (an airdrop), so the kept copy of the list is fetched again.
  function keepForOffline(fresh) {
    var node = document.getElementById("offline-sync");
    var shelf = document.getElementById("shelf");
    if (!node || !shelf) return;
    var data = JSON.parse(node.textContent);
    var keys = {}, pages = [data.list];
    Object.keys(data.coupons).forEach(function (id) {
      keys[id] = data.coupons[id].key;
      pages.push(data.coupons[id].page);
    });
    var since = fresh ? Date.now() : Date.parse(document.getElementById("offline-status").dataset.builtAt);
    shelf.dataset.offline = "syncing";
    keepKeys(data.account, keys).then(function (held) {
      return keepPages(pages, since).then(function (answer) {
        shelf.dataset.offline = answer && !answer.failed ? "ready" : "failed";
        shelf.dataset.offlineKeys = held;
        shelf.dataset.offlinePages = answer ? answer.kept : 0;
      });
    }).catch(function () { shelf.dataset.offline = "failed"; });
  }

  var live = servedFromCache().then(function (fromCache) {
    offlineStatus(document.getElementById("offline-status"), fromCache);
    var online = !fromCache && navigator.onLine !== false;
    if (online) keepForOffline(false);
    return online;
  });

  function reasonText(reason) {
    // The server sends the exact distance; it is rounded as the shop's distance on the card below.
    if (reason.code === "distance") return distanceText(reason.metres, texts.reason_distance, texts.km_away);
    var template = texts["reason_" + reason.code];
    if (!template) return "";
    return fill(template, {
      tags: (reason.tags || []).join(", "), amount: yuan(reason.cents || 0),
      hours: reason.hours
    });
  }

  if (!panel) {
    // A coupon's own page asks for the position only when the resident taps "How far is it?": it is
    // shown at the till, where a location prompt would be in the way. Where Linli may already
    // see the position, nothing is asked, so the distance is shown at once.
    var ask = document.getElementById("distance-ask");
    var button = document.getElementById("distance-button");
    if (!ask || !button) return;
    if (!("geolocation" in navigator)) { ask.remove(); return; }
    var locate = function () {
      navigator.geolocation.getCurrentPosition(function (p) { showDistances(p.coords); ask.remove(); }, function () {
        var why = document.getElementById("distance-why");
        if (why && texts.no_fix) why.textContent = texts.no_fix;
      }, { maximumAge: 60000, timeout: 10000 });
    };
    button.addEventListener("click", locate);
    if (navigator.permissions && navigator.permissions.query) {
      navigator.permissions.query({ name: "geolocation" })
        .then(function (state) { if (state.state === "granted") locate(); })
        .catch(function () { /* no permissions API: the button stays */ });
    }
    return;
  }

  var statusNode = document.getElementById("airdrop-status");
  var dropsNode = document.getElementById("airdrop-drops");
  var retry = document.getElementById("airdrop-retry");
  var busy = false;

  function status(message, kind) {
    statusNode.textContent = message;
    statusNode.className = "airdrop-status" + (kind ? " " + kind : "");
  }

  function showDrops(dropped) {
    dropsNode.innerHTML = "";
    dropped.forEach(function (drop) {
      var item = document.createElement("li");
      var title = document.createElement("strong");
      title.textContent = localized(drop.merchant_name, drop.merchant_name_i18n, texts.lang) + " · " +
        localized(drop.title, drop.title_i18n, texts.lang);
      item.appendChild(title);
      var why = document.createElement("ul");
      why.className = "reasons";
      why.setAttribute("aria-label", texts.why);
      drop.reasons.forEach(function (reason) {
        var text = reasonText(reason);
        if (!text) return;
        var li = document.createElement("li");
        li.textContent = text;
        why.appendChild(li);
      });
      item.appendChild(why);
      dropsNode.appendChild(item);
    });
    dropsNode.hidden = dropped.length === 0;
  }

  function refreshShelf() {
    var shelf = document.getElementById("shelf");
    if (!shelf || shelf.dataset.shelf !== "usable") return;
    fetch(panel.dataset.fragmentUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r); })
      .then(function (html) {
        shelf.innerHTML = html;
        var count = document.querySelector(".tabs [aria-current] .count");
        if (count) count.textContent = shelf.querySelectorAll(".coupon").length;
        if (window.__lastCoords) showDistances(window.__lastCoords);
        keepForOffline(true);
      });
  }

  function report(body) {
    var message = body.message || texts.error;
    if (body.outcome === "window_closed" && body.next_window_at) {
      var when = window.Linli.when(body.next_window_at, { weekday: "long", hour: "numeric", minute: "2-digit" });
      message += " " + fill(texts.next, { when: when });
    }
    status(message, body.outcome === "dropped" ? "good" : "");
    showDrops(body.dropped || []);
    if (body.outcome === "dropped") refreshShelf();
  }

  function checkIn() {
    if (busy) return;
    if (!("geolocation" in navigator)) { status(texts.no_gps); return; }
    if (!navigator.onLine) { status(texts.offline); return; }
    busy = true;
    status(texts.locating);
    navigator.geolocation.getCurrentPosition(function (position) {
      var c = position.coords;
      window.__lastCoords = c;
      showDistances(c);
      window.Linli.api(panel.dataset.checkinUrl, {
        method: "POST", body: { lat: c.latitude, lon: c.longitude, accuracy_m: Math.max(c.accuracy || 1, 0.1) }
      }).then(function (response) {
        return response.json().then(function (body) {
          if (response.ok) report(body); else status(body.detail || texts.error);
        });
      }).catch(function () { status(navigator.onLine === false ? texts.offline : texts.error); })
        .then(function () { busy = false; });
    }, function (error) {
      busy = false;
      status(error.code === 1 ? texts.denied : texts.no_fix);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  }

  retry.addEventListener("click", checkIn);
  // Not from a kept copy: the airdrop is for someone here now, and the copy's token may be stale.
  live.then(function (online) { if (online) checkIn(); else status(texts.offline); });
  setInterval(function () { if (document.visibilityState === "visible") checkIn(); }, 60000);
})();
