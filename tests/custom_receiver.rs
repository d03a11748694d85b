//! `source receiver(expr)` with a user-written `Receiver` (the README's example).

use std::sync::Arc;
use std::time::Duration;

use streaming::prelude::*;

/// Emits `count` sensor readings, then ends.
struct Sensor {
    count: u64,
}

impl Receiver for Sensor {
    type Block = Vec<(String, f64)>;

    fn name(&self) -> String {
        "sensor".into()
    }

    async fn receive(self, store: Arc<Store<Self::Block>>) -> Result<(), StreamingError> {
        for i in 0..self.count {
            if store.is_stopping() {
                break;
            }
            let room = if i % 2 == 0 { "kitchen" } else { "hall" };
            store.push(vec![(room.to_string(), i as f64)]).await;
        }
        Ok(())
    }
}

#[test]
fn a_custom_receiver_feeds_a_pipeline() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source receiver(Sensor { count: 10 })
            |> reduce_by_key(max)
            |> sort_by_key
            |> collect(out)
    };
    p.start().unwrap();
    assert!(
        p.source_metrics(0)
            .unwrap()
            .wait_for_records(10, Duration::from_secs(30))
    );
    p.run_batches(1).unwrap();
    assert_eq!(
        out.batches()[0].1,
        [("hall".to_string(), 9.0), ("kitchen".to_string(), 8.0)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_returns_when_every_source_has_ended() {
    let out = Collector::new();
    let p = stream_pipeline! {
        batch 100ms;
        source receiver(Sensor { count: 1000 })
            |> count
            |> collect(out)
    };
    tokio::time::timeout(Duration::from_secs(60), p.run())
        .await
        .expect("run must end with its source")
        .unwrap();
    let total: i64 = out.batches().iter().flat_map(|(_, v)| v).sum();
    assert_eq!(total, 1000, "no record lost at shutdown");
}
