//! Nexmark's queries q0–q8 as DSL pipelines, written once for the example
//! (`examples/nexmark/main.rs`) and the tests (`tests/nexmark.rs`, which include this file
//! and check each query against a hand-written loop over the same events).
//!
//! Each query follows the definition in the Nexmark repository's Flink SQL texts; where
//! the DSL needs another shape (a join over all of history, a top per window) the comment
//! says how it is built. Each takes the configured source (`nexmark().events(n)..`) and a
//! `Collector` for its rows; `BATCH` is every query's batch interval.
//!
//! q4 and q6 need auctions that close: the DSL has no event-time timer per key
//! (`map_with_state`'s timeout is processing time), so q6 keeps its open auctions under one
//! key and closes them as the events' time passes their expiry (the events come in time
//! order), and q4 follows Flink's text, which never closes an auction (each one's highest
//! bid placed before its expiry, updated continuously).

#![allow(dead_code)] // each user of this file runs some of the queries

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use streaming::RowsAtMax;
use streaming::nexmark::{Bid, Event, NexmarkSource};
use streaming::prelude::*;

/// The states of q3's persons, as the generator spells them (lower case: RisingWave's
/// generator writes `or`, where the Java one wrote `OR`).
pub const Q3_STATES: [&str; 3] = ["or", "id", "ca"];
/// q3's category.
pub const Q3_CATEGORY: usize = 10;
/// q1's dollar-to-euro rate.
pub const Q1_RATE: f64 = 0.908;

/// Threads per batch of every query (0: all cores, the default). The bench sets 1, to
/// measure events per second per core.
pub static PARALLELISM: AtomicUsize = AtomicUsize::new(0);

/// What each query's `parallelism` reads.
pub fn parallelism() -> usize {
    match PARALLELISM.load(Ordering::Relaxed) {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
}

/// q0, passthrough: every bid.
pub fn q0(events: NexmarkSource, out: &Collector<Bid>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        source nexmark(events)
            |> flat_map |e| e.bid()
            |> collect(out)
    }
}

/// q1, currency conversion: `(auction, bidder, price × 0.908, date_time)` of every bid.
pub fn q1(events: NexmarkSource, out: &Collector<(usize, usize, f64, u64)>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        source nexmark(events)
            |> flat_map |e| e.bid()
            |> map |b| (b.auction, b.bidder, b.price as f64 * Q1_RATE, b.date_time)
            |> collect(out)
    }
}

/// q2, selection: `(auction, price)` of the bids on auctions whose id is a multiple of 123.
pub fn q2(events: NexmarkSource, out: &Collector<(usize, usize)>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        source nexmark(events)
            |> flat_map |e| e.bid()
            |> filter |b| b.auction % 123 == 0
            |> map |b| (b.auction, b.price)
            |> collect(out)
    }
}

/// q0 in SQL: the bids as they are.
pub fn q0_sql(events: NexmarkSource, out: &Collector<Bid>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        let bids = source nexmark(events) |> flat_map |e| e.bid();
        sql("SELECT * FROM bids") |> collect(out)
    }
}

/// q1 in SQL (Nexmark's text, the rate as a literal). The rows' columns are BIGINT and
/// DOUBLE `Option`s, never NULL here: the last stage gives the DSL form's tuples back, so
/// one expected result checks both.
pub fn q1_sql(events: NexmarkSource, out: &Collector<(usize, usize, f64, u64)>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        let bids = source nexmark(events) |> flat_map |e| e.bid();
        sql("SELECT auction, bidder, 0.908 * price AS price, date_time FROM bids")
            |> map |r| (
                r.auction.unwrap_or_default() as usize,
                r.bidder.unwrap_or_default() as usize,
                r.price.unwrap_or_default(),
                r.date_time.unwrap_or_default() as u64,
            )
            |> collect(out)
    }
}

