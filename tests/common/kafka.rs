//! A real Kafka-protocol broker for the tests: tansu (scripts/install_tansu.sh puts it in
//! target/tansu/, or `TANSU_BIN` names one), started on a free 127.0.0.1 port from an empty
//! directory with in-memory storage, and stopped when the [`Broker`] is dropped. Helpers
//! create topics, produce records and read a topic back with rdkafka.

#![allow(dead_code)] // each test file uses part of this module

// The examples and benches include this file alone, so the installer comes with it (the
// tests' `common` re-exports it).
#[path = "install.rs"]
pub mod install;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use streaming::rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use streaming::rdkafka::client::DefaultClientContext;
use streaming::rdkafka::consumer::{BaseConsumer, Consumer};
use streaming::rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use streaming::rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

/// The tansu binary, installed on first use.
pub fn tansu() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| match std::env::var_os("TANSU_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => install::tool("tansu"),
    })
    .clone()
}

pub use install::free_port;

/// A tansu broker on 127.0.0.1.
pub struct Broker {
    child: Option<Child>,
    pub port: u16,
    /// The port clients are told to use (a proxy's, in the fault tests).
    pub advertised: u16,
    dir: tempfile::TempDir,
}

impl Broker {
    pub fn start() -> Broker {
        let port = free_port();
        Broker::start_on(port, port)
    }

    /// Listens on `port` and tells clients (in metadata) to connect to `advertised`.
    pub fn start_on(port: u16, advertised: u16) -> Broker {
        let mut broker = Broker {
            child: None,
            port,
            advertised,
            dir: tempfile::tempdir().expect("a directory for the broker"),
        };
        broker.restart();
        broker
    }

    /// Starts the broker process (again, after [`Broker::kill`]); memory storage: a
    /// restarted broker has no topics.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the broker is running");
        let log = std::fs::File::create(self.dir.path().join("tansu.log")).expect("log file");
        let child = Command::new(tansu())
            .arg("broker")
            .arg("--listener-url")
            .arg(format!("tcp://127.0.0.1:{}", self.port))
            .arg("--advertised-listener-url")
            .arg(format!("tcp://127.0.0.1:{}", self.advertised))
            .arg("--storage-engine")
            .arg("memory://tansu/")
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting tansu");
        self.child = Some(child);
        install::wait_until_listening(self.port, "tansu");
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// `127.0.0.1:PORT` as clients bootstrap (the advertised port).
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.advertised)
    }

    /// Client settings every test client uses.
    pub fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", format!("127.0.0.1:{}", self.port))
            .set("broker.address.family", "v4");
        c
    }

    fn admin(&self) -> AdminClient<DefaultClientContext> {
        self.client_config().create().expect("admin client")
    }

    pub fn create_topic(&self, name: &str, partitions: i32) {
        let admin = self.admin();
        let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
        let results =
            block_on(admin.create_topics([&topic], &AdminOptions::new())).expect("create_topics");
        for r in results {
            r.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
        }
    }

    pub fn producer(&self) -> BaseProducer {
        // One record per produce request: tansu 0.6 reports a partition's end as the last
        // record batch's base offset + 1, so a batch of several records would hide its tail
        // from offset listings until more arrive.
        self.client_config()
            .set("linger.ms", "0")
            .set("batch.num.messages", "1")
            .create()
            .expect("producer")
    }

    /// Writes `values` (no key) to `topic`'s `partition` and waits for them to be acked.
    pub fn produce<V: AsRef<[u8]>>(&self, topic: &str, partition: i32, values: &[V]) {
        let producer = self.producer();
        for v in values {
            send(
                &producer,
                BaseRecord::<[u8], [u8]>::to(topic)
                    .partition(partition)
                    .payload(v.as_ref()),
            );
        }
        // One request a record (see `producer`): 10,000 records take 10-15 s on a busy
        // 2-core machine.
        producer.flush(Duration::from_secs(90)).expect("flush");
    }

    /// Loads `values` into `topic`, round-robin over its first `partitions`, in batches (for
    /// benches: many records fast, where a partition's exact end offset does not matter, see
    /// `producer`); returns how many.
    pub fn load<V: AsRef<[u8]>>(
        &self,
        topic: &str,
        partitions: i32,
        values: impl IntoIterator<Item = V>,
    ) -> u64 {
        let producer: BaseProducer = self
            .client_config()
            .set("linger.ms", "5")
            .create()
            .expect("producer");
        let mut n = 0u64;
        for v in values {
            let partition = (n % partitions.max(1) as u64) as i32;
            send(
                &producer,
                BaseRecord::<[u8], [u8]>::to(topic)
                    .partition(partition)
                    .payload(v.as_ref()),
            );
            n += 1;
        }
        producer.flush(Duration::from_secs(120)).expect("flush");
        n
    }

    /// A consumer in `group` assigned `topic`'s first `partitions` from offset 0, storing and
    /// committing nothing: a fresh read of the whole topic (the benches' hand-written loops).
    pub fn consumer_from_start(&self, group: &str, topic: &str, partitions: i32) -> BaseConsumer {
        let consumer: BaseConsumer = self
            .client_config()
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("fetch.wait.max.ms", "50")
            .create()
            .expect("consumer");
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            let _ = tpl.add_partition_offset(topic, p, Offset::Offset(0));
        }
        consumer.assign(&tpl).expect("assign");
        consumer
    }

    /// Writes `(key, value)` records to `topic`'s `partition`.
    pub fn produce_keyed(&self, topic: &str, partition: i32, records: &[(&str, &str)]) {
        let producer = self.producer();
        for (k, v) in records {
            send(
                &producer,
                BaseRecord::<str, str>::to(topic)
                    .partition(partition)
                    .key(*k)
                    .payload(*v),
            );
        }
        producer.flush(Duration::from_secs(30)).expect("flush");
    }

    /// Every record of `topic` (all partitions) as (partition, key, value), in partition and
    /// offset order.
    pub fn read_all(&self, topic: &str) -> Vec<(i32, Option<String>, String)> {
        let consumer: BaseConsumer = self
            .client_config()
            .set("group.id", "tests-read-all")
            .create()
            .expect("consumer");
        let md = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .expect("metadata");
        let parts: Vec<i32> = md.topics()[0].partitions().iter().map(|p| p.id()).collect();
        let mut out = Vec::new();
        for p in parts {
            let (low, high) = consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .expect("watermarks");
            if high <= low {
                continue;
            }
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(topic, p, Offset::Offset(low))
                .expect("tpl");
            consumer.assign(&tpl).expect("assign");
            // Up to the end offset, then until nothing more comes for a while: tansu 0.6
            // reports the last record batch's base offset + 1 as the end.
            let deadline = Instant::now() + Duration::from_secs(30);
            let mut next = low;
            loop {
                assert!(
                    Instant::now() < deadline,
                    "reading {topic}/{p} timed out at {next}"
                );
                match consumer.poll(Duration::from_millis(300)) {
                    Some(m) => {
                        let m = m.expect("message");
                        next = m.offset() + 1;
                        out.push((
                            p,
                            m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                            String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
                        ));
                    }
                    None if next >= high => break,
                    None => {}
                }
            }
        }
        out
    }

    /// The offsets `group` committed for `topic`'s partitions `0..n`.
    pub fn committed(&self, group: &str, topic: &str, n: i32) -> Vec<Option<i64>> {
        let consumer: BaseConsumer = self
            .client_config()
            .set("group.id", group)
            .create()
            .expect("consumer");
        let mut tpl = TopicPartitionList::new();
        for p in 0..n {
            tpl.add_partition(topic, p);
        }
        let c = consumer
            .committed_offsets(tpl, Duration::from_secs(10))
            .expect("committed offsets");
        (0..n)
            .map(|p| match c.find_partition(topic, p).map(|e| e.offset()) {
                Some(Offset::Offset(o)) => Some(o),
                _ => None,
            })
            .collect()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}

