//! Nexmark's queries (`examples/nexmark/queries.rs`) against hand-written loops over the
//! same generated events: each DSL pipeline must give exactly what the loop computes, over
//! several thousand events in several batches on the manual clock. And `source nexmark()`
//! resumes exactly from a checkpoint.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use streaming::nexmark::{Bid, Event, NexmarkSource, nexmark};
use streaming::prelude::*;

#[path = "../examples/nexmark/queries.rs"]
mod queries;

const EVENTS: u64 = 12_000;
const PER_BATCH: u64 = 1_000;
const BATCHES: u64 = EVENTS / PER_BATCH;

/// 200 events per second of event time: 12,000 events span 60 s, several windows of
/// 10 s; batches of 1,000 events cover 5 s each.
fn source() -> NexmarkSource {
    nexmark()
        .events(EVENTS)
        .per_batch(PER_BATCH)
        .event_rate(200)
}

fn events() -> Vec<Event> {
    source().generate(EVENTS)
}

fn bids() -> Vec<Bid> {
    events().into_iter().filter_map(Event::bid).collect()
}

fn flat<T: Clone>(c: &Collector<T>) -> Vec<T> {
    c.batches().into_iter().flat_map(|(_, b)| b).collect()
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// The watermark after the last batch (`watermark 0s`: the latest event time), and the
/// start of each window of length `len` sliding by `slide` that closed by then.
const WINDOW: i64 = 10_000;

fn last_watermark() -> i64 {
    events()
        .iter()
        .map(|e| e.date_time() as i64)
        .max()
        .unwrap_or(0)
}

/// The starts of the windows of `len` sliding by `slide` (aligned to the epoch) that hold
/// time `t`.
fn window_starts(t: i64, len: i64, slide: i64) -> Vec<i64> {
    let last = t - t.rem_euclid(slide);
    let mut starts = Vec::new();
    let mut s = last;
    while s > t - len {
        starts.push(s);
        s -= slide;
    }
    starts
}

#[test]
fn the_source_gives_every_event_once_in_generator_order() {
    let out = Collector::new();
    let events_in = source();
    let mut p = stream_pipeline! {
        batch 1s;
        source nexmark(events_in) |> collect(out)
    };
    p.run_batches(BATCHES + 2).unwrap();
    let batches = out.batches();
    assert!(
        batches[..BATCHES as usize]
            .iter()
            .all(|(_, b)| b.len() == PER_BATCH as usize)
    );
    assert!(
        batches[BATCHES as usize..]
            .iter()
            .all(|(_, b)| b.is_empty())
    );
    assert_eq!(flat(&out), events());
    let kinds = events().iter().fold([0; 3], |mut k, e| {
        k[match e {
            Event::Person(_) => 0,
            Event::Auction(_) => 1,
            Event::Bid(_) => 2,
        }] += 1;
        k
    });
    assert_eq!(kinds, [240, 720, 11_040], "1 : 3 : 46 of every 50");
}

#[test]
fn a_source_replaying_pregenerated_events_gives_the_same_batches() {
    let run = |events: NexmarkSource| {
        let out = Collector::new();
        let mut p = stream_pipeline! {
            batch 1s;
            source nexmark(events) |> collect(out)
        };
        p.run_batches(BATCHES + 1).unwrap();
        out.batches()
    };
    let generated = run(source());
    assert_eq!(run(source().replay([events()])), generated);
    // In vecs of a batch each, vecs of other lengths, and fewer events than the run reads
    // (the generator takes over where they end).
    let per_batch: Vec<Vec<Event>> = events()
        .chunks(PER_BATCH as usize)
        .map(<[Event]>::to_vec)
        .collect();
    assert_eq!(run(source().replay(per_batch)), generated);
    let odd: Vec<Vec<Event>> = events().chunks(700).map(<[Event]>::to_vec).collect();
    assert_eq!(run(source().replay(odd)), generated);
    let first = source().generate(2_500);
    assert_eq!(run(source().replay([first])), generated);
}

#[test]
fn q0_passes_every_bid_through() {
    for q in [queries::q0, queries::q0_sql] {
        let out = Collector::new();
        q(source(), &out).run_batches(BATCHES).unwrap();
        assert_eq!(flat(&out), bids());
    }
}

#[test]
fn q1_converts_every_price() {
    let expected: Vec<_> = bids()
        .into_iter()
        .map(|b| (b.auction, b.bidder, b.price as f64 * 0.908, b.date_time))
        .collect();
    for q in [queries::q1, queries::q1_sql] {
        let out = Collector::new();
        q(source(), &out).run_batches(BATCHES).unwrap();
        assert_eq!(flat(&out), expected);
    }
}

#[test]
fn q2_selects_the_bids_on_every_123rd_auction() {
    let mut expected = Vec::new();
    for b in bids() {
        if b.auction % 123 == 0 {
            expected.push((b.auction, b.price));
        }
    }
    assert!(!expected.is_empty(), "the events hold such bids");
    for q in [queries::q2, queries::q2_sql] {
        let out = Collector::new();
        q(source(), &out).run_batches(BATCHES).unwrap();
        assert_eq!(flat(&out), expected);
    }
}

#[test]
fn q3_joins_local_sellers_with_their_category_10_auctions() {
    let out = Collector::new();
    queries::q3(source(), &out).run_batches(BATCHES).unwrap();
    // A symmetric hash join in event order: each person or auction completes the rows it
    // can with what came before it.
    let mut persons: HashMap<usize, (String, String, String)> = HashMap::new();
    let mut waiting: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut expected = Vec::new();
    for e in events() {
        match e {
            Event::Person(p) if ["or", "id", "ca"].contains(&p.state.as_str()) => {
                for a in waiting.remove(&p.id).unwrap_or_default() {
                    expected.push((p.name.clone(), p.city.clone(), p.state.clone(), a));
                }
                persons.insert(p.id, (p.name, p.city, p.state));
            }
            Event::Auction(a) if a.category == 10 => match persons.get(&a.seller) {
                Some((n, c, s)) => expected.push((n.clone(), c.clone(), s.clone(), a.id)),
                None => waiting.entry(a.seller).or_default().push(a.id),
            },
            _ => {}
        }
    }
    assert!(!expected.is_empty(), "the events hold such pairs");
    assert_eq!(flat(&out), expected);
}

#[test]
fn q4_averages_each_categorys_highest_bids_every_batch() {
    let out = Collector::new();
    queries::q4(source(), &out).run_batches(BATCHES).unwrap();
    let all = events();
    // From scratch after each batch: each auction's highest bid placed while it was open,
    // averaged per category.
    let mut expected = Vec::new();
    for k in 1..=BATCHES as usize {
        let seen = &all[..k * PER_BATCH as usize];
        let mut auctions = HashMap::new();
        for e in seen {
            if let Event::Auction(a) = e {
                auctions.insert(a.id, (a.category, a.date_time, a.expires));
            }
        }
        let mut max: HashMap<usize, usize> = HashMap::new();
        for e in seen {
            if let Event::Bid(b) = e {
                if let Some(&(_, start, end)) = auctions.get(&b.auction) {
                    if start <= b.date_time && b.date_time <= end {
                        let m = max.entry(b.auction).or_default();
                        *m = (*m).max(b.price);
                    }
                }
            }
        }
        let mut per_category: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
        for (auction, price) in max {
            let acc = per_category.entry(auctions[&auction].0).or_default();
            acc.0 += price as u64;
            acc.1 += 1;
        }
        let rows: Vec<_> = per_category
            .into_iter()
            .map(|(c, (sum, n))| (c, sum as f64 / n as f64))
            .collect();
        expected.push(rows);
    }
    let got: Vec<Vec<(usize, f64)>> = out
        .batches()
        .into_iter()
        .map(|(_, mut b)| {
            b.sort_by_key(|r| r.0);
            b
        })
        .collect();
    assert_eq!(expected.last().map(Vec::len), Some(5), "every category");
    assert_eq!(got, expected);
}

#[test]
fn q6_averages_each_sellers_last_ten_sales() {
    let out = Collector::new();
    queries::q6(source(), &out).run_batches(BATCHES).unwrap();
    let all = events();
    // Each auction closes at the first event after its expiry; it sells for its highest
    // bid at or above the reserve placed between its start and its expiry.
    let mut sales = Vec::new();
    for (i, e) in all.iter().enumerate() {
        let Event::Auction(a) = e else { continue };
        let Some(closed_at) = (i..all.len()).find(|&j| all[j].date_time() > a.expires) else {
            continue;
        };
        let best = all
            .iter()
            .filter_map(Event::as_bid)
            .filter(|b| b.auction == a.id && a.date_time <= b.date_time && b.date_time <= a.expires)
            .filter(|b| b.price >= a.reserve)
            .map(|b| b.price)
            .max();
        if let Some(price) = best {
            sales.push(((closed_at, a.expires, a.id), a.seller, price));
        }
    }
    sales.sort();
    let mut last: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut expected = Vec::new();
    for (_, seller, price) in sales {
        let prices = last.entry(seller).or_default();
        prices.push(price);
        let from = prices.len().saturating_sub(10);
        let sum: u64 = prices[from..].iter().map(|&p| p as u64).sum();
        expected.push((seller, sum as f64 / (prices.len() - from) as f64));
    }
    assert!(expected.len() >= 20, "{} sales", expected.len());
    assert_eq!(flat(&out), expected);
}

#[test]
fn q5_finds_the_hottest_auctions_of_each_hopping_window() {
    let watermark = last_watermark();
    let mut counts: BTreeMap<i64, HashMap<usize, u64>> = BTreeMap::new();
    for b in bids() {
        for s in window_starts(b.date_time as i64, WINDOW, 2_000) {
            *counts.entry(s).or_default().entry(b.auction).or_default() += 1;
        }
    }
    let mut expected = Vec::new();
    for (start, per_auction) in counts {
        if start + WINDOW > watermark {
            continue; // still open after the last batch
        }
        let top = per_auction.values().copied().max().unwrap_or(0);
        for (auction, n) in per_auction {
            if n == top {
                expected.push((start, auction, n));
            }
        }
    }
    assert!(expected.len() >= 20, "{} windows", expected.len());
    for q in [queries::q5, queries::q5_sql] {
        let out = Collector::new();
        q(source(), &out).run_batches(BATCHES).unwrap();
        assert_eq!(sorted(flat(&out)), sorted(expected.clone()));
    }
}

#[test]
fn q7_finds_the_highest_bids_of_each_tumbling_window() {
    let watermark = last_watermark();
    let mut windows: BTreeMap<i64, Vec<queries::Q7Bid>> = BTreeMap::new();
    for b in bids() {
        let start = b.date_time as i64 - (b.date_time as i64).rem_euclid(WINDOW);
        windows
            .entry(start)
            .or_default()
            .push((b.auction, b.price, b.bidder, b.date_time));
    }
    let mut expected = Vec::new();
    for (start, bids) in windows {
        if start + WINDOW > watermark {
            continue;
        }
        let top = bids.iter().map(|b| b.1).max().unwrap_or(0);
        expected.extend(bids.into_iter().filter(|b| b.1 == top).map(|b| (start, b)));
    }
    assert!(expected.len() >= 5);
    for q in [queries::q7, queries::q7_sql] {
        let out = Collector::new();
        q(source(), &out).run_batches(BATCHES).unwrap();
        assert_eq!(sorted(flat(&out)), sorted(expected.clone()));
    }
}

#[test]
fn q8_finds_the_persons_who_opened_an_auction_in_their_first_window() {
    let watermark = last_watermark();
    let mut persons: BTreeMap<(i64, usize), String> = BTreeMap::new();
    let mut sellers = std::collections::HashSet::new();
    for e in events() {
        let t = e.date_time() as i64;
        let start = t - t.rem_euclid(WINDOW);
        match e {
            Event::Person(p) => {
                persons.insert((start, p.id), p.name);
            }
            Event::Auction(a) => {
                sellers.insert((start, a.seller));
            }
            Event::Bid(_) => {}
        }
    }
    let expected: Vec<_> = persons
        .into_iter()
        .filter(|((start, id), _)| start + WINDOW <= watermark && sellers.contains(&(*start, *id)))
        .map(|((start, id), name)| (id, name, start))
        .collect();
    assert!(!expected.is_empty(), "the events hold new sellers");
    for q in [queries::q8, queries::q8_sql] {
        let out = Collector::new();
        q(source(), &out).run_batches(BATCHES).unwrap();
        assert_eq!(sorted(flat(&out)), sorted(expected.clone()));
    }
}

/// Events per kind (running totals) and bids per 10 s window of event time.
type Totals = (Collector<(String, u64)>, Collector<(i64, u64)>);

fn counting(dir: &Path, out: &Totals) -> Pipeline {
    let (totals, windows) = (out.0.clone(), out.1.clone());
    let dir = dir.to_path_buf();
    let events = source();
    stream_pipeline! {
        batch 1s;
        checkpoint dir every 2s;
        let events = source nexmark(events);
        events |> map |e| (match e { Event::Person(_) => "person", Event::Auction(_) => "auction", Event::Bid(_) => "bid" }.to_string(), 1u64)
               |> update_state_by_key(|new, old| Some(new.into_iter().sum::<u64>() + old.unwrap_or(0)))
               |> map |(k, n)| (k.clone(), n)
               |> collect(totals);
        events |> event_time(|e| e.timestamp()) watermark 0s
               |> flat_map |e| e.bid()
               |> event_window(10s, 10s) count
               |> map |(w, n)| (w.start.as_millis(), n as u64)
               |> collect(windows)
    }
}

#[test]
fn a_checkpointed_nexmark_pipeline_restarted_mid_run_counts_every_event_once() {
    let straight_dir = tempfile::tempdir().unwrap();
    let straight: Totals = (Collector::new(), Collector::new());
    counting(straight_dir.path(), &straight)
        .run_batches(BATCHES)
        .unwrap();

    // Five batches, the last checkpoint after the fourth: the fifth is logged but not
    // checkpointed, so the restart replays it with exactly its events.
    let dir = tempfile::tempdir().unwrap();
    let first: Totals = (Collector::new(), Collector::new());
    counting(dir.path(), &first).run_batches(5).unwrap();
    let resumed: Totals = (Collector::new(), Collector::new());
    counting(dir.path(), &resumed)
        .run_batches(BATCHES - 4)
        .unwrap();

    assert_eq!(
        resumed.0.batches().first().map(|(t, _)| t.milliseconds()),
        Some(5000),
        "the fifth batch, logged but not checkpointed, runs again"
    );
    let last = |c: &Collector<(String, u64)>| c.sorted_batches().last().cloned();
    let end = last(&straight.0);
    assert_eq!(
        end.as_ref().map(|(_, v)| v.clone()),
        Some(vec![
            ("auction".to_string(), 720),
            ("bid".to_string(), 11_040),
            ("person".to_string(), 240)
        ])
    );
    assert_eq!(last(&resumed.0), end, "the same totals at the same batch");
    // Every closed window once (the replayed batch may emit its windows again, equal).
    let mut windows: BTreeMap<i64, u64> = BTreeMap::new();
    for (start, n) in flat(&first.1).into_iter().chain(flat(&resumed.1)) {
        let old = windows.insert(start, n);
        assert!(
            old.is_none_or(|o| o == n),
            "window {start}: {old:?} then {n}"
        );
    }
    let straight_windows: BTreeMap<i64, u64> = flat(&straight.1).into_iter().collect();
    assert!(straight_windows.len() >= 5);
    assert_eq!(windows, straight_windows);
}

#[test]
fn bids_print_as_tables_and_sql_reads_their_fields() {
    let buf = OutputBuffer::new();
    let counts = Collector::new();
    let (shown, queried) = (nexmark().events(100).per_batch(50), source());
    let mut p = stream_pipeline! {
        batch 1s;
        source nexmark(shown) |> flat_map |e| e.person() |> print(1);
        let bids = source nexmark(queried) |> flat_map |e| e.bid();
        sql("SELECT count(*) AS n, max(price) AS top FROM bids WHERE auction % 123 = 0")
            |> map |r| (r.n.unwrap_or(0), r.top.unwrap_or(0))
            |> collect(counts)
    };
    p.print_to(buf.clone());
    p.run_batches(BATCHES).unwrap();
    let text = buf.contents();
    assert!(
        text.contains("|  id|       name|    email_address|        credit_card|    city|state|    date_time|               extra|")
            && text.contains("|1000|vicky noris|yplkvgz@qbxfg.com|7878 5821 1864 2539|cheyenne|   az|1700000000000|"),
        "{text}"
    );
    let bids = bids();
    let expected: Vec<(i64, i64)> = bids
        .chunks(PER_BATCH as usize * 46 / 50)
        .map(|batch| {
            let sel: Vec<_> = batch.iter().filter(|b| b.auction % 123 == 0).collect();
            let top = sel.iter().map(|b| b.price as i64).max().unwrap_or(0);
            (sel.len() as i64, top)
        })
        .collect();
    assert_eq!(flat(&counts), expected);
}

#[test]
fn with_a_rate_each_batch_holds_the_events_generated_during_it() {
    let out = Collector::new();
    let paced = nexmark().rate(3_000).events(5_000);
    let mut p = stream_pipeline! {
        batch 500ms;
        source nexmark(paced) |> count |> collect(out)
    };
    p.run_batches(5).unwrap();
    // 3,000 events per second: 1,500 per 500 ms batch, until the 5,000 are out.
    assert_eq!(flat(&out), vec![1_500, 1_500, 1_500, 500, 0]);
}