/// q2 in SQL (Nexmark's text).
pub fn q2_sql(events: NexmarkSource, out: &Collector<(usize, usize)>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        let bids = source nexmark(events) |> flat_map |e| e.bid();
        sql("SELECT auction, price FROM bids WHERE auction % 123 = 0")
            |> map |r| (r.auction.unwrap_or_default() as usize, r.price.unwrap_or_default() as usize)
            |> collect(out)
    }
}

/// What q3 keeps per seller: the person once seen, and the auctions seen before them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Q3State {
    /// `(name, city, state)` of the person, once registered.
    pub person: Option<(String, String, String)>,
    /// Auctions of this seller that came before the person.
    pub waiting: Vec<usize>,
}

/// One side of q3's join, keyed by person id (the seller, for an auction).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Q3Side {
    /// A person of OR, ID or CA: `(name, city, state)`.
    Person(String, String, String),
    /// An auction of category 10: its id.
    Auction(usize),
}

/// q3's join, one record at a time: the rows `(name, city, state, auction)` the record
/// completes. A symmetric hash join over all history, as Flink's regular join keeps
/// both sides (an auction's seller may register after it).
pub fn q3_join(side: Q3Side, st: &mut Q3State) -> Vec<(String, String, String, usize)> {
    match side {
        Q3Side::Person(name, city, state) => {
            let rows = st
                .waiting
                .drain(..)
                .map(|a| (name.clone(), city.clone(), state.clone(), a))
                .collect();
            st.person = Some((name, city, state));
            rows
        }
        Q3Side::Auction(a) => match &st.person {
            Some((name, city, state)) => vec![(name.clone(), city.clone(), state.clone(), a)],
            None => {
                st.waiting.push(a);
                Vec::new()
            }
        },
    }
}

/// The record of q3's join an event is, if any.
pub fn q3_side(e: Event) -> Option<(usize, Q3Side)> {
    match e {
        Event::Person(p) if Q3_STATES.contains(&p.state.as_str()) => {
            Some((p.id, Q3Side::Person(p.name, p.city, p.state)))
        }
        Event::Auction(a) if a.category == Q3_CATEGORY => Some((a.seller, Q3Side::Auction(a.id))),
        _ => None,
    }
}

/// q3, local item suggestion: `(name, city, state, auction)` for each auction of category
/// 10 whose seller lives in OR, ID or CA, as soon as both are known. The DSL has no
/// stream-stream join over all history, so the join is `map_with_state` keyed by person.
pub fn q3(events: NexmarkSource, out: &Collector<(String, String, String, usize)>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        source nexmark(events)
            |> flat_map(q3_side)
            |> map_with_state(|_seller, side, state| {
                let st = state.get_or_insert_with(Q3State::default);
                side.map(|s| q3_join(s, st)).unwrap_or_default()
            })
            |> flat_map |rows| rows
            |> collect(out)
    }
}

/// One side of q4's join, keyed by auction id.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Q4Side {
    /// The auction: `(category, date_time, expires)`.
    Auction(usize, u64, u64),
    /// A bid: `(date_time, price)`.
    Bid(u64, usize),
}

/// What q4 keeps per auction.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Q4State {
    /// `(category, date_time, expires)` once the auction is seen.
    pub auction: Option<(usize, u64, u64)>,
    /// Bids that came before their auction: `(date_time, price)`.
    pub waiting: Vec<(u64, usize)>,
    /// The highest price among the auction's bids placed while it was open.
    pub max: Option<usize>,
}

/// The record of q4's join an event is.
pub fn q4_side(e: Event) -> Option<(usize, Q4Side)> {
    match e {
        Event::Auction(a) => Some((a.id, Q4Side::Auction(a.category, a.date_time, a.expires))),
        Event::Bid(b) => Some((b.auction, Q4Side::Bid(b.date_time, b.price))),
        Event::Person(_) => None,
    }
}

