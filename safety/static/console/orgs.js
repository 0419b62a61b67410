/* Page 3: the coverage editor. Leaflet.draw edits the organisation's polygons on the map and
   keeps the form's GeoJSON field (#coverage-input) in step: one polygon is a Polygon, several a
   MultiPolygon. The server validates it with the API's own schema; without JavaScript the
   field is edited as text. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";  // after console.js (SafetyConsole), which comes later in the page
  var el = document.querySelector('[data-map="coverage"]');
  var input = document.getElementById("coverage-input");
  if (!el || !input || !window.L || !L.Control || !L.Control.Draw) return;
  var map = window.SafetyConsole.makeMap(el);
  var drawn = new L.FeatureGroup().addTo(map);

  function load() {
    var geometry = null;
    try { geometry = JSON.parse(input.value); } catch (e) { return; }
    if (!geometry || !geometry.coordinates) return;
    var polygons = geometry.type === "MultiPolygon" ? geometry.coordinates : [geometry.coordinates];
    polygons.forEach(function (rings) {
      L.geoJSON({ type: "Polygon", coordinates: rings }).eachLayer(function (layer) {
        drawn.addLayer(layer);
      });
    });
    if (drawn.getLayers().length) map.fitBounds(drawn.getBounds(), { padding: [20, 20] });
  }

  function save() {
    var polygons = [];
    drawn.eachLayer(function (layer) {
      var g = layer.toGeoJSON().geometry;
      if (g.type === "Polygon") polygons.push(g.coordinates);
      else if (g.type === "MultiPolygon") polygons = polygons.concat(g.coordinates);
    });
    if (!polygons.length) input.value = "";
    else if (polygons.length === 1) input.value = JSON.stringify({ type: "Polygon", coordinates: polygons[0] });
    else input.value = JSON.stringify({ type: "MultiPolygon", coordinates: polygons });
  }

  load();
  map.addControl(new L.Control.Draw({
    edit: { featureGroup: drawn },
    draw: { polygon: { allowIntersection: false, showArea: false }, rectangle: true,
            polyline: false, circle: false, marker: false, circlemarker: false }
  }));
  map.on(L.Draw.Event.CREATED, function (e) { drawn.addLayer(e.layer); save(); });
  map.on(L.Draw.Event.EDITED, save);
  map.on(L.Draw.Event.DELETED, save);
  input.addEventListener("change", function () { drawn.clearLayers(); load(); });
});
