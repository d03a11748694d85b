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

  // Charts of one value per stage (or per kind) and batch, built once their series are
  // known and rebuilt when they change: the event-time and state sections.
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
  var seriesCharts = {};

  function seriesChart(root, id, title, unit, names, times, columns) {
    var c = seriesCharts[id];
    if (!c || c.names.join("\n") !== names.join("\n")) {
      if (c) { c.plot.destroy(); c.box.remove(); }
      var box = el("div", { class: "series", id: "series-" + id });
      box.appendChild(el("b", {}, title));
      var div = el("div", { class: "series-chart", id: "chart-" + id, "data-points": "0" });
      box.appendChild(div);
      root.appendChild(box);
      var series = [{}].concat(names.map(function (n, i) {
        return { label: n, stroke: PALETTE[i % PALETTE.length], width: 1.5, points: { show: true, size: 4 } };
      }));
      var plot = new uPlot({
        width: 560, height: 190,
        scales: { x: { time: true } },
        legend: { show: names.length > 1 },
        series: series,
        axes: [{}, { label: unit, size: 70 }],
      }, [times].concat(columns), div);
      c = seriesCharts[id] = { plot: plot, box: box, div: div, names: names };
    } else {
      c.plot.setData([times].concat(columns));
    }
    var points = columns.reduce(function (n, col) {
      return n + col.filter(function (v) { return v !== null && v !== undefined; }).length;
    }, 0);
    c.div.setAttribute("data-points", String(points));
  }

  // The stages named in `key` (a list of {stage, ..}) over the batches, in first-seen order.
  function stagesOf(batches, key) {
    var seen = [];
    batches.forEach(function (b) {
      (b[key] || []).forEach(function (s) { if (seen.indexOf(s.stage) < 0) seen.push(s.stage); });
    });
    return seen;
  }

  // One column per stage: `f` of the stage's entry in each batch (null where absent).
  function columnsOf(batches, key, stages, f) {
    return stages.map(function (stage) {
      return batches.map(function (b) {
        var e = (b[key] || []).filter(function (s) { return s.stage === stage; })[0];
        return e ? f(e) : null;
      });
    });
  }

  function last(batches, key, stage) {
    for (var i = batches.length - 1; i >= 0; i--) {
      var e = (batches[i][key] || []).filter(function (s) { return s.stage === stage; })[0];
      if (e) return e;
    }
    return null;
  }

  function bytes(n) {
    if (n === null || n === undefined) return "-";
    var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return fmt(n, i === 0 ? 0 : 1) + " " + units[i];
  }

  function renderEventTime(data, times) {
    var batches = data.batches;
    var marks = stagesOf(batches, "watermarks");
    var section = document.getElementById("event-time");
    section.hidden = marks.length === 0;
    if (marks.length === 0) return;
    var root = document.getElementById("event-time-charts");
    // The global watermark is the slowest stage's: its gap is the largest.
    var gap = batches.map(function (b) {
      var gaps = (b.watermarks || []).map(function (w) { return w.gap_ms; })
        .filter(function (g) { return g !== null && g !== undefined; });
      return gaps.length ? Math.max.apply(null, gaps) / 1000 : null;
    });
    seriesChart(root, "watermark-gap", "Global Watermark Gap", "s", ["gap"], times, [gap]);
    seriesChart(root, "late-rows", "Late Rows Dropped", "rows", ["late rows"], times,
      [batches.map(function (b) { return b.late_rows; })]);
    var windowed = stagesOf(batches, "state").filter(function (stage) {
      var s = last(batches, "state", stage);
      return s && s.open_windows !== null && s.open_windows !== undefined;
    });
    var lateTotal = {};
    (data.late_rows_total || []).forEach(function (s) { lateTotal[s.stage] = s.rows; });
    var body = document.getElementById("event-stages-body");
    body.textContent = "";
    var stages = marks.concat(windowed).concat(Object.keys(lateTotal).filter(function (s) {
      return marks.indexOf(s) < 0 && windowed.indexOf(s) < 0;
    }));
    stages.forEach(function (stage) {
      var w = last(batches, "watermarks", stage), s = last(batches, "state", stage);
      var tr = el("tr");
      [stage,
       w ? new Date(w.watermark_ms).toISOString().replace("T", " ").replace("Z", "") : "",
       s && s.open_windows !== null && s.open_windows !== undefined ? fmt(s.open_windows, 0) : "",
       marks.indexOf(stage) >= 0 && !(stage in lateTotal) ? "" : fmt(lateTotal[stage] || 0, 0)]
        .forEach(function (v) { tr.appendChild(el("td", {}, v)); });
      body.appendChild(tr);
    });
  }

  function renderState(data, times) {
    var batches = data.batches;
    var stages = stagesOf(batches, "state");
    var checkpoints = batches.some(function (b) { return b.checkpoint_bytes !== null && b.checkpoint_bytes !== undefined; });
    var section = document.getElementById("state");
    section.hidden = stages.length === 0 && !checkpoints;
    if (section.hidden) return;
    var root = document.getElementById("state-charts");
    if (stages.length) {
      seriesChart(root, "state-rows", "State Rows", "rows", stages, times,
        columnsOf(batches, "state", stages, function (s) { return s.rows; }));
      seriesChart(root, "state-bytes", "State Memory", "bytes", stages, times,
        columnsOf(batches, "state", stages, function (s) { return s.bytes; }));
      seriesChart(root, "state-updated", "Rows Updated and Evicted", "rows", ["updated", "evicted"], times,
        ["updated", "evicted"].map(function (k) {
          return batches.map(function (b) {
            return (b.state || []).reduce(function (n, s) { return n + s[k]; }, 0);
          });
        }));
    }
    if (checkpoints) {
      var pick = function (k) { return batches.map(function (b) { return b[k] === undefined ? null : b[k]; }); };
      seriesChart(root, "checkpoint-bytes", "Checkpoint Size", "bytes", ["size"], times, [pick("checkpoint_bytes")]);
      seriesChart(root, "checkpoint-ms", "Checkpoint Write Time", "ms", ["write time"], times, [pick("checkpoint_write_ms")]);
    }
    var body = document.getElementById("state-stages-body");
    body.textContent = "";
    stages.forEach(function (stage) {
      var s = last(batches, "state", stage);
      var tr = el("tr");
      [stage, fmt(s.rows, 0), fmt(s.updated, 0), fmt(s.evicted, 0), bytes(s.bytes)]
        .forEach(function (v) { tr.appendChild(el("td", {}, v)); });
      body.appendChild(tr);
    });
  }

  // The plan as fused (static): one row per flow, one box per fused loop.
  var planDrawn = false;
  function renderPlan(text) {
    if (planDrawn || !text) return;
    planDrawn = true;
    var plan;
    try { plan = JSON.parse(text); } catch (e) { return; }
    var root = document.getElementById("plan-flows");
    var arrow = function (row) { row.appendChild(el("span", { class: "arrow" }, "\u2192")); };
    plan.flows.forEach(function (f, i) {
      var row = el("div", { class: "flow", id: "flow-" + i });
      if (f.input.source !== undefined) {
        row.appendChild(el("span", { class: "node source" }, "source " + plan.sources[f.input.source]));
      } else {
        row.appendChild(el("span", { class: "node stream" }, f.input.stream));
      }
      f.segments.forEach(function (seg) {
        arrow(row);
        var box = el("div", { class: "fused", title: plan.fused ? "one fused loop" : "fusion off" });
        seg.adapters.forEach(function (name, k) {
          if (k > 0) arrow(box);
          box.appendChild(el("span", { class: "node" }, name));
        });
        if (seg.end) {
          if (seg.adapters.length) arrow(box);
          box.appendChild(el("span", { class: "node " + seg.end.role }, seg.end.name));
        }
        if (box.childNodes.length) row.appendChild(box); else row.lastChild.remove();
      });
      if (f.output) { arrow(row); row.appendChild(el("span", { class: "node stream" }, f.output)); }
      if (f.feeds !== null && f.feeds !== undefined) {
        arrow(row);
        row.appendChild(el("span", { class: "node source" }, plan.sources[f.feeds]));
      }
      root.appendChild(row);
    });
    document.getElementById("plan").hidden = false;
  }

  function poll() {
    fetch("/api/batches")
      .then(function (r) { return r.json(); })
      .then(function (data) {
        render(data);
        renderPlan(data.plan);
        var times = data.batches.map(function (b) { return b.time_ms / 1000; });
        renderEventTime(data, times);
        renderState(data, times);
      })
      .catch(function (e) { document.getElementById("summary").textContent = "Not reachable: " + e; })
      .finally(function () { setTimeout(poll, 1000); });
  }

  setup();
  poll();
})();
