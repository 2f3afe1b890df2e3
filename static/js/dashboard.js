// The merchant's dashboard: charts from the page's figures, and a live feed (Server-Sent
// Events) that lists each redemption as it happens and refreshes the figures.
import { yuan } from "./money.js";
import { localized } from "./texts.js";

(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var live = document.getElementById("live");
  var state = document.getElementById("live-state");
  var brand = getComputedStyle(document.documentElement).getPropertyValue("--brand").trim() || "#c2410c";
  var charts = {};

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }


  function dailyChart(figures) {
    var labels = figures.daily.map(function (d) { return d.day.slice(5); });
    var config = {
      type: "bar",
      data: { labels: labels, datasets: [
        { label: data.collected, data: figures.daily.map(function (d) { return d.collected; }), backgroundColor: "#d6c7bb" },
        { label: data.redeemed, data: figures.daily.map(function (d) { return d.redeemed; }), backgroundColor: brand }
      ] },
      options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    };
    if (charts.daily) { charts.daily.data = config.data; charts.daily.update(); return; }
    charts.daily = new window.Chart(document.getElementById("daily-chart"), config);
  }

  function heatChart(kind, grid) {
    var points = [], max = 1;
    grid.forEach(function (row, weekday) {
      row.forEach(function (n, hour) { points.push({ x: hour, y: weekday, v: n }); max = Math.max(max, n); });
    });
    var dataset = {
      label: kind, data: points,
      backgroundColor: function (c) {
        var v = c.raw ? c.raw.v : 0;
        return v === 0 ? "#f4eee9" : "rgba(194, 65, 12, " + (0.2 + 0.8 * v / max).toFixed(2) + ")";
      },
      width: function (c) { var a = c.chart.chartArea; return a ? a.width / 24 - 1 : 0; },
      height: function (c) { var a = c.chart.chartArea; return a ? a.height / 7 - 1 : 0; }
    };
    var config = {
      type: "matrix", data: { datasets: [dataset] },
      options: {
        maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: {
          title: function () { return ""; },
          label: function (c) { return data.weekdays[c.raw.y] + " " + c.raw.x + ":00 · " + c.raw.v; }
        } } },
        scales: {
          // Cells are centred on whole hours and weekdays; ticks only there, labelled in words.
          x: { type: "linear", min: -0.5, max: 23.5, offset: false, grid: { display: false },
               afterBuildTicks: function (axis) { axis.ticks = [0, 3, 6, 9, 12, 15, 18, 21].map(function (v) { return { value: v }; }); },
               ticks: { callback: function (v) { return v + ":00"; }, maxRotation: 0, autoSkip: false } },
          y: { type: "linear", min: -0.5, max: 6.5, reverse: true, offset: false, grid: { display: false },
               afterBuildTicks: function (axis) { axis.ticks = [0, 1, 2, 3, 4, 5, 6].map(function (v) { return { value: v }; }); },
               ticks: { callback: function (v) { return data.weekdays[v] || ""; }, autoSkip: false } }
        }
      }
    };
    if (charts[kind]) { charts[kind].data.datasets[0].data = points; charts[kind].update(); return; }
    charts[kind] = new window.Chart(document.getElementById("heat-" + kind), config);
  }

  function draw(figures) {
    if (!window.Chart) return;
    dailyChart(figures);
    heatChart("redeemed", figures.heatmap.redeemed);
    heatChart("collected", figures.heatmap.collected);
  }

  function setFigure(name, text) {
    var node = document.querySelector('[data-figure="' + name + '"]');
    if (node) node.textContent = text;
  }

  function campaignTable(figures) {
    var body = document.querySelector(".campaign-table tbody");
    if (!body || !figures.campaigns.length) return;
    // Each cell names its column (a card per campaign on a phone), as the page drew it.
    var labels = Array.prototype.map.call(document.querySelectorAll(".campaign-table thead th"),
      function (th) { return th.textContent; });
    body.innerHTML = "";
    figures.campaigns.forEach(function (c) {
      var row = document.createElement("tr");
      [localized(c.title, c.title_i18n, data.lang), c.collected, c.redeemed,
        c.redemption_rate === null ? "–" : Math.round(c.redemption_rate * 100) + "%",
        yuan(c.discount_cents)].forEach(function (value, i) {
        var cell = document.createElement("td");
        cell.textContent = value;
        cell.dataset.label = labels[i] || "";
        if (i === 0) cell.className = "row-title";
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
  }

  function showFigures(figures) {
    setFigure("collected", figures.collected);
    setFigure("redeemed", figures.redeemed);
    setFigure("rate", figures.redemption_rate === null ? "–" : Math.round(figures.redemption_rate * 100) + "%");
    setFigure("discount", yuan(figures.discount_cents));
    setFigure("bills", yuan(figures.bill_cents));
    setFigure("refused", figures.refused);
    campaignTable(figures);
    draw(figures);
  }

  var refreshTimer = null;
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      fetch(data.figures_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r); })
        .then(showFigures)
        .catch(function () { /* the next event tries again */ });
    }, 250);
  }

  function addLive(event) {
    var text;
    var time = window.Linli.when(event.at, "time");
    if (event.kind === "redeemed") {
      text = fill(data.live_redeemed, { time: time, title: localized(event.campaign_title, event.campaign_title_i18n,
        data.lang), bill: yuan(event.bill_cents),
        discount: yuan(event.discount_cents) });
    } else if (event.kind === "voided") {
      text = fill(data.live_voided, { time: time, bill: yuan(event.bill_cents), discount: yuan(event.discount_cents) });
    } else {
      return;
    }
    var empty = live.querySelector(".empty");
    if (empty) empty.remove();
    var item = document.createElement("li");
    item.className = "live-" + event.kind;
    item.textContent = text;
    live.insertBefore(item, live.firstChild);
    while (live.children.length > 30) live.removeChild(live.lastChild);
  }

  function connect() {
    if (!("EventSource" in window)) return;
    var source = new EventSource(data.feed_url);
    source.addEventListener("open", function () { state.classList.add("on"); state.title = data.live_on; });
    source.addEventListener("error", function () { state.classList.remove("on"); state.title = data.live_off; });
    source.addEventListener("ledger", function (message) {
      var event = JSON.parse(message.data);
      addLive(event);
      // Today's figures change with every event; a past period's only when an event falls in it.
      refreshSoon();
    });
  }

  window.addEventListener("load", function () { draw(data.figures); });
  connect();
})();
