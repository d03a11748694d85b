//! What a batch job sees of the pipeline while it runs one batch.

use std::io::Write;

use crate::time::BatchTime;

/// Passed to the generated batch job: the batch time, the parallelism to use, and where
/// `print` writes (stdout unless a test redirected it).
pub struct BatchContext<'a> {
    time: BatchTime,
    zero: BatchTime,
    parallelism: usize,
    out: &'a mut dyn Write,
    input_records: u64,
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
            parallelism: parallelism.max(1),
            out,
            input_records: 0,
        }
    }

    pub fn time(&self) -> BatchTime {
        self.time
    }

    /// The pipeline's start: windows slide from here (batch `k` is at `zero + k × interval`).
    pub fn zero(&self) -> BatchTime {
        self.zero
    }

    pub fn parallelism(&self) -> usize {
        self.parallelism
    }

    /// Where `print` writes.
    pub fn out(&mut self) -> &mut dyn Write {
        self.out
    }

    /// Records that came in from sources for this batch (for the scheduler's log line).
    pub fn input_records(&self) -> u64 {
        self.input_records
    }

    /// Called by the generated code with the size of each source's batch.
    pub fn add_input(&mut self, records: usize) {
        self.input_records += records as u64;
    }
}
