//! `/` and `/api/batches`: the streaming page (static assets compiled into the crate, so
//! users need no build step and the page needs no network) and the JSON it polls.

use serde::Serialize;

use crate::metrics::{MetricsSnapshot, PartitionLag};

use super::UiState;

pub(super) const INDEX_HTML: &str = include_str!("assets/index.html");
pub(super) const APP_JS: &str = include_str!("assets/app.js");
pub(super) const STYLE_CSS: &str = include_str!("assets/style.css");
/// uPlot 1.6.31 (MIT, `assets/uPlot-LICENSE`), vendored from its npm package.
pub(super) const UPLOT_JS: &str = include_str!("assets/uPlot.iife.min.js");
pub(super) const UPLOT_CSS: &str = include_str!("assets/uPlot.min.css");
pub(super) const UPLOT_LICENSE: &str = include_str!("assets/uPlot-LICENSE");

/// Batches `/api/batches` returns unless asked (`?limit=N`, at most the retained ones).
pub(super) const DEFAULT_LIMIT: usize = 300;

/// The body of `/api/batches`.
#[derive(Serialize)]
pub(super) struct Overview<'a> {
    pipeline: &'a str,
    /// The plan as the macro fused it: a JSON document in a string (`""` when built by
    /// hand), which the page parses and draws.
    plan: &'a str,
    config: Config,
    /// Unix ms at which the page's server started.
    started_ms: u64,
    /// Batches completed since the start.
    batches_total: u64,
    /// The most recent batches, oldest first.
    batches: Vec<Batch>,
    sources: Vec<Source>,
    /// Rows each event-time stage dropped as late since the start.
    late_rows_total: Vec<StageCount>,
}

#[derive(Serialize)]
struct StageCount {
    stage: String,
    rows: u64,
}

#[derive(Serialize)]
struct Watermark {
    stage: String,
    /// Unix ms of event time.
    watermark_ms: i64,
    /// The batch's time less the watermark: how far event time lags the batch clock
    /// (Spark's "global watermark gap"); none while the watermark has not moved from its
    /// start at the epoch.
    gap_ms: Option<i64>,
}

#[derive(Serialize)]
struct State {
    stage: String,
    #[serde(flatten)]
    stats: crate::state_stats::StateStats,
}

#[derive(Serialize)]
struct Config {
    batch_interval_ms: u64,
    parallelism: usize,
    checkpoint: Option<String>,
}

#[derive(Serialize)]
struct Batch {
    time_ms: u64,
    records: u64,
    /// Records per second of batch interval.
    input_rate: f64,
    scheduling_delay_ms: f64,
    processing_ms: f64,
    total_delay_ms: f64,
    /// Rows `parse` stages found malformed.
    malformed_rows: u64,
    /// Rows event-time stages dropped as late, in all and by stage.
    late_rows: u64,
    late_rows_by_stage: Vec<StageCount>,
    /// Each `event_time` stage's watermark after the batch.
    watermarks: Vec<Watermark>,
    /// Each stateful stage's state after the batch.
    state: Vec<State>,
    /// The checkpoint the batch wrote, if any: its size and write time.
    checkpoint_bytes: Option<u64>,
    checkpoint_write_ms: Option<f64>,
    failure: Option<String>,
}

#[derive(Serialize)]
struct Source {
    #[serde(flatten)]
    counters: Counters,
    kafka_lag: Vec<PartitionLag>,
}

#[derive(Serialize)]
struct Counters {
    name: String,
    records: u64,
    bytes: u64,
    invalid_utf8: u64,
    truncated_lines: u64,
    partial_lines: u64,
    connects: u64,
    disconnects: u64,
    errors: u64,
    malformed_rows: u64,
}

impl From<MetricsSnapshot> for Counters {
    fn from(s: MetricsSnapshot) -> Self {
        Counters {
            name: s.name,
            records: s.records,
            bytes: s.bytes,
            invalid_utf8: s.invalid_utf8,
            truncated_lines: s.truncated_lines,
            partial_lines: s.partial_lines,
            connects: s.connects,
            disconnects: s.disconnects,
            errors: s.errors,
            malformed_rows: s.malformed_rows,
        }
    }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub(super) fn overview(state: &UiState, limit: usize) -> Overview<'_> {
    let (recent, total) = state.recent(limit);
    let interval_s = state.batch_interval.as_secs_f64();
    Overview {
        pipeline: &state.text,
        plan: state.plan,
        config: Config {
            batch_interval_ms: crate::time::duration_ms(state.batch_interval),
            parallelism: state.parallelism,
            checkpoint: state.checkpoint.clone(),
        },
        started_ms: state.started_ms,
        batches_total: total,
        batches: recent
            .into_iter()
            .map(|b| Batch {
                time_ms: b.batch_time.milliseconds(),
                records: b.num_records,
                input_rate: if interval_s > 0.0 {
                    b.num_records as f64 / interval_s
                } else {
                    0.0
                },
                scheduling_delay_ms: ms(b.scheduling_delay),
                processing_ms: ms(b.processing_delay),
                total_delay_ms: ms(b.total_delay()),
                malformed_rows: b.malformed_rows,
                late_rows: b.late_rows,
                late_rows_by_stage: (b.late_rows_by_stage.into_iter())
                    .map(|(stage, rows)| StageCount { stage, rows })
                    .collect(),
                watermarks: (b.watermarks.into_iter())
                    .map(|(stage, t)| {
                        let time = i64::try_from(b.batch_time.milliseconds()).unwrap_or(i64::MAX);
                        Watermark {
                            stage,
                            watermark_ms: t.as_millis(),
                            gap_ms: (t != crate::event_time::Timestamp::EPOCH)
                                .then(|| time.saturating_sub(t.as_millis())),
                        }
                    })
                    .collect(),
                state: (b.state.into_iter())
                    .map(|(stage, stats)| State { stage, stats })
                    .collect(),
                checkpoint_bytes: b.checkpoint_bytes,
                checkpoint_write_ms: b.checkpoint_write.map(ms),
                failure: b.failure,
            })
            .collect(),
        sources: state
            .source_snapshots()
            .into_iter()
            .zip(&state.sources)
            .map(|(counters, s)| Source {
                counters: counters.into(),
                kafka_lag: s.partition_lag(),
            })
            .collect(),
        late_rows_total: (state.late_total().into_iter())
            .map(|(stage, rows)| StageCount { stage, rows })
            .collect(),
    }
}
