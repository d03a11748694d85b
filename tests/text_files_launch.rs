//! `text_files` loses no file moved in right after launch: 50 launches of the
//! `running_counts` example, each with a file written and moved into its directory the
//! moment the process is spawned (before the pipeline exists, most of the time). Spark's
//! rule decides: a file modified after the program started is new.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::process::{append_to, example_path, read_totals};

/// One launch: true when the file's words reached the totals.
fn launch(work: &Path) -> bool {
    let input = work.join("in");
    std::fs::create_dir_all(&input).unwrap();
    let totals = work.join("totals.txt");
    let mut child = Command::new(example_path("running_counts"))
        .args(["--no-producer"])
        .arg("--input")
        .arg(&input)
        .arg("--checkpoint")
        .arg(work.join("checkpoint"))
        .arg("--totals")
        .arg(&totals)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(append_to(&work.join("child.log")))
        .spawn()
        .unwrap();
    // Written after launch, moved in at once (the atomic way).
    let staged = work.join("launch.txt");
    std::fs::write(&staged, "launchword launchword launchword\n").unwrap();
    std::fs::rename(&staged, input.join("launch.txt")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let found = loop {
        if read_totals(&totals).get("launchword") == Some(&3) {
            break true;
        }
        if Instant::now() >= deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = child.kill();
    let _ = child.wait();
    found
}

#[test]
fn no_file_moved_in_right_after_launch_is_lost() {
    let work = tempfile::tempdir().unwrap();
    // Five launches at a time, fifty in all.
    let lost: Vec<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..5)
            .map(|t| {
                let root = work.path().to_path_buf();
                s.spawn(move || {
                    (0..10)
                        .map(|i| t * 10 + i)
                        .filter(|n| !launch(&root.join(format!("launch-{n}"))))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(lost.is_empty(), "launches whose file was lost: {lost:?}");
}