/// q4's join, one record at a time: `(category, old maximum, new maximum)` when the
/// auction's highest valid bid rises (Flink's `MAX(price) .. WHERE B.dateTime BETWEEN
/// A.dateTime AND A.expires GROUP BY A.id`, as a changelog).
pub fn q4_join(side: Q4Side, st: &mut Q4State) -> Option<(usize, Option<usize>, usize)> {
    let old = st.max;
    match side {
        Q4Side::Auction(category, start, expires) => {
            st.auction = Some((category, start, expires));
            for (t, price) in st.waiting.drain(..) {
                if (start..=expires).contains(&t) {
                    st.max = st.max.max(Some(price));
                }
            }
        }
        Q4Side::Bid(t, price) => match st.auction {
            Some((_, start, expires)) if (start..=expires).contains(&t) => {
                st.max = st.max.max(Some(price));
            }
            Some(_) => {}
            None => st.waiting.push((t, price)),
        },
    }
    let (category, ..) = st.auction?;
    let new = st.max?;
    (old != Some(new)).then_some((category, old, new))
}

/// q4's second aggregation: a category's `(sum, count)` of its auctions' maxima, with each
/// change retracting the auction's old maximum.
pub fn q4_average(changes: Vec<(Option<usize>, usize)>, acc: Option<(u64, u64)>) -> (u64, u64) {
    let (mut sum, mut n) = acc.unwrap_or((0, 0));
    for (old, new) in changes {
        match old {
            Some(old) => sum -= old as u64,
            None => n += 1,
        }
        sum += new as u64;
    }
    (sum, n)
}

/// q4, average price per category: `(category, average)` every batch, the average of the
/// highest bid of each auction (among bids placed between its start and its expiry), as
/// Flink's q4 computes it continuously. Two `map_with_state` / `update_state_by_key`
/// stages stand for Flink's join and its two GROUP BYs.
pub fn q4(events: NexmarkSource, out: &Collector<(usize, f64)>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        source nexmark(events)
            |> flat_map(q4_side)
            |> map_with_state(|_auction, side, state| {
                let st = state.get_or_insert_with(Q4State::default);
                side.and_then(|s| q4_join(s, st))
            })
            |> flat_map |c| c
            |> map |(category, old, new)| (category, (old, new))
            |> update_state_by_key(|changes, acc| Some(q4_average(changes, acc)))
            |> map |(category, (sum, n))| (*category, sum as f64 / n as f64)
            |> collect(out)
    }
}

/// An auction q6 follows until it closes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpenAuction {
    /// Who sells it.
    pub seller: usize,
    /// The lowest price it sells at.
    pub reserve: usize,
    /// Its start (`date_time`).
    pub start: u64,
    /// Its end: bids after it do not count.
    pub expires: u64,
    /// The highest bid so far at or above the reserve, placed while it was open.
    pub best: Option<usize>,
}

impl OpenAuction {
    fn offer(&mut self, time: u64, price: usize) {
        if (self.start..=self.expires).contains(&time) && price >= self.reserve {
            self.best = self.best.max(Some(price));
        }
    }
}

/// q6's auctions, all under one key: the open ones, their closing order, and bids that
/// came before their auction.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AuctionBook {
    open: HashMap<usize, OpenAuction>,
    closing: BTreeSet<(u64, usize)>,
    waiting: HashMap<usize, Vec<(u64, usize)>>,
    /// The highest auction id seen: ids come in order, so a bid for an auction at or below
    /// it that is not open is for a closed one.
    newest: Option<usize>,
}

/// What q6 reads of an event: 40 bytes, where an event is 112 and owns strings. The
/// DSL form projects each event to it before `map_with_state`, so that what moves through
/// the stage is small (Flink's planner likewise reads only the columns a query names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Q6Event {
    /// An auction opens: `id`, `seller`, `reserve`, `date_time`, `expires`.
    Auction {
        id: usize,
        seller: usize,
        reserve: usize,
        date_time: u64,
        expires: u64,
    },
    /// A bid: `auction`, `price`, `date_time`.
    Bid {
        auction: usize,
        price: usize,
        date_time: u64,
    },
    /// A person registers: only its time counts (it closes the auctions expired before it).
    Person { date_time: u64 },
}

