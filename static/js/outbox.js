// The outbox: reports written without network, kept on the phone (IndexedDB, through idb's UMD
// build: the global `idb`) until they are sent. One file for both sides: the service worker
// imports it (static/js/sw-outbox.js) and sends on Background Sync or when a page asks; a page
// loads it to keep a report, to list what waits, and to send by itself where no service worker
// runs. Each item carries the report's client key, so a report sent twice is filed once by the
// server (services.operations.file_report); here an item is also claimed ("sending") in one
// IndexedDB transaction before it is sent, so the worker and a page never both send it.
//
// An item: {key, url, owner, fields: [[name, value]], photos: [{name, type, blob}], csrf, at,
// label, time, texts: {sent, failed, sent_title, failed_title} (in the writer's language, written at writing time: the
// worker has no gettext), state: "waiting" | "sending" | "sent" | "failed", ref, track, reason}.
(function (root) {
  "use strict";
  var DB_NAME = "linli-outbox", STORE = "outbox", TAG = "linli-outbox";
  // A claim older than this belongs to a sender that died (a worker stopped mid-send): the item
  // waits again; a second send of it is harmless, the client key makes it the same report.
  var STALE_MS = 60 * 1000;

  function open() {
    return root.idb.openDB(DB_NAME, 1, {
      upgrade: function (db) { db.createObjectStore(STORE, { keyPath: "key" }); }
    });
  }

  function newKey() {
    if (root.crypto && root.crypto.randomUUID) return root.crypto.randomUUID();
    var b = root.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (_, k) { return values[k] === undefined ? "" : values[k]; });
  }

  async function save(item) {
    var db = await open();
    await db.put(STORE, item);
  }

  async function all() {
    var db = await open();
    var items = await db.getAll(STORE);
    return items.sort(function (a, b) { return a.at - b.at; });
  }

  async function remove(key) {
    var db = await open();
    await db.delete(STORE, key);
  }

  // Waiting items become this sender's, in one readwrite transaction: IndexedDB runs those one
  // at a time across the worker and every page, so two senders never claim the same item.
  async function claim() {
    var db = await open();
    var tx = db.transaction(STORE, "readwrite");
    var now = Date.now(), mine = [];
    var items = await tx.store.getAll();
    items.forEach(function (item) {
      if (item.state === "waiting" || (item.state === "sending" && now - (item.claimedAt || 0) > STALE_MS)) {
        item.state = "sending";
        item.claimedAt = now;
        mine.push(item);
        tx.store.put(item);
      }
    });
    await tx.done;
    return mine;
  }

  async function update(key, changes) {
    var db = await open();
    var tx = db.transaction(STORE, "readwrite");
    var item = await tx.store.get(key);
    if (item) tx.store.put(Object.assign(item, changes));
    await tx.done;
  }

  function body(item, csrf) {
    var form = new FormData();
    item.fields.forEach(function (pair) { form.append(pair[0], pair[1]); });
    item.photos.forEach(function (photo) { form.append("photos", photo.blob, photo.name); });
    form.set("csrf_token", csrf);
    form.set("client_key", item.key);
    return form;
  }

  // A fresh CSRF token from the form's own page (the session's token may have changed since the
  // report was written, e.g. a day ago): null when that page is not there (signed out, offline).
  async function freshToken(url) {
    var response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok || response.redirected) return null;
    var match = /<meta name="csrf-token" content="([^"]+)"/.exec(await response.text());
    return match ? match[1] : null;
  }

  function firstMessage(problem) {
    var errors = problem && problem.errors;
    if (errors) {
      for (var field in errors) {
        var messages = errors[field];
        if (Array.isArray(messages) && typeof messages[0] === "string") return messages[0];
      }
    }
    return (problem && problem.detail) || "";
  }

  // One try: {state: "sent", ref, track} | {state: "waiting"} (no network, busy, rate limited,
  // someone else signed in: try again later) | {state: "failed", reason} (the server refused the
  // report itself: kept for the resident to correct, never retried by itself).
  async function sendOne(item) {
    var csrf = item.csrf, renewed = false;
    for (;;) {
      var response;
      try {
        response = await fetch(item.url, {
          method: "POST", body: body(item, csrf), credentials: "same-origin",
          headers: { Accept: "application/json", "Linli-Outbox": item.owner || "" }
        });
      } catch (e) {
        return { state: "waiting", offline: true };
      }
      var problem = null;
      if ((response.headers.get("Content-Type") || "").indexOf("json") !== -1) {
        try { problem = await response.json(); } catch (e) { problem = null; }
      }
      if (response.ok && problem && problem.ref) return { state: "sent", ref: problem.ref, track: problem.url };
      if (response.status === 400 && problem && problem.type === "/problems/csrf" && !renewed) {
        renewed = true;
        try { csrf = await freshToken(item.url); } catch (e) { return { state: "waiting", offline: true }; }
        if (!csrf) return { state: "waiting" };
        await update(item.key, { csrf: csrf });
        continue;
      }
      // 2xx without a reference is the sign-in page (a report that needs an account, the session
      // gone): it waits for the resident to sign in again, like 409 (someone else signed in).
      if (response.ok || response.status === 409 || response.status === 408 || response.status === 429 ||
          response.status >= 500) return { state: "waiting" };
      return { state: "failed", reason: firstMessage(problem) };
    }
  }

  // Sends every waiting item once. {offline: true} when the network failed, so that Background
  // Sync tries again later.
  async function flush() {
    var claimed = await claim(), offline = false;
    for (var i = 0; i < claimed.length; i++) {
      var item = claimed[i];
      var outcome = await sendOne(item);
      if (outcome.offline) offline = true;
      if (outcome.state === "sent") {
        await update(item.key, { state: "sent", ref: outcome.ref, track: outcome.track, photos: [], fields: [] });
      } else if (outcome.state === "failed") {
        await update(item.key, { state: "failed", reason: outcome.reason, announced: false });
      } else {
        await update(item.key, { state: "waiting" });
      }
    }
    return { offline: offline, tried: claimed.length };
  }

  // What the resident has not been told yet, as sentences in her language.
  async function news() {
    return (await all()).filter(function (item) {
      return item.state === "sent" || (item.state === "failed" && !item.announced);
    }).map(function (item) {
      var sent = item.state === "sent";
      return { key: item.key, sent: sent, url: sent ? item.track : item.url + "#outbox-" + item.key,
               title: sent ? item.texts.sent_title : item.texts.failed_title, notified: !!item.notified,
               text: sent ? fill(item.texts.sent, { ref: item.ref }) : fill(item.texts.failed, { reason: item.reason }) };
    });
  }

  // Told: a sent report leaves the phone, a refused one stays (to be corrected) but is not told again.
  async function told(list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].sent) await remove(list[i].key);
      else await update(list[i].key, { announced: true });
    }
  }

  root.LinliOutbox = {
    TAG: TAG, newKey: newKey, fill: fill, save: save, all: all, remove: remove, update: update,
    flush: flush, news: news, told: told
  };
})(self);
