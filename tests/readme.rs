//! The README's pipelines compile as written (they are built, not run: building starts
//! nothing until `run` or `run_batches`).

use streaming::prelude::*;

#[test]
fn the_cards_pipeline_compiles() {
    let p: Pipeline = stream_pipeline! {
        batch 1s;
        source socket("localhost", 9999)
            |> flat_map split
            |> filter starts_with("#")
            |> window(300s, 1s) reduce(+, -)
            |> sort desc
            |> print
    };
    assert_eq!(p.config().batch_interval, std::time::Duration::from_secs(1));
}

#[test]
fn the_writing_pipelines_example_compiles() {
    let (host, port) = ("localhost", 9999);
    let _ = (host, port);
    let p: Pipeline = stream_pipeline! {
        batch 2s;                        // required: the batch interval (ms, s, m, h)
        parallelism 4;                   // optional: threads per batch (default: all cores)

        let lines = source socket(host, port);            // a named stream
        let errors = lines |> filter contains("ERROR");
        errors |> count |> print;                         // a stream used twice is
        errors |> map |l| l.to_uppercase() |> print(5);   // computed once per batch
        lines |> union(errors) |> count |> print
    };
    assert_eq!(p.parallelism(), 4);
}

#[test]
fn the_checkpoint_example_compiles() {
    let _p: Pipeline = stream_pipeline! {
        batch 200ms;
        checkpoint "checkpoint/" every 1s;   // `every` defaults to Spark's rule: the smallest
                                              // multiple of the slides that is at least 10 s
        source text_files("in/") |> flat_map split |> map |w| (w, 1i64)
            |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
            |> print
    };
}

#[cfg(feature = "kafka")]
#[test]
fn the_kafka_example_compiles() {
    let _p: Pipeline = stream_pipeline! {
        batch 1s;
        checkpoint "checkpoint/";
        source kafka("127.0.0.1:9092", "tweets").group("hashtags").from_earliest()
            |> flat_map split
            |> filter starts_with("#")
            |> reduce_by_key(+)
            |> save_to_kafka("127.0.0.1:9092", "hashtag_counts")
    };
}

#[test]
fn the_streaming_page_example_compiles() {
    let p: Pipeline = stream_pipeline! {
        batch 1s;
        ui "127.0.0.1:4040";                 // Spark's UI port; or `ui addr;` with a variable
        source socket("localhost", 9999) |> flat_map split |> reduce_by_key(+) |> print
    };
    assert_eq!(p.config().ui.as_deref(), Some("127.0.0.1:4040"));
    assert!(p.config().text.contains("reduce_by_key(+)"));
}

#[test]
fn the_typed_input_example_compiles() {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Click<'a> {
        user: &'a str,
        page: &'a str,
        ms: u64,
    }
    let _p: Pipeline = stream_pipeline! {
        batch 1s;
        source text_files("clicks/")
            |> parse json::<Click> malformed(bad)          // permissive: bad rows → `bad`
            |> map |c| (c.page, c.ms)
            |> reduce_by_key(max)
            |> print;
        bad |> print                                         // each with its text and place
    };
}

#[test]
fn the_nexmark_example_compiles() {
    let p: Pipeline = stream_pipeline! {
        batch 1s;
        source nexmark().events(1_000_000).rate(50_000)
            |> event_time(|e| e.timestamp()) watermark 0s
            |> flat_map |e| e.bid()
            |> map |b| ((), b.price)
            |> event_window(10s, 10s) reduce_by_key(max)       // q7's highest price
            |> print
    };
    assert_eq!(p.config().batch_interval, std::time::Duration::from_secs(1));
}

#[test]
fn the_mllib_example_compiles() {
    use streaming::mllib::{LabeledPoint, kmeans, parse_vector};

    let km = kmeans(3).decay_factor(1.0).random_centers(2, 0.0, 42);
    let _p: Pipeline = stream_pipeline! {
        batch 1s;
        let m = model(km);
        source text_files("train/")
            |> flat_map(parse_vector)
            |> train_on(m);
        source text_files("test/")
            |> flat_map(LabeledPoint::parse)
            |> map |p| (p.label, p.features)
            |> predict_on_values(m)
            |> print
    };
    assert_eq!(km.latest_model().centers.len(), 3);
}
