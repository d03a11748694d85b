//! `source nexmark()`: the Nexmark benchmark's events (persons, auctions, bids of an online
//! auction), from the generator of the `nexmark` crate (RisingWave's).
//!
//! Each event is a pure function of the configuration and its index (the generator seeds
//! every event's random numbers with its id), so the source's position is one number, the
//! index of the next event, and a restarted pipeline regenerates exactly the events after
//! its checkpoint (ARCHITECTURE.md, "Exactly once"). Batches are deterministic under the
//! manual clock:
//!
//! - as fast as possible (the default): every batch holds `.per_batch(n)` events;
//! - `.rate(r)`: the batch ending `d` ms after the first batch's start holds the events
//!   whose generation time (`i · 1000 / r` ms for event `i`) falls before `d`, so a batch
//!   of `D` holds `D · r / 1000` events.
//!
//! Event times (`date_time`, milliseconds) start at `.first_event_time(ms)` (a fixed date
//! by default: a default of "now" would give a restarted pipeline other event times than
//! the run it continues) and advance by `1000 / r` ms per event, `r` the `.rate(r)` or the
//! `.event_rate(r)` (10,000 events per second by default).

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use nexmark::EventGenerator;
use nexmark::config::NexmarkConfig;
use serde::{Deserialize, Serialize};

use super::{Source, SourceControl};
use crate::error::StreamingError;
use crate::event_time::Timestamp;
use crate::metrics::SourceMetrics;
use crate::show::{Spark, SparkDisplay};
use crate::time::{BatchTime, duration_ms};

pub use nexmark::event::{Auction, Bid, Person};

/// The default first event time: 2023-11-14 22:13:20 UTC (a fixed instant, so that every
/// run of a configuration, and every restart of one, gives the same events).
pub const DEFAULT_FIRST_EVENT_TIME: u64 = 1_700_000_000_000;

/// Events per batch when no `.rate(..)` is set.
pub const DEFAULT_PER_BATCH: u64 = 10_000;

/// One Nexmark event: a new person, a new auction, or a bid.
///
/// Persons and auctions are boxed: an enum is as large as its largest variant, and
/// unboxed they made every event 168 bytes where a bid, 92% of the events by default,
/// needs 104. Every stage that moves an event moves a third less.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A person registers.
    Person(Box<Person>),
    /// A person opens an auction.
    Auction(Box<Auction>),
    /// A person bids on an auction.
    Bid(Bid),
}

impl From<nexmark::event::Event> for Event {
    fn from(e: nexmark::event::Event) -> Self {
        match e {
            nexmark::event::Event::Person(p) => Event::Person(Box::new(p)),
            nexmark::event::Event::Auction(a) => Event::Auction(Box::new(a)),
            nexmark::event::Event::Bid(b) => Event::Bid(b),
        }
    }
}

impl Event {
    /// The bid, if this is one (`flat_map |e| e.bid()` keeps the bids).
    #[inline]
    pub fn bid(self) -> Option<Bid> {
        match self {
            Event::Bid(b) => Some(b),
            _ => None,
        }
    }

    /// The auction, if this is one.
    #[inline]
    pub fn auction(self) -> Option<Auction> {
        match self {
            Event::Auction(a) => Some(*a),
            _ => None,
        }
    }

    /// The person, if this is one.
    #[inline]
    pub fn person(self) -> Option<Person> {
        match self {
            Event::Person(p) => Some(*p),
            _ => None,
        }
    }

    /// The bid by reference, if this is one.
    #[inline]
    pub fn as_bid(&self) -> Option<&Bid> {
        match self {
            Event::Bid(b) => Some(b),
            _ => None,
        }
    }

    /// The auction by reference, if this is one.
    #[inline]
    pub fn as_auction(&self) -> Option<&Auction> {
        match self {
            Event::Auction(a) => Some(a),
            _ => None,
        }
    }

    /// The person by reference, if this is one.
    #[inline]
    pub fn as_person(&self) -> Option<&Person> {
        match self {
            Event::Person(p) => Some(p),
            _ => None,
        }
    }

    /// The event's time, milliseconds since the epoch.
    #[inline]
    pub fn date_time(&self) -> u64 {
        match self {
            Event::Person(p) => p.date_time,
            Event::Auction(a) => a.date_time,
            Event::Bid(b) => b.date_time,
        }
    }

