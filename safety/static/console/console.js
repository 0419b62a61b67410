/* The operations console's own script (no inline script anywhere: the pages' CSP says
   script-src 'self'). Maps with Leaflet; the live parts are refreshed by htmx, which hands
   each new fragment's JSON data block (<script type="application/json">) to the map here.
   Other pages build on window.SafetyConsole (makeMap, readJson, onSwap). */
(function () {
  "use strict";
  var body = document.body;
  var tiles = body.dataset.tiles || "";
  var swapHandlers = [];

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function makeMap(el) {
    var map = L.map(el, { attributionControl: false }).setView([48.0, 67.0], 5);
    if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
    return map;
  }

  function onSwap(fn) { swapHandlers.push(fn); }

  function icon(css, size) {
    return L.divIcon({ className: css, iconSize: [size, size] });
  }

  // -- the live board -----------------------------------------------------------------------
  var board = null;

  function setUpBoard() {
    var el = document.querySelector('[data-map="board"]');
    if (!el) return;
    var map = makeMap(el);
    var areas = L.layerGroup().addTo(map);
    (readJson("areas-data") || []).forEach(function (area) {
      L.geoJSON(area.geojson, { interactive: false,
        style: { color: "#1f5fbf", weight: 1, fillOpacity: 0.05 } }).addTo(areas);
    });
    board = { map: map, areas: areas, alerts: L.layerGroup().addTo(map),
              responders: L.layerGroup().addTo(map), fitted: false };
    drawBoard();
  }

  function drawBoard() {
    var data = readJson("board-data");
    if (!board || !data) return;
    board.alerts.clearLayers();
    board.responders.clearLayers();
    var points = [];
    data.responders.forEach(function (r) {
      var css = "marker responder" + (r.busy ? " busy" : "") + (r.fresh ? "" : " stale");
      L.marker([r.lat, r.lon], { icon: icon(css, 14), title: r.name, keyboard: false })
        .addTo(board.responders);
      points.push([r.lat, r.lon]);
    });
    data.alerts.forEach(function (a) {
      var held = ["accepted", "en_route", "on_scene"].indexOf(a.dispatch) >= 0;
      var css = "marker alert" + (a.duress ? " duress" : "") + (a.attention ? " attention" : "") +
        (held ? " accepted" : "");
      var m = L.marker([a.lat, a.lon], { icon: icon(css, a.duress ? 26 : 22),
                                         zIndexOffset: 1000 });
      m.on("click", function () {
        var row = document.getElementById("alert-" + a.id);
        var link = row && row.querySelector("a");
        if (link) window.location.href = link.href;
      });
      m.addTo(board.alerts);
      points.push([a.lat, a.lon]);
    });
    if (!board.fitted) {
      var bounds = L.latLngBounds(points);
      board.areas.eachLayer(function (layer) {
        layer.eachLayer(function (shape) { bounds.extend(shape.getBounds()); });
      });
      if (bounds.isValid()) { board.map.fitBounds(bounds, { padding: [30, 30], maxZoom: 14 }); }
      board.fitted = true;
    }
    alarm(data);
  }

  // -- the sound of alerts that need someone ------------------------------------------------
  var heard = {};
  var lastBeep = 0;
  var REPEAT_MS = 30000;

  function muted() { return window.localStorage.getItem("safety-console-muted") === "1"; }

  function showSound() {
    var button = document.getElementById("sound-toggle");
    if (!button) return;
    button.textContent = muted() ? button.dataset.off : button.dataset.on;
    button.setAttribute("aria-pressed", muted() ? "true" : "false");
  }

  function alarm(data) {
    var audio = document.getElementById("alarm");
    var ids = data.alerts.filter(function (a) { return a.attention; })
      .map(function (a) { return a.id; });
    var fresh = ids.some(function (id) { return !heard[id]; });
    ids.forEach(function (id) { heard[id] = true; });
    body.dataset.attention = String(ids.length);
    if (!audio || !ids.length || muted()) return;
    var now = Date.now();
    if (fresh || now - lastBeep > REPEAT_MS) {
      lastBeep = now;
      body.dataset.alarms = String(parseInt(body.dataset.alarms || "0", 10) + 1);
      audio.currentTime = 0;
      var played = audio.play();
      if (played && played.catch) played.catch(function () { /* needs a click first */ });
    }
  }

  function setUpSound() {
    var button = document.getElementById("sound-toggle");
    if (!button) return;
    showSound();
    button.addEventListener("click", function () {
      window.localStorage.setItem("safety-console-muted", muted() ? "0" : "1");
      showSound();
    });
  }

  // -- one alert ----------------------------------------------------------------------------
  var alertMap = null;

  function setUpAlert() {
    var el = document.querySelector('[data-map="alert"]');
    if (!el) return;
    var map = makeMap(el);
    alertMap = { map: map, layer: L.layerGroup().addTo(map), fitted: false };
    drawAlert();
  }

  function drawAlert() {
    var data = readJson("alert-data");
    if (!alertMap || !data) return;
    alertMap.layer.clearLayers();
    var line = data.trail.map(function (p) { return [p.lat, p.lon]; });
    if (line.length > 1) {
      L.polyline(line, { color: "#1f5fbf", weight: 4, opacity: 0.8 }).addTo(alertMap.layer);
    }
    var here = [data.alert.lat, data.alert.lon];
    L.marker(here, { icon: icon("marker alert" + (data.alert.duress ? " duress" : ""), 24),
                     zIndexOffset: 1000 }).addTo(alertMap.layer);
    if (!alertMap.fitted) {
      var bounds = L.latLngBounds(line.concat([here]));
      alertMap.map.fitBounds(bounds, { padding: [40, 40], maxZoom: 16 });
      alertMap.fitted = true;
    }
  }

  // A form with data-confirm asks before it is sent (removing something for good).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    setUpBoard();
    setUpSound();
    setUpAlert();
    body.dataset.ready = "1";
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    drawBoard();
    drawAlert();
    swapHandlers.forEach(function (fn) { fn(event); });
  });

  window.SafetyConsole = { makeMap: makeMap, readJson: readJson, onSwap: onSwap };
})();
