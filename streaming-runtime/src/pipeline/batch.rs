//! One batch, from its sealed input to its listeners: the context the generated job runs
//! in, the input made final and logged, the job run (a panic becomes the batch's error),
//! the checkpoint when one is due, and the batch's statistics handed to the sources, the
//! listeners, the streaming page and the rate controller.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use tracing::debug;

use super::{BatchJob, Pipeline};
use crate::checkpoint::{BatchInput, CheckpointConfig, Fence, PipelineCheckpoint};
use crate::context::BatchContext;
use crate::error::StreamingError;
use crate::event_time::Timestamp;
use crate::listener::BatchInfo;
use crate::source::SourceControl;
use crate::time::{BatchTime, duration_ms};

impl Pipeline {
    /// Runs the job for one sealed batch and logs its size and timings; checkpoints it when
    /// the interval says so or `final_batch` is set.
    pub(crate) fn run_batch(
        &mut self,
        time: BatchTime,
        due: Instant,
        final_batch: bool,
        input_ended: bool,
    ) -> Result<(), StreamingError> {
        let parallelism = self.parallelism();
        let started = Instant::now();
        let interval = duration_ms(self.config.batch_interval);
        let zero = *self.zero.get_or_insert(BatchTime::from_millis(
            time.milliseconds().saturating_sub(interval),
        ));
        let checkpoint = checkpoint_due(self.config.checkpoint.as_ref(), time, zero, final_batch);
        // A task whose partition another process took over stops before it reads, logs
        // or writes anything for this batch.
        if let Some(fence) = &self.config.fence {
            fence.check()?;
        }
        // The batch log and the checkpoint are written while stdout is not locked: an
        // object store's client logs its retries, maybe to stdout, from another thread.
        let prepared = prepare_input(
            &self.sources,
            self.config.checkpoint.as_ref(),
            self.config.fence.as_ref(),
            time,
        );
        let mut out = self.output.writer();
        let mut ctx = BatchContext::new(time, zero, parallelism, &mut out);
        ctx.set_interval_ms(interval);
        ctx.set_fence(self.config.fence.clone());
        ctx.set_restored_state(self.pending_state.take());
        if input_ended {
            ctx.set_input_ended();
        }
        if checkpoint.is_some() {
            ctx.request_checkpoint();
        }
        let result = prepared.and_then(|()| run_job(&mut self.job, &mut ctx, time));
        let mut stats = BatchStats::of(&ctx);
        let _ = ctx.out().flush();
        let state = ctx.saved_state();
        drop(ctx);
        drop(out);
        if let (Ok(()), Some(cfg)) = (&result, checkpoint) {
            stats.checkpoint = Some(write_checkpoint(
                cfg,
                self.config.fence.as_ref(),
                &self.sources,
                zero,
                time,
                state.unwrap_or_default(),
            )?);
        }
        let info = stats.info(time, due, started, &result);
        self.batch_done(&info, result.is_ok());
        result
    }

    /// Tells everyone who follows the batches that one is done (the sources only when it
    /// succeeded: Kafka commits its offsets then).
    fn batch_done(&mut self, info: &BatchInfo, succeeded: bool) {
        debug!(
            batch = %info.batch_time,
            records = info.num_records,
            processing_ms = info.processing_delay.as_secs_f64() * 1e3,
            scheduling_delay_ms = info.scheduling_delay.as_secs_f64() * 1e3,
            "batch done"
        );
        if succeeded {
            for s in &self.sources {
                s.batch_completed(info.batch_time);
            }
        }
        for listener in &mut self.listeners {
            listener(info);
        }
        if let Some((ui, _)) = &self.ui {
            ui.record(info);
        }
        if let Some(controller) = &mut self.rate_controller {
            controller.batch_completed(info);
        }
    }
}

/// The checkpoint settings when the batch at `time` is to be checkpointed: every
/// `every_ms` of the clock (counted from `zero`), and the last batch always.
fn checkpoint_due(
    checkpoint: Option<&CheckpointConfig>,
    time: BatchTime,
    zero: BatchTime,
    final_batch: bool,
) -> Option<&CheckpointConfig> {
    checkpoint.filter(|cfg| {
        let since = time.milliseconds().saturating_sub(zero.milliseconds());
        final_batch || (cfg.every_ms > 0 && since % cfg.every_ms == 0)
    })
}

/// Makes the batch's input final and, when a source replays exactly and the pipeline
/// checkpoints, logs every source's position before the batch has any effect.
fn prepare_input(
    sources: &[Arc<dyn SourceControl>],
    checkpoint: Option<&CheckpointConfig>,
    fence: Option<&Fence>,
    time: BatchTime,
) -> Result<(), StreamingError> {
    for s in sources {
        s.prepare(time)?;
    }
    if let Some(cfg) = checkpoint {
        if sources.iter().any(|s| s.replays_exactly()) {
            // Preparing can wait seconds for a fetch: a task whose partition moved
            // meanwhile must not log a batch into the new owner's directory.
            if let Some(fence) = fence {
                fence.check()?;
            }
            let input = BatchInput {
                sources: sources.iter().map(|s| s.position(time)).collect(),
            };
            cfg.open()?
                .write_batch(time, &input)
                .map_err(|e| blamed(fence, e))?;
        }
    }
    Ok(())
}

/// A write's error, or the fencing's when the partition moved while it was written
/// ([`Fence::blame`]): a task stopped by its new owner is fenced, not failed.
fn blamed(fence: Option<&Fence>, e: StreamingError) -> StreamingError {
    match fence {
        Some(fence) => fence.blame(e),
        None => e,
    }
}

