//! What a batch job sees of the pipeline while it runs one batch.

use std::io::Write;

use crate::time::BatchTime;

/// Passed to the generated batch job: the batch time, the parallelism to use, and where
/// `print` writes (stdout unless a test redirected it).
pub struct BatchContext<'a> {
    time: BatchTime,
    zero: BatchTime,
    /// The batch interval in milliseconds (0: not known, in tests of single batches).
    interval_ms: u64,
    parallelism: usize,
    out: &'a mut dyn Write,
    /// Records each source gave this batch, in pipeline order.
    input_by_source: Vec<u64>,
    /// Operator state restored from a checkpoint, for the job to take on its first batch.
    restored: Option<Vec<u8>>,
    /// Set when this batch is checkpointed: the job stores its operator state here.
    checkpoint: Option<Option<Vec<u8>>>,
    /// Every source has ended and this is the pipeline's last batch.
    input_ended: bool,
    /// Rows event-time stages dropped as late in this batch, by stage.
    late_rows: Vec<(&'static str, u64)>,
    /// Rows `parse` stages found malformed in this batch, by stage.
    malformed_rows: Vec<(&'static str, u64)>,
    /// Each `event_time` stage's watermark after this batch.
    watermarks: Vec<(&'static str, crate::event_time::Timestamp)>,
    /// Each stateful stage's state after this batch.
    state: Vec<(&'static str, crate::state_stats::StateStats)>,
    /// A cluster task's claim on its partition: the built-in sinks check it before writing.
    fence: Option<crate::checkpoint::Fence>,
}

impl<'a> BatchContext<'a> {
    /// `zero`: the pipeline's start, one interval before its first batch.
    pub fn new(
        time: BatchTime,
        zero: BatchTime,
        parallelism: usize,
        out: &'a mut dyn Write,
    ) -> Self {
        BatchContext {
            time,
            zero,
            interval_ms: 0,
            parallelism: parallelism.max(1),
            out,
            input_by_source: Vec::new(),
            restored: None,
            checkpoint: None,
            input_ended: false,
            late_rows: Vec::new(),
            malformed_rows: Vec::new(),
            watermarks: Vec::new(),
            state: Vec::new(),
            fence: None,
        }
    }

    /// The batch runs in a cluster task holding `fence`.
    pub(crate) fn set_fence(&mut self, fence: Option<crate::checkpoint::Fence>) {
        self.fence = fence;
    }

    /// `Ok` unless the batch runs in a cluster task whose partition another process has
    /// claimed since ([`crate::StreamingError::Fenced`]): what every built-in sink checks
    /// right before it writes, so a task that was paused mid-batch and resumed after
    /// losing its partition writes nothing.
    pub fn check_fence(&self) -> Result<(), crate::StreamingError> {
        self.fence
            .as_ref()
            .map_or(Ok(()), crate::checkpoint::Fence::check)
    }

    /// Every source has ended and this is the last batch of `run()`: event-time windows
    /// still open emit their results (`run_batches` never says so).
    pub fn input_ended(&self) -> bool {
        self.input_ended
    }

    pub(crate) fn set_input_ended(&mut self) {
        self.input_ended = true;
    }

    /// The event-time stage `stage` dropped `n` rows as late (counted in the batch's
    /// [`crate::BatchInfo`]).
    pub fn add_late_rows(&mut self, stage: &'static str, n: u64) {
        if n > 0 {
            self.late_rows.push((stage, n));
        }
    }

    /// The `parse` stage `stage` found `n` rows malformed (counted in the batch's
    /// [`crate::BatchInfo`]).
    pub fn add_malformed_rows(&mut self, stage: &'static str, n: u64) {
        if n > 0 {
            self.malformed_rows.push((stage, n));
        }
    }

    /// Rows found malformed in this batch, by stage.
    pub fn malformed_rows(&self) -> &[(&'static str, u64)] {
        &self.malformed_rows
    }

    /// The `event_time` stage `stage` ends the batch with its watermark at `t`.
    pub fn report_watermark(&mut self, stage: &'static str, t: crate::event_time::Timestamp) {
        self.watermarks.push((stage, t));
    }

    /// The watermarks reported in this batch, by stage.
    pub fn watermarks(&self) -> &[(&'static str, crate::event_time::Timestamp)] {
        &self.watermarks
    }

    /// The stateful stage `stage` ends the batch with `stats` (`None`: it keeps no rows).
    /// The generated job calls this once per stage at the end of the batch.
    pub fn report_state(
        &mut self,
        stage: &'static str,
        stats: Option<crate::state_stats::StateStats>,
    ) {
        if let Some(s) = stats {
            self.state.push((stage, s));
        }
    }

    /// The state reported in this batch, by stage.
    pub fn state(&self) -> &[(&'static str, crate::state_stats::StateStats)] {
        &self.state
    }

    /// Rows dropped as late in this batch, by stage.
    pub fn late_rows(&self) -> &[(&'static str, u64)] {
        &self.late_rows
    }

    pub fn time(&self) -> BatchTime {
        self.time
    }

    /// The pipeline's start: windows slide from here (batch `k` is at `zero + k × interval`).
    pub fn zero(&self) -> BatchTime {
        self.zero
    }

    /// The batch interval, for [`batch_id`](Self::batch_id).
    pub(crate) fn set_interval_ms(&mut self, ms: u64) {
        self.interval_ms = ms;
    }

    /// The batch's number counting from 0 at the pipeline's first batch, as Structured
    /// Streaming numbers its micro-batches (`Batch: N` when `print` shows records).
    pub fn batch_id(&self) -> u64 {
        let since = self
            .time
            .milliseconds()
            .saturating_sub(self.zero.milliseconds());
        match self.interval_ms {
            0 => 0,
            i => (since / i).saturating_sub(1),
        }
    }

    pub fn parallelism(&self) -> usize {
        self.parallelism
    }

    /// Where `print` writes.
    pub fn out(&mut self) -> &mut dyn Write {
        self.out
    }

    /// Records that came in from sources for this batch.
    pub fn input_records(&self) -> u64 {
        self.input_by_source.iter().sum()
    }

    /// Records each source gave this batch, in pipeline order (a source fed by
    /// `repartition` counts none: its records were counted when they came in).
    pub fn input_by_source(&self) -> &[u64] {
        &self.input_by_source
    }

    /// Operator state from a checkpoint (first batch after a restart only).
    pub fn take_restored_state(&mut self) -> Option<Vec<u8>> {
        self.restored.take()
    }

    /// Whether the job must hand its operator state over with [`BatchContext::save_state`].
    pub fn checkpoint_requested(&self) -> bool {
        self.checkpoint.is_some()
    }

    /// The job's operator state for this batch's checkpoint.
    pub fn save_state<T: serde::Serialize>(
        &mut self,
        state: &T,
    ) -> Result<(), crate::StreamingError> {
        self.checkpoint = Some(Some(crate::checkpoint::encode_state(state)?));
        Ok(())
    }

    pub(crate) fn set_restored_state(&mut self, state: Option<Vec<u8>>) {
        self.restored = state;
    }

    pub(crate) fn request_checkpoint(&mut self) {
        self.checkpoint = Some(None);
    }

    pub(crate) fn saved_state(&mut self) -> Option<Vec<u8>> {
        self.checkpoint.take().flatten()
    }

    /// Called by the generated code with the size of each source's batch (`source`: its
    /// index in pipeline order).
    pub fn add_input(&mut self, source: usize, records: usize) {
        if self.input_by_source.len() <= source {
            self.input_by_source.resize(source + 1, 0);
        }
        self.input_by_source[source] += records as u64;
    }
}
