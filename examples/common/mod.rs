//! Shared by the examples: their start-up, so that each example file shows its pipeline
//! first, and their data. The start-up of each kind of example (socket, Kafka, cluster) is
//! one `run`: it takes the parsed common options and the function that builds the
//! pipeline, starts the built-in producer, turns the page on with `--ui` and runs until
//! `--seconds` or Ctrl-C. The producers let every example run alone with no second
//! terminal and no netcat: each serves generated lines on a local port with the runtime's
//! `ReplayServer` (the example's pipeline reads them with `socket(..)`) or writes them to a
//! Kafka topic.

#![allow(dead_code)] // each example uses part of this module

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser};
use streaming::line_feed::{LineFeed, ReplayOptions, ReplayServer};

/// What an example's `main` returns: an error is printed as Rust prints a `main`'s error.
pub type Result<T = (), E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

/// Completes after `seconds` (the examples' `--seconds`), or never.
pub async fn stop_after(seconds: Option<u64>) {
    match seconds {
        Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
        None => std::future::pending().await,
    }
}

/// `host:port`, the value of the option `option` (e.g. `--connect`).
pub fn host_port(option: &str, addr: &str) -> Result<(String, u16)> {
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| format!("{option} takes host:port, e.g. localhost:9999"))?;
    let port = port
        .parse()
        .map_err(|_| format!("bad port in {option} {addr}"))?;
    Ok((host.to_string(), port))
}

/// Creates the directory `file` is to be written in.
pub fn create_parent(file: &Path) -> std::io::Result<()> {
    match file.parent() {
        Some(dir) => std::fs::create_dir_all(dir),
        None => Ok(()),
    }
}

// The command line of the examples that read lines from a socket and take nothing else
// (`--ui` and the source's options). Not a doc comment: clap would show it as the
// examples' description in `--help`, in place of the last flattened struct's.
#[derive(Parser, Debug, Clone)]
pub struct SocketArgs {
    #[command(flatten)]
    pub ui: UiArgs,
    #[command(flatten)]
    pub source: SourceArgs,
}

impl SocketArgs {
    /// See [`SourceArgs::run`].
    pub async fn run(
        &self,
        generated: LineFeed,
        job: impl FnOnce(String, u16) -> streaming::Pipeline,
    ) -> Result {
        self.source.run(&self.ui, generated, job).await
    }
}

/// Options every socket example takes.
#[derive(Args, Debug, Clone)]
pub struct SourceArgs {
    /// Read from this server (`host:port`, e.g. a `replay` or `nc -lk 9999`) instead of
    /// starting the built-in producer.
    #[arg(long, value_name = "HOST:PORT")]
    pub connect: Option<String>,
    /// Serve this file's lines (looping) from the built-in producer instead of generated ones.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// Lines per second the built-in producer sends.
    #[arg(long, default_value_t = 2000.0)]
    pub rate: f64,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub seconds: Option<u64>,
}

impl SourceArgs {
    /// Where the pipeline should connect: the given server, or a built-in producer of
    /// `generated` lines (or of `--file`) started now on a free local port.
    pub async fn endpoint(&self, generated: LineFeed) -> Result<(String, u16)> {
        if let Some(addr) = &self.connect {
            return host_port("--connect", addr);
        }
        let feed = file_or(self.file.as_deref(), generated)?;
        let addr = start_producer(feed, self.rate).await?;
        eprintln!(
            "built-in producer: {} lines/s on {addr} (use --connect host:port to read another server)",
            self.rate
        );
        Ok((addr.ip().to_string(), addr.port()))
    }

    /// A socket example's start-up: the server to read (see [`SourceArgs::endpoint`]),
    /// then the pipeline `job(host, port)` run with `ui` until `--seconds` or Ctrl-C.
    pub async fn run(
        &self,
        ui: &UiArgs,
        generated: LineFeed,
        job: impl FnOnce(String, u16) -> streaming::Pipeline,
    ) -> Result {
        let (host, port) = self.endpoint(generated).await?;
        ui.apply(job(host, port))
            .run_until(stop_after(self.seconds))
            .await?;
        Ok(())
    }
}