    /// The event's time as a [`Timestamp`], for `event_time(|e| e.timestamp())`.
    #[inline]
    pub fn timestamp(&self) -> Timestamp {
        timestamp(self.date_time())
    }
}

/// A Nexmark `date_time` (milliseconds) as a [`Timestamp`]:
/// `event_time(|b| nexmark::timestamp(b.date_time))`.
pub fn timestamp(date_time: u64) -> Timestamp {
    Timestamp::from_millis(i64::try_from(date_time).unwrap_or(i64::MAX))
}

/// What `#[derive(Record)]` writes, for the crate's structs: their fields are columns, so
/// `print` shows them as a table.
macro_rules! records {
    ($($t:ty { $($field:ident),* })*) => {$(
        impl SparkDisplay for $t {
            const COLUMNS: Option<&'static [&'static str]> = Some(&[$(stringify!($field)),*]);
            fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let cells: Vec<String> = vec![$(Spark(&self.$field).to_string()),*];
                write!(f, "[{}]", cells.join(","))
            }
            fn cells(&self, out: &mut Vec<String>) {
                $(out.push(Spark(&self.$field).to_string());)*
            }
        }
        crate::into_owned_by_identity!($t);
    )*};
}

records! {
    Person { id, name, email_address, credit_card, city, state, date_time, extra }
    Auction {
        id, item_name, description, initial_bid, reserve, date_time, expires, seller,
        category, extra
    }
    Bid { auction, bidder, price, channel, url, date_time, extra }
}

impl SparkDisplay for Event {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Person(p) => write!(f, "Person{}", Spark(p)),
            Event::Auction(a) => write!(f, "Auction{}", Spark(a)),
            Event::Bid(b) => write!(f, "Bid{}", Spark(b)),
        }
    }
}
crate::into_owned_by_identity!(Event);

/// Events given to [`NexmarkSource::replay`], in the vecs they came in.
struct Pregenerated {
    vecs: VecDeque<Vec<Event>>,
    /// Index of the first event of the first vec.
    at: u64,
    /// Events in all the vecs.
    len: usize,
}

impl Pregenerated {
    /// The next `n` events: the first vec itself when it holds exactly `n` (no copy).
    fn take(&mut self, n: usize) -> Vec<Event> {
        self.len -= n;
        self.at += n as u64;
        if self.vecs.front().is_some_and(|v| v.len() == n) {
            return self.vecs.pop_front().unwrap_or_default();
        }
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let Some(front) = self.vecs.front_mut() else {
                break;
            };
            let k = front.len().min(n - out.len());
            out.extend(front.drain(..k));
            if front.is_empty() {
                self.vecs.pop_front();
            }
        }
        out
    }
}

/// The Nexmark source: see the module documentation for its batches and knobs.
pub struct NexmarkSource {
    shared: Arc<Shared>,
    /// The job's generator, positioned at the next event to hand out (rebuilt when the
    /// position moved, after a restore).
    generator: Option<(EventGenerator, u64)>,
    /// `.replay(events)`: events generated before the run, handed out by moving them while
    /// the batches ask for them in order (index of the next one), so that a benchmark times
    /// the query without the generator.
    pregenerated: Option<Pregenerated>,
}

struct Shared {
    state: Mutex<State>,
    metrics: Arc<SourceMetrics>,
}

struct State {
    config: NexmarkConfig,
    /// `.events(n)`: the total; `None`: endless.
    total: Option<u64>,
    /// `.rate(r)`: events per second of batch time; `None`: as fast as possible.
    rate: Option<u64>,
    per_batch: u64,
    interval_ms: u64,
    /// With a rate: the batch time the pacing counts from, and the events sealed by then.
    pace_origin: Option<(u64, u64)>,
    /// Events sealed so far: the index of the next one to seal.
    sealed_to: u64,
    /// Sealed batches not yet read: (time, end index).
    sealed: VecDeque<(BatchTime, u64)>,
    /// Events handed to the job so far: the index of the next one to generate.
    read_to: u64,
    positions: super::CountPositions,
}

