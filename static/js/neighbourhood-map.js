// /map: clustered markers of open and recently fixed reports, from /api/map/reports for what is in
// view. A number is a cluster (tap: zoom in to it), a dot one report (tap: a card below the map
// with a link to its page). The markers are aria-hidden: the server-rendered list under the map
// holds the same reports and is the keyboard's and screen reader's way to them.
// The map's place is kept in the address (#zoom/lat/lon), so a filter or a reload keeps it.
(function () {
  "use strict";

  var element = document.getElementById("neighbourhood-map");
  if (!element || !window.LinliMap || !window.L) return;
  var texts = JSON.parse(document.getElementById("neighbourhood-map-texts").textContent);
  var map = LinliMap.create(element, { scrollWheelZoom: true });
  var leaflet = map.leaflet;
  var data = element.dataset;
  var card = document.getElementById("map-card");
  var layer = L.layerGroup();
  var pending = null;
  var timer = null;
  var selected = null;

  leaflet.getPane("markerPane").setAttribute("aria-hidden", "true");

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function round6(x) { return Math.round(x * 1e6) / 1e6; }

  function clamp(x, low, high) { return Math.min(high, Math.max(low, x)); }

  function statusText(status) {
    return status === "resolved" ? texts.fixed : (texts.statuses[status] || status);
  }

  function readHash() {
    var parts = (location.hash || "").replace(/^#/, "").split("/");
    if (parts.length !== 3) return;
    var zoom = parseInt(parts[0], 10), lat = parseFloat(parts[1]), lon = parseFloat(parts[2]);
    if (isFinite(zoom) && isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      map.setView([lat, lon], clamp(zoom, 3, leaflet.getMaxZoom()));
    }
  }

  function writeHash() {
    var c = map.center();
    var hash = "#" + leaflet.getZoom() + "/" + c[0].toFixed(5) + "/" + c[1].toFixed(5);
    if (window.history && history.replaceState) history.replaceState(null, "", location.pathname + location.search + hash);
  }

  function showCard(report) {
    document.getElementById("map-card-title").textContent = report.ref;
    var badge = document.getElementById("map-card-status");
    badge.textContent = statusText(report.status);
    badge.className = "badge status-" + report.status;
    document.getElementById("map-card-kind").textContent = texts.kinds[report.category] || "";
    document.getElementById("map-card-link").href = data.reportUrl.replace("REF", encodeURIComponent(report.ref));
    card.hidden = false;
  }

  function activate(item, marker) {
    if (item.cluster) {
      var b = item.cluster.bbox;  // west, south, east, north (WGS-84)
      var zoom = leaflet.getZoom();
      if (b[0] === b[2] && b[1] === b[3]) {
        leaflet.setView(map.toDisplay([item.lat, item.lon]), Math.min(zoom + 2, leaflet.getMaxZoom()));
      } else {
        var bounds = L.latLngBounds(map.toDisplay([b[1], b[0]]), map.toDisplay([b[3], b[2]]));
        leaflet.fitBounds(bounds, { padding: [40, 40], maxZoom: Math.max(zoom + 1, Math.min(zoom + 3, leaflet.getMaxZoom())) });
      }
      return;
    }
    if (selected && selected.getElement()) selected.getElement().classList.remove("is-selected");
    selected = marker;
    if (marker.getElement()) marker.getElement().classList.add("is-selected");
    showCard(item.report);
    if (card.scrollIntoView) card.scrollIntoView({ block: "nearest" });
  }

  function draw(body) {
    var items = body.clusters.map(function (c) {
      return { lat: c.lat, lon: c.lon, count: c.n, cluster: c, label: fill(texts.reports, { n: c.n }) };
    });
    body.reports.forEach(function (r) {
      items.push({
        lat: r.lat, lon: r.lon, report: r,
        className: r.status === "resolved" ? "map-marker--fixed" : "map-marker--open",
        label: fill(texts.report_label, { kind: texts.kinds[r.category] || "", status: statusText(r.status), ref: r.ref }),
      });
    });
    selected = null;
    map.markers(items, { layer: layer, onActivate: activate, keyboard: false });
    element.dataset.total = String(body.total);
    element.dataset.loaded = "true";
  }

  function load() {
    var bounds = leaflet.getBounds();
    var sw = map.toWgs(bounds.getSouthWest()), ne = map.toWgs(bounds.getNorthEast());
    var bbox = [clamp(round6(sw[1]), -180, 179.999), clamp(round6(sw[0]), -90, 89.999),
                clamp(round6(ne[1]), -179.999, 180), clamp(round6(ne[0]), -89.999, 90)];
    var params = new URLSearchParams({ bbox: bbox.join(","), zoom: String(leaflet.getZoom()), status: data.filterStatus || "all" });
    if (data.filterCategory) params.set("category", data.filterCategory);
    if (pending && pending.abort) pending.abort();
    pending = window.AbortController ? new AbortController() : null;
    element.dataset.loaded = "false";
    fetch(data.api + "?" + params.toString(), { signal: pending ? pending.signal : undefined, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(draw)
      .catch(function (error) {
        if (error && error.name === "AbortError") return;
        map.announce(texts.failed);
      });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(function () { writeHash(); load(); }, 200);
  }

  // Filters reload the page (the list under the map follows them); the map keeps its place.
  var filters = document.getElementById("map-filters");
  if (filters) {
    filters.addEventListener("submit", function () { filters.action = location.pathname + location.hash; });
  }

  readHash();
  leaflet.on("moveend", later);
  load();
})();
