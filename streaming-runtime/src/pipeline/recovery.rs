//! Recovery at start, from the checkpoint directory: the newest valid checkpoint restored
//! (source positions rewound, the clock's start and the operator state taken back), the
//! batches that ran after it before a crash found in the batch log (Spark's pending
//! batches), and those batches sealed again with exactly the input they had (the replay
//! seal). A fresh pipeline writes its initial checkpoint instead.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use crate::checkpoint::{BatchInput, CheckpointConfig, PipelineCheckpoint};
use crate::error::StreamingError;
use crate::source::SourceControl;
use crate::time::{BatchTime, duration_ms};

/// Where a pipeline starts from, once its checkpoint directory was read.
#[derive(Debug)]
pub(crate) struct Recovered {
    /// The start of the pipeline's clock.
    pub zero: BatchTime,
    /// What a restored checkpoint hands on; `None` on a fresh start.
    pub resumed: Option<Resumed>,
}

/// A restored checkpoint and the batches logged after it.
#[derive(Debug)]
pub(crate) struct Resumed {
    /// The checkpointed batch: later batches come after it even when this machine's clock
    /// is behind the one that wrote it.
    pub after: BatchTime,
    /// Batches of the clock up to the checkpointed one, so the manual clock goes on after it.
    pub batches_run: u64,
    /// The generated job's operator state, for the next batch.
    pub state: Option<Vec<u8>>,
    /// Batches that ran after the checkpoint, before a crash, with their logged input.
    pub pending: VecDeque<(BatchTime, BatchInput)>,
}

/// Reads (or, on a fresh start, initialises) the checkpoint directory of `cfg`: sources
/// start recording their positions, a restored checkpoint rewinds them, and receivers'
/// write-ahead logs are opened (`checkpoint "dir" wal;`).
///
/// A fresh pipeline writes an initial checkpoint at `fresh_zero` (its clock's start)
/// holding only its sources' starting positions, so that a crash before the first regular
/// checkpoint does not forget which input was already there.
pub(crate) fn recover(
    cfg: &CheckpointConfig,
    sources: &[Arc<dyn SourceControl>],
    batch_interval: Duration,
    fresh_zero: BatchTime,
) -> Result<Recovered, StreamingError> {
    for s in sources {
        s.record_positions();
    }
    let dir = cfg.open()?;
    dir.remove_stale_temp_files();
    let Some(restored) = dir.restore::<PipelineCheckpoint>()? else {
        let initial = PipelineCheckpoint {
            zero: fresh_zero,
            state: None,
            sources: sources.iter().map(|s| s.position(fresh_zero)).collect(),
        };
        dir.write(fresh_zero, &initial)?;
        dir.prune_batches(BatchTime::from_millis(u64::MAX));
        enable_wals(cfg, sources, None)?;
        tracing::info!(dir = %cfg.dir.display(), "no checkpoint yet: starting fresh");
        return Ok(Recovered {
            zero: fresh_zero,
            resumed: None,
        });
    };
    let cp = restored.state;
    if cp.sources.len() != sources.len() {
        return Err(StreamingError::Config(format!(
            "checkpoint in {} has {} sources, this pipeline {}; delete or move the directory to start fresh",
            cfg.dir.display(),
            cp.sources.len(),
            sources.len()
        )));
    }
    for (source, position) in sources.iter().zip(&cp.sources) {
        if let Some(p) = position {
            source.restore_position(p)?;
        }
    }
    enable_wals(cfg, sources, Some(restored.time))?;
    let interval = duration_ms(batch_interval).max(1);
    let resumed = Resumed {
        after: restored.time,
        batches_run: restored
            .time
            .milliseconds()
            .saturating_sub(cp.zero.milliseconds())
            / interval,
        state: cp.state,
        pending: dir.pending_batches(restored.time).into(),
    };
    tracing::info!(batch = %restored.time, "resuming after the checkpointed batch");
    if let Some((last, _)) = resumed.pending.back() {
        tracing::info!(
            batches = resumed.pending.len(),
            through = %last,
            "running again the batches that ran after it, with the same input"
        );
    }
    Ok(Recovered {
        zero: cp.zero,
        resumed: Some(resumed),
    })
}

/// `checkpoint "dir" wal;`: each receiver logs to `dir/wal-<source index>`.
fn enable_wals(
    cfg: &CheckpointConfig,
    sources: &[Arc<dyn SourceControl>],
    restored: Option<BatchTime>,
) -> Result<(), StreamingError> {
    if cfg.wal {
        // The write-ahead log appends to files as it receives: it needs a directory.
        let dir = cfg.open()?;
        let Some(dir) = dir.store().local_dir() else {
            return Err(StreamingError::Config(format!(
                "checkpoint {:?} wal: the write-ahead log needs a local directory, not an object store",
                cfg.dir.display().to_string()
            )));
        };
        for (i, s) in sources.iter().enumerate() {
            s.enable_wal(&dir.join(format!("wal-{i}")), restored)?;
        }
    }
    Ok(())
}

