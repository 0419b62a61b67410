// The tracking page: polls /t/<token>/data and draws her trail. No build step.
(function () {
  "use strict";
  var el = document.getElementById("map");
  var token = el.dataset.token;
  var pollMs = parseInt(el.dataset.pollMs, 10) || 5000;
  var map = L.map(el, { zoomControl: true, attributionControl: !!el.dataset.tiles });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19,
      attribution: "&copy; OpenStreetMap contributors" }).addTo(map);
  }
  map.setView([48.0, 67.0], 4);
  var trail = L.polyline([], { color: "#c62828", weight: 4 }).addTo(map);
  var marker = null;
  var responder = null;  // the responder's marker, while one is on the way with a position
  var first = true;
  var framed = false;
  var timer = null;

  function show(data) {
    document.getElementById("name").textContent = data.name;
    var status = document.getElementById("status");
    status.textContent = data.status === "live" ? "ALERT ACTIVE" : "ended";
    status.className = "status " + data.status;
    document.getElementById("updated").textContent =
      "updated " + new Date(data.updated_at).toLocaleTimeString();
    var reply = document.getElementById("reply");
    if (data.her_reply) {
      reply.textContent = reply.dataset.label + " " + data.her_reply.text + " (" +
        new Date(data.her_reply.at).toLocaleTimeString() + ")";
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
      document.getElementById("latest").textContent =
        "Last known position: " + last.lat.toFixed(5) + ", " + last.lon.toFixed(5) +
        " at " + new Date(last.recorded_at).toLocaleTimeString();
      document.getElementById("latest").dataset.lat = last.lat;
      document.getElementById("latest").dataset.lon = last.lon;
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
          document.getElementById("status").textContent = "ended";
          document.getElementById("status").className = "status ended";
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
