// The report form: "Use my location" fills the point, then open reports of the same kind within
// about 50 m are offered for a "me too" instead of a duplicate. The form works without this.
(function () {
  "use strict";
  var texts = JSON.parse(document.getElementById("report-texts").textContent);
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
        item.description + (item.supporters ? " · " + fill(texts.supporters, { n: item.supporters }) : "")));
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
