//! Receivers and the file source over real sockets (127.0.0.1) and directories. Time never
//! drives the tests: they wait for conditions (records received, counters reached) with a
//! generous timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use streaming_runtime::line_feed::{LineFeed, ReplayOptions, ReplayServer};
use streaming_runtime::source::{SocketReceiver, SocketSource, socket, text_files};
use streaming_runtime::{
    BatchTime, IntoSource, MetricsSnapshot, Receiver, Source, SourceControl, SourceMetrics, Store,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

const WAIT: Duration = Duration::from_secs(30);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A started socket source, taken from batch by batch like the scheduler and job would.
struct Running {
    source: SocketSource,
    control: Arc<dyn SourceControl>,
    batch: u64,
}

impl Running {
    fn start(rt: &Runtime, receiver: SocketReceiver) -> Self {
        let source = receiver.into_source();
        let control = source.control();
        control.start(rt.handle()).unwrap();
        Running {
            source,
            control,
            batch: 0,
        }
    }

    fn metrics(&self) -> MetricsSnapshot {
        self.control.metrics().snapshot()
    }

    fn wait_records(&self, n: u64) {
        let ok = self.control.metrics().wait_for_records(n, WAIT);
        assert!(ok, "expected {n} records, got {:?}", self.metrics());
    }

    /// Seals and takes the next batch.
    fn take(&mut self) -> Vec<String> {
        self.batch += 1;
        let time = BatchTime::from_millis(self.batch * 1000);
        self.control.seal(time);
        let block = self.source.next_batch(time).unwrap();
        block.iter().map(String::from).collect()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.control.stop();
    }
}

fn fast_reconnect(r: SocketReceiver) -> SocketReceiver {
    r.reconnect_backoff(Duration::from_millis(5), Duration::from_millis(50))
}

async fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

#[test]
fn socket_receives_exactly_the_lines_sent() {
    let rt = runtime();
    let (listener, port) = rt.block_on(listener());
    let lines: Vec<String> = (0..20_000).map(|i| format!("line {i} ünïcode €")).collect();
    let payload = lines.join("\n") + "\n";
    let bytes = payload.len() as u64;
    rt.spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        s.write_all(payload.as_bytes()).await.unwrap();
        std::future::pending::<()>().await; // keep the connection open
        drop(s);
    });
    let mut r = Running::start(&rt, socket("127.0.0.1", port));
    r.wait_records(lines.len() as u64);
    assert_eq!(r.take(), lines);
    assert!(r.take().is_empty());
    let m = r.metrics();
    assert_eq!((m.records, m.bytes), (lines.len() as u64, bytes));
    assert_eq!((m.connects, m.disconnects), (1, 0));
    assert_eq!(
        (m.invalid_utf8, m.truncated_lines, m.partial_lines, m.errors),
        (0, 0, 0, 0)
    );
    assert_eq!(m.name, format!("socket 127.0.0.1:{port}"));
}

#[test]
fn socket_survives_bad_input_and_reconnects() {
    let rt = runtime();
    let (listener, port) = rt.block_on(listener());
    let mut first: Vec<u8> = Vec::new();
    first.extend_from_slice(b"good1\n");
    first.extend_from_slice(b"bad\xff\xfe\r\n");
    first.extend(std::iter::repeat_n(b'x', 10 << 20));
    first.extend_from_slice(b"\nafter-long\n\n\r\nmid-li");
    let total = first.len() as u64 + b"after-reconnect\n".len() as u64;
    rt.spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        s.write_all(&first).await.unwrap();
        drop(s); // closes mid-line
        let (mut s, _) = listener.accept().await.unwrap();
        s.write_all(b"after-reconnect\n").await.unwrap();
        std::future::pending::<()>().await;
        drop(s);
    });
    let mut r = Running::start(&rt, fast_reconnect(socket("127.0.0.1", port)));
    r.wait_records(8);
    let got = r.take();
    assert_eq!(
        got.len(),
        8,
        "{:?}",
        &got.iter().map(|l| l.len()).collect::<Vec<_>>()
    );
    assert_eq!(got[0], "good1");
    assert_eq!(got[1], "bad\u{FFFD}\u{FFFD}");
    assert_eq!(
        got[2].len(),
        streaming_runtime::receiver::lines::DEFAULT_MAX_LINE_BYTES
    );
    assert!(got[2].bytes().all(|b| b == b'x'));
    assert_eq!(
        &got[3..],
        ["after-long", "", "", "mid-li", "after-reconnect"]
    );
    let m = r.metrics();
    assert_eq!(m.invalid_utf8, 1);
    assert_eq!(m.truncated_lines, 1);
    assert_eq!(m.partial_lines, 1);
    assert_eq!((m.connects, m.disconnects), (2, 1));
    assert_eq!(m.bytes, total);
    assert_eq!(m.errors, 0);
}

