//! The sinks through the crate's public API, as generated code and users see them.

use std::fmt;

use streaming_runtime::show::Spark;
use streaming_runtime::sink::{collect, foreach_batch, print, save_as_text_files};
use streaming_runtime::{
    BatchContext, BatchTime, Collector, CompactBuffer, IntoOwned, OutputBuffer,
};

#[derive(Clone, Debug, PartialEq)]
struct Point {
    x: i32,
    y: i32,
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} {}>", self.x, self.y)
    }
}

streaming_runtime::spark_display_via_display!(Point);
streaming_runtime::into_owned_by_identity!(Point);

fn t(ms: u64) -> BatchTime {
    BatchTime::from_millis(ms)
}

#[test]
fn print_into_an_output_buffer() {
    let buffer = OutputBuffer::new();
    let mut out = buffer.clone();
    let line = String::from("to be or not to be");
    for (k, ms) in [(Some(2), 1000), (Some(10), 2000)] {
        let mut ctx = BatchContext::new(t(ms), BatchTime::ZERO, 4, &mut out);
        let mut part = print::fold(line.split(' ').map(|w| (w, 1)), k);
        print::merge(&mut part, print::fold(std::iter::once(("x", 2)), k), k);
        print::finish(&mut ctx, &part, k).unwrap();
    }
    assert_eq!(
        buffer.take(),
        "-------------------------------------------\n\
         Time: 1000 ms\n\
         -------------------------------------------\n\
         (to,1)\n\
         (be,1)\n\
         ...\n\
         \n\
         -------------------------------------------\n\
         Time: 2000 ms\n\
         -------------------------------------------\n\
         (to,1)\n\
         (be,1)\n\
         (or,1)\n\
         (not,1)\n\
         (to,1)\n\
         (be,1)\n\
         (x,2)\n\
         \n"
    );
}

#[test]
fn user_types_print_and_collect() {
    let p = Point { x: 1, y: -2 };
    assert_eq!(Spark(&("p", &p)).to_string(), "(p,<1 -2>)");
    assert_eq!(
        Spark(&("k", CompactBuffer::from([p.clone()]))).to_string(),
        "(k,CompactBuffer(<1 -2>))"
    );
    let owned: (String, Point) = ("p", &p).into_owned();
    assert_eq!(owned, ("p".to_string(), p.clone()));

    let c = Collector::new();
    let batch = [("a", p.clone())];
    collect::finish(
        &c,
        t(1000),
        streaming_runtime::owned::collect_owned(batch.iter(), batch.len()),
    );
    assert_eq!(c.elements(), vec![("a".to_string(), p)]);
}

#[test]
fn save_then_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let prefix = tmp.path().join("out/words");
    let prefix = prefix.to_str().unwrap();
    let mut sink = Vec::new();
    for ms in [1000, 2000] {
        let mut ctx = BatchContext::new(t(ms), BatchTime::ZERO, 1, &mut sink);
        let batch = vec![("w", ms as f64 / 1000.0), ("z", 0.5)];
        save_as_text_files::finish(&mut ctx, prefix, Some("txt"), &batch).unwrap();
    }
    let dir = save_as_text_files::batch_dir(prefix, Some("txt"), t(2000));
    assert!(dir.ends_with("words-2000.txt"));
    assert_eq!(
        std::fs::read_to_string(dir.join("part-00000")).unwrap(),
        "(w,2.0)\n(z,0.5)\n"
    );
    assert!(dir.join("_SUCCESS").is_file());
    assert!(sink.is_empty());
}

#[test]
fn foreach_batch_sees_time_and_elements() {
    let seen = Collector::new();
    let handle = seen.clone();
    foreach_batch::finish(t(3000), vec![1, 2], |time, batch| handle.push(time, batch)).unwrap();
    let r = foreach_batch::finish(t(4000), vec![3], |_, batch| {
        if batch.len() > 2 {
            Ok(())
        } else {
            Err("too small")
        }
    });
    assert_eq!(r.unwrap_err().to_string(), "too small");
    assert_eq!(seen.batches(), vec![(t(3000), vec![1, 2])]);
}
