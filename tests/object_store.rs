//! Checkpoints and fencing on an object store (`checkpoint "s3://bucket/prefix"`), against a
//! real S3-compatible server (s3s-fs, tests/common/s3.rs): two owners racing for one epoch,
//! a zombie's late checkpoint and batch log refused by the store itself, what a cluster
//! shares beside the checkpoints (the run id, the rankings), and the server stopped and
//! restarted in the middle of a run. The suite shared with the local directory is
//! tests/checkpoints.rs (`over_stores!`).

use std::path::Path;
use std::sync::Arc;

use streaming::cluster::{CheckpointStore, Fence, ObjectCheckpoints, open_store};
use streaming::prelude::*;

mod common;

use common::s3::{Location, Store, shared};

type Totals = Collector<(String, i64)>;

fn input() -> Vec<Vec<&'static str>> {
    vec![
        vec!["a b", "a"],
        vec!["b c"],
        vec![],
        vec!["a"],
        vec!["c c"],
        vec!["b"],
    ]
}

/// Running totals of the words, checkpointed every batch.
fn pipeline(location: &Path, totals: &Totals) -> Pipeline {
    let (dir, out) = (location.to_path_buf(), totals.clone());
    stream_pipeline! {
        batch 1s;
        checkpoint dir every 1s;
        source queue(input())
            |> flat_map split
            |> map |w| (w, 1i64)
            |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
            |> collect(out)
    }
}

fn url(loc: &Location) -> &str {
    loc.path().to_str().unwrap()
}

/// The totals after each batch of an uninterrupted run.
fn straight() -> Vec<(u64, Vec<(String, i64)>)> {
    let dir = tempfile::tempdir().unwrap();
    let totals = Totals::new();
    pipeline(dir.path(), &totals).run_batches(6).unwrap();
    times_and_values(&totals)
}

fn times_and_values(c: &Totals) -> Vec<(u64, Vec<(String, i64)>)> {
    common::times_and_values(c)
}

#[test]
fn of_two_owners_racing_for_one_epoch_exactly_one_wins() {
    let loc = Location::new(Store::Object);
    let (a, b) = (
        ObjectCheckpoints::open(url(&loc)).unwrap(),
        ObjectCheckpoints::open(url(&loc)).unwrap(),
    );
    // Both read the location before either claims: both would take epoch 1.
    assert_eq!(
        (a.read_pointer().unwrap(), b.read_pointer().unwrap()),
        (0, 0)
    );
    let claims = [a.try_claim().unwrap(), b.try_claim().unwrap()];
    assert_eq!(
        claims,
        [Some(1), None],
        "the second conditional write is refused"
    );

    // Again from epoch 1, the other one first this time.
    assert_eq!(
        (a.read_pointer().unwrap(), b.read_pointer().unwrap()),
        (1, 1)
    );
    let claims = [b.try_claim().unwrap(), a.try_claim().unwrap()];
    assert_eq!(claims, [Some(2), None]);

    // Through the fence: the loser reads again and takes the next epoch, which fences
    // the winner.
    let a: Arc<dyn CheckpointStore> = Arc::new(a);
    let first = Fence::acquire_in(a, "partition 0").unwrap();
    let second = Fence::acquire_in(open_store(loc.path()).unwrap(), "partition 0").unwrap();
    assert_eq!((first.epoch(), second.epoch()), (3, 4));
    assert!(second.check().is_ok());
    assert!(matches!(
        first.check(),
        Err(StreamingError::Fenced {
            epoch: 3,
            owner: 4,
            ..
        })
    ));
}