#[test]
fn socket_retries_until_the_server_is_up() {
    let rt = runtime();
    let port = rt.block_on(listener()).1; // bound and released: nobody listens there now
    let mut r = Running::start(&rt, fast_reconnect(socket("127.0.0.1", port)));
    wait_until("connection attempts", || r.metrics().disconnects >= 3);
    assert_eq!(r.metrics().connects, 0);
    rt.spawn(async move {
        let l = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let (mut s, _) = l.accept().await.unwrap();
        s.write_all(b"hello\n").await.unwrap();
        std::future::pending::<()>().await;
        drop(s);
    });
    r.wait_records(1);
    assert_eq!(r.take(), ["hello"]);
    assert_eq!(r.metrics().connects, 1);
}

#[test]
fn a_full_buffer_stops_reading_the_socket() {
    const BUFFER: usize = 256 << 10;
    const TOTAL_LINES: u64 = 2 << 20; // 128 MiB: far more than loopback buffers hold
    fn line(i: u64) -> String {
        format!("{i:015}-{}", "x".repeat(48)) // 64 bytes
    }
    let rt = runtime();
    let (listener, port) = rt.block_on(listener());
    let written = Arc::new(AtomicU64::new(0));
    let written2 = Arc::clone(&written);
    rt.spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut i = 0;
        while i < TOTAL_LINES {
            let mut chunk = String::with_capacity(64 << 10);
            for _ in 0..1024 {
                chunk.push_str(&line(i));
                chunk.push('\n');
                i += 1;
            }
            if s.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
            written2.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
    });
    let mut r = Running::start(&rt, socket("127.0.0.1", port).buffer_bytes(BUFFER));
    let store = Arc::clone(r.source.store());
    wait_until("the buffer to fill", || store.buffered_bytes() >= BUFFER);
    // Kernel buffers fill up next; then the writer is stuck.
    let mut last = (0, Instant::now());
    wait_until("the writer to stall", || {
        let now = written.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, Instant::now());
        }
        last.1.elapsed() > Duration::from_millis(300)
    });
    let m = r.metrics();
    assert!(
        written.load(Ordering::Relaxed) < TOTAL_LINES * 64,
        "the writer was not slowed down"
    );
    // One read (256 KiB) may wait to be pushed on top of a full buffer.
    assert!(
        store.buffered_bytes() < BUFFER + (1 << 20),
        "{}",
        store.buffered_bytes()
    );
    assert!(
        m.bytes < 2 << 20,
        "read {} bytes into a {BUFFER} byte buffer",
        m.bytes
    );

    // Taking batches lets data flow again, with nothing lost or reordered.
    let mut next = 0u64;
    let deadline = Instant::now() + WAIT;
    while next < 100_000 {
        assert!(Instant::now() < deadline, "only {next} lines arrived");
        for got in r.take() {
            assert_eq!(got, line(next));
            next += 1;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(r.metrics().disconnects, 0);
}

#[test]
fn stop_ends_a_receiver_waiting_to_reconnect() {
    let rt = runtime();
    rt.block_on(async {
        let port = listener().await.1;
        let store = Arc::new(Store::new(1 << 20, Arc::new(SourceMetrics::new("t"))));
        let receiver = socket("127.0.0.1", port)
            .reconnect_backoff(Duration::from_secs(600), Duration::from_secs(600));
        let task = tokio::spawn(receiver.receive(Arc::clone(&store)));
        wait_for(|| store.metrics().snapshot().disconnects >= 1).await;
        store.stop();
        let result = tokio::time::timeout(WAIT, task).await.unwrap().unwrap();
        assert!(result.is_ok());
    });
}

fn write(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// A file last modified an hour ago: there before the program started.
fn write_old(path: &std::path::Path, text: &str) {
    write(path, text);
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
}

fn batch(source: &mut impl Source<Batch = streaming_runtime::LineBlock>, ms: u64) -> Vec<String> {
    let time = BatchTime::from_millis(ms);
    source.control().seal(time);
    source
        .next_batch(time)
        .unwrap()
        .iter()
        .map(String::from)
        .collect()
}

#[test]
fn text_files_reads_each_new_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    write_old(&dir.path().join("old.txt"), "pre-existing\n");
    let mut source = text_files(dir.path());
    assert!(batch(&mut source, 1000).is_empty());

    // Written elsewhere, then moved in (the atomic way); hidden and `_` files are ignored.
    write(
        &outside.path().join("a"),
        "a1\r\na2\n\nbad \u{FFFD}\nlast-no-newline",
    );
    std::fs::rename(outside.path().join("a"), dir.path().join("new1.txt")).unwrap();
    write(&dir.path().join(".new2.txt.tmp"), "in progress\n");
    write(&dir.path().join("_COPYING_"), "in progress\n");
    std::fs::create_dir(dir.path().join("subdir")).unwrap();
    write(&dir.path().join("subdir").join("inner.txt"), "nested\n");
    assert_eq!(
        batch(&mut source, 2000),
        ["a1", "a2", "", "bad \u{FFFD}", "last-no-newline"]
    );
    assert!(batch(&mut source, 3000).is_empty(), "a file is read once");

    // The temp file is complete once renamed.
    std::fs::rename(
        dir.path().join(".new2.txt.tmp"),
        dir.path().join("new2.txt"),
    )
    .unwrap();
    write(&dir.path().join("new3.txt"), "three\n");
    // Ordered by modification time, then name.
    assert_eq!(batch(&mut source, 4000), ["in progress", "three"]);

    let m = source.control().metrics().snapshot();
    assert_eq!(m.records, 7);
    assert_eq!((m.errors, m.partial_lines, m.invalid_utf8), (0, 0, 0));
}

/// Spark's rule for the files already there: one modified since the program started landed
/// after launch (before the pipeline was built) and is read; an older one is not.
#[test]
fn text_files_reads_files_written_after_launch_but_before_the_source() {
    let dir = tempfile::tempdir().unwrap();
    write_old(&dir.path().join("before-launch.txt"), "old\n");
    write(&dir.path().join("after-launch.txt"), "new\n");
    let mut source = text_files(dir.path());
    assert_eq!(batch(&mut source, 1000), ["new"]);
    assert!(batch(&mut source, 2000).is_empty());
}

#[test]
fn text_files_counts_bad_input_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut source = text_files(dir.path()).max_line_bytes(4);
    std::fs::write(dir.path().join("bin"), b"ok\n\xff\xfe\n123456789\n").unwrap();
    assert_eq!(batch(&mut source, 1), ["ok", "\u{FFFD}\u{FFFD}", "1234"]);
    // Deleted between listing (seal) and reading (next_batch): counted and skipped.
    write(&dir.path().join("gone"), "x\n");
    write(&dir.path().join("kept"), "y\n");
    let control = source.control();
    control.seal(BatchTime::from_millis(2));
    std::fs::remove_file(dir.path().join("gone")).unwrap();
    let got: Vec<String> = source
        .next_batch(BatchTime::from_millis(2))
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(got, ["y"]);
    let m = control.metrics().snapshot();
    assert_eq!(
        (m.invalid_utf8, m.truncated_lines, m.errors, m.records),
        (1, 1, 1, 4)
    );
    assert_eq!(m.bytes, 16 + 2);
}

