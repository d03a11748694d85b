//! `sort desc |> take(n) |> global`: a ranking over every partition of a cluster job
//! (DESIGN §9). Each partition's task computes its own first `n`; `global` merges them into
//! the first `n` of all, and the stages after it run in one process only: the one that owns
//! **partition 0** of the input topic.
//!
//! The tasks meet in the cluster's checkpoint directory, which every process shares
//! already: each task writes its latest first `n` (with its batch time) to
//! `<checkpoint>/global-<stage>/<partition>.json` after every batch (atomically: a
//! temporary file renamed), and the task of partition 0 merges the newest list of every
//! partition. A partition's list is as recent as its task's last batch, so the merged
//! ranking lags the slowest task by up to a batch, and a partition that is moving shows
//! the list its last owner wrote until the new owner's first batch.
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
use super::sort::{PairOrder, Select};
use crate::cluster::Fence;
use crate::error::StreamingError;
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
    // A process that lost the partition does not overwrite the new owner's list.
    if let Some(fence) = fence {
        fence.check()?;
    }
    publish(dir, *partition, time, &mine)?;
    if *partition != 0 {
        return Ok(None);
    }
    let mut all: Vec<(K, V)> = Vec::new();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| StreamingError::io(format!("reading {}", dir.display()), e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
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

/// Writes this partition's list: a temporary file renamed over the last one.
fn publish<K: Serialize, V: Serialize>(
    dir: &std::path::Path,
    partition: i32,
    time: BatchTime,
    top: &[(K, V)],
) -> Result<(), StreamingError> {
    let io = |what: &str, e| StreamingError::io(format!("{what} {}", dir.display()), e);
    std::fs::create_dir_all(dir).map_err(|e| io("creating", e))?;
    // (batch time, pairs)
    let json = serde_json::to_vec(&(time.milliseconds(), top))
        .map_err(|e| StreamingError::Custom(format!("global: cannot encode the ranking: {e}")))?;
    let tmp = dir.join(format!(".{partition}-{}.tmp", std::process::id()));
    std::fs::write(&tmp, json)
        .and_then(|()| std::fs::rename(&tmp, dir.join(format!("{partition}.json"))))
        .map_err(|e| io("writing a ranking to", e))
}
