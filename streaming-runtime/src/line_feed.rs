//! A line server for demos and tests, the project's answer to `nc -lk 9999`: it listens on
//! TCP and streams lines to every client that connects, each client from the start of the
//! data, optionally paced and looped, so a `socket(..)` source has something to read. With
//! the `kafka` feature, `to_kafka` (written in `kafka/feed.rs`) writes the same lines to a
//! Kafka topic instead.
//!
//! ```ignore
//! let server = ReplayServer::bind("127.0.0.1:9999").await?;
//! let stats = server.stats();
//! let feed = LineFeed::from_file("words.txt")?;
//! let task = server.serve(feed, ReplayOptions::new().lines_per_second(10_000.0).repeat(true));
//! ```
//!
//! `clients` counts socket clients; a Kafka replay's `lines_sent` counts lines the brokers
//! acknowledged.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::task::{JoinHandle, JoinSet};
use tracing::{error, info, warn};

#[cfg(feature = "kafka")]
pub use crate::kafka::feed::{KafkaReplay, to_kafka};

/// Paced output is written in bursts this far apart rather than one sleep per line.
const BURST: Duration = Duration::from_millis(10);

/// Counters are published at least this often (in lines) while writing unpaced.
const PUBLISH_EVERY: u64 = 4096;

const WRITE_BUFFER_BYTES: usize = 64 << 10;

type LineIter = Box<dyn Iterator<Item = String> + Send>;

/// Where the lines come from. Each client (and each pass when looping) calls it again to
/// get a fresh iterator from the start. Lines should not contain `\n`.
#[derive(Clone)]
pub struct LineFeed(Arc<dyn Fn() -> LineIter + Send + Sync>);

impl LineFeed {
    /// These lines, shared by all clients.
    pub fn from_lines<I, S>(lines: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let lines: Arc<[String]> = lines.into_iter().map(Into::into).collect();
        LineFeed(Arc::new(move || {
            let lines = Arc::clone(&lines);
            Box::new((0..lines.len()).filter_map(move |i| lines.get(i).cloned()))
        }))
    }

    /// The lines of a text file, read lazily (so a large file is not held in memory) with
    /// lossy UTF-8 and `\r\n` handled. Fails now if the file cannot be opened; if it later
    /// cannot be reopened, that client gets no lines and an error is logged.
    pub fn from_file(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        File::open(&path)?;
        Ok(LineFeed(Arc::new(move || file_lines(&path))))
    }

    /// Lines from a generator, called once per client and pass.
    pub fn from_fn<F, I>(generate: F) -> Self
    where
        F: Fn() -> I + Send + Sync + 'static,
        I: IntoIterator<Item = String>,
        I::IntoIter: Send + 'static,
    {
        LineFeed(Arc::new(move || Box::new(generate().into_iter())))
    }

    pub(crate) fn lines(&self) -> LineIter {
        (self.0)()
    }
}

impl fmt::Debug for LineFeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LineFeed")
    }
}

fn file_lines(path: &Path) -> LineIter {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            error!(file = %path.display(), error = %e, "replay: cannot open the input file");
            return Box::new(std::iter::empty());
        }
    };
    let path = path.to_path_buf();
    let mut reader = BufReader::with_capacity(256 << 10, file);
    let mut buf = Vec::new();
    Box::new(std::iter::from_fn(move || {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                Some(String::from_utf8_lossy(line).into_owned())
            }
            Err(e) => {
                error!(file = %path.display(), error = %e, "replay: cannot read the input file");
                None
            }
        }
    }))
}

/// How lines are served.
#[derive(Clone, Debug, Default)]
pub struct ReplayOptions {
    /// Lines per second per client; `None` (or a rate that is not positive and finite)
    /// means as fast as the client reads.
    pub lines_per_second: Option<f64>,
    /// Start over at the end of the feed, forever (until the client disconnects).
    pub repeat: bool,
}

impl ReplayOptions {
    /// Options for a replay as fast as clients read, played once.
    pub fn new() -> Self {
        Self::default()
    }

    /// Paces the lines at `rate` lines per second per client (default: as fast as each
    /// client reads).
    pub fn lines_per_second(mut self, rate: f64) -> Self {
        self.lines_per_second = Some(rate);
        self
    }

    /// Starts over from the first line at the end of the data (default: play it once).
    pub fn repeat(mut self, repeat: bool) -> Self {
        self.repeat = repeat;
        self
    }

    pub(crate) fn rate(&self) -> Option<f64> {
        self.lines_per_second.filter(|r| r.is_finite() && *r > 0.0)
    }
}

/// Progress of a server, summed over its clients; cheap to read while it runs.
#[derive(Debug, Default)]
pub struct ReplayStats {
    lines_sent: AtomicU64,
    bytes_sent: AtomicU64,
    clients: AtomicU64,
    clients_total: AtomicU64,
}

impl ReplayStats {
    /// Lines written to clients (counting the newline in bytes).
    pub fn lines_sent(&self) -> u64 {
        self.lines_sent.load(Ordering::Relaxed)
    }