#[test]
fn text_files_waits_for_a_missing_directory() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("later");
    let mut source = text_files(&dir);
    assert!(batch(&mut source, 1).is_empty());
    assert!(batch(&mut source, 2).is_empty());
    assert_eq!(
        source.control().metrics().snapshot().errors,
        1,
        "logged once per outage"
    );
    std::fs::create_dir(&dir).unwrap();
    write(&dir.join("f"), "first\n");
    assert_eq!(batch(&mut source, 3), ["first"]);
    assert!(batch(&mut source, 4).is_empty());
    assert!(!source.control().is_finished());
}

async fn read_all(addr: std::net::SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[test]
fn replay_serves_every_client_from_the_start() {
    let rt = runtime();
    rt.block_on(async {
        let server = ReplayServer::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let stats = server.stats();
        let task = server.serve(LineFeed::from_lines(["a", "b", "c"]), ReplayOptions::new());
        let (one, two) = tokio::join!(read_all(addr), read_all(addr));
        assert_eq!(one, "a\nb\nc\n");
        assert_eq!(two, "a\nb\nc\n");
        assert_eq!(stats.lines_sent(), 6);
        assert_eq!(stats.bytes_sent(), 12);
        assert_eq!(stats.clients_total(), 2);
        task.abort();
    });
}

#[test]
fn replay_loops_and_paces_without_losing_lines() {
    let rt = runtime();
    rt.block_on(async {
        let server = ReplayServer::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let stats = server.stats();
        let feed = LineFeed::from_fn(|| (0..3).map(|i| format!("n{i}")));
        let task = server.serve(feed, ReplayOptions::new().repeat(true));
        let mut s = TcpStream::connect(addr).await.unwrap();
        let mut got = Vec::new();
        while got.iter().filter(|&&b| b == b'\n').count() < 12 {
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "a looping server does not end");
            got.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8(got).unwrap();
        let lines: Vec<&str> = text.lines().take(12).collect();
        assert_eq!(lines, ["n0", "n1", "n2"].repeat(4));
        drop(s);
        assert!(stats.lines_sent() >= 12);
        wait_for(|| stats.clients() == 0).await;
        task.abort();

        // Paced: all lines still arrive; the counters add up (no timing assertion).
        let server = ReplayServer::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let stats = server.stats();
        let lines: Vec<String> = (0..200).map(|i| format!("paced {i}")).collect();
        let bytes: u64 = lines.iter().map(|l| l.len() as u64 + 1).sum();
        let task = server.serve(
            LineFeed::from_lines(lines.clone()),
            ReplayOptions::new().lines_per_second(20_000.0),
        );
        let got = read_all(addr).await;
        assert_eq!(got.lines().collect::<Vec<_>>(), lines);
        assert_eq!((stats.lines_sent(), stats.bytes_sent()), (200, bytes));
        task.abort();
    });
}

async fn wait_for(mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[test]
fn replay_from_file_into_a_socket_source() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.txt");
    let lines: Vec<String> = (0..50_000)
        .map(|i| format!("word{} word{}", i % 7, i % 13))
        .collect();
    let mut text = lines.join("\r\n");
    text.push('\n');
    write(&path, &text);
    let feed = LineFeed::from_file(&path).unwrap();
    assert!(LineFeed::from_file(dir.path().join("missing")).is_err());

    let (addr, stats) = rt.block_on(async {
        let server = ReplayServer::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let stats = server.stats();
        server.serve(feed, ReplayOptions::new());
        (addr, stats)
    });
    // A long backoff: the server closes after one pass and must not be read twice here.
    let receiver = socket("127.0.0.1", addr.port())
        .reconnect_backoff(Duration::from_secs(60), Duration::from_secs(60));
    let mut r = Running::start(&rt, receiver);
    r.wait_records(lines.len() as u64);
    assert_eq!(r.take(), lines);
    assert_eq!(stats.lines_sent(), lines.len() as u64);
    wait_until("the disconnect", || r.metrics().disconnects == 1);
    assert_eq!(r.metrics().partial_lines, 0);
}

/// Runs as a child process of `stdin_reads_lines_until_eof`, reading the child's stdin.
#[test]
#[ignore = "run by stdin_reads_lines_until_eof"]
fn stdin_child() {
    if std::env::var_os("RECEIVERS_STDIN_CHILD").is_none() {
        return;
    }
    let rt = runtime();
    let mut source = streaming_runtime::source::stdin()
        .max_line_bytes(8)
        .into_source();
    let control = source.control();
    control.start(rt.handle()).unwrap();
    let mut lines = Vec::new();
    for ms in 1.. {
        control.seal(BatchTime::from_millis(ms));
        let block = source.next_batch(BatchTime::from_millis(ms)).unwrap();
        lines.extend(block.iter().map(String::from));
        if control.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let m = control.metrics().snapshot();
    println!(
        "RESULT {lines:?} {} {} {}",
        m.invalid_utf8, m.truncated_lines, m.partial_lines
    );
}

#[test]
fn stdin_reads_lines_until_eof() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "stdin_child", "--ignored", "--nocapture"])
        .env("RECEIVERS_STDIN_CHILD", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(b"a\r\n\nbad\xff\n0123456789\nlast")
        .unwrap();
    drop(input); // EOF
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let out = String::from_utf8(out.stdout).unwrap();
    let result = out.lines().find(|l| l.starts_with("RESULT")).unwrap();
    let want = ["a", "", "bad\u{FFFD}", "01234567", "last"];
    // invalid_utf8, truncated_lines, partial_lines (none: EOF on stdin is normal).
    assert_eq!(result, format!("RESULT {want:?} 1 1 0"));
}
