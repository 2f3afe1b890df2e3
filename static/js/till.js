// The till: the cashier enters the bill, then scans (camera, photo) or types the coupon code.
// Each redemption carries an Idempotency-Key; a retry after a dropped connection reuses it, so
// the server answers the first result again instead of refusing or redeeming twice.
import { yuan } from "./money.js";
import { startScanning } from "./qr-scanner.js";
import { localized } from "./texts.js";

(function () {
  "use strict";
  var texts = JSON.parse(document.getElementById("till-texts").textContent);
  var form = document.getElementById("till");
  var bill = document.getElementById("bill");
  var code = document.getElementById("code");
  var status = document.getElementById("till-status");
  var result = document.getElementById("result");
  var recent = document.getElementById("recent");
  var video = document.getElementById("camera");
  var scanner = document.getElementById("scanner");
  var voidLast = document.getElementById("void-last");
  var confirmBox = document.getElementById("void-confirm");
  var busy = false, stream = null, lastMethod = "typed";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }


  function billCents() {
    var raw = bill.value.trim().replace("，", ".").replace("。", ".");
    var match = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(raw);
    if (!match) return null;
    var cents = parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
    return cents > 0 ? cents : null;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function say(message, kind) {
    status.textContent = message;
    status.className = "till-status" + (kind ? " " + kind : "");
  }

  // One result card at a time: a new scan clears the last one, and each answer is scrolled
  // fully into view (the form above it is taller than a phone's screen).
  function clearResult() {
    result.hidden = true;
    voidLast.hidden = true;
    voidLast.dataset.redemptionId = "";
  }

  function showResult(kind, title, pay, detail, redemptionId) {
    result.hidden = false;
    result.className = "card result " + kind;
    document.getElementById("result-title").textContent = title;
    document.getElementById("result-pay").textContent = pay || "";
    document.getElementById("result-detail").textContent = detail || "";
    voidLast.hidden = !redemptionId;
    voidLast.dataset.redemptionId = redemptionId || "";
    var active = document.activeElement;
    if (active && active.tagName === "INPUT") active.blur();  // the phone's keyboard would hide the card
    result.scrollIntoView({ block: "nearest" });
  }

  function addRecent(body) {
    var empty = recent.querySelector(".empty");
    if (empty) empty.remove();
    var item = document.createElement("li");
    item.dataset.redemptionId = body.redemption_id;
    var label = document.createElement("span");
    label.id = "redemption-" + body.redemption_id;
    // As the page draws the rows it is sent: the time as the `when` filter writes it, then the same words.
    label.textContent = window.Linli.when(body.redeemed_at, "time") +
      " · " + localized(body.campaign_title, body.campaign_title_i18n, texts.lang) + " · " +
      fill(texts.row_amounts, { bill: yuan(body.bill_cents), discount: yuan(body.discount_cents) });
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button small void";
    button.textContent = texts.void;
    button.setAttribute("aria-describedby", label.id);
    item.appendChild(label);
    item.appendChild(button);
    recent.insertBefore(item, recent.firstChild);
  }

  function refusal(body) {
    var template = texts["reason_" + body.reason];
    if (!template) return body.detail || texts.failed;
    return fill(template, { amount: yuan(body.min_spend_cents || 0) });
  }

  function send(payload, key, attempt) {
    return window.Linli.api(form.dataset.redeemUrl, {
      method: "POST", body: payload, headers: { "Idempotency-Key": key }
    }).catch(function (error) {
      if (attempt >= 3) throw error;
      say(texts.network);
      return new Promise(function (resolve) { setTimeout(resolve, 1000 * attempt); })
        .then(function () { return send(payload, key, attempt + 1); });
    });
  }

  function redeem(method) {
    if (busy) return;
    var cents = billCents();
    if (cents === null) { say(texts.enter_bill, "bad"); bill.focus(); return; }
    if (!code.value.trim()) { say(texts.enter_code, "bad"); code.focus(); return; }
    busy = true;
    clearResult();
    say(texts.working);
    send({ code: code.value.trim(), bill_cents: cents, method: method }, newKey(), 1)
      .then(function (response) {
        return response.json().then(function (body) {
          say("");
          if (response.ok) {
            showResult("good", texts.accepted, fill(texts.to_pay, { amount: yuan(body.to_pay_cents) }),
              fill(texts.detail, { title: localized(body.campaign_title, body.campaign_title_i18n, texts.lang), discount: yuan(body.discount_cents),
                bill: yuan(body.bill_cents) }), body.redemption_id);
            addRecent(body);
            code.value = "";
            bill.value = "";
          } else {
            showResult("bad", texts.refused, "", refusal(body));
          }
        });
      })
      .catch(function () { say(texts.failed, "bad"); })
      .then(function () { busy = false; });
  }

  // Voiding: the button asks first, in the page (a <dialog>, or the same box shown in place where
  // the browser has no <dialog>), then the card says what happened to the coupon.
  var pendingVoid = null;

  function rowOf(id) {
    return recent.querySelector('[data-redemption-id="' + id + '"]');
  }

  function askToVoid(id, button) {
    if (!/^\d+$/.test(String(id || ""))) return;  // never a request to .../redemptions//void
    var row = rowOf(id);
    var what = row && row.querySelector("span") ? row.querySelector("span").textContent
      : document.getElementById("result-detail").textContent;
    document.getElementById("void-confirm-what").textContent = what;
    pendingVoid = { id: String(id), button: button };
    confirmBox.hidden = false;
    if (typeof confirmBox.showModal === "function") {
      if (!confirmBox.open) confirmBox.showModal();
    } else {
      confirmBox.setAttribute("open", "");
      confirmBox.classList.add("in-place");
    }
    document.getElementById("void-no").focus();  // the safe answer first
  }

  function closeConfirm() {
    if (typeof confirmBox.close === "function" && confirmBox.open) confirmBox.close();
    else { confirmBox.removeAttribute("open"); onConfirmClosed(); }
  }

  function onConfirmClosed() {
    confirmBox.hidden = true;
    var pending = pendingVoid;
    pendingVoid = null;
    if (pending && pending.confirmed) voidRedemption(pending.id, pending.button);
    else if (pending && pending.button && document.contains(pending.button)) pending.button.focus();
  }

  function markRow(id, badgeText) {
    var row = rowOf(id);
    var rowButton = row && row.querySelector("button");
    if (!rowButton) return;
    if (badgeText) {
      var badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = badgeText;
      row.replaceChild(badge, rowButton);
    } else {
      rowButton.remove();
    }
  }

  var VOID_REFUSALS = {
    "/problems/void-window-passed": "void_too_late",
    "/problems/already-voided": "void_already",
    "/problems/not-found": "void_not_found"
  };

  function voidRefused(id, body) {
    var key = VOID_REFUSALS[body.type];
    if (key === "void_already") markRow(id, texts.voided_badge);
    if (key === "void_too_late") markRow(id, null);
    if (voidLast.dataset.redemptionId === id) { voidLast.hidden = true; voidLast.dataset.redemptionId = ""; }
    showResult("bad", texts.not_voided, "", key ? texts[key] : (body.detail || texts.failed));
  }

  function voidRedemption(id, button) {
    if (button) button.disabled = true;
    say(texts.voiding);
    window.Linli.api(texts.void_url.replace("999999999", id), { method: "POST" })
      .then(function (response) {
        return response.json().then(function (body) {
          say("");
          if (!response.ok) { voidRefused(id, body); return; }
          markRow(id, texts.voided_badge);
          showResult("voided", texts.voided_title, fill(texts.to_pay, { amount: yuan(body.bill_cents) }),
            body.coupon_status === "voided" ? texts.voided_dead : texts.voided_back);
          result.focus({ preventScroll: true });
        });
      })
      .catch(function () { say(texts.failed, "bad"); })
      .then(function () { if (button && document.contains(button)) button.disabled = false; });
  }

  function codeRead(text, method) {
    code.value = text;
    lastMethod = method;
    say(texts.code_read, "good");
    if (billCents() !== null) redeem(method); else bill.focus();
  }

  // Live scanning (qr-scanner.js): BarcodeDetector where the browser has it, jsQR otherwise.
  function stopCamera() {
    if (stream) stream.stop();
    stream = null;
    scanner.hidden = true;
  }

  document.getElementById("start-camera").addEventListener("click", function () {
    clearResult();
    scanner.hidden = false;
    startScanning(video, function (text) { stopCamera(); codeRead(text, "camera"); })
      .then(function (s) { if (scanner.hidden) s.stop(); else stream = s; })  // stopped while it was starting
      .catch(function () { stopCamera(); say(texts.no_camera, "bad"); });
  });
  document.getElementById("stop-camera").addEventListener("click", stopCamera);

  document.getElementById("photo").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) return;
    clearResult();
    var data = new FormData();
    data.append("photo", file);
    say(texts.reading_photo);
    window.Linli.api(form.dataset.scanUrl, { method: "POST", body: data })
      .then(function (response) {
        return response.json().then(function (body) {
          if (response.ok) codeRead(body.code, "photo"); else say(body.detail || texts.failed, "bad");
        });
      })
      .catch(function () { say(texts.failed, "bad"); })
      .then(function () { event.target.value = ""; });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    redeem(lastMethod === "typed" || !code.value ? "typed" : lastMethod);
  });
  code.addEventListener("input", function () {
    lastMethod = "typed";
    if (result.classList.contains("bad")) clearResult();  // a refusal is about the code being replaced
  });
  voidLast.addEventListener("click", function () {
    askToVoid(voidLast.dataset.redemptionId, voidLast);
  });
  recent.addEventListener("click", function (event) {
    var button = event.target.closest("button.void");
    if (!button) return;
    askToVoid(button.closest("li").dataset.redemptionId, button);
  });
  document.getElementById("void-yes").addEventListener("click", function () {
    if (pendingVoid) pendingVoid.confirmed = true;
    closeConfirm();
  });
  document.getElementById("void-no").addEventListener("click", closeConfirm);
  confirmBox.addEventListener("close", onConfirmClosed);  // also Escape
  confirmBox.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && confirmBox.classList.contains("in-place")) closeConfirm();
  });
})();
