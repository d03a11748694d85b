//! Nexmark q0–q8 (`examples/nexmark/queries.rs`): for each query its DSL form, its SQL form
//! where there is one, and a hand-written Rust loop, over the same 1 M events generated once
//! before the timing (`nexmark().replay(batches)` hands each batch's vec to the pipeline whole,
//! as the hand loop takes them), in batches of 100,000, on one thread (`parallelism 1`):
//! events per second per core. The generator is timed apart (`nexmark_generate`).
//!
//! The hand loops are what a programmer would write without the engine: the same batches,
//! `HashMap`s (ahash, as the pipeline's keyed stages) and `BTreeMap`s, windows closed at the end of each batch as the
//! watermark (the latest event time) passes them. Where a query's step is a function of
//! `queries.rs` (q3's and q4's join steps, q6's auction book) the loop calls it too, so the
//! ratio is the engine's cost around the same work. Before timing, each form runs once and
//! must give as many rows as its hand loop (`tests/nexmark.rs` checks the rows themselves).
//!
//! Then, as `benches/sql.rs` does, rounds time the forms back to back (this machine is
//! shared and its load moves between one variant's seconds and the next's) and print, per
//! query, DSL / hand and SQL / hand: the median of the rounds' own ratios and the ratio of
//! the fastest runs, then the fastest runs' times (so a ratio that moves shows which side
//! moved).
//!
//! The bench runs on mimalloc ([`ALLOCATOR`]). Every form is still timed with the
//! allocator settled at its end ([`measured`]), which matters under glibc (the earlier
//! tables): glibc keeps freed small blocks (the events' strings) in fast bins and merges
//! them only when a large block is next asked for, so a form that allocates a large vec
//! after freeing events pays for the frees of the form before it.
//!
//! `cargo bench --bench nexmark` (about 3 minutes; `NEXMARK_ROUNDS=n` paired rounds, 5 by
//! default, 0 for none; `NEXMARK_ONLY=q5` one query; `NEXMARK_FORM=dsl` (or `hand`, `sql`)
//! runs only that form before the timing and checks nothing, for callgrind:
//! `NEXMARK_EVENTS=200000 NEXMARK_ONLY=q5 NEXMARK_FORM=dsl NEXMARK_ROUNDS=0 valgrind
//! --tool=callgrind --toggle-collect='*measured*' <bench binary> --bench none`).

use std::collections::{BTreeMap, VecDeque};
use std::hint::black_box;
use std::sync::LazyLock;
use std::time::Instant;

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group};
use streaming::nexmark::{Event, NexmarkSource, nexmark};
use streaming::prelude::*;

#[path = "../examples/nexmark/queries.rs"]
mod queries;

use queries::{AuctionBook, Q1_RATE, Q3State, Q4State, Q6_LAST, Q7Bid};