impl Q6Event {
    /// The event's columns q6 reads.
    #[inline]
    pub fn of(e: &Event) -> Self {
        match e {
            Event::Auction(a) => Q6Event::Auction {
                id: a.id,
                seller: a.seller,
                reserve: a.reserve,
                date_time: a.date_time,
                expires: a.expires,
            },
            Event::Bid(b) => Q6Event::Bid {
                auction: b.auction,
                price: b.price,
                date_time: b.date_time,
            },
            Event::Person(p) => Q6Event::Person {
                date_time: p.date_time,
            },
        }
    }

    fn date_time(&self) -> u64 {
        match *self {
            Q6Event::Auction { date_time, .. }
            | Q6Event::Bid { date_time, .. }
            | Q6Event::Person { date_time } => date_time,
        }
    }
}

impl AuctionBook {
    /// Takes one event: first closes the auctions that expired before its time, returning
    /// `(seller, price)` of those that sold (Nexmark's winning bids), in order of expiry.
    pub fn step(&mut self, e: Q6Event) -> Vec<(usize, usize)> {
        let now = e.date_time();
        let mut sold = Vec::new();
        while let Some(&(expires, id)) = self.closing.first() {
            if expires >= now {
                break;
            }
            self.closing.pop_first();
            if let Some(a) = self.open.remove(&id) {
                sold.extend(a.best.map(|p| (a.seller, p)));
            }
        }
        match e {
            Q6Event::Auction {
                id,
                seller,
                reserve,
                date_time,
                expires,
            } => {
                let mut open = OpenAuction {
                    seller,
                    reserve,
                    start: date_time,
                    expires,
                    best: None,
                };
                for (t, price) in self.waiting.remove(&id).unwrap_or_default() {
                    open.offer(t, price);
                }
                self.closing.insert((expires, id));
                self.open.insert(id, open);
                self.newest = self.newest.max(Some(id));
            }
            Q6Event::Bid {
                auction,
                price,
                date_time,
            } => match self.open.get_mut(&auction) {
                Some(open) => open.offer(date_time, price),
                None if self.newest.is_none_or(|n| auction > n) => self
                    .waiting
                    .entry(auction)
                    .or_default()
                    .push((date_time, price)),
                None => {}
            },
            Q6Event::Person { .. } => {}
        }
        sold
    }
}

/// How many of a seller's last sales q6 averages.
pub const Q6_LAST: usize = 10;

/// q6, average selling price by seller: `(seller, average)` each time one of the seller's
/// auctions closes with a winning bid (the highest at or above its reserve, placed before
/// it expired), averaged over the seller's last 10 sales.
pub fn q6(events: NexmarkSource, out: &Collector<(usize, f64)>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        source nexmark(events)
            |> map |e| (0u8, Q6Event::of(&e))
            |> map_with_state(|_, e, state| {
                let book = state.get_or_insert_with(AuctionBook::default);
                e.map(|e| book.step(e)).unwrap_or_default()
            })
            |> flat_map |sold| sold
            |> map_with_state(|seller, price, state| {
                let last = state.get_or_insert_with(VecDeque::new);
                last.extend(price);
                if last.len() > Q6_LAST {
                    last.pop_front();
                }
                let sum: u64 = last.iter().map(|&p| p as u64).sum();
                (*seller, sum as f64 / last.len() as f64)
            })
            |> collect(out)
    }
}