#[test]
fn a_zombies_late_checkpoint_is_refused_by_the_store() {
    let loc = Location::new(Store::Object);
    let expected = straight();

    // The first owner runs two batches, then pauses (a GC pause, a cut-off network).
    let zombie_store = open_store(loc.path()).unwrap();
    let zombie_fence = Fence::acquire_in(zombie_store.clone(), "partition 0").unwrap();
    let zombie_totals = Totals::new();
    let mut zombie = pipeline(loc.path(), &zombie_totals);
    zombie
        .fenced_by(zombie_fence.clone())
        .checkpoint_store(zombie_store.clone());
    zombie.run_batches(2).unwrap();
    // Its fence check passes now; then it pauses before writing its next checkpoint.
    zombie_fence.check().unwrap();

    // Meanwhile the partition moves: a new owner claims it, restores and goes on.
    let owner_store = open_store(loc.path()).unwrap();
    let owner_fence = Fence::acquire_in(owner_store.clone(), "partition 0").unwrap();
    let totals = Totals::new();
    let mut owner = pipeline(loc.path(), &totals);
    owner.fenced_by(owner_fence).checkpoint_store(owner_store);
    owner.run_batches(2).unwrap();
    assert_eq!(times_and_values(&totals), expected[2..4]);

    // The zombie wakes and writes the checkpoint it was about to: the store refuses it
    // (its conditional write of the pointer names a version that is gone), although no
    // fence check stands between it and the store.
    let err = zombie_store
        .publish_checkpoint(3000, b"the zombie's state".to_vec())
        .unwrap_err();
    assert!(
        matches!(
            err,
            StreamingError::Fenced {
                epoch: 1,
                owner: 2,
                ..
            }
        ),
        "{err:?}"
    );
    // Through its pipeline, the fence stops it before it writes anything.
    assert!(matches!(
        zombie.run_batches(1).unwrap_err(),
        StreamingError::Fenced { .. }
    ));

    // The new owner's state is intact: a restart resumes after its batch 4.
    let resumed = Totals::new();
    pipeline(loc.path(), &resumed).run_batches(2).unwrap();
    assert_eq!(times_and_values(&resumed), expected[4..6]);
}

/// A batch log is written before its batch runs; restored, it makes the next owner replay
/// the batch over exactly the same input. A zombie paused between its fence check and its
/// log write must not replace the new owner's log of the same batch: the logs are in the
/// pointer, so the store refuses the zombie's write as it refuses its checkpoint.
#[test]
fn a_zombies_late_batch_log_is_refused_by_the_store() {
    let loc = Location::new(Store::Object);
    let zombie = open_store(loc.path()).unwrap();
    Fence::acquire_in(zombie.clone(), "partition 0").unwrap();
    zombie.write_log(1000, b"zombie 1000".to_vec()).unwrap();

    let owner = open_store(loc.path()).unwrap();
    Fence::acquire_in(owner.clone(), "partition 0").unwrap();
    assert_eq!(
        owner.logs().unwrap(),
        [(1000, format!("batch-{:020}", 1000))]
    );
    owner.write_log(2000, b"owner 2000".to_vec()).unwrap();

    let err = zombie.write_log(2000, b"zombie 2000".to_vec()).unwrap_err();
    assert!(
        matches!(
            err,
            StreamingError::Fenced {
                epoch: 1,
                owner: 2,
                ..
            }
        ),
        "{err:?}"
    );
    // What a later owner replays is the owner's log.
    let next = open_store(loc.path()).unwrap();
    Fence::acquire_in(next.clone(), "partition 0").unwrap();
    let logs = next.logs().unwrap();
    assert_eq!(logs.len(), 2, "{logs:?}");
    assert_eq!(next.get(&logs[0].1).unwrap().unwrap(), b"owner 2000");
    // A publication drops the logs it covers.
    next.publish_checkpoint(1000, b"state".to_vec()).unwrap();
    assert_eq!(
        next.logs().unwrap(),
        [(2000, format!("batch-{:020}", 2000))]
    );
}

