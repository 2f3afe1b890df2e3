// The admins' fence editor: geoman on the shared map component (static/js/map.js).
//
// The page is a plain form that works without JavaScript (a circle's centre and radius, or a
// polygon's GeoJSON). This script only draws on the map and writes into those same fields, in
// WGS-84 (map.toWgs converts from what the tiles draw in); the form is submitted as typed, and the
// server's sentences appear beside the fields. Typing into the fields redraws the shape.
//
//   /admin/fences       every fence (click one to open its page); draw a new circle, polygon or
//                       rectangle, then adjust it (edit, move) before "Create geofence"
//   /admin/fences/<id>  that fence, editable at once: drag the circle or its rim handle, drag a
//                       polygon's corners (or the middle of an edge to add one), move it whole
(function () {
  "use strict";

  var element = document.getElementById("fence-map");
  var form = document.querySelector("[data-fence-form]");
  if (!element || !form || !window.LinliMap || !window.L || !L.PM) return;

  var map = LinliMap.create(element);
  var leaflet = map.leaflet;
  var editing = form.dataset.fenceForm === "edit";
  var texts = map.texts;
  try {
    texts = L.extend({}, map.texts, JSON.parse(document.getElementById("fence-texts").textContent));
  } catch (e) { /* the sentences stay empty; the fields still fill in */ }
  var shapes = [];
  try {
    shapes = JSON.parse((document.getElementById("fence-shapes") || {}).textContent || "[]");
  } catch (e) {
    shapes = [];
  }
  var field = function (name) { return form.elements.namedItem(name); };
  var kindSelect = field("kind");
  var chinese = /^zh/i.test(document.documentElement.lang || "");

  function round6(x) { return Math.round(x * 1e6) / 1e6; }

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  // --- WGS-84 GeoJSON <-> display latlngs ------------------------------------------------------

  function ringToDisplay(ring) {
    var points = ring.slice();
    var first = points[0], last = points[points.length - 1];
    if (points.length > 1 && first[0] === last[0] && first[1] === last[1]) points.pop();  // Leaflet closes rings itself
    return points.map(function (p) { return map.toDisplay([p[1], p[0]]); });
  }

  function geometryToDisplay(geometry) {
    if (geometry.type === "Polygon") return geometry.coordinates.map(ringToDisplay);
    return geometry.coordinates.map(function (polygon) { return polygon.map(ringToDisplay); });
  }

  function wgsCoordinates(coordinates) {
    if (typeof coordinates[0] === "number") {
      var wgs = map.toWgs([coordinates[1], coordinates[0]]);
      return [round6(wgs[1]), round6(wgs[0])];
    }
    return coordinates.map(wgsCoordinates);
  }

  function layerFor(shape, options) {
    if (shape.kind === "circle") {
      return L.circle(map.toDisplay([shape.lat, shape.lon]), L.extend({ radius: shape.radius_m }, options));
    }
    return L.polygon(geometryToDisplay(shape.polygon), options);
  }

  // --- the form's fields ---------------------------------------------------------------------

  function showKind(kind) {
    if (kindSelect) kindSelect.value = kind;
    form.querySelectorAll("fieldset[data-shape]").forEach(function (fieldset) {
      fieldset.hidden = !!kindSelect && fieldset.dataset.shape !== kind;
    });
  }

  function writeFields(layer) {
    if (layer instanceof L.Circle) {
      var centre = map.toWgs(layer.getLatLng());
      var radius = Math.max(1, Math.round(layer.getRadius()));
      showKind("circle");
      field("center_lat").value = round6(centre[0]).toFixed(6);
      field("center_lon").value = round6(centre[1]).toFixed(6);
      field("radius_m").value = String(radius);
      map.announce(fill(texts.fence_circle, { lat: centre[0].toFixed(5), lon: centre[1].toFixed(5), radius: radius }));
    } else {
      var geometry = layer.toGeoJSON(6).geometry;
      geometry = { type: geometry.type, coordinates: wgsCoordinates(geometry.coordinates) };
      showKind("polygon");
      field("polygon").value = JSON.stringify(geometry);
      var corners = 0;
      (geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates).forEach(function (polygon) {
        polygon.forEach(function (ring) { corners += ring.length - 1; });
      });
      map.announce(fill(texts.fence_polygon, { corners: corners }));
    }
  }

  function shapeFromFields() {
    var kind = kindSelect ? kindSelect.value : form.dataset.kind;
    if (kind === "circle") {
      var lat = parseFloat(field("center_lat").value), lon = parseFloat(field("center_lon").value);
      var radius = parseFloat(field("radius_m").value);
      if (!isFinite(lat) || !isFinite(lon) || !(radius > 0) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
      return { kind: "circle", lat: lat, lon: lon, radius_m: radius };
    }
    try {
      var polygon = JSON.parse(field("polygon").value);
      if (polygon && (polygon.type === "Polygon" || polygon.type === "MultiPolygon")) {
        layerFor({ kind: "polygon", polygon: polygon }, {});  // throws on a malformed outline
        return { kind: "polygon", polygon: polygon };
      }
    } catch (e) { /* not (yet) GeoJSON: the server will say what is wrong */ }
    return null;
  }

  // --- geoman ---------------------------------------------------------------------------------

  if (chinese) leaflet.pm.setLang("zh");
  leaflet.pm.setGlobalOptions({ allowSelfIntersection: false, snappable: false, continueDrawing: false });
  leaflet.pm.addControls({
    position: "topright",  // the zoom buttons are on the left
    drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawText: false,
    drawCircle: !editing, drawPolygon: !editing, drawRectangle: !editing,
    editMode: true, dragMode: true, cutPolygon: false, removalMode: false, rotateMode: false,
  });

  // geoman puts each button's name in a title on its container: give the button itself the name.
  function nameButtons() {
    element.querySelectorAll(".leaflet-pm-toolbar .button-container").forEach(function (container) {
      var button = container.querySelector(".leaflet-buttons-control-button");
      var title = container.getAttribute("title");
      if (button && title) {
        button.setAttribute("aria-label", title);
        button.setAttribute("title", title);
      }
      container.querySelectorAll(".leaflet-pm-action").forEach(function (action) {
        if (!action.getAttribute("aria-label")) action.setAttribute("aria-label", action.textContent);
      });
    });
  }
  nameButtons();
  leaflet.on("pm:langchange pm:buttonclick pm:drawstart pm:globaleditmodetoggled pm:globaldragmodetoggled", function () {
    setTimeout(nameButtons, 0);
  });

  // geoman's corner handles are Leaflet markers: focusable buttons with no name that no key moves.
  // They are for fingers and mice; the keyboard's way is the form's fields, which redraw the shape.
  function quietHandle(node) {
    if (node.nodeType !== 1 || !node.classList.contains("marker-icon")) return;
    node.removeAttribute("role");
    node.removeAttribute("tabindex");
    node.setAttribute("aria-hidden", "true");
  }
  new MutationObserver(function (changes) {
    changes.forEach(function (change) { change.addedNodes.forEach(quietHandle); });
  }).observe(leaflet.getPane("markerPane"), { childList: true });

  var current = null;  // the shape the form describes: the new drawing, or the fence being edited

  function watch(layer) {
    layer.on("pm:edit pm:dragend", function () { writeFields(layer); });
    layer.on("pm:intersect", function () { map.announce(texts.fence_crosses); });
  }

  function adopt(layer, fit) {
    if (current && current !== layer) leaflet.removeLayer(current);
    current = layer;
    layer.setStyle({ color: "#a1260d", weight: 3, fillOpacity: 0.15 });
    if (!leaflet.hasLayer(layer)) layer.addTo(leaflet);
    watch(layer);
    if (editing) layer.pm.enable({ allowSelfIntersection: false });
    if (fit) leaflet.fitBounds(layer.getBounds(), { padding: [56, 56], maxZoom: 18 });
  }

  if (editing) {
    if (shapes[0]) adopt(layerFor(shapes[0], {}), true);
  } else {
    var others = L.featureGroup();
    shapes.forEach(function (shape) {
      var layer = layerFor(shape, {
        pmIgnore: true, color: shape.active ? "#2f6b4f" : "#8a8a8a", weight: 2, fillOpacity: 0.12,
        dashArray: shape.active ? null : "6 6",
      });
      layer.bindTooltip(shape.name, { sticky: true });
      layer.on("click", function () { window.location.assign(shape.url); });
      others.addLayer(layer);
    });
    others.addTo(leaflet);
    if (shapes.length) leaflet.fitBounds(others.getBounds(), { padding: [40, 40], maxZoom: 17 });
    leaflet.on("pm:create", function (event) {
      adopt(event.layer, false);
      writeFields(event.layer);
    });
  }

  // Typed (or pasted) fields redraw the shape, so the map and the form never disagree.
  function redrawFromFields() {
    var shape = shapeFromFields();
    if (!shape) return;
    if (current && current.pm) current.pm.disable();
    adopt(layerFor(shape, {}), true);
  }
  ["center_lat", "center_lon", "radius_m", "polygon"].forEach(function (name) {
    var input = field(name);
    if (input) input.addEventListener("change", redrawFromFields);
  });
  if (kindSelect) {
    kindSelect.addEventListener("change", function () { showKind(kindSelect.value); });
    showKind(kindSelect.value);
    if (!editing && (field("polygon").value || field("center_lat").value)) redrawFromFields();  // after a refusal
  }
  element.classList.add("fence-map--ready");
})();
