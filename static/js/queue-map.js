// The maps that show a page's own reports: the staff queue (the page's work orders, beside the
// list), the work order (its place) and the public report page (a still mini map). Every
// `.map[data-markers]` element names a JSON script block: {"markers": [{ref, lat, lon, status,
// label, href?}], "origin": [lat, lon]?}. The markers are aria-hidden: the page's text (the list,
// the address and coordinates) says the same. A marker with an href opens it when tapped.
// The queue's "Nearest to me first" asks the phone where it is before the form goes.
(function () {
  "use strict";

  function showMap(element) {
    var block = document.getElementById(element.dataset.markers);
    if (!block) return;
    var data = JSON.parse(block.textContent);
    var still = element.dataset.still === "true";
    var map = LinliMap.create(element, still
      ? { dragging: false, keyboard: false, zoomControl: false, scrollWheelZoom: false }
      : { scrollWheelZoom: false });
    map.leaflet.getPane("markerPane").setAttribute("aria-hidden", "true");
    var items = (data.markers || []).map(function (m) {
      return {
        lat: m.lat, lon: m.lon, label: m.label || m.ref, href: m.href,
        className: m.status === "resolved" ? "map-marker--fixed" : "map-marker--open",
      };
    });
    var all = items.slice();
    if (data.origin) all.push({ lat: data.origin[0], lon: data.origin[1], className: "map-marker--origin", label: "" });
    var linked = items.some(function (item) { return item.href; });
    map.markers(all, {
      keyboard: false,
      onActivate: linked ? function (item) { if (item.href) window.location.href = item.href; } : null,
    });
    if (all.length > 1) {
      var bounds = L.latLngBounds(all.map(function (i) { return map.toDisplay([i.lat, i.lon]); }));
      map.leaflet.fitBounds(bounds, { padding: [30, 30], maxZoom: 17 });
    } else if (all.length === 1) {
      map.setView([all[0].lat, all[0].lon]);
    }
  }

  function nearestFirst(form) {
    var sort = form.querySelector("[name=sort]");
    var lat = form.querySelector("[name=lat]"), lon = form.querySelector("[name=lon]");
    if (!sort || !lat || !lon || !navigator.geolocation) return;
    var asked = false;
    form.addEventListener("submit", function (event) {
      if (sort.value !== "near" || asked) return;
      event.preventDefault();
      asked = true;
      var send = function () { form.submit(); };
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        send();
      }, function () { lat.value = ""; lon.value = ""; send(); }, { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
    });
  }

  if (window.LinliMap && window.L) {
    Array.prototype.forEach.call(document.querySelectorAll(".map[data-markers]"), showMap);
  }
  var form = document.getElementById("queue-filters");
  if (form) nearestFirst(form);
})();