fn send<
    K: streaming::rdkafka::message::ToBytes + ?Sized,
    P: streaming::rdkafka::message::ToBytes + ?Sized,
>(
    producer: &BaseProducer,
    mut record: BaseRecord<'_, K, P>,
) {
    loop {
        match producer.send(record) {
            Ok(()) => return,
            Err((e, back)) => {
                assert!(
                    e.to_string().contains("Queue full"),
                    "producing failed: {e}"
                );
                record = back;
                producer.poll(Duration::from_millis(10));
            }
        }
    }
}

/// Runs an admin future to completion (on a thread of its own, so that it also works
/// from inside an async `main`).
fn block_on<F>(f: F) -> F::Output
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(f)
        })
        .join()
        .expect("admin thread")
    })
}

/// A TCP proxy on 127.0.0.1 in front of a broker, to cut the network between a pipeline
/// and a running broker: [`Proxy::down`] closes every connection and refuses new ones,
/// [`Proxy::up`] accepts again. Start the broker with [`Broker::start_on`] advertising the
/// proxy's port, so that clients reach the broker only through it.
pub struct Proxy {
    pub port: u16,
    target: u16,
    state: std::sync::Arc<ProxyState>,
}

#[derive(Default)]
struct ProxyState {
    generation: std::sync::atomic::AtomicU64,
    conns: std::sync::Mutex<Vec<TcpStream>>,
    accepting: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Proxy {
    /// A proxy on a free port forwarding to `target` (not yet accepting: call `up`).
    pub fn new(target: u16) -> Proxy {
        Proxy {
            port: free_port(),
            target,
            state: Default::default(),
        }
    }

    pub fn up(&self) {
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("proxy port");
        let generation = self.state.generation.load(Ordering::SeqCst);
        let state = std::sync::Arc::clone(&self.state);
        let target = self.target;
        let handle = std::thread::spawn(move || {
            listener.set_nonblocking(true).expect("nonblocking");
            while state.generation.load(Ordering::SeqCst) == generation {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                            continue;
                        };
                        pump(&state, client, server);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        *self.state.accepting.lock().unwrap() = Some(handle);
    }

    /// Closes every connection through the proxy and stops accepting new ones.
    pub fn down(&self) {
        use std::sync::atomic::Ordering;
        self.state.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(h) = self.state.accepting.lock().unwrap().take() {
            let _ = h.join();
        }
        for c in self.state.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.down();
    }
}

/// Copies bytes both ways between `a` and `b` until either side closes.
fn pump(state: &ProxyState, a: TcpStream, b: TcpStream) {
    let (Ok(a2), Ok(b2)) = (a.try_clone(), b.try_clone()) else {
        return;
    };
    {
        let mut conns = state.conns.lock().unwrap();
        for s in [&a, &b] {
            if let Ok(c) = s.try_clone() {
                conns.push(c);
            }
        }
    }
    for (mut from, mut to) in [(a, b2), (b, a2)] {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut from, &mut to);
            let _ = to.shutdown(std::net::Shutdown::Both);
            let _ = from.shutdown(std::net::Shutdown::Both);
        });
    }
}
