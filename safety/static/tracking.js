// The tracking page: polls /t/<token>/data and draws her trail. No build step.
// Its words come from the page (data-text-*), written by the server in the reader's language;
// times are shown in that language and in the reader's time zone (data-time-zone).
(function () {
  "use strict";
  var el = document.getElementById("map");
  var token = el.dataset.token;
  var pollMs = parseInt(el.dataset.pollMs, 10) || 5000;
  var lang = document.documentElement.lang || "en";
  var map = L.map(el, { zoomControl: true, attributionControl: !!el.dataset.tiles });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19,
      attribution: el.dataset.textAttribution }).addTo(map);
  }
  map.setView([48.0, 67.0], 4);
  var trail = L.polyline([], { color: "#c62828", weight: 4 }).addTo(map);
  var marker = null;
  var responder = null;  // the responder's marker, while one is on the way with a position
  var first = true;
  var framed = false;
  var timer = null;

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole;
    });
  }

  function clock(iso) {
    var options = { hour: "2-digit", minute: "2-digit", second: "2-digit" };
    if (el.dataset.timeZone) { options.timeZone = el.dataset.timeZone; }
    try {
      return new Date(iso).toLocaleTimeString(lang, options);
    } catch (e) { // a browser that does not know the zone: its own
      return new Date(iso).toLocaleTimeString(lang);
    }
  }

  function ended() {
    var status = document.getElementById("status");
    status.textContent = el.dataset.textEnded;
    status.className = "status ended";
  }

  function show(data) {
    document.getElementById("name").textContent = data.name;
    var status = document.getElementById("status");
    if (data.status === "live") {
      status.textContent = el.dataset.textLive;
      status.className = "status live";
    } else {
      ended();
    }
    document.getElementById("updated").textContent =
      fill(el.dataset.textUpdated, { time: clock(data.updated_at) });
    var reply = document.getElementById("reply");
    if (data.her_reply) {
      reply.textContent = reply.dataset.label + " " + data.her_reply.text + " (" +
        clock(data.her_reply.at) + ")";
      reply.dataset.code = data.her_reply.code;
      reply.hidden = false;
    }
    var latlngs = data.points.map(function (p) { return [p.lat, p.lon]; });
    trail.setLatLngs(latlngs);
    if (latlngs.length) {
      var last = data.points[data.points.length - 1];
      var here = [last.lat, last.lon];
      if (!marker) { marker = L.circleMarker(here, { radius: 9, color: "#c62828",
        fillOpacity: 0.9 }).addTo(map); } else { marker.setLatLng(here); }
      var latest = document.getElementById("latest");
      latest.textContent = fill(el.dataset.textLatest, {
        lat: last.lat.toFixed(5), lon: last.lon.toFixed(5), time: clock(last.recorded_at) });
      latest.dataset.lat = last.lat;
      latest.dataset.lon = last.lon;
      if (first) { map.setView(here, 15); first = false; }
    }
    showResponder(data.responder);
    if (data.status !== "live" && timer) { clearInterval(timer); timer = null; }
  }

  // Who is coming: one line written by the server (in the page's language) and a marker.
  function showResponder(r) {
    var line = document.getElementById("coming");
    line.hidden = !r;
    line.textContent = r ? r.text : "";
    var p = r && r.position;
    if (!p) {
      if (responder) { map.removeLayer(responder); responder = null; }
      return;
    }
    var there = [p.lat, p.lon];
    line.dataset.lat = p.lat;
    line.dataset.lon = p.lon;
    if (!responder) {
      responder = L.circleMarker(there, { radius: 8, color: "#1565c0",
        fillOpacity: 0.9 }).addTo(map);
    } else { responder.setLatLng(there); }
    if (!framed && marker) {
      map.fitBounds(L.latLngBounds([marker.getLatLng(), there]), { padding: [40, 40] });
      framed = true;
    }
  }

  function poll() {
    fetch("/t/" + encodeURIComponent(token) + "/data", { cache: "no-store" })
      .then(function (r) {
        if (r.status === 404) {
          ended();
          if (timer) { clearInterval(timer); timer = null; }
          return null;
        }
        return r.json();
      })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { /* a dropped poll: the next one will do */ });
  }
  poll();
  timer = setInterval(poll, pollMs);
}());