/// q5, hot items: for each hopping window of 10 s sliding by 2 s, `(window start ms,
/// auction, bids)` of the auction(s) with the most bids in it. The per-window counts come
/// out of `event_window .. count_by_value` when the watermark closes the window (all of a
/// window's counts in one batch), so the maximum is a plain `reduce_by_key` by window.
pub fn q5(events: NexmarkSource, out: &Collector<(i64, usize, u64)>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        source nexmark(events)
            |> event_time(|e| e.timestamp()) watermark 0s
            |> flat_map |e| e.bid().map(|b| b.auction)
            |> event_window(10s, 2s) count_by_value
            |> map |((w, auction), n)| (w.start.as_millis(), RowsAtMax::of(n as u64, auction))
            |> reduce_by_key(RowsAtMax::merge)
            |> flat_map |(start, top)| {
                let (n, auctions) = top.into_rows();
                auctions.map(move |a| (start, a, n))
            }
            |> collect(out)
    }
}

/// A q7 bid: `(auction, price, bidder, date_time)`.
pub type Q7Bid = (usize, usize, usize, u64);

/// q7, highest bid: for each tumbling 10 s window, `(window start ms, bid)` of the bid(s)
/// with the highest price in it.
pub fn q7(events: NexmarkSource, out: &Collector<(i64, Q7Bid)>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        source nexmark(events)
            |> event_time(|e| e.timestamp()) watermark 0s
            |> flat_map |e| e.bid()
            |> map |b| ((), RowsAtMax::of(b.price as u64, (b.auction, b.price, b.bidder, b.date_time)))
            |> event_window(10s, 10s) reduce_by_key(RowsAtMax::merge)
            |> flat_map |((w, _), top)| top.into_rows().1.map(move |b| (w.start.as_millis(), b))
            |> collect(out)
    }
}

/// q8, monitor new users: `(person id, name, window start ms)` of the persons who
/// registered and opened an auction in the same tumbling 10 s window. Both sides are
/// keyed by person and reduced in one window: the join of Flink's two windowed GROUP BYs.
pub fn q8(events: NexmarkSource, out: &Collector<(usize, String, i64)>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        source nexmark(events)
            |> event_time(|e| e.timestamp()) watermark 0s
            |> flat_map |e| match e {
                Event::Person(p) => Some((p.id, (Some(p.name), false))),
                Event::Auction(a) => Some((a.seller, (None, true))),
                Event::Bid(_) => None,
            }
            |> event_window(10s, 10s) reduce_by_key(|a: (Option<String>, bool), b: (Option<String>, bool)| (a.0.or(b.0), a.1 || b.1))
            |> flat_map |((w, id), (name, opened))| name.filter(|_| opened).map(|n| (id, n, w.start.as_millis()))
            |> collect(out)
    }
}

