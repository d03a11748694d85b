//! End to end over real TCP on 127.0.0.1: a test server, a `socket(..)` pipeline on the
//! manual clock (the test waits until the receiver has the lines, then runs one batch).

use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

use streaming::prelude::*;

const WAIT: Duration = Duration::from_secs(30);

/// Serves `conns` in order, one per accepted connection, then keeps the last one open
/// until the test ends (so the receiver does not reconnect in a loop).
fn serve(conns: Vec<Vec<u8>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let last = conns.len() - 1;
        let mut keep = Vec::new();
        for (i, bytes) in conns.into_iter().enumerate() {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let _ = stream.write_all(&bytes);
            if i == last {
                keep.push(stream); // held open
            } // else dropped: the server closes the connection
        }
        std::thread::sleep(Duration::from_secs(120));
        drop(keep);
    });
    port
}

#[test]
fn word_counts_over_a_socket_in_spark_layout() {
    let port = serve(vec![
        b"to be or not to be\nthat is the question\nto be\n".to_vec(),
    ]);
    let out = OutputBuffer::new();
    let counts = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let words = source socket("127.0.0.1", port)
            |> flat_map split
            |> reduce_by_key(+)
            |> sort desc;
        words |> print(4);
        words |> collect(counts)
    };
    p.print_to(out.clone());
    p.start().unwrap();
    assert!(
        p.source_metrics(0).unwrap().wait_for_records(3, WAIT),
        "lines did not arrive"
    );
    p.run_batches(2).unwrap();

    assert_eq!(
        out.contents(),
        "\
-------------------------------------------
Time: 1000 ms
-------------------------------------------
(be,3)
(to,3)
(is,1)
(not,1)
...

-------------------------------------------
Time: 2000 ms
-------------------------------------------

"
    );
    let first = &counts.batches()[0].1;
    assert_eq!(first.iter().map(|(_, n)| n).sum::<i64>(), 12);
    assert_eq!(first[0], ("be".to_string(), 3), "ties are broken by key");
}

#[test]
fn bad_input_is_counted_and_never_loses_the_lines_around_it() {
    let mut first = Vec::new();
    first.extend_from_slice(b"before\n");
    first.extend_from_slice(b"caf\xff\xfe\n");
    first.extend_from_slice(b"\n");
    first.extend(std::iter::repeat_n(b'x', 10 << 20));
    first.extend_from_slice(b"\nafter the long line\npartial-no-newline");
    let port = serve(vec![first, b"after reconnect\n".to_vec()]);

    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source socket("127.0.0.1", port).max_line_bytes(1 << 20)
            |> map |line| (line.len(), line.chars().take(24).collect::<String>())
            |> collect(out)
    };
    p.start().unwrap();
    assert!(
        p.source_metrics(0).unwrap().wait_for_records(7, WAIT),
        "lines did not arrive: {:?}",
        p.metrics()
    );
    p.run_batches(1).unwrap();

    let x = "x".repeat(24);
    let expected: Vec<(usize, String)> = vec![
        (6, "before".into()),
        ("caf\u{FFFD}\u{FFFD}".len(), "caf\u{FFFD}\u{FFFD}".into()),
        (0, String::new()),
        (1 << 20, x),
        (19, "after the long line".into()),
        (18, "partial-no-newline".into()),
        (15, "after reconnect".into()),
    ];
    assert_eq!(out.batches()[0].1, expected);
    let m = &p.metrics()[0];
    assert_eq!(
        (m.invalid_utf8, m.truncated_lines, m.partial_lines),
        (1, 1, 1),
        "{m:?}"
    );
    assert!(m.connects >= 2 && m.disconnects >= 1, "{m:?}");
    assert_eq!(m.records, 7);
}
