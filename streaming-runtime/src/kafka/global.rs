//! `sort desc |> take(n) |> global`: a ranking over every partition of a cluster job.
//! Each partition's task computes its own first `n`; `global` merges them into
//! the first `n` of all, and the stages after it run in one process only: the one that owns
//! **partition 0** of the input topic.
//!
//! The tasks meet in the cluster's checkpoint directory, which every process shares
//! already: after every batch each task writes its first `n` to
//! `<checkpoint>/global-<stage>/p<partition>-t<batch ms>-e<epoch>.json` (atomically: a
//! temporary file renamed; the last few batches of each partition are kept), and the task
//! of partition 0, at batch `t`, merges for every partition the newest list *not after
//! `t`*, written by the partition's newest owner (the highest epoch). So a batch replayed
//! after a crash merges the lists as they were at its time, not the partitions' current
//! ones, and a list a fenced owner wrote late never wins over the new owner's. A
//! partition whose task has not finished batch `t` yet contributes its list of the batch
//! before: the merged ranking lags the slowest task by up to a batch, and a partition that
//! is moving shows the list its last owner wrote until the new owner's first batch.
//!
//! The merge is exact when a key lives in one partition only: after a `repartition`, or
//! when the producers key the input by the ranked key. Outside a cluster task `global`
//! changes nothing (one process sees every partition).

use std::marker::PhantomData;
use std::path::PathBuf;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::warn;

use super::repartition::Upstream;
use crate::checkpoint::Fence;
use crate::error::StreamingError;
use crate::order::{PairOrder, Select};
use crate::owned::IntoOwned;
use crate::time::BatchTime;

/// The state of one `global` stage.
pub struct Global<K, V> {
    /// A cluster task: its partition, its claim on it, and the stage's shared directory.
    task: Option<(i32, Option<Fence>, PathBuf)>,
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> Global<K, V> {
    /// The `global` stage number `stage` of a pipeline reading `upstream`.
    pub fn new<U: Upstream>(upstream: &U, stage: usize) -> Self {
        let origin = upstream.origin();
        Global {
            task: origin.task().map(|(p, root)| {
                (
                    *p,
                    origin.fence().cloned(),
                    root.join(format!("global-{stage}")),
                )
            }),
            types: PhantomData,
        }
    }

    /// A stage whose flow does not read a cluster task's source: one process sees all.
    pub fn local() -> Self {
        Global {
            task: None,
            types: PhantomData,
        }
    }
}

/// This batch's first `n` over every partition, in the task of partition 0 (and outside a
/// cluster); `None` in the other tasks, whose later stages do not run.
pub fn finish<KB, VB, K, V, O>(
    global: &mut Global<K, V>,
    time: BatchTime,
    batch: Vec<(KB, VB)>,
    select: Select<O>,
) -> Result<Option<Vec<(K, V)>>, StreamingError>
where
    KB: IntoOwned<Owned = K>,
    VB: IntoOwned<Owned = V>,
    K: Serialize + DeserializeOwned + Clone + PartialOrd,
    V: Serialize + DeserializeOwned + Clone + PartialOrd,
    O: PairOrder,
{
    let mine: Vec<(K, V)> = batch
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let Some((partition, fence, dir)) = &global.task else {
        return Ok(Some(mine));
    };
    // A process that lost the partition does not write over the new owner's list.
    let epoch = match fence {
        Some(fence) => {
            fence.check()?;
            fence.epoch()
        }
        None => 0,
    };
    publish(dir, *partition, time, epoch, &mine)?;
    if *partition != 0 {
        return Ok(None);
    }
    let mut all: Vec<(K, V)> = Vec::new();
    for path in newest_lists(dir, time)? {
        let read = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                serde_json::from_slice::<(u64, Vec<(K, V)>)>(&b).map_err(|e| e.to_string())
            });
        match read {
            Ok((_, top)) => all.extend(top),
            Err(e) => {
                warn!(file = %path.display(), error = %e, "a partition's ranking could not be read; merging without it")
            }
        }
    }
    Ok(Some(select.pick(all.iter().map(|(k, v)| (k, v.clone())))))
}

/// Lists kept per partition (older ones are removed by the partition's writer).
const KEEP: usize = 8;

/// `p<partition>-t<ms>-e<epoch>.json` → (partition, ms, epoch).
fn list_name(name: &str) -> Option<(i32, u64, u64)> {
    let rest = name.strip_prefix('p')?.strip_suffix(".json")?;
    let (p, rest) = rest.split_once("-t")?;
    let (t, e) = rest.split_once("-e")?;
    Some((p.parse().ok()?, t.parse().ok()?, e.parse().ok()?))
}

