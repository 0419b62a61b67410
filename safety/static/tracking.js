// The tracking page: polls /t/<token>/data and keeps the page current; draws her trail, the
// accuracy of her latest fix, her direction and the responder on a small map of its own (no
// library: plain Web Mercator, tiles as <img> only when TRACKING_TILE_URL is set, the rest SVG).
// No build step; ES5 and XMLHttpRequest, for old phones. Its words come from the page
// (data-text-*), written by the server in the reader's language; times are shown in that
// language and in the reader's time zone (data-time-zone).
(function () {
  "use strict";
  var body = document.body, d = body.dataset;
  var lang = d.lang || "en";
  var pollMs = parseInt(d.pollMs, 10) || 5000;
  var SVG = "http://www.w3.org/2000/svg";
  var TILE = 256, MAX_ZOOM = 18, MIN_ZOOM = 2;
  var $ = function (id) { return document.getElementById(id); };
  var data = null, okAt = null, timer = null;

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole;
    });
  }

  // -- times: "2 minutes ago (14:32 GMT+5)", in the reader's language and zone ----------------
  var relative = null;
  try { relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto" }); } catch (e) { /* old */ }

  function clock(iso) {
    var at = new Date(iso), opts = { hour: "2-digit", minute: "2-digit", hour12: false,
      timeZoneName: "short" };
    if (Date.now() - at.getTime() > 12 * 3600e3) { opts.day = "numeric"; opts.month = "short"; }
    if (d.timeZone) { opts.timeZone = d.timeZone; }
    try { return at.toLocaleString(lang, opts); } catch (e) { return at.toLocaleTimeString(); }
  }

  function ago(iso) {
    var s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (!relative) { return ""; }
    if (s < 10) { return relative.format(0, "second"); }
    if (s < 60) { return relative.format(-s, "second"); }
    if (s < 3600) { return relative.format(-Math.floor(s / 60), "minute"); }
    if (s < 86400) { return relative.format(-Math.floor(s / 3600), "hour"); }
    return relative.format(-Math.floor(s / 86400), "day");
  }

  function when(iso) {
    var a = ago(iso);
    return a ? a + " (" + clock(iso) + ")" : clock(iso);
  }

  function metres(m) {
    return m >= 1000 ? fill(d.textKm, { n: (Math.round(m / 100) / 10).toLocaleString(lang) })
      : fill(d.textM, { n: Math.round(m).toLocaleString(lang) });
  }

  // -- the map --------------------------------------------------------------------------------
  var el = $("map");
  var svg = document.createElementNS(SVG, "svg");
  el.insertBefore(svg, el.firstChild);
  var tiles = {};
  var view = { lat: 48, lon: 67, z: 4 };  // Kazakhstan until the first point
  var follow = true;

  function project(lat, lon, z) {
    var size = TILE * Math.pow(2, z);
    var sin = Math.min(Math.max(Math.sin(lat * Math.PI / 180), -0.9999), 0.9999);
    return [(lon + 180) / 360 * size, (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * size];
  }

  function unproject(x, y, z) {
    var size = TILE * Math.pow(2, z);
    var lat = Math.atan(Math.sinh(Math.PI * (1 - 2 * y / size))) * 180 / Math.PI;
    return { lat: lat, lon: x / size * 360 - 180 };
  }

  function metresPerPixel(lat, z) {
    return 40075016.686 * Math.cos(lat * Math.PI / 180) / (TILE * Math.pow(2, z));
  }

  function node(name, attrs, parent) {
    var n = document.createElementNS(SVG, name);
    for (var k in attrs) { if (attrs.hasOwnProperty(k)) { n.setAttribute(k, attrs[k]); } }
    (parent || svg).appendChild(n);
    return n;
  }

  function places() {  // everything the map must show: [lat, lon, radius in metres]
    var out = [];
    if (!data) { return out; }
    data.points.forEach(function (p) { out.push([p.lat, p.lon, 0]); });
    var last = data.points[data.points.length - 1];
    if (last && last.accuracy_m) { out.push([last.lat, last.lon, Math.min(last.accuracy_m, 5000)]); }
    var r = data.responder && data.responder.position;
    if (r) { out.push([r.lat, r.lon, 0]); }
    return out;
  }

  function fit() {
    var all = places(), w = el.clientWidth, h = el.clientHeight;
    if (!all.length) { return; }
    for (var z = MAX_ZOOM - 1; z >= MIN_ZOOM; z--) {
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (var i = 0; i < all.length; i++) {
        var p = project(all[i][0], all[i][1], z), pad = all[i][2] / metresPerPixel(all[i][0], z);
        x0 = Math.min(x0, p[0] - pad); x1 = Math.max(x1, p[0] + pad);
        y0 = Math.min(y0, p[1] - pad); y1 = Math.max(y1, p[1] + pad);
      }
      if (x1 - x0 <= w - 80 && y1 - y0 <= h - 80) { break; }
    }
    var c = unproject((x0 + x1) / 2, (y0 + y1) / 2, z);
    view = { lat: c.lat, lon: c.lon, z: Math.min(z, 17) };
  }

  function drawTiles(ox, oy, w, h) {
    if (!d.tiles || !data) { return; }  // no tiles of all Kazakhstan before her position
    var z = view.z, n = Math.pow(2, z), want = {};
    for (var tx = Math.floor(ox / TILE); tx * TILE < ox + w; tx++) {
      for (var ty = Math.max(0, Math.floor(oy / TILE)); ty * TILE < oy + h && ty < n; ty++) {
        var x = ((tx % n) + n) % n, key = z + "/" + x + "/" + ty + "/" + tx;
        var img = tiles[key];
        if (!img) {
          img = document.createElement("img");
          img.alt = "";
          img.referrerPolicy = "strict-origin";  // the tile server sees our site, never the link
          img.src = d.tiles.replace("{z}", z).replace("{x}", x).replace("{y}", ty)
            .replace("{s}", "abc".charAt(Math.abs(x + ty) % 3)).replace("{r}", "");
          el.insertBefore(img, svg);
          tiles[key] = img;
        }
        img.style.left = (tx * TILE - ox) + "px";
        img.style.top = (ty * TILE - oy) + "px";
        want[key] = true;
      }
    }
    for (var k in tiles) {
      if (tiles.hasOwnProperty(k) && !want[k]) { el.removeChild(tiles[k]); delete tiles[k]; }
    }
  }

  function draw() {
    var w = el.clientWidth, h = el.clientHeight, z = view.z;
    var c = project(view.lat, view.lon, z), ox = c[0] - w / 2, oy = c[1] - h / 2;
    var at = function (lat, lon) { var p = project(lat, lon, z); return [p[0] - ox, p[1] - oy]; };
    drawTiles(ox, oy, w, h);
    svg.setAttribute("width", w);
    svg.setAttribute("height", h);
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var defs = node("defs", {});
    var arrow = node("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "5", refY: "5",
      markerWidth: "5", markerHeight: "5", orient: "auto" }, defs);
    node("path", { d: "M0,0 L10,5 L0,10 z", fill: "#c62828" }, arrow);
    var pts = data ? data.points : [];
    if (pts.length) {
      var line = pts.map(function (p) { return at(p.lat, p.lon).join(","); });
      var trail = node("polyline", { points: line.join(" "), fill: "none", stroke: "#c62828",
        "stroke-width": 4, "stroke-linejoin": "round", "class": "trail" });
      if (pts.length > 1) { trail.setAttribute("marker-end", "url(#arrow)"); }
      var s = at(pts[0].lat, pts[0].lon);
      node("circle", { cx: s[0], cy: s[1], r: 6, fill: "#fff", stroke: "#c62828",
        "stroke-width": 3, "class": "start" });
      var last = pts[pts.length - 1], here = at(last.lat, last.lon);
      if (last.accuracy_m) {
        node("circle", { cx: here[0], cy: here[1], r: last.accuracy_m / metresPerPixel(last.lat, z),
          fill: "#c62828", "fill-opacity": 0.12, stroke: "#c62828", "stroke-opacity": 0.5,
          "class": "accuracy" });
      }
      node("circle", { cx: here[0], cy: here[1], r: 8, fill: "#c62828", stroke: "#fff",
        "stroke-width": 2, "class": "her" });
    }
    var r = data && data.responder && data.responder.position;
    if (r) {
      var there = at(r.lat, r.lon);
      node("circle", { cx: there[0], cy: there[1], r: 8, fill: "#1565c0", stroke: "#fff",
        "stroke-width": 2, "class": "responder" });
    }
    // the scale bar: the longest round distance within 100 px
    var mpp = metresPerPixel(view.lat, z), steps = [5, 10, 20, 50, 100, 200, 500, 1000, 2000,
      5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000], m = steps[0];
    for (var i = 0; i < steps.length && steps[i] / mpp <= 100; i++) { m = steps[i]; }
    var scale = $("scale");
    scale.style.width = Math.round(m / mpp) + "px";
    scale.textContent = metres(m);
  }

  function zoom(by) {
    view.z = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, view.z + by));
    follow = false;
    draw();
  }
  $("zoom-in").onclick = function () { zoom(1); };
  $("zoom-out").onclick = function () { zoom(-1); };
  $("fit").onclick = function () { follow = true; fit(); draw(); };

  var drag = null;
  el.addEventListener("pointerdown", function (e) {
    if (e.target.tagName === "BUTTON") { return; }
    drag = { x: e.clientX, y: e.clientY, c: project(view.lat, view.lon, view.z) };
  });
  window.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    var c = unproject(drag.c[0] - (e.clientX - drag.x), drag.c[1] - (e.clientY - drag.y), view.z);
    view.lat = c.lat; view.lon = c.lon; follow = false;
    draw();
  });
  window.addEventListener("pointerup", function () { drag = null; });
  window.addEventListener("resize", function () { if (follow) { fit(); } draw(); });

  // -- the page -------------------------------------------------------------------------------
  function show() {
    var header = $("state"), status = $("status"), meaning = $("meaning");
    $("name").textContent = data.name;
    var state = data.status !== "live" ? "ended" : data.responder ? "coming" : "active";
    header.dataset.state = state;
    header.className = "state " + (state === "active" ? "live" : state);
    if (state === "ended") {
      status.textContent = d.textEnded;
      meaning.textContent = data.ended ? data.ended.text : "";
    } else if (state === "coming") {
      status.textContent = data.responder.status === "on_scene" ? d.textOnScene : d.textComing;
      meaning.textContent = data.responder.text;
    } else {
      status.textContent = d.textLive;
      meaning.textContent = d.textWaiting;
    }
    var reply = $("reply"), quiet = $("quiet"), code = data.her_reply && data.her_reply.code;
    if (data.her_reply) {
      reply.textContent = reply.dataset.label + " " + data.her_reply.text + " (" +
        clock(data.her_reply.at) + ")";
      reply.dataset.code = code;
    }
    reply.hidden = !data.her_reply;
    if (quiet) { quiet.hidden = ["cant_talk", "hiding", "still_here"].indexOf(code) < 0; }
    var last = data.points[data.points.length - 1];
    $("nowhere").hidden = !!last;
    $("go").hidden = !last;
    if (last) {
      var where = { lat: last.lat.toFixed(6), lon: last.lon.toFixed(6) };
      var links = $("go").getElementsByTagName("a");
      for (var i = 0; i < links.length; i++) {
        links[i].href = links[i].dataset.href.replace(/\{(lat|lon)\}/g, function (w, k) {
          return where[k];
        });
      }
      var coords = $("coords");
      coords.textContent = last.lat.toFixed(5) + ", " + last.lon.toFixed(5);
      coords.dataset.lat = last.lat;
      coords.dataset.lon = last.lon;
      $("seen").dataset.at = last.recorded_at;
      $("accuracy").textContent = last.accuracy_m ? "± " + metres(last.accuracy_m) : "–";
    }
    $("battery-row").hidden = !data.battery;
    if (follow) { fit(); }
    draw();
    tick();
  }

  function tick() {  // the ages move on between polls
    var seen = $("seen");
    if (seen.dataset.at) {
      seen.textContent = when(seen.dataset.at);
      seen.className = Date.now() - new Date(seen.dataset.at).getTime() > 5 * 60e3 ? "old" : "";
    }
    if (data && data.battery) {
      $("battery").textContent = data.battery.pct + " % · " + (ago(data.battery.at) ||
        clock(data.battery.at));
    }
    if (okAt) { $("updated").textContent = when(okAt.toISOString()); }
    var offline = $("offline");
    offline.hidden = !okAt || !timer || Date.now() - okAt.getTime() < 3 * pollMs + 5000;
    offline.textContent = d.textOffline;
  }

  function stop() { if (timer) { clearInterval(timer); timer = null; } }

  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/t/" + encodeURIComponent(d.token) + "/data?lang=" + lang);
    xhr.onload = function () {
      if (xhr.status === 404) {  // the link expired: nothing more will come
        okAt = new Date();
        if (data) { data.status = "ended"; show(); }
        stop();
        return;
      }
      if (xhr.status !== 200) { return; }
      okAt = new Date();
      data = JSON.parse(xhr.responseText);
      show();
      if (data.status !== "live") { stop(); }
    };
    xhr.send();
  }
  draw();
  poll();
  timer = setInterval(poll, pollMs);
  setInterval(tick, 1000);
}());
