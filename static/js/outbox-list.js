// A page's view of the outbox (static/js/outbox.js): the reports written offline that are still
// on this phone, waiting or refused, each with its time, to delete or (refused) to correct. Where
// no service worker runs (the very first visit, or a browser without one) the page sends what
// waits by itself, when it opens and when the network returns.
(function () {
  "use strict";
  var section = document.getElementById("outbox");
  var list = document.getElementById("outbox-list");
  var textsEl = document.getElementById("outbox-texts");
  if (!section || !list || !textsEl || !window.LinliOutbox || !window.indexedDB) return;
  var outbox = window.LinliOutbox;
  var texts = JSON.parse(textsEl.textContent);

  function entry(item) {
    var li = document.createElement("li");
    li.id = "outbox-item-" + item.key;
    var text = document.createElement("span");
    text.textContent = item.state === "failed"
      ? outbox.fill(texts.refused, { time: item.time, reason: item.reason })
      : outbox.fill(texts.waiting, { time: item.time, report: item.label });
    li.appendChild(text);
    var actions = document.createElement("span");
    actions.className = "actions";
    if (item.state === "failed") {
      var correct = document.createElement("a");
      correct.className = "button small primary";
      correct.href = item.url + "#outbox-" + item.key;
      correct.textContent = texts.correct;
      actions.appendChild(correct);
    }
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button small";
    remove.textContent = texts["delete"];
    remove.setAttribute("aria-label", outbox.fill(texts.delete_label, { time: item.time }));
    remove.addEventListener("click", function () {
      if (!window.confirm(texts.confirm_delete)) return;
      outbox.remove(item.key).then(render);
    });
    actions.appendChild(remove);
    li.appendChild(actions);
    return li;
  }

  function render() {
    return outbox.all().then(function (items) {
      var shown = items.filter(function (item) {
        return item.state !== "sent" && (item.owner || "") === (section.dataset.owner || "");
      });
      list.innerHTML = "";
      shown.forEach(function (item) { list.appendChild(entry(item)); });
      section.hidden = shown.length === 0;
    }).catch(function () { section.hidden = true; });
  }

  function sendHere() {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) return;  // the worker sends
    if (navigator.onLine === false) return;
    outbox.flush().then(outbox.news).then(function (news) {
      if (window.Linli.showOutboxNews) window.Linli.showOutboxNews(news);
      return outbox.told(news);
    }).then(render).catch(function () { /* tried again on the next visit */ });
  }

  // Once something was sent (or refused), "saved on this phone" is old news.
  document.addEventListener("linli:outbox-news", function () {
    var said = document.getElementById("outbox-status");
    if (said) said.hidden = true;
    render();
  });
  window.addEventListener("online", sendHere);
  render();
  sendHere();
  window.LinliOutboxList = { render: render, texts: texts };
})();