#[test]
fn batches_go_on_after_the_store_is_back_and_nothing_is_lost() {
    // The retries are logged (object_store's `info!`): shown with `--nocapture`.
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let loc = Location::new(Store::Object);
    let expected = straight();
    let totals = Totals::new();
    let mut p = pipeline(loc.path(), &totals);
    p.run_batches(2).unwrap();

    // The server goes away; it is back a moment later (a restart, a network blip). The
    // batches' requests in between are retried with backoff until it answers. The port is
    // held by a listener of the test's until the pipeline has knocked on it, so that the
    // outage is seen: the connection is closed unanswered, and the server restarted.
    let lock = || shared().lock().unwrap_or_else(|e| e.into_inner());
    let port = {
        let mut server = lock();
        server.kill();
        server.port
    };
    let down = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let restart = std::thread::spawn(move || {
        let knock = down.accept().map(|(conn, _)| conn);
        drop((knock, down));
        lock().restart();
    });
    p.run_batches(2).unwrap();
    restart.join().unwrap();
    p.run_batches(1).unwrap();
    assert_eq!(times_and_values(&totals), expected[..5]);
    drop(p);

    // What was checkpointed during the outage is there: a restart resumes after batch 5.
    let resumed = Totals::new();
    pipeline(loc.path(), &resumed).run_batches(1).unwrap();
    assert_eq!(times_and_values(&resumed), expected[5..6]);
}

#[test]
fn old_checkpoints_are_removed_and_only_the_newest_are_kept() {
    let loc = Location::new(Store::Object);
    let totals = Totals::new();
    pipeline(loc.path(), &totals).run_batches(6).unwrap();
    let files = loc.checkpoint_files();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(
        files[2].starts_with(&format!("checkpoint-{:020}-", 6000)),
        "{files:?}"
    );
}

/// What a cluster shares beside its partitions' checkpoints, on the store: the shuffle's
/// run id is created once (`If-None-Match: *`) by whichever task gets there first, and
/// every task reads that one. (The two tasks' requests interleave as the epoch race's
/// above do: s3s-fs checks a condition and writes in two steps, so truly simultaneous
/// requests would test the server, not us; S3 decides them atomically.)
#[test]
fn of_tasks_racing_to_create_the_run_id_exactly_one_creates_it() {
    let loc = Location::new(Store::Object);
    let (a, b) = (
        open_store(loc.path()).unwrap(),
        open_store(loc.path()).unwrap(),
    );
    // Both look first: neither finds a run.
    assert_eq!(
        (a.get("shuffle-run").unwrap(), b.get("shuffle-run").unwrap()),
        (None, None)
    );
    assert!(a.create("shuffle-run", b"1\n".to_vec()).unwrap());
    assert!(
        !b.create("shuffle-run", b"2\n".to_vec()).unwrap(),
        "the second is refused"
    );
    assert_eq!(
        b.get("shuffle-run").unwrap().unwrap(),
        b"1\n",
        "and reads the first's"
    );
}

/// The `global` rankings: records replaced whole, listed by prefix, and a location's
/// listing holds its own records, not those of the locations below it (a cluster's root
/// and its partitions' prefixes).
#[test]
fn records_are_replaced_whole_and_a_listing_holds_only_the_locations_own() {
    let loc = Location::new(Store::Object);
    let root = open_store(loc.path()).unwrap();
    let ranking = open_store(&loc.path().join("global-1")).unwrap();
    let partition = open_store(&loc.path().join("lines-0")).unwrap();
    ranking.put("p0-t1000-e1.json", b"[1]".to_vec()).unwrap();
    ranking.put("p0-t1000-e1.json", b"[2]".to_vec()).unwrap();
    ranking.put("p1-t1000-e1.json", b"[3]".to_vec()).unwrap();
    partition.write_log(1000, b"log".to_vec()).unwrap();
    root.put("shuffle-run", b"7\n".to_vec()).unwrap();
    assert_eq!(ranking.get("p0-t1000-e1.json").unwrap().unwrap(), b"[2]");
    let mut names = ranking.list("p").unwrap();
    names.sort();
    assert_eq!(names, ["p0-t1000-e1.json", "p1-t1000-e1.json"]);
    assert_eq!(root.list("").unwrap(), ["shuffle-run"]);
    ranking.delete("p0-t1000-e1.json").unwrap();
    assert_eq!(ranking.get("p0-t1000-e1.json").unwrap(), None);
}
