// The report form: a map with a pin (static/js/map.js) opens at the phone's position (or the
// community centre); dragging the pin, aiming with the cross, the arrow keys, "Use my location" or
// a looked-up address all write the one WGS-84 position the form sends (hidden lat/lon). Open
// reports of the same kind within about 50 m show as markers and in a list, each offering "me
// too" instead of a duplicate. With a geocoder configured the address and the pin follow each other. On the report form and the work
// order's close form, chosen photos show as thumbnails that can be taken out before sending.
// Both forms work without this: a plain file input sends whatever was chosen.
(function () {
  "use strict";

  function canEditFiles() {
    // Taking one file out rebuilds the input's list through a DataTransfer; older browsers have none.
    try { return typeof new DataTransfer().items.add === "function"; } catch (e) { return false; }
  }

  function photoPreview(input, texts) {
    var list = document.getElementById(input.dataset.preview);
    if (!list || !window.URL || !URL.createObjectURL) return;
    var editable = canEditFiles();

    function without(index) {
      var kept = new DataTransfer();
      Array.prototype.forEach.call(input.files, function (file, i) { if (i !== index) kept.items.add(file); });
      input.files = kept.files;
      render();
      input.focus();
    }

    function render() {
      list.innerHTML = "";
      Array.prototype.forEach.call(input.files || [], function (file, index) {
        var item = document.createElement("li");
        var image = document.createElement("img");
        var url = URL.createObjectURL(file);
        // The thumbnail keeps its pixels once decoded: the object URL is not needed after that.
        image.onload = image.onerror = function () { URL.revokeObjectURL(url); };
        image.src = url;
        image.alt = texts.chosen + ": " + file.name;
        var name = document.createElement("span");
        name.className = "photo-name";
        name.textContent = file.name;
        item.appendChild(image);
        item.appendChild(name);
        if (editable) {
          var remove = document.createElement("button");
          remove.type = "button";
          remove.className = "button small";
          remove.textContent = texts.remove;
          remove.setAttribute("aria-label", texts.remove + ": " + file.name);
          remove.addEventListener("click", function () { without(index); });
          item.appendChild(remove);
        }
        list.appendChild(item);
      });
    }

    input.addEventListener("change", render);
    render();
  }

  var photoTexts = document.getElementById("photo-texts");
  if (photoTexts) {
    var ptexts = JSON.parse(photoTexts.textContent);
    Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-preview]"), function (input) {
      photoPreview(input, ptexts);
    });
  }

  var reportTexts = document.getElementById("report-texts");
  if (!reportTexts) return;
  var texts = JSON.parse(reportTexts.textContent);
  var box = document.querySelector("fieldset.location");
  var status = document.getElementById("location-status");
  var nearby = document.getElementById("nearby");
  var list = document.getElementById("nearby-list");
  var latInput = document.getElementById("lat");
  var lonInput = document.getElementById("lon");
  var address = document.getElementById("address");
  // "Me too" is a signed-in resident's (the report page answers only residents; staff file for others).
  var signedIn = box.dataset.canSupport === "yes";
  var map = null, pin = null, markerLayer = null;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); });
  }

  function supportForm(ref) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = "/r/" + encodeURIComponent(ref) + "/support";
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = window.Linli.csrfToken();
    var button = document.createElement("button");
    button.className = "button small";
    button.textContent = texts.me_too;
    form.appendChild(token);
    form.appendChild(button);
    return form;
  }

  function summary(item) {
    return fill(texts.away, { metres: item.distance_m }) + " · " + item.description +
      (item.supporters ? " · " + fill(item.supporters === 1 ? texts.supporter : texts.supporters, { n: item.supporters }) : "");
  }

  // A marker of a report nearby, tapped or pressed: its card under the map, with "me too".
  function showCard(item) {
    var card = document.getElementById("map-card");
    var title = document.getElementById("map-card-title");
    var link = document.createElement("a");
    link.href = "/r/" + encodeURIComponent(item.ref);
    link.textContent = item.ref;
    link.setAttribute("aria-label", fill(texts.open_report, { ref: item.ref }));
    title.innerHTML = "";
    title.appendChild(link);
    document.getElementById("map-card-text").textContent = summary(item);
    var actions = document.getElementById("map-card-actions");
    actions.innerHTML = "";
    if (signedIn) actions.appendChild(supportForm(item.ref));
    card.hidden = false;
    card.focus();
  }

  function showNearby(items) {
    list.innerHTML = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var text = document.createElement("span");
      var link = document.createElement("a");
      link.href = "/r/" + encodeURIComponent(item.ref);
      link.textContent = item.ref;
      text.appendChild(link);
      text.appendChild(document.createTextNode(" · " + summary(item)));
      li.appendChild(text);
      if (signedIn) li.appendChild(supportForm(item.ref));
      list.appendChild(li);
    });
    nearby.hidden = items.length === 0;
    if (map) {
      var placed = items.filter(function (item) { return item.lat !== undefined && item.lon !== undefined; });
      markerLayer = map.markers(placed.map(function (item) {
        return { lat: item.lat, lon: item.lon, label: fill(texts.marker, { ref: item.ref, text: item.description }),
                 className: "map-marker--report", report: item };
      }), { keyboard: true, layer: markerLayer, onActivate: function (item, marker) {
        markerLayer.eachLayer(function (other) {
          var el = other.getElement();
          if (el) el.classList.toggle("is-selected", other === marker);
        });
        showCard(item.report);
      } });
    }
  }

  function lookNearby(lat, lon) {
    var url = box.dataset.nearbyUrl + "?category=" + encodeURIComponent(box.dataset.category) +
      "&lat=" + lat + "&lon=" + lon;
    getJson(url)
      .then(function (body) { showNearby(body.nearby || []); })
      .catch(function () { /* the report can still be filed */ });
  }
  var lookNearbySoon = debounce(lookNearby, 400);

  // The address follows the pin (a reverse lookup) only while the resident has not typed in it.
  var addressTyped = !!address.value;
  var reverseSoon = debounce(function (lat, lon) {
    if (!box.dataset.reverseUrl || addressTyped) return;
    getJson(box.dataset.reverseUrl + "?lat=" + lat + "&lon=" + lon)
      .then(function (place) { if (place.label && !addressTyped) address.value = place.label; })
      .catch(function () { /* the address stays as it is */ });
  }, 800);

  // The one place the form's position is written: WGS-84, 6 decimals (~0.1 m).
  function setPosition(wgs, how) {
    latInput.value = wgs[0].toFixed(6);
    lonInput.value = wgs[1].toFixed(6);
    lookNearbySoon(latInput.value, lonInput.value);
    if (how !== "located" && how !== "address") reverseSoon(latInput.value, lonInput.value);
  }

  function located(c) {
    var wgs = [c.latitude, c.longitude];
    status.textContent = fill(texts.located, { metres: Math.max(1, Math.round(c.accuracy || 0)) });
    if (pin) {
      pin.set(wgs, { silent: true });
      map.setView(wgs, 18);
    }
    setPosition(wgs, "located");
    reverseSoon(latInput.value, lonInput.value);
  }

  function locate(quiet) {
    if (!("geolocation" in navigator)) { if (!quiet) status.textContent = texts.failed; return; }
    if (!quiet) status.textContent = texts.locating;
    navigator.geolocation.getCurrentPosition(function (position) { located(position.coords); }, function (error) {
      if (!quiet || error.code !== 1) status.textContent = error.code === 1 ? texts.denied : texts.failed;
      else if (pin) status.textContent = texts.pin_unplaced;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  }

  document.getElementById("use-location").addEventListener("click", function () { locate(false); });

  function startMap() {
    var element = document.getElementById("report-map");
    if (!element || !window.LinliMap || !window.L) return;
    map = window.LinliMap.create(element);
    var known = latInput.value && lonInput.value;
    pin = map.pin({
      position: known ? [parseFloat(latInput.value), parseFloat(lonInput.value)] : map.center(),
      status: status, describedby: "report-map-help",
      onMove: function (wgs, how) { setPosition(wgs, how); },
    });
    var actions = document.getElementById("map-actions");
    var toggle = document.getElementById("crosshair-toggle");
    var here = document.getElementById("pin-here");
    actions.hidden = false;
    toggle.addEventListener("click", function () {
      var on = toggle.getAttribute("aria-pressed") !== "true";
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
      map.crosshair(on);
      here.hidden = !on;
      if (on) map.setView(pin.position());
    });
    here.addEventListener("click", function () {
      pin.set(map.center(), { pan: false });
      status.textContent = fill(texts.pin_set, { position: pin.describe() });
    });
  }

  function startAddressLookup() {
    if (!box.dataset.geocodeUrl) return;  // no geocoder: the address is plain text
    var results = document.getElementById("address-results");
    var search = debounce(function (q) {
      getJson(box.dataset.geocodeUrl + "?q=" + encodeURIComponent(q)).then(function (body) {
        results.innerHTML = "";
        (body.results || []).forEach(function (place) {
          var li = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.className = "link-button";
          button.textContent = fill(texts.show_place, { place: place.label });
          button.addEventListener("click", function () {
            address.value = place.label;
            results.hidden = true;
            if (pin) { pin.set([place.lat, place.lon], { silent: true }); map.setView([place.lat, place.lon], 18); }
            setPosition([place.lat, place.lon], "address");
            status.textContent = fill(texts.pin_set, { position: pin ? pin.describe() : place.label });
          });
          li.appendChild(button);
          results.appendChild(li);
        });
        if (!body.results || !body.results.length) {
          var none = document.createElement("li");
          none.className = "muted";
          none.textContent = texts.no_places;
          results.appendChild(none);
        }
        results.hidden = false;
      }).catch(function () {
        results.innerHTML = "";
        var li = document.createElement("li");
        li.className = "muted";
        li.textContent = texts.lookup_failed;
        results.appendChild(li);
        results.hidden = false;
      });
    }, 700);
    address.addEventListener("input", function () {
      addressTyped = address.value.trim() !== "";
      if (address.value.trim().length >= 4) search(address.value.trim()); else results.hidden = true;
    });
  }

  startMap();
  startAddressLookup();
  var lat = latInput.value, lon = lonInput.value;
  if (lat && lon) lookNearby(lat, lon);
  else if (box.dataset.locate === "open") locate(true);
  else if (pin) status.textContent = texts.pin_unplaced;

  // --- Sent without network: the outbox (static/js/outbox.js) --------------------------------
  // The resident's form is sent by script: with its client key (a fresh one per report), so that
  // trying again can never file it twice. Without network (the phone says it is offline, or the
  // request fails before any answer) the report is kept on the phone with its photos and sent by
  // itself later; any answer but "filed" gets the server's own page (errors beside the fields).
  var form = document.querySelector("form[data-outbox]");
  if (!form || !window.LinliOutbox || !window.indexedDB || !window.fetch || !window.FormData) return;
  var outbox = window.LinliOutbox;
  var otexts = window.LinliOutboxList ? window.LinliOutboxList.texts : null;
  if (!otexts) return;
  var said = document.getElementById("outbox-status");
  var photoInput = document.getElementById("photos");
  var keyInput = document.createElement("input");
  keyInput.type = "hidden";
  keyInput.name = "client_key";
  form.appendChild(keyInput);
  function renewKey() { keyInput.value = outbox.newKey(); }
  renewKey();
  // Back to this page from the history: a new report, a new key.
  window.addEventListener("pageshow", function (event) { if (event.persisted) renewKey(); });

  function say(text, isError) {
    said.textContent = text;
    said.className = isError ? "error" : "notice";
    said.setAttribute("role", isError ? "alert" : "status");
    said.hidden = false;
    said.focus();
  }

  function keep(data) {
    var fields = [], photos = [], at = Date.now();
    data.forEach(function (value, name) {
      if (name === "csrf_token" || name === "client_key") return;
      if (typeof value === "string") fields.push([name, value]);
      else if (value && value.name) photos.push({ name: value.name, type: value.type, blob: value });
    });
    var time = window.Linli.when(at, "time");
    var description = (data.get("description") || "").trim();
    var item = {
      key: keyInput.value, url: form.action, owner: form.dataset.outboxOwner || "", fields: fields, photos: photos,
      csrf: window.Linli.csrfToken(), at: at, time: time, state: "waiting",
      label: form.dataset.outboxLabel + (description ? " · " + description.slice(0, 80) : ""),
      texts: { sent: outbox.fill(otexts.sent, { time: time, ref: "{ref}" }),
               failed: outbox.fill(otexts.failed, { time: time, reason: "{reason}" }),
               sent_title: otexts.sent_title, failed_title: otexts.failed_title }
    };
    return outbox.save(item).then(function () {
      form.reset();
      if (photoInput) photoInput.dispatchEvent(new Event("change"));
      renewKey();
      say(otexts.saved, false);
      window.LinliOutboxList.render();
      // Background Sync sends it when the network returns, even with the page closed, where the
      // browser has it; elsewhere the next page opened (app.js) or the "online" event does.
      if (navigator.serviceWorker) {
        navigator.serviceWorker.ready.then(function (registration) {
          return registration.sync ? registration.sync.register(outbox.TAG) : null;
        }).catch(function () { /* sent on the next visit */ });
      }
    }, function () { say(otexts.not_kept, true); });
  }

  var busy = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    busy = true;
    var data = new FormData(form);
    if (navigator.onLine === false) {
      keep(data).then(function () { busy = false; });
      return;
    }
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin",
                         headers: { Accept: "application/json" } }).then(function (response) {
      if (response.status === 201) {
        return response.json().then(function (filed) { window.location.assign(filed.url); });
      }
      // Refused, or anything else: the server says it in its own page (same key, so no double).
      HTMLFormElement.prototype.submit.call(form);
    }, function () {
      return keep(data).then(function () { busy = false; });
    });
  });

  // "Correct it" on a refused report: it comes back into this form (its photos too where the
  // browser lets a script fill a file input), keeps its key, and leaves the outbox.
  function restore() {
    var match = /^#outbox-([0-9a-f-]{36})$/.exec(window.location.hash);
    if (!match) return;
    outbox.all().then(function (items) {
      var item = items.filter(function (i) { return i.key === match[1] && i.state === "failed"; })[0];
      if (!item || item.url !== form.action || item.owner !== (form.dataset.outboxOwner || "")) return;
      var values = {};
      item.fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
      Object.keys(values).forEach(function (name) {
        Array.prototype.forEach.call(form.querySelectorAll('[name="' + CSS.escape(name) + '"]'), function (el) {
          if (el.type === "radio" || el.type === "checkbox") el.checked = values[name].indexOf(el.value) !== -1;
          else if (el.type !== "file" && el.type !== "hidden" || name === "lat" || name === "lon") el.value = values[name][0];
        });
      });
      if (photoInput && item.photos.length && canEditFiles()) {
        var files = new DataTransfer();
        item.photos.forEach(function (p) { files.items.add(new File([p.blob], p.name, { type: p.type })); });
        photoInput.files = files.files;
        photoInput.dispatchEvent(new Event("change"));
      }
      keyInput.value = item.key;
      if (pin && latInput.value && lonInput.value) {
        var wgs = [parseFloat(latInput.value), parseFloat(lonInput.value)];
        pin.set(wgs, { silent: true });
        map.setView(wgs, 18);
      }
      return outbox.remove(item.key).then(function () {
        window.LinliOutboxList.render();
        history.replaceState(null, "", window.location.pathname + window.location.search);
        say(outbox.fill(otexts.restored, { reason: item.reason }), true);
      });
    }).catch(function () { /* the outbox is not readable: the form stays empty */ });
  }
  window.addEventListener("hashchange", restore);
  restore();
})();
