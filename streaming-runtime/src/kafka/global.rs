//! `sort desc |> take(n) |> global`: a ranking over every partition of a cluster job.
//! Each partition's task computes its own first `n`; `global` merges them into
//! the first `n` of all, and the stages after it run in one process only: the one that owns
//! **partition 0** of the input topic.
//!
//! The tasks meet in the cluster's checkpoint location, which every process shares
//! already (a directory, or a prefix of an object store): after every batch each task
//! writes its first `n` to `<checkpoint>/global-<stage>/p<partition>-t<batch ms>-e<epoch>.json`
//! (whole or not at all: a temporary file renamed, or one object; the last few batches of
//! each partition are kept), and the task
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
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::warn;

use super::repartition::Upstream;
use crate::checkpoint::{CheckpointStore, Fence};
use crate::error::StreamingError;
use crate::order::{PairOrder, Select};
use crate::owned::IntoOwned;
use crate::time::BatchTime;

/// The state of one `global` stage.
pub struct Global<K, V> {
    /// A cluster task: its partition, its claim on it, and the stage's shared location.
    task: Option<(i32, Option<Fence>, Shared)>,
    types: PhantomData<fn() -> (K, V)>,
}

/// The stage's shared location, opened at its first batch (opening an object store is a
/// fallible call the stage's constructor cannot report).
enum Shared {
    Location(PathBuf),
    Open(Arc<dyn CheckpointStore>),
}

impl Shared {
    fn store(&mut self) -> Result<&Arc<dyn CheckpointStore>, StreamingError> {
        if let Shared::Location(location) = self {
            *self = Shared::Open(crate::checkpoint::open_store(location)?);
        }
        match self {
            Shared::Open(store) => Ok(store),
            Shared::Location(_) => unreachable!("opened above"),
        }
    }
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
                    Shared::Location(root.join(format!("global-{stage}"))),
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
    let Some((partition, fence, shared)) = &mut global.task else {
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
    let store = shared.store()?;
    publish(store.as_ref(), *partition, time, epoch, &mine)?;
    if *partition != 0 {
        return Ok(None);
    }
    let mut all: Vec<(K, V)> = Vec::new();
    for name in newest_lists(store.as_ref(), time)? {
        let read = match store.get(&name) {
            Ok(Some(bytes)) => {
                serde_json::from_slice::<(u64, Vec<(K, V)>)>(&bytes).map_err(|e| e.to_string())
            }
            Ok(None) => Err("removed while it was read".to_string()),
            Err(e) => Err(e.to_string()),
        };
        match read {
            Ok((_, top)) => all.extend(top),
            Err(e) => {
                warn!(location = %store.location(), list = %name, error = %e, "a partition's ranking could not be read; merging without it")
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

/// Every list in `store`: (partition, ms, epoch, name).
fn lists(store: &dyn CheckpointStore) -> Result<Vec<(i32, u64, u64, String)>, StreamingError> {
    Ok((store.list("p")?.into_iter())
        .filter_map(|name| {
            let (p, t, epoch) = list_name(&name)?;
            Some((p, t, epoch, name))
        })
        .collect())
}

/// For each partition, its newest list not after `time`, from its newest owner.
fn newest_lists(
    store: &dyn CheckpointStore,
    time: BatchTime,
) -> Result<Vec<String>, StreamingError> {
    let mut best: std::collections::BTreeMap<i32, (u64, u64, String)> = Default::default();
    for (p, t, epoch, name) in lists(store)? {
        if t > time.milliseconds() {
            continue;
        }
        let newer = best
            .get(&p)
            .is_none_or(|(bt, be, _)| (t, epoch) > (*bt, *be));
        if newer {
            best.insert(p, (t, epoch, name));
        }
    }
    Ok(best.into_values().map(|(_, _, name)| name).collect())
}

/// Writes this partition's list of batch `time` (whole or not at all) and removes its
/// lists older than the last [`KEEP`].
fn publish<K: Serialize, V: Serialize>(
    store: &dyn CheckpointStore,
    partition: i32,
    time: BatchTime,
    epoch: u64,
    top: &[(K, V)],
) -> Result<(), StreamingError> {
    // (batch time, pairs)
    let json = serde_json::to_vec(&(time.milliseconds(), top))
        .map_err(|e| StreamingError::Custom(format!("global: cannot encode the ranking: {e}")))?;
    let ms = time.milliseconds();
    store.put(&format!("p{partition}-t{ms}-e{epoch}.json"), json)?;
    let mut mine: Vec<(u64, String)> = lists(store)?
        .into_iter()
        .filter(|(p, ..)| *p == partition)
        .map(|(_, t, _, name)| (t, name))
        .collect();
    mine.sort_by_key(|b| std::cmp::Reverse(b.0));
    for (_, old) in mine.into_iter().skip(KEEP) {
        let _ = store.delete(&old);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::LocalStore;

    fn t(ms: u64) -> BatchTime {
        BatchTime::from_millis(ms)
    }

    fn write(dir: &std::path::Path, p: i32, ms: u64, epoch: u64, top: &[(&str, i64)]) {
        publish(&LocalStore::new(dir), p, t(ms), epoch, top).unwrap();
    }

    fn merged(dir: &std::path::Path, ms: u64) -> Vec<(String, i64)> {
        let store = LocalStore::new(dir);
        let mut all: Vec<(String, i64)> = Vec::new();
        for name in newest_lists(&store, t(ms)).unwrap() {
            let (_, top): (u64, Vec<(String, i64)>) =
                serde_json::from_slice(&store.get(&name).unwrap().unwrap()).unwrap();
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
        assert_eq!(lists(&LocalStore::new(dir.path())).unwrap().len(), KEEP);
        assert_eq!(merged(dir.path(), 20_000), [("x".into(), 20)]);
    }
}