/// `source nexmark()`: Nexmark's events, as fast as possible, endless, with the
/// generator's defaults (1 person, 3 auctions, 46 bids in every 50 events).
pub fn nexmark() -> NexmarkSource {
    let config = NexmarkConfig {
        base_time: DEFAULT_FIRST_EVENT_TIME,
        ..NexmarkConfig::default()
    };
    NexmarkSource {
        shared: Arc::new(Shared {
            state: Mutex::new(State {
                config,
                total: None,
                rate: None,
                per_batch: DEFAULT_PER_BATCH,
                interval_ms: 1000,
                pace_origin: None,
                sealed_to: 0,
                sealed: VecDeque::new(),
                read_to: 0,
                positions: super::CountPositions::default(),
            }),
            metrics: Arc::new(SourceMetrics::new("nexmark")),
        }),
        generator: None,
        pregenerated: None,
    }
}

impl NexmarkSource {
    fn with(self, f: impl FnOnce(&mut State)) -> Self {
        f(&mut self.shared.lock());
        self
    }

    /// Ends after `n` events in all.
    pub fn events(self, n: u64) -> Self {
        self.with(|s| s.total = Some(n))
    }

    /// Generates `r` events per second of batch time (`r` ≥ 1); event times advance at the
    /// same rate.
    pub fn rate(self, r: u64) -> Self {
        let r = r.max(1);
        self.with(|s| {
            s.rate = Some(r);
            set_event_rate(&mut s.config, r);
        })
    }

    /// As fast as possible (no `.rate`): `n` events per batch (default 10,000).
    pub fn per_batch(self, n: u64) -> Self {
        self.with(|s| s.per_batch = n.max(1))
    }

    /// Event times advance by `1000 / r` ms per event (default 10,000 events per second),
    /// whatever the pace of the batches.
    pub fn event_rate(self, r: u64) -> Self {
        self.with(|s| set_event_rate(&mut s.config, r.max(1)))
    }

    /// The first event's time, milliseconds since the epoch (default
    /// [`DEFAULT_FIRST_EVENT_TIME`]).
    pub fn first_event_time(self, ms: u64) -> Self {
        self.with(|s| s.config.base_time = ms)
    }

    /// Of every `person + auction + bid` events, `person` are persons, `auction` auctions
    /// and `bid` bids, in that order (default 1, 3, 46). Each is at least 1: the
    /// generator's id arithmetic needs every kind.
    pub fn proportions(self, person: usize, auction: usize, bid: usize) -> Self {
        self.with(|s| {
            s.config.person_proportion = person.max(1);
            s.config.auction_proportion = auction.max(1);
            s.config.bid_proportion = bid.max(1);
        })
    }

    /// Persons considered active, who open auctions and bid (default 1,000).
    pub fn active_people(self, n: usize) -> Self {
        self.with(|s| s.config.active_people = n.max(1))
    }

    /// Auctions open at any time, on average (default 100).
    pub fn in_flight_auctions(self, n: usize) -> Self {
        self.with(|s| s.config.in_flight_auctions = n.max(1))
    }

    /// Auction categories (default 5, numbered from 10).
    pub fn categories(self, n: usize) -> Self {
        self.with(|s| s.config.num_categories = n.max(1))
    }

    /// Any other field of the generator's configuration (hot ratios, sizes, names).
    /// `base_time` is the first event time; a `first_event_id` other than 0 shifts every
    /// event's seed, the nearest thing to a seed the generator has.
    pub fn configure(self, f: impl FnOnce(&mut NexmarkConfig)) -> Self {
        self.with(|s| f(&mut s.config))
    }

    /// The configuration the events come from.
    pub fn config(&self) -> NexmarkConfig {
        self.shared.lock().config.clone()
    }

    /// Hands out `events` instead of generating them again: they must be the first events
    /// of this configuration (what [`generate`](Self::generate) gives), in vecs of any
    /// length; a vec as long as a batch is that batch's, moved without a copy. A batch past
    /// them, or after a restore, is generated as usual, so the source still replays
    /// exactly. A benchmark's way to time a query apart from the generator.
    pub fn replay(mut self, events: impl IntoIterator<Item = Vec<Event>>) -> Self {
        let vecs: VecDeque<Vec<Event>> = events.into_iter().collect();
        let len = vecs.iter().map(Vec::len).sum();
        self.pregenerated = Some(Pregenerated { vecs, at: 0, len });
        self
    }

