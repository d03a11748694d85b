// The streaming page: polls /api/batches and draws, for each statistic, a timeline and a
// histogram (uPlot), then the sources' counters, the recent batches and the pipeline.
(function () {
  "use strict";
  var METRICS = [
    { key: "input_rate", title: "Input Rate", unit: "records/s", color: "#1f77b4" },
    { key: "scheduling_delay_ms", title: "Scheduling Delay", unit: "ms", color: "#ff7f0e" },
    { key: "processing_ms", title: "Processing Time", unit: "ms", color: "#2ca02c" },
    { key: "total_delay_ms", title: "Total Delay", unit: "ms", color: "#d62728" },
  ];
  var BINS = 12;
  var charts = {};

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fmt(v, digits) {
    if (v === null || v === undefined || isNaN(v)) return "-";
    return Number(v).toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 1 : digits });
  }

  function setup() {
    var root = document.getElementById("charts");
    METRICS.forEach(function (m) {
      var row = el("div", { class: "metric", id: "metric-" + m.key });
      var label = el("div", { class: "label" });
      label.appendChild(el("b", {}, m.title));
      var avg = el("span", { id: "avg-" + m.key }, "avg -");
      label.appendChild(avg);
      var line = el("div", { class: "timeline", id: "timeline-" + m.key, "data-points": "0" });
      var hist = el("div", { class: "histogram", id: "histogram-" + m.key, "data-points": "0" });
      row.appendChild(label);
      row.appendChild(line);
      row.appendChild(hist);
      root.appendChild(row);
      var timeline = new uPlot({
        width: 760, height: 170,
        scales: { x: { time: true } },
        legend: { show: false },
        series: [{}, { label: m.title, stroke: m.color, width: 1.5, points: { show: true, size: 4 } }],
        axes: [{}, { label: m.unit, size: 60 }],
      }, [[], []], line);
      var histogram = new uPlot({
        width: 380, height: 170,
        scales: { x: { time: false } },
        legend: { show: false },
        series: [{}, {
          label: "batches", fill: m.color + "99", stroke: m.color,
          paths: uPlot.paths.bars({ size: [0.9, 60] }), points: { show: false },
        }],
        axes: [{ label: m.unit }, { label: "batches", size: 50 }],
      }, [[], []], hist);
      charts[m.key] = { timeline: timeline, histogram: histogram, line: line, hist: hist };
    });
  }

  // Counts of `values` in BINS equal bins; x is each bin's centre.
  function histogram(values) {
    if (values.length === 0) return [[], []];
    var min = Math.min.apply(null, values), max = Math.max.apply(null, values);
    if (max === min) { max = min + 1; }
    var width = (max - min) / BINS, xs = [], counts = [];
    for (var i = 0; i < BINS; i++) { xs.push(min + width * (i + 0.5)); counts.push(0); }
    values.forEach(function (v) {
      counts[Math.min(BINS - 1, Math.floor((v - min) / width))] += 1;
    });
    return [xs, counts];
  }

  function render(data) {
    var batches = data.batches;
    document.getElementById("shown").textContent = batches.length;
    var times = batches.map(function (b) { return b.time_ms / 1000; });
    METRICS.forEach(function (m) {
      var values = batches.map(function (b) { return b[m.key]; });
      var c = charts[m.key];
      c.timeline.setData([times, values]);
      c.histogram.setData(histogram(values));
      c.line.setAttribute("data-points", String(values.length));
      c.hist.setAttribute("data-points", String(values.length));
      var avg = values.length ? values.reduce(function (a, b) { return a + b; }, 0) / values.length : NaN;
      document.getElementById("avg-" + m.key).textContent = "avg " + fmt(avg) + " " + m.unit;
    });

    var started = new Date(data.started_ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
    document.getElementById("summary").textContent =
      "Running since " + started + " with batches of " + data.config.batch_interval_ms +
      " ms; " + data.batches_total + " batches completed.";

    var sb = document.getElementById("sources-body");
    sb.textContent = "";
    data.sources.forEach(function (s) {
      var tr = el("tr");
      var lag = s.kafka_lag.length === 0 ? "-" : s.kafka_lag.map(function (l) {
        return l.topic + "/" + l.partition + ": " + l.lag;
      }).join(", ");
      [s.name, fmt(s.records, 0), fmt(s.bytes, 0), fmt(s.invalid_utf8, 0), fmt(s.truncated_lines, 0),
       fmt(s.partial_lines, 0), fmt(s.connects, 0), fmt(s.disconnects, 0), fmt(s.errors, 0), fmt(s.malformed_rows, 0), lag]
        .forEach(function (v) { tr.appendChild(el("td", {}, v)); });
      sb.appendChild(tr);
    });

    var bb = document.getElementById("batches-body");
    bb.textContent = "";
    batches.slice(-100).reverse().forEach(function (b) {
      var tr = el("tr", b.failure ? { class: "failed" } : {});
      [new Date(b.time_ms).toISOString().replace("T", " ").replace("Z", "") + " (" + b.time_ms + ")",
       fmt(b.records, 0), fmt(b.input_rate), fmt(b.scheduling_delay_ms) + " ms",
       fmt(b.processing_ms) + " ms", fmt(b.total_delay_ms) + " ms", fmt(b.malformed_rows, 0), b.failure || ""]
        .forEach(function (v) { tr.appendChild(el("td", {}, v)); });
      bb.appendChild(tr);
    });

    var cfg = document.getElementById("config");
    cfg.textContent = "";
    [["batch interval", data.config.batch_interval_ms + " ms"],
     ["parallelism", String(data.config.parallelism)],
     ["checkpoint", data.config.checkpoint || "none"]].forEach(function (kv) {
      cfg.appendChild(el("dt", {}, kv[0]));
      cfg.appendChild(el("dd", {}, kv[1]));
    });
    document.getElementById("pipeline").textContent = data.pipeline || "(built without the macro)";
  }

  function poll() {
    fetch("/api/batches")
      .then(function (r) { return r.json(); })
      .then(render)
      .catch(function (e) { document.getElementById("summary").textContent = "Not reachable: " + e; })
      .finally(function () { setTimeout(poll, 1000); });
  }

  setup();
  poll();
})();