/// Seals every source for the batch at `time`: with the input `replay` recorded for it when
/// the batch runs again after a crash.
pub(crate) fn seal_all(
    sources: &[Arc<dyn SourceControl>],
    time: BatchTime,
    replay: Option<&BatchInput>,
) {
    for (i, s) in sources.iter().enumerate() {
        match replay
            .and_then(|b| b.sources.get(i))
            .and_then(Option::as_ref)
        {
            Some(position) => s.replay_seal(time, position),
            None => s.seal(time),
        }
    }
}

/// Seals the pending batches, each with the input its batch log recorded, before the
/// sources start (so that a source knows where the replay begins before it looks for its
/// start position). Returns their times, oldest first.
pub(crate) fn seal_pending(
    sources: &[Arc<dyn SourceControl>],
    pending: VecDeque<(BatchTime, BatchInput)>,
) -> VecDeque<BatchTime> {
    pending
        .into_iter()
        .map(|(time, input)| {
            seal_all(sources, time, Some(&input));
            time
        })
        .collect()
}

/// Manual clock: whether the batch at `time` was sealed at start (a pending batch). Sealed
/// times before it are dropped: the batch interval changed since they ran.
pub(crate) fn take_presealed(presealed: &mut VecDeque<BatchTime>, time: BatchTime) -> bool {
    while presealed.front().is_some_and(|t| *t < time) {
        presealed.pop_front();
    }
    if presealed.front() == Some(&time) {
        presealed.pop_front();
        true
    } else {
        false
    }
}