    /// The first `n` events this source gives, in order, without running a pipeline: what
    /// a hand-written loop reads to check a query.
    pub fn generate(&self, n: u64) -> Vec<Event> {
        let config = self.config();
        EventGenerator::new(config)
            .take(usize::try_from(n).unwrap_or(usize::MAX))
            .map(Event::from)
            .collect()
    }
}

fn set_event_rate(config: &mut NexmarkConfig, r: u64) {
    let r = usize::try_from(r).unwrap_or(usize::MAX);
    config.first_rate = r;
    config.next_rate = r;
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Seals the events up to index `end` (capped at the total) into the batch at `time`.
    fn seal_to(&self, time: BatchTime, end: u64) {
        let mut st = self.lock();
        let end = st.total.map_or(end, |n| end.min(n)).max(st.sealed_to);
        self.metrics.add_records(end - st.sealed_to);
        st.sealed_to = end;
        st.sealed.push_back((time, end));
        st.positions.sealed(time, end);
    }
}

impl State {
    /// Where a normal seal at `time` ends.
    fn target(&mut self, time: BatchTime) -> u64 {
        let Some(rate) = self.rate else {
            return self.sealed_to.saturating_add(self.per_batch);
        };
        let t = time.milliseconds();
        let (origin, base) = *self
            .pace_origin
            .get_or_insert_with(|| (t.saturating_sub(self.interval_ms.max(1)), self.sealed_to));
        // Events whose generation time `i · 1000 / r` falls before `t - origin`.
        let due = (u128::from(t.saturating_sub(origin)) * u128::from(rate)).div_ceil(1000);
        base.saturating_add(u64::try_from(due).unwrap_or(u64::MAX))
    }
}

impl Source for NexmarkSource {
    type Batch = Vec<Event>;

    fn control(&self) -> Arc<dyn SourceControl> {
        self.shared.clone()
    }

    fn next_batch(&mut self, time: BatchTime) -> Result<Vec<Event>, StreamingError> {
        let (from, to, config) = {
            let mut st = self.shared.lock();
            let from = st.read_to;
            let mut to = from;
            while st.sealed.front().is_some_and(|(t, _)| *t <= time) {
                if let Some((_, end)) = st.sealed.pop_front() {
                    to = to.max(end);
                }
            }
            st.read_to = to;
            let config = match &self.generator {
                Some((_, at)) if *at == from => None,
                _ => Some(st.config.clone()),
            };
            (from, to, config)
        };
        let n = usize::try_from(to - from).unwrap_or(usize::MAX);
        if let Some(events) = &mut self.pregenerated {
            if events.at == from && events.len >= n {
                return Ok(events.take(n));
            }
            self.pregenerated = None;
        }
        if let Some(config) = config {
            self.generator = Some((EventGenerator::new(config).with_offset(from), from));
        }
        let Some((generator, at)) = &mut self.generator else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(n);
        out.extend(generator.by_ref().take(n).map(Event::from));
        *at = to;
        Ok(out)
    }
}

impl SourceControl for Shared {
    fn start(&self, _: &tokio::runtime::Handle) -> Result<(), StreamingError> {
        Ok(())
    }

    fn seal(&self, time: BatchTime) {
        let end = self.lock().target(time);
        self.seal_to(time, end);
    }

    fn set_batch_interval(&self, interval: Duration) {
        self.lock().interval_ms = duration_ms(interval).max(1);
    }

    fn replays_exactly(&self) -> bool {
        true
    }

    fn replay_seal(&self, time: BatchTime, position: &[u8]) {
        match super::CountPositions::decode(position, "nexmark") {
            Ok(n) => self.seal_to(time, n),
            Err(_) => self.seal(time),
        }
    }

    fn record_positions(&self) {
        let mut st = self.lock();
        let start = st.sealed_to;
        st.positions.record(start);
    }

    fn position(&self, time: BatchTime) -> Option<Vec<u8>> {
        self.lock().positions.encoded(time)
    }

    fn restore_position(&self, position: &[u8]) -> Result<(), StreamingError> {
        let n = super::CountPositions::decode(position, "nexmark")?;
        let mut st = self.lock();
        // The first `n` events were counted before the checkpoint: the next is event `n`.
        st.sealed_to = n;
        st.read_to = n;
        st.sealed.clear();
        st.pace_origin = None;
        st.positions.restored(n);
        Ok(())
    }