/// mimalloc, as `examples/nexmark` uses: each event owns three to six strings, and glibc's
/// frees (with the consolidation of its fast bins, see [`measured`]) were 80% of the hand
/// q0 loop's instructions; mimalloc's take a tenth of that, so what is timed is the query.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Events in all: 1 M, or `NEXMARK_EVENTS` (fewer under callgrind), in batches of 100,000.
static EVENTS: LazyLock<u64> = LazyLock::new(|| {
    std::env::var("NEXMARK_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
});
const PER_BATCH: u64 = 100_000;

/// The hand loops' maps: ahash, as the pipeline's keyed stages use.
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;
const WINDOW: i64 = 10_000;

fn source() -> NexmarkSource {
    nexmark().events(*EVENTS).per_batch(PER_BATCH)
}

/// A form of a query: takes the events in their batches, gives the number of rows it
/// produced.
type Run = fn(Vec<Vec<Event>>) -> usize;

/// A query's DSL or SQL function run over the events, every batch's rows taken out of
/// the collector (moved, not cloned) and dropped, the pipeline dropped inside the timing
/// (as the hand loop drops its rows and maps).
fn run_pipeline<T>(
    query: fn(NexmarkSource, &Collector<T>) -> Pipeline,
    events: Vec<Vec<Event>>,
) -> usize {
    let out = Collector::new();
    let mut p = query(source().replay(events), &out);
    if let Err(e) = p.run_batches(EVENTS.div_ceil(PER_BATCH)) {
        panic!("{e}");
    }
    drop(p);
    out.take().iter().map(|(_, b)| b.len()).sum()
}

macro_rules! pipeline {
    ($q:path) => {
        |events: Vec<Vec<Event>>| -> usize { run_pipeline($q, events) }
    };
}

/// One run of a form, the allocator settled after it (see the module's documentation):
/// a 64 KiB block is a "large" request to glibc, which first merges the fast bins. Not
/// inlined: callgrind's `--toggle-collect='*measured*'` counts exactly this.
#[inline(never)]
fn measured(run: Run, events: Vec<Vec<Event>>) -> usize {
    let rows = run(events);
    black_box(Vec::<u8>::with_capacity(1 << 16));
    rows
}

/// The events batch by batch: `f(Some(event), _)` for each, then `f(None, watermark)` at
/// each batch's end (the watermark: the latest event time so far).
fn batches(events: Vec<Vec<Event>>, mut f: impl FnMut(Option<Event>, i64)) {
    let mut watermark = i64::MIN;
    for batch in events {
        for e in batch {
            watermark = watermark.max(e.date_time() as i64);
            f(Some(e), watermark);
        }
        f(None, watermark);
    }
}

fn window_start(t: i64, slide: i64) -> i64 {
    t - t.rem_euclid(slide)
}

/// Removes the windows (by start, in order) that end at or before the watermark.
fn close<W>(windows: &mut BTreeMap<i64, W>, watermark: i64, mut emit: impl FnMut(i64, W)) {
    while let Some(entry) = windows.first_entry() {
        if entry.key() + WINDOW > watermark {
            break;
        }
        let (start, w) = entry.remove_entry();
        emit(start, w);
    }
}

fn hand_q0(events: Vec<Vec<Event>>) -> usize {
    let mut out = Vec::new();
    batches(events, |e, _| {
        if let Some(Event::Bid(b)) = e {
            out.push(b);
        }
    });
    out.len()
}

fn hand_q1(events: Vec<Vec<Event>>) -> usize {
    let mut out = Vec::new();
    batches(events, |e, _| {
        if let Some(Event::Bid(b)) = e {
            out.push((b.auction, b.bidder, b.price as f64 * Q1_RATE, b.date_time));
        }
    });
    out.len()
}

fn hand_q2(events: Vec<Vec<Event>>) -> usize {
    let mut out = Vec::new();
    batches(events, |e, _| {
        if let Some(Event::Bid(b)) = e {
            if b.auction % 123 == 0 {
                out.push((b.auction, b.price));
            }
        }
    });
    out.len()
}

fn hand_q3(events: Vec<Vec<Event>>) -> usize {
    let mut sellers: HashMap<usize, Q3State> = HashMap::default();
    let mut out = Vec::new();
    batches(events, |e, _| {
        if let Some((seller, side)) = e.and_then(queries::q3_side) {
            out.extend(queries::q3_join(side, sellers.entry(seller).or_default()));
        }
    });
    out.len()
}

fn hand_q4(events: Vec<Vec<Event>>) -> usize {
    let mut auctions: HashMap<usize, Q4State> = HashMap::default();
    let mut categories: HashMap<usize, (u64, u64)> = HashMap::default();
    let mut out = Vec::new();
    batches(events, |e, _| {
        let Some(e) = e else {
            // As the DSL's `update_state_by_key`: every category's average every batch.
            for (&category, &(sum, n)) in &categories {
                out.push((category, sum as f64 / n as f64));
            }
            return;
        };
        let Some((auction, side)) = queries::q4_side(e) else {
            return;
        };
        let st = auctions.entry(auction).or_default();
        if let Some((category, old, new)) = queries::q4_join(side, st) {
            let (sum, n) = categories.entry(category).or_default();
            match old {
                Some(old) => *sum -= old as u64,
                None => *n += 1,
            }
            *sum += new as u64;
        }
    });
    out.len()
}

fn hand_q5(events: Vec<Vec<Event>>) -> usize {
    let mut windows: BTreeMap<i64, HashMap<usize, u64>> = BTreeMap::new();
    let mut out = Vec::new();
    batches(events, |e, watermark| match e {
        Some(Event::Bid(b)) => {
            let t = b.date_time as i64;
            let mut s = window_start(t, 2_000);
            while s > t - WINDOW {
                *windows.entry(s).or_default().entry(b.auction).or_default() += 1;
                s -= 2_000;
            }
        }
        Some(_) => {}
        None => close(&mut windows, watermark, |start, counts| {
            let top = counts.values().copied().max().unwrap_or(0);
            for (auction, n) in counts {
                if n == top {
                    out.push((start, auction, n));
                }
            }
        }),
    });
    out.len()
}

fn hand_q6(events: Vec<Vec<Event>>) -> usize {
    let mut book = AuctionBook::default();
    let mut last: HashMap<usize, VecDeque<usize>> = HashMap::default();
    let mut out = Vec::new();
    batches(events, |e, _| {
        let Some(e) = e else { return };
        for (seller, price) in book.step(queries::Q6Event::of(&e)) {
            let prices = last.entry(seller).or_default();
            prices.push_back(price);
            if prices.len() > Q6_LAST {
                prices.pop_front();
            }
            let sum: u64 = prices.iter().map(|&p| p as u64).sum();
            out.push((seller, sum as f64 / prices.len() as f64));
        }
    });
    out.len()
}

fn hand_q7(events: Vec<Vec<Event>>) -> usize {
    let mut windows: BTreeMap<i64, (usize, Vec<Q7Bid>)> = BTreeMap::new();
    let mut out = Vec::new();
    batches(events, |e, watermark| match e {
        Some(Event::Bid(b)) => {
            let start = window_start(b.date_time as i64, WINDOW);
            let (top, bids) = windows.entry(start).or_default();
            let bid = (b.auction, b.price, b.bidder, b.date_time);
            if b.price > *top || bids.is_empty() {
                *top = b.price;
                bids.clear();
                bids.push(bid);
            } else if b.price == *top {
                bids.push(bid);
            }
        }
        Some(_) => {}
        None => close(&mut windows, watermark, |start, (_, bids)| {
            out.extend(bids.into_iter().map(|b| (start, b)));
        }),
    });
    out.len()
}

fn hand_q8(events: Vec<Vec<Event>>) -> usize {
    let mut windows: BTreeMap<i64, HashMap<usize, (Option<String>, bool)>> = BTreeMap::new();
    let mut out = Vec::new();
    batches(events, |e, watermark| {
        let (id, t, name, opened) = match e {
            Some(Event::Person(p)) => (p.id, p.date_time, Some(p.name), false),
            Some(Event::Auction(a)) => (a.seller, a.date_time, None, true),
            Some(Event::Bid(_)) => return,
            None => {
                return close(&mut windows, watermark, |start, persons| {
                    for (id, (name, opened)) in persons {
                        if let Some(name) = name.filter(|_| opened) {
                            out.push((id, name, start));
                        }
                    }
                });
            }
        };
        let start = window_start(t as i64, WINDOW);
        let slot = windows.entry(start).or_default().entry(id).or_default();
        if slot.0.is_none() {
            slot.0 = name;
        }
        slot.1 |= opened;
    });
    out.len()
}

struct Query {
    name: &'static str,
    hand: Run,
    dsl: Run,
    sql: Option<Run>,
}

fn queries() -> Vec<Query> {
    vec![
        Query {
            name: "q0",
            hand: hand_q0,
            dsl: pipeline!(queries::q0),
            sql: Some(pipeline!(queries::q0_sql)),
        },
        Query {
            name: "q1",
            hand: hand_q1,
            dsl: pipeline!(queries::q1),
            sql: Some(pipeline!(queries::q1_sql)),
        },
        Query {
            name: "q2",
            hand: hand_q2,
            dsl: pipeline!(queries::q2),
            sql: Some(pipeline!(queries::q2_sql)),
        },
        Query {
            name: "q3",
            hand: hand_q3,
            dsl: pipeline!(queries::q3),
            sql: None,
        },
        Query {
            name: "q4",
            hand: hand_q4,
            dsl: pipeline!(queries::q4),
            sql: None,
        },
        Query {
            name: "q5",
            hand: hand_q5,
            dsl: pipeline!(queries::q5),
            sql: Some(pipeline!(queries::q5_sql)),
        },
        Query {
            name: "q6",
            hand: hand_q6,
            dsl: pipeline!(queries::q6),
            sql: None,
        },
        Query {
            name: "q7",
            hand: hand_q7,
            dsl: pipeline!(queries::q7),
            sql: Some(pipeline!(queries::q7_sql)),
        },
        Query {
            name: "q8",
            hand: hand_q8,
            dsl: pipeline!(queries::q8),
            sql: Some(pipeline!(queries::q8_sql)),
        },
    ]
}

/// Over `rounds`, each running every form once (starting with a different one each
/// round, so none always runs on a warmer cache): per form after the first, the median of
/// the rounds' own ratios (its time / the first form's) and the ratio of the fastest times;
/// and every form's fastest time, in seconds.
fn paired_ratios(
    events: &[Vec<Event>],
    forms: &[Run],
    rounds: usize,
) -> (Vec<(f64, f64)>, Vec<f64>) {
    let time = |run: Run| {
        let input = events.to_vec();
        let start = Instant::now();
        black_box(measured(run, input));
        start.elapsed().as_secs_f64()
    };
    let mut times: Vec<Vec<f64>> = Vec::new();
    for r in 0..rounds {
        let mut round = vec![0.0; forms.len()];
        for k in 0..forms.len() {
            let i = (r + k) % forms.len();
            round[i] = time(forms[i]);
        }
        times.push(round);
    }
    let fastest: Vec<f64> = (0..forms.len())
        .map(|j| times.iter().map(|t| t[j]).fold(f64::INFINITY, f64::min))
        .collect();
    let ratios = (1..forms.len())
        .map(|i| {
            let mut ratios: Vec<f64> = times.iter().map(|t| t[i] / t[0]).collect();
            ratios.sort_by(f64::total_cmp);
            (ratios[ratios.len() / 2], fastest[i] / fastest[0])
        })
        .collect();
    (ratios, fastest)
}

fn bench(c: &mut Criterion) {
    queries::PARALLELISM.store(1, std::sync::atomic::Ordering::Relaxed);

    let mut g = c.benchmark_group("nexmark_generate");
    g.throughput(Throughput::Elements(*EVENTS));
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("generator", |b| {
        b.iter(|| black_box(source().generate(*EVENTS).len()))
    });
    g.finish();

    // The batches the source would give (`per_batch`): each replayed vec is one batch's.
    let events: Vec<Vec<Event>> = source()
        .generate(*EVENTS)
        .chunks(PER_BATCH as usize)
        .map(<[Event]>::to_vec)
        .collect();
    // `NEXMARK_ONLY=q5` runs one query (for callgrind).
    let only = std::env::var("NEXMARK_ONLY").ok();
    let queries: Vec<Query> = queries()
        .into_iter()
        .filter(|q| only.as_deref().is_none_or(|o| o == q.name))
        .collect();
    if let Ok(form) = std::env::var("NEXMARK_FORM") {
        for q in &queries {
            let run = match form.as_str() {
                "hand" => Some(q.hand),
                "dsl" => Some(q.dsl),
                _ => q.sql,
            };
            if let Some(run) = run {
                let rows = measured(run, events.clone());
                println!("{} {form}: {rows} rows from {} events", q.name, *EVENTS);
            }
        }
        return;
    }
    for q in &queries {
        let rows = measured(q.hand, events.clone());
        let dsl = measured(q.dsl, events.clone());
        assert_eq!(
            dsl, rows,
            "{}: the DSL form's rows against the hand loop's",
            q.name
        );
        if let Some(sql) = q.sql {
            let sql = measured(sql, events.clone());
            assert_eq!(
                sql, rows,
                "{}: the SQL form's rows against the hand loop's",
                q.name
            );
        }
        println!("{}: {rows} rows from {} events", q.name, *EVENTS);
    }

    for q in &queries {
        let mut g = c.benchmark_group(format!("nexmark_{}", q.name));
        g.throughput(Throughput::Elements(*EVENTS));
        g.sample_size(10);
        g.sampling_mode(SamplingMode::Flat);
        g.warm_up_time(std::time::Duration::from_millis(500));
        g.measurement_time(std::time::Duration::from_secs(2));
        let forms = [("hand", Some(q.hand)), ("dsl", Some(q.dsl)), ("sql", q.sql)];
        for (name, run) in forms {
            let Some(run) = run else { continue };
            g.bench_function(name, |b| {
                b.iter_batched(
                    || events.clone(),
                    |events| measured(run, events),
                    BatchSize::LargeInput,
                )
            });
        }
        g.finish();
    }

    let rounds = std::env::var("NEXMARK_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    if rounds == 0 {
        return;
    }
    for q in &queries {
        let forms: Vec<Run> = [Some(q.hand), Some(q.dsl), q.sql]
            .into_iter()
            .flatten()
            .collect();
        let (ratios, fastest) = paired_ratios(&events, &forms, rounds);
        let show = |(median, fastest): (f64, f64)| {
            format!("{median:.3} (median of {rounds} rounds), {fastest:.3} (fastest runs)")
        };
        let mut line = format!("nexmark_{}: DSL / hand = {}", q.name, show(ratios[0]));
        if let Some(&sql) = ratios.get(1) {
            line += &format!("; SQL / hand = {}", show(sql));
        }
        // The fastest runs themselves: whether a ratio moved with the forms or the hand loop.
        let ms: Vec<String> = ["hand", "DSL", "SQL"]
            .iter()
            .zip(&fastest)
            .map(|(form, t)| format!("{form} {:.1} ms", t * 1e3))
            .collect();
        line += &format!(" (fastest: {})", ms.join(", "));
        println!("{line}");
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
