/* Page 7, the help directory: the places on a map (a marker per place, coloured by kind, grey
   when hidden; a click opens it; a click on the map adds a place there), and the position
   picker of a place's form (a click on the map or a dragged marker fills the latitude and
   longitude fields; typed values move the marker). The server validates what is sent with the
   API's own schema; without JavaScript the fields are typed. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";  // after console.js (SafetyConsole), which comes later in the page
  if (!window.L || !window.SafetyConsole) return;
  var C = window.SafetyConsole;

  function icon(css) { return L.divIcon({ className: css, iconSize: [16, 16] }); }

  function round(x) { return Math.round(x * 1e6) / 1e6; }

  var places = document.querySelector('[data-map="places"]');
  if (places) {
    var map = C.makeMap(places);
    var layer = L.layerGroup().addTo(map);
    var points = [];
    var template = places.dataset.placeUrl;
    (C.readJson("places-data") || []).forEach(function (p) {
      var css = "marker place place-" + p.kind + (p.active ? "" : " hidden");
      var m = L.marker([p.lat, p.lon], { icon: icon(css), title: p.name });
      m.on("click", function () {
        window.location.href = template.replace("00000000-0000-0000-0000-000000000000", p.id);
      });
      m.addTo(layer);
      points.push([p.lat, p.lon]);
    });
    if (points.length) {
      map.fitBounds(L.latLngBounds(points), { padding: [30, 30], maxZoom: 14 });
    }
    map.on("click", function (e) {
      var url = places.dataset.newUrl + "?lat=" + round(e.latlng.lat) + "&lon=" + round(e.latlng.lng);
      window.location.href = url;
    });
    places.dataset.markers = String(points.length);
  }

  var pick = document.querySelector('[data-map="pick"]');
  var lat = document.getElementById("place-lat");
  var lon = document.getElementById("place-lon");
  if (pick && lat && lon) {
    var pmap = C.makeMap(pick);
    var marker = null;

    function typed() {
      var a = parseFloat(lat.value), b = parseFloat(lon.value);
      if (isNaN(a) || isNaN(b) || a < -90 || a > 90 || b < -180 || b > 180) return null;
      return [a, b];
    }

    function put(latlng, fromMap) {
      if (!marker) {
        marker = L.marker(latlng, { draggable: true, icon: icon("marker place picked") }).addTo(pmap);
        marker.on("dragend", function () { put(marker.getLatLng(), true); });
      } else {
        marker.setLatLng(latlng);
      }
      if (fromMap) {
        lat.value = round(marker.getLatLng().lat);
        lon.value = round(marker.getLatLng().lng);
      }
    }

    var start = typed();
    if (start) { put(start, false); pmap.setView(start, 15); }
    pmap.on("click", function (e) { put(e.latlng, true); });
    [lat, lon].forEach(function (input) {
      input.addEventListener("change", function () {
        var here = typed();
        if (here) { put(here, false); pmap.panTo(here); }
      });
    });
  }
});