/// Every list in `dir`: (partition, ms, epoch, path).
fn lists(dir: &std::path::Path) -> Result<Vec<(i32, u64, u64, PathBuf)>, StreamingError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| StreamingError::io(format!("reading {}", dir.display()), e))?;
    Ok(entries
        .flatten()
        .filter_map(|e| {
            let (p, t, epoch) = list_name(e.file_name().to_str()?)?;
            Some((p, t, epoch, e.path()))
        })
        .collect())
}

/// For each partition, its newest list not after `time`, from its newest owner.
fn newest_lists(dir: &std::path::Path, time: BatchTime) -> Result<Vec<PathBuf>, StreamingError> {
    let mut best: std::collections::BTreeMap<i32, (u64, u64, PathBuf)> = Default::default();
    for (p, t, epoch, path) in lists(dir)? {
        if t > time.milliseconds() {
            continue;
        }
        let newer = best
            .get(&p)
            .is_none_or(|(bt, be, _)| (t, epoch) > (*bt, *be));
        if newer {
            best.insert(p, (t, epoch, path));
        }
    }
    Ok(best.into_values().map(|(_, _, path)| path).collect())
}

/// Writes this partition's list of batch `time` (a temporary file renamed into place) and
/// removes its lists older than the last [`KEEP`].
fn publish<K: Serialize, V: Serialize>(
    dir: &std::path::Path,
    partition: i32,
    time: BatchTime,
    epoch: u64,
    top: &[(K, V)],
) -> Result<(), StreamingError> {
    let io = |what: &str, e| StreamingError::io(format!("{what} {}", dir.display()), e);
    std::fs::create_dir_all(dir).map_err(|e| io("creating", e))?;
    // (batch time, pairs)
    let json = serde_json::to_vec(&(time.milliseconds(), top))
        .map_err(|e| StreamingError::Custom(format!("global: cannot encode the ranking: {e}")))?;
    let ms = time.milliseconds();
    let tmp = dir.join(format!(
        ".p{partition}-t{ms}-e{epoch}-{}.tmp",
        std::process::id()
    ));
    let target = dir.join(format!("p{partition}-t{ms}-e{epoch}.json"));
    std::fs::write(&tmp, json)
        .and_then(|()| std::fs::rename(&tmp, &target))
        .map_err(|e| io("writing a ranking to", e))?;
    let mut mine: Vec<(u64, PathBuf)> = lists(dir)?
        .into_iter()
        .filter(|(p, ..)| *p == partition)
        .map(|(_, t, _, path)| (t, path))
        .collect();
    mine.sort_by_key(|b| std::cmp::Reverse(b.0));
    for (_, old) in mine.into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(old);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> BatchTime {
        BatchTime::from_millis(ms)
    }

    fn write(dir: &std::path::Path, p: i32, ms: u64, epoch: u64, top: &[(&str, i64)]) {
        publish(dir, p, t(ms), epoch, top).unwrap();
    }

    fn merged(dir: &std::path::Path, ms: u64) -> Vec<(String, i64)> {
        let mut all: Vec<(String, i64)> = Vec::new();
        for path in newest_lists(dir, t(ms)).unwrap() {
            let (_, top): (u64, Vec<(String, i64)>) =
                serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            all.extend(top);
        }
        all.sort();
        all
    }

    #[test]
    fn a_batch_merges_each_partitions_newest_list_not_after_it() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 0, 1000, 1, &[("a", 1)]);
        write(dir.path(), 1, 1000, 1, &[("b", 1)]);
        write(dir.path(), 1, 2000, 1, &[("b", 5)]);
        // Batch 1000 replayed after a crash: partition 1's list of 2000 is not its.
        assert_eq!(merged(dir.path(), 1000), [("a".into(), 1), ("b".into(), 1)]);
        assert_eq!(merged(dir.path(), 2000), [("a".into(), 1), ("b".into(), 5)]);
    }

    #[test]
    fn a_fenced_owners_late_list_loses_to_the_new_owners() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 1, 2000, 3, &[("new", 1)]);
        // The old owner (epoch 2), paused, writes its list of the same batch afterwards.
        write(dir.path(), 1, 2000, 2, &[("stale", 9)]);
        assert_eq!(merged(dir.path(), 2000), [("new".into(), 1)]);
    }

    #[test]
    fn a_partition_keeps_its_last_lists() {
        let dir = tempfile::tempdir().unwrap();
        for ms in 1..=20 {
            write(dir.path(), 4, ms * 1000, 1, &[("x", ms as i64)]);
        }
        assert_eq!(lists(dir.path()).unwrap().len(), KEEP);
        assert_eq!(merged(dir.path(), 20_000), [("x".into(), 20)]);
    }
}
