// The report form: "Use my location" fills the point, then open reports of the same kind within
// about 50 m are offered for a "me too" instead of a duplicate. On the report form and the work
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

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
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

  function showNearby(items) {
    list.innerHTML = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var text = document.createElement("span");
      var link = document.createElement("a");
      link.href = "/r/" + encodeURIComponent(item.ref);
      link.textContent = item.ref;
      text.appendChild(link);
      text.appendChild(document.createTextNode(" · " + fill(texts.away, { metres: item.distance_m }) + " · " +
        item.description + (item.supporters ? " · " + fill(item.supporters === 1 ? texts.supporter : texts.supporters, { n: item.supporters }) : "")));
      li.appendChild(text);
      if (document.querySelector(".account-bar")) li.appendChild(supportForm(item.ref));
      list.appendChild(li);
    });
    nearby.hidden = items.length === 0;
  }

  function lookNearby(lat, lon) {
    var url = box.dataset.nearbyUrl + "?category=" + encodeURIComponent(box.dataset.category) +
      "&lat=" + lat + "&lon=" + lon;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { nearby: [] }; })
      .then(function (body) { showNearby(body.nearby || []); })
      .catch(function () { /* the report can still be filed */ });
  }

  document.getElementById("use-location").addEventListener("click", function () {
    if (!("geolocation" in navigator)) { status.textContent = texts.failed; return; }
    status.textContent = texts.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      var c = position.coords;
      document.getElementById("lat").value = c.latitude.toFixed(6);
      document.getElementById("lon").value = c.longitude.toFixed(6);
      status.textContent = fill(texts.located, { metres: Math.max(1, Math.round(c.accuracy || 0)) });
      lookNearby(c.latitude, c.longitude);
    }, function (error) {
      status.textContent = error.code === 1 ? texts.denied : texts.failed;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  });

  var lat = document.getElementById("lat").value, lon = document.getElementById("lon").value;
  if (lat && lon) lookNearby(lat, lon);
})();