/// What a built-in producer serves: the lines of `file` (the examples' `--file`), or
/// `generated`.
pub fn file_or(file: Option<&Path>, generated: LineFeed) -> Result<LineFeed> {
    match file {
        Some(path) => {
            Ok(LineFeed::from_file(path).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => Ok(generated),
    }
}

/// Serves `feed` forever (looping) on 127.0.0.1 at `rate` lines/s.
pub async fn start_producer(feed: LineFeed, rate: f64) -> std::io::Result<SocketAddr> {
    let server = ReplayServer::bind("127.0.0.1:0").await?;
    let addr = server.local_addr()?;
    server.serve(
        feed,
        ReplayOptions::new().lines_per_second(rate).repeat(true),
    );
    Ok(addr)
}

/// An embedded Kafka-protocol broker (tansu) for the Kafka examples, the one the tests use.
#[cfg(feature = "kafka")]
#[path = "../../tests/common/kafka.rs"]
pub mod kafka;

/// Options every Kafka example takes.
#[cfg(feature = "kafka")]
#[derive(Args, Debug, Clone)]
pub struct KafkaArgs {
    /// Kafka brokers (`host:port[,host:port]`). Default: an embedded tansu broker with a
    /// built-in producer.
    #[arg(long)]
    pub brokers: Option<String>,
    /// Do not start the built-in producer.
    #[arg(long)]
    pub no_producer: bool,
    /// Lines per second the built-in producer writes.
    #[arg(long, default_value_t = 2000.0)]
    pub rate: f64,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub seconds: Option<u64>,
}

#[cfg(feature = "kafka")]
impl KafkaArgs {
    /// The brokers to use and the built-in producer writing `feed` to the first of `topics`
    /// (see [`KafkaSetup::start`]). With the example's own broker, whose records start
    /// empty, the directories `fresh` (checkpoints and outputs: what they say of earlier
    /// records is void) are deleted.
    pub fn setup(
        &self,
        topics: &[(&str, i32)],
        feed: LineFeed,
        fresh: &[&Path],
    ) -> Result<KafkaSetup> {
        let producer = topics.first().filter(|_| !self.no_producer);
        let kafka = KafkaSetup::start(
            self.brokers.as_deref(),
            topics,
            producer.map(|(topic, _)| (*topic, feed, self.rate)),
        )?;
        if kafka.embedded {
            for dir in fresh {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
        Ok(kafka)
    }

    /// A Kafka example's start-up: the brokers and the built-in producer (see
    /// [`KafkaArgs::setup`]), then the pipeline `job(brokers)` run with `ui` until
    /// `--seconds` or Ctrl-C; the producer and the example's own broker stop after it.
    pub async fn run(
        &self,
        ui: &UiArgs,
        topics: &[(&str, i32)],
        feed: LineFeed,
        fresh: &[&Path],
        job: impl FnOnce(String) -> streaming::Pipeline,
    ) -> Result {
        let kafka = self.setup(topics, feed, fresh)?;
        ui.apply(job(kafka.brokers.clone()))
            .run_until(stop_after(self.seconds))
            .await?;
        Ok(())
    }
}

// The options every cluster example ends with. (Not a doc comment, which clap would show
// as the examples' description in `--help`, in place of `KafkaArgs`'.)
#[cfg(feature = "kafka")]
#[derive(Args, Debug, Clone)]
pub struct ClusterArgs {
    /// Seconds of silence after which the group gives a process's partitions to the others.
    #[arg(long, default_value_t = 10)]
    pub session_timeout: u64,
    /// Serve each task's streaming page and /metrics while it runs: partition p's task at
    /// this port + p (several tasks share a process, one server each).
    #[arg(long, value_name = "HOST:PORT")]
    pub ui: Option<SocketAddr>,
}

/// Where a cluster example's processes meet: its input topic (name, partitions the
/// embedded broker creates), its consumer group, the checkpoint directory they share and
/// the directory of its output files.
#[cfg(feature = "kafka")]
pub struct Cluster<'a> {
    pub topic: (&'a str, i32),
    pub group: &'a str,
    pub checkpoint: &'a Path,
    pub out: &'a Path,
}

#[cfg(feature = "kafka")]
impl ClusterArgs {
    /// A cluster example's start-up: the brokers and the built-in producer of `feed` (see
    /// [`KafkaArgs::setup`]; the example's own broker starts with an empty checkpoint and
    /// output), then a task per partition this process is given, its pipeline
    /// `job(task, out)` with its page if `--ui`, until `--seconds` or Ctrl-C.
    pub async fn run(
        &self,
        kafka: &KafkaArgs,
        cluster: Cluster<'_>,
        feed: LineFeed,
        job: impl Fn(&streaming::cluster::Task, &Path) -> streaming::Pipeline,
    ) -> Result {
        let Cluster {
            topic,
            group,
            checkpoint,
            out,
        } = cluster;
        let setup = kafka.setup(&[topic], feed, &[checkpoint, out])?;
        std::fs::create_dir_all(out)?;
        streaming::cluster::KafkaCluster::new(&setup.brokers, topic.0, group, checkpoint)
            .session_timeout(Duration::from_secs(self.session_timeout))
            .run_until(
                |task| {
                    let mut pipeline = job(task, out);
                    if let Some(addr) = task_ui(self.ui, task.partition()) {
                        pipeline.ui(addr);
                    }
                    pipeline
                },
                stop_after(kafka.seconds),
            )
            .await?;
        Ok(())
    }
}

/// What a Kafka example runs against: the `--brokers` it was given, or a broker of its own
/// (tansu on a free 127.0.0.1 port, records in memory); and its built-in producer, if any.
/// Dropping it stops both.
#[cfg(feature = "kafka")]
pub struct KafkaSetup {
    pub brokers: String,
    /// Whether the broker is the example's own (its records do not outlive it).
    pub embedded: bool,
    producer: Option<streaming::line_feed::KafkaReplay>,
    broker: Option<kafka::Broker>,
}

#[cfg(feature = "kafka")]
impl KafkaSetup {
    /// `brokers`: the `--brokers` option. Without it a broker is started and `topics`
    /// (name, partitions) are created on it. `producer`: a topic to write `feed` to, at
    /// `rate` lines/s, looping.
    pub fn start(
        brokers: Option<&str>,
        topics: &[(&str, i32)],
        producer: Option<(&str, LineFeed, f64)>,
    ) -> Result<Self> {
        let (brokers, broker) = match brokers {
            Some(b) => (b.to_string(), None),
            None => {
                let broker = kafka::Broker::start();
                for (topic, partitions) in topics {
                    broker.create_topic(topic, *partitions);
                }
                eprintln!(
                    "embedded Kafka broker (tansu) on {}; topics {}",
                    broker.addr(),
                    topics.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")
                );
                (broker.addr(), Some(broker))
            }
        };
        let producer = match producer {
            Some((topic, feed, rate)) => {
                eprintln!("built-in producer: {rate} lines/s into `{topic}`");
                Some(streaming::line_feed::to_kafka(
                    &brokers,
                    topic,
                    feed,
                    ReplayOptions::new().lines_per_second(rate).repeat(true),
                    &[("linger.ms", "5")],
                )?)
            }
            None => None,
        };
        Ok(KafkaSetup {
            brokers,
            embedded: broker.is_some(),
            producer,
            broker,
        })
    }
}

#[cfg(feature = "kafka")]
impl Drop for KafkaSetup {
    fn drop(&mut self) {
        // The producer first, while its broker is still there.
        self.producer.take();
        self.broker.take();
    }
}

/// Replaces `path` with running totals, `word count` per line, atomically (temp file,
/// fsync, rename), so a reader never sees a partial file.
pub fn write_totals<K: std::fmt::Display>(
    path: &std::path::Path,
    totals: &[(K, i64)],
) -> std::io::Result<()> {
    use std::io::Write;
    let text: String = totals.iter().map(|(w, n)| format!("{w} {n}\n")).collect();
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(tmp, path)
}

/// A small deterministic PRNG (xorshift64*), so generated data is the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// Index in `0..n`, skewed towards small values (roughly Zipf-like: popular items).
    pub fn skewed(&mut self, n: usize) -> usize {
        let a = self.below(n);
        let b = self.below(n);
        a.min(b).min(self.below(n))
    }
}

const WORDS: &[&str] = &[
    "the", "stream", "is", "fast", "today", "rust", "data", "loving", "this", "new", "release",
    "check", "out", "my", "blog", "about", "windows", "and", "state", "batch", "every", "second",
    "great", "talk", "at", "the", "meetup", "so", "much", "fun", "learning", "spark", "again",
];

const HASHTAGS: &[&str] = &[
    "#rust",
    "#spark",
    "#bigdata",
    "#streaming",
    "#datascience",
    "#ai",
    "#opensource",
    "#devops",
    "#cloud",
    "#kafka",
    "#python",
    "#scala",
    "#tokio",
    "#analytics",
    "#ml",
    "#programming",
    "#coding",
    "#tech",
    "#linux",
    "#database",
];

/// Tweet-like lines: a few words with hashtags, popular tags far more frequent.
pub fn tweets(count: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| {
            let n = 4 + rng.below(8);
            let mut words: Vec<&str> = (0..n).map(|_| WORDS[rng.below(WORDS.len())]).collect();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(words.len() + 1);
                words.insert(at, HASHTAGS[rng.skewed(HASHTAGS.len())]);
            }
            if rng.below(4) == 0 {
                words.insert(0, "@user");
            }
            words.join(" ")
        })
        .collect()
}

/// Sentences for word counting.
pub fn sentences(count: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| {
            (0..3 + rng.below(10))
                .map(|_| WORDS[rng.skewed(WORDS.len())])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Apache combined-format access log lines from the Loudacre site of the Spark course:
/// some request knowledge-base articles (`/KBDOC-00nnn.html`).
pub fn access_logs(count: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let pages = [
        "/home.html",
        "/theme.css",
        "/code.js",
        "/titanic_1100.jpg",
        "/sorrento_f10l.jpg",
        "/ronin_s4.jpg",
    ];
    let agents = [
        "Loudacre Mobile Browser Sorrento F10L",
        "Loudacre CSR Browser",
        "Loudacre Mobile Browser Titanic 1100",
    ];
    (0..count)
        .map(|i| {
            let ip = format!("{}.{}.{}.{}", 10 + rng.below(200), rng.below(256), rng.below(256), 1 + rng.below(254));
            let user = rng.skewed(200);
            let path = if rng.below(5) == 0 {
                format!("/KBDOC-{:05}.html", rng.skewed(300))
            } else {
                pages[rng.below(pages.len())].to_string()
            };
            let (s, m) = (i % 60, (i / 60) % 60);
            format!(
                "{ip} - {user} [15/Sep/2013:23:{m:02}:{s:02} +0100] \"GET {path} HTTP/1.0\" 200 {} \"http://www.loudacre.com\" \"{}\"",
                500 + rng.below(20_000),
                agents[rng.below(agents.len())]
            )
        })
        .collect()
}

/// A cluster task's page: partition `p`'s task serves at `ui`'s port + `p` (several tasks
/// share a process, one server each).
pub fn task_ui(ui: Option<std::net::SocketAddr>, partition: i32) -> Option<String> {
    ui.map(|mut addr| {
        let offset = u16::try_from(partition).unwrap_or(0);
        addr.set_port(addr.port().saturating_add(offset));
        addr.to_string()
    })
}

/// `--ui ADDR`: the streaming page and Prometheus `/metrics` (every example that runs until
/// Ctrl-C takes it).
#[derive(Parser, Debug, Clone, Default)]
pub struct UiArgs {
    /// Serve the streaming page and Prometheus /metrics at this address while running
    /// (e.g. 127.0.0.1:4040, Spark's UI port).
    #[arg(long, value_name = "HOST:PORT")]
    pub ui: Option<String>,
}

impl UiArgs {
    /// `pipeline` with the page turned on when `--ui` was given.
    pub fn apply(&self, mut pipeline: streaming::Pipeline) -> streaming::Pipeline {
        if let Some(addr) = &self.ui {
            pipeline.ui(addr.clone());
        }
        pipeline
    }
}

/// Moves a new file into `dir` every `every`, its text `make(i)` for the `i`-th file
/// (written beside the directory first, then renamed in, so a reader never sees half a
/// file), until the directory goes away.
pub fn produce_files(
    dir: PathBuf,
    every: Duration,
    mut make: impl FnMut(u64) -> String + Send + 'static,
) {
    std::thread::spawn(move || {
        let staging = dir.with_extension("staging");
        let _ = std::fs::create_dir_all(&staging);
        for i in 0u64.. {
            let name = format!("{}-{i:06}.txt", std::process::id());
            let staged = staging.join(&name);
            if std::fs::write(&staged, make(i))
                .and_then(|()| std::fs::rename(&staged, dir.join(&name)))
                .is_err()
            {
                return;
            }
            std::thread::sleep(every);
        }
    });
}