    /// Bytes written to clients, newlines included.
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent.load(Ordering::Relaxed)
    }

    /// Clients connected now.
    pub fn clients(&self) -> u64 {
        self.clients.load(Ordering::Relaxed)
    }

    /// Clients accepted since the server started.
    pub fn clients_total(&self) -> u64 {
        self.clients_total.load(Ordering::Relaxed)
    }

    pub(crate) fn add(&self, lines: u64, bytes: u64) {
        self.lines_sent.fetch_add(lines, Ordering::Relaxed);
        self.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// A bound listener, ready to [`serve`](ReplayServer::serve).
#[derive(Debug)]
pub struct ReplayServer {
    listener: TcpListener,
    stats: Arc<ReplayStats>,
}

impl ReplayServer {
    /// Binds `addr`, e.g. `"127.0.0.1:9999"` (port 0 picks a free port).
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Ok(ReplayServer {
            listener: TcpListener::bind(addr).await?,
            stats: Arc::default(),
        })
    }

    /// The address the server listens on (the port the system chose for port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The server's counters, to print progress while it serves.
    pub fn stats(&self) -> Arc<ReplayStats> {
        Arc::clone(&self.stats)
    }

    /// Serves on a new task of the current tokio runtime (call it from inside one).
    /// Aborting the returned handle closes the listener and every client connection.
    pub fn serve(self, feed: LineFeed, options: ReplayOptions) -> JoinHandle<()> {
        tokio::spawn(self.run(feed, options))
    }

    /// Serves forever on the calling task.
    pub async fn run(self, feed: LineFeed, options: ReplayOptions) {
        let addr = self.listener.local_addr().ok();
        info!(addr = ?addr, rate = ?options.rate(), repeat = options.repeat, "replay: serving");
        // Owning the client tasks here means they end when this future is dropped.
        let mut clients = JoinSet::new();
        loop {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        self.stats.clients_total.fetch_add(1, Ordering::Relaxed);
                        let client = Client {
                            stats: Arc::clone(&self.stats),
                            peer,
                        };
                        clients.spawn(client.serve(stream, feed.clone(), options.clone()));
                    }
                    Err(e) => {
                        // E.g. out of file descriptors: wait a little instead of spinning.
                        warn!(error = %e, "replay: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                Some(_) = clients.join_next(), if !clients.is_empty() => {}
            }
        }
    }
}

struct Client {
    stats: Arc<ReplayStats>,
    peer: SocketAddr,
}

impl Client {
    async fn serve(self, stream: TcpStream, feed: LineFeed, options: ReplayOptions) {
        self.stats.clients.fetch_add(1, Ordering::Relaxed);
        info!(peer = %self.peer, "replay: client connected");
        let _ = stream.set_nodelay(true);
        let mut out = BufWriter::with_capacity(WRITE_BUFFER_BYTES, stream);
        match self.send(&mut out, &feed, &options).await {
            Ok(()) => info!(peer = %self.peer, "replay: all lines sent"),
            Err(e) if is_disconnect(&e) => info!(peer = %self.peer, "replay: client disconnected"),
            Err(e) => warn!(peer = %self.peer, error = %e, "replay: write failed"),
        }
        let _ = out.shutdown().await;
        self.stats.clients.fetch_sub(1, Ordering::Relaxed);
    }

    async fn send(
        &self,
        out: &mut BufWriter<TcpStream>,
        feed: &LineFeed,
        options: &ReplayOptions,
    ) -> io::Result<()> {
        let mut pace = Pace::new(options);
        // Counted locally and published in bulk, not per line.
        let (mut lines, mut bytes) = (0u64, 0u64);
        loop {
            let mut any = false;
            for line in feed.lines() {
                any = true;
                if let Some(wake) = pace.ahead() {
                    // Ahead of schedule: flush what is pending and sleep, then catch up
                    // with a burst.
                    out.flush().await?;
                    self.stats.add(lines, bytes);
                    (lines, bytes) = (0, 0);
                    tokio::time::sleep_until(wake.into()).await;
                }
                out.write_all(line.as_bytes()).await?;
                out.write_all(b"\n").await?;
                pace.sent();
                lines += 1;
                bytes += line.len() as u64 + 1;
                if lines >= PUBLISH_EVERY {
                    self.stats.add(lines, bytes);
                    (lines, bytes) = (0, 0);
                }
            }
            if !options.repeat || !any {
                break;
            }
        }
        let flushed = out.flush().await;
        self.stats.add(lines, bytes);
        flushed
    }
}

/// When lines are due at a rate: the schedule both the socket server and [`to_kafka`]
/// keep.
pub(crate) struct Pace {
    rate: Option<f64>,
    start: std::time::Instant,
    sent: u64,
}

impl Pace {
    pub(crate) fn new(options: &ReplayOptions) -> Self {
        Pace {
            rate: options.rate(),
            start: std::time::Instant::now(),
            sent: 0,
        }
    }

    /// `Some(when)` if the next line is not due yet: sleep until then (at least one burst
    /// interval, so that lines go out in bursts rather than one sleep each).
    pub(crate) fn ahead(&self) -> Option<std::time::Instant> {
        let rate = self.rate?;
        let due = Duration::try_from_secs_f64(self.sent as f64 / rate).ok();
        let due = due.and_then(|d| self.start.checked_add(d));
        let now = std::time::Instant::now();
        if due.is_some_and(|due| due <= now) {
            return None;
        }
        Some(
            due.unwrap_or(now + Duration::from_secs(3600))
                .max(now + BURST),
        )
    }

    pub(crate) fn sent(&mut self) {
        self.sent += 1;
    }
}

fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_reject_nonsense_rates() {
        assert_eq!(ReplayOptions::new().lines_per_second(0.0).rate(), None);
        assert_eq!(ReplayOptions::new().lines_per_second(f64::NAN).rate(), None);
        assert_eq!(ReplayOptions::new().lines_per_second(-1.0).rate(), None);
        assert_eq!(ReplayOptions::new().lines_per_second(5.0).rate(), Some(5.0));
    }

    #[test]
    fn feeds_restart_from_the_beginning() {
        let feed = LineFeed::from_lines(["a", "b"]);
        assert_eq!(feed.lines().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(feed.lines().collect::<Vec<_>>(), ["a", "b"]);
        let feed = LineFeed::from_fn(|| (0..3).map(|i| i.to_string()));
        assert_eq!(feed.lines().collect::<Vec<_>>(), ["0", "1", "2"]);
    }
}