/// q8 in SQL: Nexmark's text, its two windowed GROUP BYs as `let` queries and their join
/// (both windows close in the batch the watermark passes them, so the batch's join pairs
/// them exactly).
pub fn q8_sql(events: NexmarkSource, out: &Collector<(usize, String, i64)>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        // A `let` stream read twice is copied for each reader: the bids (92% of the
        // events) are dropped first and only the columns q8 reads are kept (as Flink's
        // source reads only the tables and columns a query names), so the copies are of
        // small tuples, not of whole events and their strings.
        let events = source nexmark(events)
            |> event_time(|e| e.timestamp()) watermark 0s
            |> flat_map |e| match e {
                Event::Person(p) => Some((p.id, Some(p.name), p.date_time)),
                Event::Auction(a) => Some((a.seller, None, a.date_time)),
                Event::Bid(_) => None,
            };
        let persons = events |> flat_map |(id, name, t)| name.map(|name| (id, name, t));
        let auctions = events |> flat_map |(seller, name, t)| name.is_none().then_some((seller, t));
        let p = sql("SELECT id, name, window.start AS starttime FROM persons AS p(id, name, date_time)
                     GROUP BY id, name, window(date_time, '10 seconds')");
        let a = sql("SELECT seller, window.start AS starttime FROM auctions AS a(seller, date_time)
                     GROUP BY seller, window(date_time, '10 seconds')");
        sql("SELECT p.id, p.name, p.starttime FROM p JOIN a ON p.id = a.seller AND p.starttime = a.starttime")
            |> map |r| (
                r.id.unwrap_or_default() as usize,
                r.name.unwrap_or_default(),
                r.starttime.map_or(0, |t| t.as_millis()),
            )
            |> collect(out)
    }
}

/// q5 in SQL: Nexmark's text has a subquery (the maximum per window) joined back to the
/// counts; here the counts and their maxima are `let` queries and the join reads both.
/// Each window's counts all come out in the batch that closes it (append mode), so the
/// per-batch maximum is the window's and the batch's join is exact.
pub fn q5_sql(events: NexmarkSource, out: &Collector<(i64, usize, u64)>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        let bids = source nexmark(events)
            |> event_time(|e| e.timestamp()) watermark 0s
            |> flat_map |e| e.bid();
        let counts = sql("SELECT auction, window.start AS starttime, count(*) AS num FROM bids
                          GROUP BY auction, window(date_time, '10 seconds', '2 seconds')");
        let maxes = sql("SELECT starttime, max(num) AS maxn FROM counts GROUP BY starttime");
        sql("SELECT c.starttime, c.auction, c.num FROM counts AS c
             JOIN maxes AS m ON c.starttime = m.starttime WHERE c.num = m.maxn")
            |> map |r| (
                r.starttime.map_or(0, |t| t.as_millis()),
                r.auction.unwrap_or_default() as usize,
                r.num.unwrap_or_default() as u64,
            )
            |> collect(out)
    }
}

/// q7 in SQL: Nexmark's text, its subquery (each tumbling window's maximum price) as a
/// `let` query, joined back to the bids over a time range: a bid meets the maximum of the
/// window ending within 10 s after it (`b.date_time >= m.endtime - INTERVAL '10' SECOND
/// AND b.date_time < m.endtime`). Nexmark writes the range `BETWEEN endtime - 10 s AND
/// endtime`, both ends included, so a bid at a window's very end would also meet the
/// window before; the half-open range is the window itself, as the hand loop has it.
/// Being a join back onto the window's own maximum, the macro computes it as the bids at
/// each window's running maximum (the DSL form's plan), without the bids waiting for the
/// maximum in a join; `maxes` is then read by nothing and does not run.
pub fn q7_sql(events: NexmarkSource, out: &Collector<(i64, Q7Bid)>) -> Pipeline {
    let out = out.clone();
    stream_pipeline! {
        batch 1s;
        parallelism { parallelism() };
        // Only the columns q7 reads are kept (a projection Flink's planner pushes into
        // its source): a window holds plain tuples, not each bid's strings.
        let bids = source nexmark(events)
            |> event_time(|e| e.timestamp()) watermark 0s
            |> flat_map |e| e.bid().map(|b| (b.auction, b.price, b.bidder, b.date_time));
        let maxes = sql("SELECT window.end AS endtime, max(price) AS maxprice
                         FROM bids AS b(auction, price, bidder, date_time)
                         GROUP BY window(date_time, '10 seconds')");
        sql("SELECT b.auction, b.price, b.bidder, b.date_time, m.endtime
             FROM bids AS b(auction, price, bidder, date_time)
             JOIN maxes AS m ON b.price = m.maxprice
              AND b.date_time >= m.endtime - INTERVAL '10' SECOND AND b.date_time < m.endtime")
            |> map |r| {
                // SQL's BIGINT columns back to the bid's own types.
                let bid = (
                    r.auction.unwrap_or_default() as usize,
                    r.price.unwrap_or_default() as usize,
                    r.bidder.unwrap_or_default() as usize,
                    r.date_time.unwrap_or_default() as u64,
                );
                (r.endtime.map_or(0, |t| t.as_millis() - 10_000), bid)
            }
            |> collect(out)
    }
}
