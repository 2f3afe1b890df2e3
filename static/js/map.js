// LinliMap: the one map component every map page uses (report pin, /map, track, queue, fences).
//
// A page calls the Jinja macro in templates/core/_map.html, which renders the map element with the
// tile configuration as data-* attributes, a status line (a polite live region) and the scripts:
// leaflet.js, gcoord, then this file, all `defer`. The page's own script comes after them, also
// `defer`, and calls:
//
//   var map = LinliMap.create(document.getElementById("report-map"));   // also element.linliMap
//   LinliMap.create(el, {dragging: false, zoomControl: false, keyboard: false, scrollWheelZoom: false})
//   gives a still mini-map (the track page); mark its element aria-hidden and say the place in text.
//
// Positions given to and returned by this API are WGS-84 [lat, lon] arrays, always: the server
// never sees anything else. When the tiles draw in GCJ-02 (LINLI_TILES_CRS=gcj02: AMap, Tencent)
// the component converts with gcoord on the way in and out.
//
//   map.leaflet                   the L.Map (its own coordinates are display ones: toDisplay first)
//   map.crs                       "wgs84" | "gcj02", what the tiles draw in
//   map.toDisplay([lat, lon])     WGS-84 -> an L.LatLng for Leaflet
//   map.toWgs(latlng)             an L.LatLng (or [lat, lon]) in display coordinates -> WGS-84 [lat, lon]
//   map.setView([lat, lon], zoom) centre on a WGS-84 point (zoom optional)
//   map.center()                  the centre, WGS-84
//   map.announce(text)            says text in the map's status line (role=status)
//   map.texts                     the translated strings the macro rendered (data-texts)
//   map.crosshair(on)             shows or hides a fixed centre mark (pan the map under it)
//   map.onTilesFailed(fn)         fn() once the tiles are found not to load (see below)
//
//   var pin = map.pin({position: [lat, lon], label: "...", draggable: true,
//                      onMove: function (wgs, how) {}})   // how: "drag" | "key" | "set"
//   pin.position()                WGS-84 [lat, lon]
//   pin.set([lat, lon], {pan})    moves it (no onMove when {silent: true})
//   pin.step(northM, eastM)       moves it by metres, as the arrow keys do
//   pin.marker, pin.element       the L.Marker and its focusable element (map.pins lists the pins)
//   The pin is a focusable button: arrows move it 2 m (Shift: 10 m), Space or Enter puts it at the
//   map's centre; it says where it went in the status line, debounced. Drag it with a finger/mouse.
//
//   var layer = map.markers(items, {onActivate: function (item, marker) {}, keyboard: false})
//   items: [{lat, lon, label, className?, count?}]; each is a divIcon with aria-label = label,
//   activated by a tap, a click, or Enter/Space when keyboard is true (tab stops); without it the
//   markers are aria-hidden and the page's own list is the keyboard path. No Leaflet popups: the
//   page shows what it likes in onActivate. `count` prints a number in the icon (a cluster).
//   Call layer.remove() (or map.markers again with the same options.layer) to replace them.
//
// When the tiles fail (4 tileerror and not one tileload), the element gets `map--no-tiles` (a plain
// grid background) and the notice line under it (a second live region) says so; the pin and
// markers keep working.
(function () {
  "use strict";

  var EARTH_M = 6371008.8;
  var TILE_FAILURES = 4;
  var ANNOUNCE_DELAY_MS = 600;

  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text || "";
    return div.innerHTML;
  }

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function round6(x) { return Math.round(x * 1e6) / 1e6; }

  function LinliMap(element, options) {
    var self = this;
    var data = element.dataset;
    options = options || {};
    var block = element.closest(".map-block");
    if (block) block.hidden = false;  // hidden until here: no empty box without JavaScript
    this.element = element;
    this.crs = data.tilesCrs === "gcj02" ? "gcj02" : "wgs84";
    this.texts = data.texts ? JSON.parse(data.texts) : {};
    this.status = document.getElementById(data.status || "") || null;
    this.notice = document.getElementById(data.notice || "") || null;
    this.pins = [];
    var maxZoom = parseInt(data.tilesMaxZoom || "19", 10);
    var center = [parseFloat(data.centerLat), parseFloat(data.centerLon)];
    var zoom = parseInt(data.zoom || "17", 10);

    this.leaflet = L.map(element, {
      zoomControl: false, attributionControl: false, maxZoom: maxZoom, minZoom: 3,
      keyboard: options.keyboard !== false, dragging: options.dragging !== false,
      scrollWheelZoom: options.scrollWheelZoom !== undefined ? options.scrollWheelZoom : "center",
      touchZoom: options.dragging === false ? false : "center", doubleClickZoom: options.dragging !== false,
      tap: false,
    });
    if (options.zoomControl !== false) {
      L.control.zoom({ zoomInTitle: this.texts.zoom_in || "Zoom in", zoomOutTitle: this.texts.zoom_out || "Zoom out" })
        .addTo(this.leaflet);
    }
    if (data.tilesAttribution) {
      L.control.attribution({ prefix: false }).addAttribution(escapeText(data.tilesAttribution)).addTo(this.leaflet);
    }
    L.control.scale({ imperial: false }).addTo(this.leaflet);

    var tileOptions = { maxZoom: maxZoom, maxNativeZoom: maxZoom, crossOrigin: false };
    if (data.tilesSubdomains) tileOptions.subdomains = data.tilesSubdomains;
    this.tiles = L.tileLayer(data.tilesUrl, tileOptions);
    this._watchTiles();
    this.tiles.addTo(this.leaflet);
    if (data.tilesLabelsUrl) L.tileLayer(data.tilesLabelsUrl, tileOptions).addTo(this.leaflet);  // names over the tiles
    this.leaflet.setView(this.toDisplay(center), zoom);
    // Leaflet names its container nothing: a landmark with the page's label and its instructions.
    element.setAttribute("role", "region");
    if (data.label) element.setAttribute("aria-label", data.label);
    if (data.describedby) element.setAttribute("aria-describedby", data.describedby);
    var attribution = element.querySelector(".leaflet-control-attribution");
    if (attribution) attribution.setAttribute("aria-hidden", "true");
    element.linliMap = this;
    // The element may have been laid out before the stylesheet gave it its height.
    window.addEventListener("load", function () { self.leaflet.invalidateSize(); });
  }

  LinliMap.prototype._watchTiles = function () {
    var self = this, errors = 0, loads = 0;
    this._tilesFailed = false;
    this._tileFailureHandlers = [];
    this.tiles.on("tileload", function () {
      loads += 1;
      if (self._tilesFailed) {
        self._tilesFailed = false;
        self.element.classList.remove("map--no-tiles");
        if (self.notice) self.notice.textContent = "";
      }
    });
    this.tiles.on("tileerror", function () {
      errors += 1;
      if (errors >= TILE_FAILURES && loads === 0 && !self._tilesFailed) {
        self._tilesFailed = true;
        self.element.classList.add("map--no-tiles");
        var sentence = self.texts.no_tiles || "Map images could not load. The pin and markers still work.";
        // A notice of its own (a live region too), so the pin's announcements don't replace it.
        if (self.notice) self.notice.textContent = sentence; else self.announce(sentence);
        self._tileFailureHandlers.forEach(function (fn) { fn(); });
      }
    });
  };

  LinliMap.prototype.onTilesFailed = function (fn) {
    this._tileFailureHandlers.push(fn);
    if (this._tilesFailed) fn();
    return this;
  };

  LinliMap.prototype.toDisplay = function (wgs) {
    var lat = wgs[0], lon = wgs[1];
    if (wgs.lat !== undefined) { lat = wgs.lat; lon = wgs.lng; }
    if (this.crs === "gcj02") {
      var p = gcoord.transform([lon, lat], gcoord.WGS84, gcoord.GCJ02);
      return L.latLng(p[1], p[0]);
    }
    return L.latLng(lat, lon);
  };

  LinliMap.prototype.toWgs = function (latlng) {
    var lat = latlng.lat !== undefined ? latlng.lat : latlng[0];
    var lon = latlng.lng !== undefined ? latlng.lng : latlng[1];
    if (this.crs === "gcj02") {
      var p = gcoord.transform([lon, lat], gcoord.GCJ02, gcoord.WGS84);
      return [p[1], p[0]];
    }
    return [lat, lon];
  };

  LinliMap.prototype.setView = function (wgs, zoom) {
    this.leaflet.setView(this.toDisplay(wgs), zoom === undefined ? this.leaflet.getZoom() : zoom);
    return this;
  };

  LinliMap.prototype.center = function () {
    return this.toWgs(this.leaflet.getCenter());
  };

  LinliMap.prototype.announce = function (text) {
    if (this.status) this.status.textContent = text;
  };

  LinliMap.prototype.crosshair = function (on) {
    var mark = this.element.querySelector(".map-crosshair");
    if (!mark) {
      mark = document.createElement("div");
      mark.className = "map-crosshair";
      mark.setAttribute("aria-hidden", "true");
      this.element.appendChild(mark);
    }
    this.element.classList.toggle("map--crosshair", !!on);
    return this;
  };

  // Metres to degrees at a latitude: a step of a few metres, so a sphere is exact enough (< 1 mm).
  function offsetWgs(wgs, northM, eastM) {
    var dLat = (northM / EARTH_M) * 180 / Math.PI;
    var dLon = (eastM / (EARTH_M * Math.cos(wgs[0] * Math.PI / 180))) * 180 / Math.PI;
    return [wgs[0] + dLat, wgs[1] + dLon];
  }

  var STEPS = { ArrowUp: [1, 0], ArrowDown: [-1, 0], ArrowRight: [0, 1], ArrowLeft: [0, -1] };
  var DIRECTIONS = { ArrowUp: "moved_north", ArrowDown: "moved_south", ArrowRight: "moved_east", ArrowLeft: "moved_west" };

  LinliMap.prototype.pin = function (opts) {
    var map = this, texts = this.texts;
    opts = opts || {};
    var position = opts.position || this.center();
    var icon = L.divIcon({ className: "map-pin", html: "", iconSize: [36, 46], iconAnchor: [18, 46] });
    var marker = L.marker(this.toDisplay(position), {
      icon: icon, draggable: opts.draggable !== false, keyboard: true, autoPan: true, riseOnHover: true,
      zIndexOffset: 1000, bubblingMouseEvents: false,
    });
    var announceTimer = null;
    var pin = { marker: marker, element: null };
    var status = opts.status || null;

    function say(text) {
      if (status) status.textContent = text; else map.announce(text);
    }

    function describe(wgs) {
      return round6(wgs[0]).toFixed(5) + ", " + round6(wgs[1]).toFixed(5);
    }

    function announceLater(text) {
      clearTimeout(announceTimer);
      announceTimer = setTimeout(function () { say(text); }, ANNOUNCE_DELAY_MS);
    }

    function moved(how) {
      if (opts.onMove) opts.onMove(position.slice(), how);
    }

    pin.position = function () { return position.slice(); };

    pin.set = function (wgs, setOpts) {
      setOpts = setOpts || {};
      position = [wgs[0], wgs[1]];
      marker.setLatLng(map.toDisplay(position));
      if (setOpts.pan !== false) {
        var bounds = map.leaflet.getBounds().pad(-0.15);
        if (!bounds.contains(marker.getLatLng())) map.leaflet.panTo(marker.getLatLng());
      }
      if (!setOpts.silent) moved(setOpts.how || "set");
      return pin;
    };

    pin.step = function (northM, eastM) {
      return pin.set(offsetWgs(position, northM, eastM), { how: "key" });
    };

    pin.describe = function () { return describe(position); };

    marker.on("dragend", function () {
      position = map.toWgs(marker.getLatLng());
      moved("drag");
      announceLater(fill(texts.pin_here || "Pin at {position}.", { position: describe(position) }));
    });

    marker.on("add", function () {
      var el = marker.getElement();
      pin.element = el;
      el.setAttribute("aria-label", opts.label || texts.pin_label || "Report pin");
      if (opts.describedby) el.setAttribute("aria-describedby", opts.describedby);
      el.addEventListener("keydown", function (event) {
        var step = STEPS[event.key];
        if (step) {
          var metres = event.shiftKey ? 10 : 2;
          event.preventDefault();
          event.stopPropagation();
          pin.step(step[0] * metres, step[1] * metres);
          announceLater(fill(texts[DIRECTIONS[event.key]] || "Pin moved {metres} m.", { metres: metres }) + " " +
            describe(position));
        } else if (event.key === " " || event.key === "Enter") {
          event.preventDefault();
          event.stopPropagation();
          pin.set(map.center(), { pan: false, how: "key" });
          announceLater(fill(texts.pin_here || "Pin at {position}.", { position: describe(position) }));
        }
      });
    });

    marker.addTo(this.leaflet);
    this.pins.push(pin);
    return pin;
  };

  LinliMap.prototype.markers = function (items, opts) {
    var map = this;
    opts = opts || {};
    var layer = opts.layer || L.layerGroup();
    layer.clearLayers();
    (items || []).forEach(function (item) {
      var icon = L.divIcon({
        className: "map-marker" + (item.count ? " map-marker--cluster" : "") + (item.className ? " " + item.className : ""),
        html: "", iconSize: item.count ? [40, 40] : [28, 28],
      });
      var marker = L.marker(map.toDisplay([item.lat, item.lon]), {
        icon: icon, keyboard: !!opts.keyboard, interactive: !!opts.onActivate, bubblingMouseEvents: false,
      });
      marker.on("add", function () {
        var el = marker.getElement();
        if (item.count) el.textContent = String(item.count);
        if (opts.keyboard) {
          el.setAttribute("aria-label", item.label || "");
          el.addEventListener("keydown", function (event) {
            if (event.key === "Enter" || event.key === " ") {
              event.preventDefault();
              event.stopPropagation();
              if (opts.onActivate) opts.onActivate(item, marker, event);
            }
          });
        } else {
          el.setAttribute("aria-hidden", "true");
          el.removeAttribute("role");
          el.removeAttribute("tabindex");
        }
        if (item.label) el.title = item.label;
      });
      if (opts.onActivate) marker.on("click", function (e) { opts.onActivate(item, marker, e.originalEvent); });
      layer.addLayer(marker);
    });
    layer.addTo(this.leaflet);
    return layer;
  };

  window.LinliMap = {
    create: function (element, options) {
      if (!element) return null;
      if (element.linliMap) return element.linliMap;
      return new LinliMap(element, options);
    },
    offsetWgs: offsetWgs,
  };
})();