/// Real clock: the first batch to seal on the clock, `first` unless a restored checkpoint
/// or the pending batches reach later (every batch time comes after those).
pub(crate) fn first_new_batch(
    first: BatchTime,
    resumed_after: Option<BatchTime>,
    pending: &VecDeque<BatchTime>,
    interval: Duration,
) -> BatchTime {
    resumed_after
        .iter()
        .chain(pending)
        .fold(first, |time, t| time.max(t.plus(interval)))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::checkpoint::CheckpointDir;
    use crate::metrics::SourceMetrics;

    /// A replayable source that records what the pipeline asked of it.
    #[derive(Default)]
    struct Recorded {
        calls: Mutex<Vec<String>>,
    }

    impl Recorded {
        fn calls(&self) -> Vec<String> {
            std::mem::take(&mut *self.calls.lock().unwrap())
        }
        fn log(&self, call: String) {
            self.calls.lock().unwrap().push(call);
        }
    }

    impl SourceControl for Recorded {
        fn start(&self, _: &tokio::runtime::Handle) -> Result<(), StreamingError> {
            Ok(())
        }
        fn seal(&self, time: BatchTime) {
            self.log(format!("seal {time}"));
        }
        fn is_finished(&self) -> bool {
            false
        }
        fn stop(&self) {}
        fn metrics(&self) -> Arc<SourceMetrics> {
            Arc::new(SourceMetrics::new("recorded"))
        }
        fn record_positions(&self) {
            self.log("record positions".into());
        }
        fn position(&self, time: BatchTime) -> Option<Vec<u8>> {
            Some(time.milliseconds().to_le_bytes().to_vec())
        }
        fn restore_position(&self, position: &[u8]) -> Result<(), StreamingError> {
            self.log(format!("restore {position:?}"));
            Ok(())
        }
        fn replay_seal(&self, time: BatchTime, position: &[u8]) {
            self.log(format!("replay seal {time} up to {position:?}"));
        }
    }

    fn t(ms: u64) -> BatchTime {
        BatchTime::from_millis(ms)
    }

    fn config(dir: &std::path::Path) -> CheckpointConfig {
        CheckpointConfig {
            dir: dir.to_path_buf(),
            every_ms: 1000,
            fingerprint: 7,
            wal: false,
            store: Default::default(),
        }
    }

    fn input(positions: &[Option<&[u8]>]) -> BatchInput {
        BatchInput {
            sources: positions.iter().map(|p| p.map(<[u8]>::to_vec)).collect(),
        }
    }

    #[test]
    fn a_fresh_start_writes_the_initial_checkpoint_and_forgets_old_batch_logs() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path());
        let cp = CheckpointDir::new(&cfg.dir, cfg.fingerprint);
        // A batch log without any checkpoint: left by a pipeline that never checkpointed.
        cp.write_batch(t(3000), &input(&[Some(&[1])])).unwrap();
        let source = Arc::new(Recorded::default());
        let sources: Vec<Arc<dyn SourceControl>> = vec![source.clone()];

        let recovered = recover(&cfg, &sources, Duration::from_secs(1), t(1000)).unwrap();
        assert_eq!(recovered.zero, t(1000));
        assert!(recovered.resumed.is_none());
        assert_eq!(source.calls(), ["record positions"]);
        let initial = cp.restore::<PipelineCheckpoint>().unwrap().unwrap();
        assert_eq!(initial.time, t(1000));
        assert_eq!(initial.state.state, None);
        assert_eq!(initial.state.sources, [source.position(t(1000))]);
        assert!(cp.pending_batches(t(0)).is_empty());
    }

    #[test]
    fn a_restart_rewinds_the_sources_and_finds_the_batches_run_after_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path());
        let cp = CheckpointDir::new(&cfg.dir, cfg.fingerprint);
        let checkpoint = PipelineCheckpoint {
            zero: t(1000),
            state: Some(vec![42]),
            sources: vec![Some(vec![9]), None],
        };
        cp.write(t(4000), &checkpoint).unwrap();
        cp.write_batch(t(5000), &input(&[Some(&[10]), None]))
            .unwrap();
        cp.write_batch(t(6000), &input(&[Some(&[11]), None]))
            .unwrap();
        let (replayable, other) = (Arc::new(Recorded::default()), Arc::new(Recorded::default()));
        let sources: Vec<Arc<dyn SourceControl>> = vec![replayable.clone(), other.clone()];

        let recovered = recover(&cfg, &sources, Duration::from_secs(1), t(99_000)).unwrap();
        assert_eq!(recovered.zero, t(1000));
        let resumed = recovered.resumed.unwrap();
        assert_eq!(resumed.after, t(4000));
        assert_eq!(resumed.batches_run, 3);
        assert_eq!(resumed.state, Some(vec![42]));
        let times: Vec<BatchTime> = resumed.pending.iter().map(|(time, _)| *time).collect();
        assert_eq!(times, [t(5000), t(6000)]);
        assert_eq!(replayable.calls(), ["record positions", "restore [9]"]);
        assert_eq!(other.calls(), ["record positions"]);

        // The replay seal: each pending batch gets exactly its logged input where a source
        // has one, and a plain seal where it has none.
        let sealed = seal_pending(&sources, resumed.pending);
        assert_eq!(sealed, [t(5000), t(6000)]);
        assert_eq!(
            replayable.calls(),
            [
                "replay seal 5000 ms up to [10]",
                "replay seal 6000 ms up to [11]"
            ]
        );
        assert_eq!(other.calls(), ["seal 5000 ms", "seal 6000 ms"]);
    }

    #[test]
    fn a_checkpoint_of_another_number_of_sources_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path());
        let checkpoint = PipelineCheckpoint {
            zero: t(0),
            state: None,
            sources: vec![None, None],
        };
        CheckpointDir::new(&cfg.dir, cfg.fingerprint)
            .write(t(1000), &checkpoint)
            .unwrap();
        let sources: Vec<Arc<dyn SourceControl>> = vec![Arc::new(Recorded::default())];
        let err = recover(&cfg, &sources, Duration::from_secs(1), t(0)).unwrap_err();
        assert!(
            matches!(&err, StreamingError::Config(m) if m.contains("has 2 sources, this pipeline 1")),
            "{err:?}"
        );
    }

    #[test]
    fn the_manual_clock_skips_sealed_times_the_batch_interval_no_longer_reaches() {
        let mut presealed: VecDeque<BatchTime> = [t(1000), t(1500), t(3000)].into();
        assert!(!take_presealed(&mut presealed, t(500)));
        assert!(take_presealed(&mut presealed, t(1000)));
        // 1500 was sealed with another batch interval: dropped, 2000 is sealed as usual.
        assert!(!take_presealed(&mut presealed, t(2000)));
        assert!(take_presealed(&mut presealed, t(3000)));
        assert!(presealed.is_empty());
    }

    #[test]
    fn the_real_clock_goes_on_after_the_checkpoint_and_the_pending_batches() {
        let second = Duration::from_secs(1);
        let none = VecDeque::new();
        assert_eq!(first_new_batch(t(10_000), None, &none, second), t(10_000));
        // This machine's clock is behind the one that wrote the checkpoint.
        assert_eq!(
            first_new_batch(t(10_000), Some(t(20_000)), &none, second),
            t(21_000)
        );
        let pending: VecDeque<BatchTime> = [t(21_000), t(22_000)].into();
        assert_eq!(
            first_new_batch(t(10_000), Some(t(20_000)), &pending, second),
            t(23_000)
        );
        assert_eq!(
            first_new_batch(t(50_000), Some(t(20_000)), &pending, second),
            t(50_000)
        );
    }
}
