//! Operating a pipeline: `ui "127.0.0.1:4040";` (or [`crate::Pipeline::ui`])
//! serves, for as long as the pipeline runs, `/metrics` in Prometheus' text format and `/`,
//! a live page in the spirit of Spark's Streaming tab, which polls `/api/batches`.
//!
//! The server stays off the batch path: after each batch the batch thread only observes
//! two histograms and pushes a small [`BatchInfo`] copy into a bounded ring under a mutex
//! held for a `VecDeque::push_back` (`UiState::record`). Everything else — source
//! counters, Kafka lag, JSON, the text exposition — is read or built when a client asks, on
//! the pipeline's tokio runtime.

mod metrics;
mod page;
mod server;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::listener::BatchInfo;
use crate::source::SourceControl;

pub use server::UiServer;

/// Batches the page can show: Spark's `spark.streaming.ui.retainedBatches` default.
pub const RETAINED_BATCHES: usize = 1000;

/// What the server reads: the pipeline's description, its sources' live counters, and the
/// recent batches the batch thread records.
pub struct UiState {
    /// The pipeline's text as the macro saw it (empty for pipelines built by hand).
    pub(crate) text: String,
    /// The plan as the macro fused it, in JSON (empty for pipelines built by hand).
    pub(crate) plan: &'static str,
    pub(crate) batch_interval: Duration,
    pub(crate) parallelism: usize,
    pub(crate) checkpoint: Option<String>,
    pub(crate) sources: Vec<Arc<dyn SourceControl>>,
    /// Unix time (ms) at which the server started.
    pub(crate) started_ms: u64,
    recent: Mutex<Recent>,
    metrics: metrics::BatchMetrics,
}

#[derive(Default)]
struct Recent {
    batches: VecDeque<BatchInfo>,
    /// Batches recorded since the start (the ring keeps the last [`RETAINED_BATCHES`]).
    total: u64,
    /// Rows each event-time stage dropped as late since the start (the page's table).
    late_total: std::collections::BTreeMap<String, u64>,
}

impl UiState {
    pub(crate) fn new(
        text: String,
        plan: &'static str,
        batch_interval: Duration,
        parallelism: usize,
        checkpoint: Option<String>,
        sources: Vec<Arc<dyn SourceControl>>,
    ) -> Self {
        UiState {
            text,
            plan,
            batch_interval,
            parallelism,
            checkpoint,
            sources,
            started_ms: crate::time::duration_ms(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default(),
            ),
            recent: Mutex::new(Recent::default()),
            metrics: metrics::BatchMetrics::new(),
        }
    }

    /// Called by the batch thread after every batch: cheap (see the module's doc).
    pub(crate) fn record(&self, info: &BatchInfo) {
        self.metrics.observe(info);
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.batches.len() == RETAINED_BATCHES {
            recent.batches.pop_front();
        }
        recent.batches.push_back(info.clone());
        recent.total += 1;
        for (stage, n) in &info.late_rows_by_stage {
            *recent.late_total.entry(stage.clone()).or_default() += n;
        }
    }

    /// Rows dropped as late since the start, by stage.
    fn late_total(&self) -> Vec<(String, u64)> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent
            .late_total
            .iter()
            .map(|(s, n)| (s.clone(), *n))
            .collect()
    }

    /// Each source's counters, named uniquely: two sources with one name (two `queue`s)
    /// get their position in the pipeline appended, so that their Prometheus series differ.
    pub(crate) fn source_snapshots(&self) -> Vec<crate::MetricsSnapshot> {
        let mut snapshots: Vec<_> = self
            .sources
            .iter()
            .map(|s| s.metrics().snapshot())
            .collect();
        let names: Vec<String> = snapshots.iter().map(|s| s.name.clone()).collect();
        for (i, s) in snapshots.iter_mut().enumerate() {
            if names.iter().filter(|n| **n == s.name).count() > 1 {
                s.name = format!("{} #{i}", s.name);
            }
        }
        snapshots
    }

    /// The last `n` recorded batches, oldest first, and the total recorded.
    fn recent(&self, n: usize) -> (Vec<BatchInfo>, u64) {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let skip = recent.batches.len().saturating_sub(n);
        (
            recent.batches.iter().skip(skip).cloned().collect(),
            recent.total,
        )
    }
}

/// Binds `addr` and serves the page and `/metrics` on `runtime` until the returned
/// [`UiServer`] is dropped. A bad address or a port in use is an error, reported before
/// the pipeline runs a batch.
pub(crate) fn serve(
    addr: &str,
    state: Arc<UiState>,
    runtime: &tokio::runtime::Handle,
) -> Result<UiServer, crate::StreamingError> {
    server::start(addr, state, runtime)
}

/// The address a running server listens on (useful with port 0).
pub(crate) fn local_addr(server: &UiServer) -> SocketAddr {
    server.local_addr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::BatchTime;

    fn batch(ms: u64) -> BatchInfo {
        BatchInfo {
            batch_time: BatchTime::from_millis(ms),
            num_records: ms,
            scheduling_delay: Duration::from_millis(1),
            processing_delay: Duration::from_millis(2),
            ..BatchInfo::default()
        }
    }

    #[test]
    fn the_ring_keeps_the_last_retained_batches_and_counts_all() {
        let state = UiState::new(
            String::new(),
            "",
            Duration::from_secs(1),
            1,
            None,
            Vec::new(),
        );
        let n = RETAINED_BATCHES as u64 + 5;
        for k in 1..=n {
            state.record(&batch(k * 1000));
        }
        let (all, total) = state.recent(usize::MAX);
        assert_eq!(total, n);
        assert_eq!(all.len(), RETAINED_BATCHES);
        assert_eq!(all[0].batch_time, BatchTime::from_millis(6000));
        assert_eq!(
            all.last().map(|b| b.batch_time),
            Some(BatchTime::from_millis(n * 1000))
        );
        let (last, _) = state.recent(3);
        let times: Vec<u64> = last.iter().map(|b| b.batch_time.milliseconds()).collect();
        assert_eq!(times, [(n - 2) * 1000, (n - 1) * 1000, n * 1000]);
    }
}