/// Runs the generated job; a panic in a user function fails the batch instead of the
/// thread that runs the batches.
fn run_job(
    job: &mut BatchJob,
    ctx: &mut BatchContext<'_>,
    time: BatchTime,
) -> Result<(), StreamingError> {
    catch_unwind(AssertUnwindSafe(|| job(ctx))).unwrap_or_else(|panic| {
        Err(StreamingError::BatchPanicked {
            time,
            message: panic_message(panic.as_ref()),
        })
    })
}

/// What a panic said, when it said it with a string.
fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a user function panicked".into())
}

/// Writes the checkpoint of the batch at `time`: the operator state and every source's
/// position, then the batch logs it makes redundant are dropped.
fn write_checkpoint(
    cfg: &CheckpointConfig,
    fence: Option<&Fence>,
    sources: &[Arc<dyn SourceControl>],
    zero: BatchTime,
    time: BatchTime,
    state: Vec<u8>,
) -> Result<(u64, std::time::Duration), StreamingError> {
    if let Some(fence) = fence {
        fence.check()?;
    }
    let written = Instant::now();
    let cp = PipelineCheckpoint {
        zero,
        state: Some(state),
        sources: sources.iter().map(|s| s.position(time)).collect(),
    };
    let dir = cfg.open()?;
    let (path, bytes) = dir.write_sized(time, &cp).map_err(|e| blamed(fence, e))?;
    let took = written.elapsed();
    dir.prune_batches(time);
    for s in sources {
        s.checkpointed(time);
    }
    debug!(batch = %time, file = %path.display(), bytes, ms = took.as_secs_f64() * 1e3, "checkpoint written");
    Ok((bytes, took))
}

/// What the job reported about its batch, taken from the context before the checkpoint.
struct BatchStats {
    records: u64,
    records_by_source: Vec<u64>,
    late_rows_by_stage: Vec<(String, u64)>,
    malformed_rows_by_stage: Vec<(String, u64)>,
    watermarks: Vec<(String, Timestamp)>,
    state: Vec<(String, crate::state_stats::StateStats)>,
    /// The checkpoint written after the job: its size and write time.
    checkpoint: Option<(u64, std::time::Duration)>,
}

impl BatchStats {
    fn of(ctx: &BatchContext<'_>) -> Self {
        BatchStats {
            records: ctx.input_records(),
            records_by_source: ctx.input_by_source().to_vec(),
            late_rows_by_stage: (ctx.late_rows().iter())
                .map(|&(stage, n)| (stage.to_string(), n))
                .collect(),
            malformed_rows_by_stage: (ctx.malformed_rows().iter())
                .map(|&(stage, n)| (stage.to_string(), n))
                .collect(),
            watermarks: (ctx.watermarks().iter())
                .map(|&(stage, t)| (stage.to_string(), t))
                .collect(),
            state: (ctx.state().iter())
                .map(|&(stage, s)| (stage.to_string(), s))
                .collect(),
            checkpoint: None,
        }
    }

    /// The batch's [`BatchInfo`], its processing time ending now.
    fn info(
        self,
        time: BatchTime,
        due: Instant,
        started: Instant,
        result: &Result<(), StreamingError>,
    ) -> BatchInfo {
        BatchInfo {
            batch_time: time,
            num_records: self.records,
            records_by_source: self.records_by_source,
            scheduling_delay: started.saturating_duration_since(due),
            processing_delay: started.elapsed(),
            late_rows: self.late_rows_by_stage.iter().map(|(_, n)| n).sum(),
            late_rows_by_stage: self.late_rows_by_stage,
            malformed_rows: self.malformed_rows_by_stage.iter().map(|(_, n)| n).sum(),
            malformed_rows_by_stage: self.malformed_rows_by_stage,
            watermarks: self.watermarks,
            state: self.state,
            checkpoint_bytes: self.checkpoint.map(|(b, _)| b),
            checkpoint_write: self.checkpoint.map(|(_, d)| d),
            failure: result.as_ref().err().map(ToString::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn every(ms: u64) -> CheckpointConfig {
        CheckpointConfig {
            dir: PathBuf::from("unused"),
            every_ms: ms,
            fingerprint: 0,
            wal: false,
            store: Default::default(),
        }
    }

    #[test]
    fn checkpoints_are_due_every_interval_of_the_clock_and_at_the_last_batch() {
        let t = BatchTime::from_millis;
        let cfg = every(3000);
        let due = |time, last| checkpoint_due(Some(&cfg), t(time), t(1000), last).is_some();
        assert!(!due(2000, false));
        assert!(due(4000, false));
        assert!(due(7000, false));
        assert!(due(2000, true));
        assert!(checkpoint_due(None, t(4000), t(1000), true).is_none());
        assert!(checkpoint_due(Some(&every(0)), t(4000), t(1000), false).is_none());
    }

    #[test]
    fn a_panicking_job_fails_its_batch_with_the_panics_message() {
        let mut buffer = Vec::new();
        let time = BatchTime::from_millis(1000);
        let mut ctx = BatchContext::new(time, BatchTime::ZERO, 1, &mut buffer);
        let mut job: BatchJob = Box::new(|_| panic!("bad record {}", 7));
        let err = run_job(&mut job, &mut ctx, time).unwrap_err();
        assert!(
            matches!(&err, StreamingError::BatchPanicked { time: t, message } if *t == time && message == "bad record 7"),
            "{err:?}"
        );
        let mut job: BatchJob = Box::new(|_| Ok(()));
        assert!(run_job(&mut job, &mut ctx, time).is_ok());
        assert_eq!(panic_message(&42), "a user function panicked");
    }
}