    fn is_finished(&self) -> bool {
        let st = self.lock();
        st.total.is_some_and(|n| st.sealed_to >= n)
    }

    fn stop(&self) {}

    fn metrics(&self) -> Arc<SourceMetrics> {
        self.metrics.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> BatchTime {
        BatchTime::from_millis(ms)
    }

    #[test]
    fn an_event_is_the_size_of_a_bid() {
        // Every stage that moves an event moves this many bytes: persons and auctions,
        // 8% of the events, are boxed so that they do not set it.
        assert!(
            size_of::<Event>() <= size_of::<Bid>() + 8,
            "{} bytes",
            size_of::<Event>()
        );
        let e = Event::from(nexmark::event::Event::Person(Person {
            id: 7,
            name: "p".into(),
            email_address: String::new(),
            credit_card: String::new(),
            city: String::new(),
            state: "or".into(),
            date_time: 5,
            extra: String::new(),
        }));
        assert_eq!((e.date_time(), e.as_person().map(|p| p.id)), (5, Some(7)));
        assert_eq!(e.person().map(|p| p.state), Some("or".to_string()));
    }

    /// The generator's events are the published `nexmark` crate's, field for field: the
    /// workspace builds a copy of the crate that draws its strings faster
    /// (`third_party/nexmark`), and this pins its output to the crate's own (the checksum
    /// was taken from crates.io's nexmark 0.2.0 before the copy existed).
    #[test]
    fn the_events_are_the_published_generators() {
        let mut crc = crc32fast::Hasher::new();
        for e in nexmark().generate(50_000) {
            let text = match e {
                Event::Person(p) => format!("{p:?}"),
                Event::Auction(a) => format!("{a:?}"),
                Event::Bid(b) => format!("{b:?}"),
            };
            crc.update(text.as_bytes());
        }
        assert_eq!(crc.finalize(), 1_015_970_315);
    }

    fn ids(events: &[Event]) -> Vec<u64> {
        events.iter().map(Event::date_time).collect()
    }

    #[test]
    fn nexmark_batches_hold_per_batch_events_in_generator_order() {
        let mut s = nexmark().per_batch(100).events(250);
        let all = s.generate(250);
        let c = s.control();
        let mut got = Vec::new();
        for k in 1..=4 {
            c.seal(t(k * 1000));
            let b = s.next_batch(t(k * 1000)).unwrap();
            assert_eq!(b.len(), [100, 100, 50, 0][k as usize - 1]);
            got.extend(b);
        }
        assert!(c.is_finished());
        assert_eq!(got, all);
        assert_eq!(all[0].date_time(), DEFAULT_FIRST_EVENT_TIME);
        assert!(matches!(all[0], Event::Person(_)));
        assert_eq!(all.iter().filter(|e| e.as_bid().is_some()).count(), 230);
    }

    #[test]
    fn nexmark_rate_fills_a_batch_with_the_events_due_in_it() {
        let mut s = nexmark().rate(1000);
        let c = s.control();
        c.set_batch_interval(Duration::from_millis(500));
        c.seal(t(500));
        let first = s.next_batch(t(500)).unwrap();
        c.seal(t(1000));
        let second = s.next_batch(t(1000)).unwrap();
        assert_eq!((first.len(), second.len()), (500, 500));
        // Event times advance at the rate: event 500 is 500 ms after event 0.
        assert_eq!(second[0].date_time() - first[0].date_time(), 500);
    }

    #[test]
    fn nexmark_resumes_at_the_recorded_event_index() {
        let make = || nexmark().per_batch(40);
        let mut s = make();
        let c = s.control();
        c.record_positions();
        c.seal(t(1000));
        c.seal(t(2000));
        let _ = s.next_batch(t(1000)).unwrap();
        let pos = c.position(t(1000)).unwrap();
        let expected = s.next_batch(t(2000)).unwrap();

        let mut resumed = make();
        let rc = resumed.control();
        rc.restore_position(&pos).unwrap();
        rc.seal(t(2000));
        let again = resumed.next_batch(t(2000)).unwrap();
        assert_eq!(ids(&again), ids(&expected));
        assert_eq!(again, expected, "the same 40 events, regenerated");
    }
}
