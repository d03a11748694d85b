//! `sql("..")` in a pipeline: queries lowered to stages, per batch, with Spark SQL's
//! semantics; the results checked by hand here, and against SQLite in
//! `tests/sql_oracle.rs`.

use streaming::prelude::*;

mod common;
use common::*;

#[derive(Debug, Clone)]
struct Event {
    action: String,
    user: u32,
    bytes: Option<i64>,
}

fn ev(action: &str, user: u32, bytes: Option<i64>) -> Event {
    Event {
        action: action.into(),
        user,
        bytes,
    }
}

#[test]
fn sql_word_count_per_batch_as_spark_prints_it() {
    let buf = OutputBuffer::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let words = source queue(vec![vec!["cat dog cat", "owl"], vec![]]) |> flat_map split;
        sql("SELECT word, count(*) AS total FROM words AS w(word) GROUP BY word ORDER BY total DESC, word")
            |> print
    };
    p.print_to(buf.clone());
    p.run_batches(2).unwrap();
    assert_eq!(
        buf.contents(),
        "\
-------------------------------------------
Batch: 0
-------------------------------------------
+----+-----+
|word|total|
+----+-----+
| cat|    2|
| dog|    1|
| owl|    1|
+----+-----+

"
    );
}

#[test]
fn where_projection_and_nulls() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let events = source queue(vec![vec![
            ev("click", 1, Some(10)),
            ev("view", 2, None),
            ev("click", 3, Some(5)),
        ]]);
        sql("SELECT upper(action) AS a, user * 2 AS u2, bytes / 4 AS q, bytes IS NULL AS missing
             FROM events WHERE user >= 2 OR action = 'click'")
            |> map |r| (r.a, r.u2, r.q, r.missing)
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    assert_eq!(
        out.batches()[0].1,
        [
            (Some(s("CLICK")), Some(2), Some(2.5), Some(false)),
            (Some(s("VIEW")), Some(4), None, Some(true)),
            (Some(s("CLICK")), Some(6), Some(1.25), Some(false)),
        ]
    );
}

#[test]
fn aggregates_skip_nulls_and_having_filters_groups() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let events = source queue(vec![vec![
            ev("click", 1, Some(10)),
            ev("view", 2, None),
            ev("click", 3, None),
            ev("click", 3, Some(4)),
            ev("buy", 1, None),
        ]]);
        sql("SELECT action, count(*) AS n, count(bytes) AS nb, sum(bytes) AS total,
                    avg(bytes) AS mean, min(user) AS lo, max(user) AS hi,
                    count(DISTINCT user) AS users
             FROM events GROUP BY action HAVING count(*) > 1 OR action = 'view'
             ORDER BY action")
            |> map |r| (r.action, r.n, r.nb, r.total, r.mean, r.lo, r.hi, r.users)
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    assert_eq!(
        out.batches()[0].1,
        [
            (
                Some(s("click")),
                Some(3),
                Some(2),
                Some(14),
                Some(7.0),
                Some(1),
                Some(3),
                Some(2)
            ),
            (
                Some(s("view")),
                Some(1),
                Some(0),
                None,
                None,
                Some(2),
                Some(2),
                Some(1)
            ),
        ]
    );
}

#[test]
fn an_aggregate_without_group_by_gives_one_row_even_for_an_empty_batch() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let events = source queue(vec![vec![ev("a", 1, Some(2)), ev("b", 2, Some(3))], vec![]]);
        sql("SELECT count(*) AS n, sum(bytes) AS total FROM events")
            |> map |r| (r.n, r.total)
            |> collect(out)
    };
    p.run_batches(2).unwrap();
    let b = out.batches();
    assert_eq!(b[0].1, [(Some(2), Some(5))]);
    assert_eq!(b[1].1, [(Some(0), None)]);
}

#[test]
fn order_by_limit_and_select_star() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let events = source queue(vec![vec![
            ev("a", 5, None), ev("b", 1, Some(1)), ev("c", 3, Some(2)), ev("d", 4, None),
        ]]);
        sql("SELECT * FROM events WHERE action <> 'd' ORDER BY user DESC LIMIT 2")
            |> map |e| e.action
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    assert_eq!(out.batches()[0].1, [s("a"), s("c")]);
}

#[test]
fn tuples_and_pairs_name_their_columns() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let pairs = source queue(vec![vec![("x", 1), ("y", 2), ("x", 3)]]);
        sql("SELECT _1 AS k, sum(_2) AS s FROM pairs GROUP BY _1 ORDER BY k")
            |> map |r| (r.k, r.s)
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    assert_eq!(
        out.batches()[0].1,
        [(Some(s("x")), Some(4i64)), (Some(s("y")), Some(2))]
    );
}

#[derive(Debug, Clone, Record)]
struct Visit {
    page: String,
    ms: Option<f64>,
}

#[test]
fn a_derived_record_prints_as_a_table_and_is_queried_by_its_fields() {
    let buf = OutputBuffer::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let visits = source queue(vec![vec![
            Visit { page: "/a".into(), ms: Some(1.5) },
            Visit { page: "/b".into(), ms: None },
        ]]);
        visits |> print;
        sql("SELECT page, ms * 2 AS double_ms FROM visits WHERE ms IS NOT NULL") |> print(1)
    };
    p.print_to(buf.clone());
    p.run_batches(1).unwrap();
    let text = buf.contents();
    assert!(
        text.contains(
            "+----+----+\n|page|  ms|\n+----+----+\n|  /a| 1.5|\n|  /b|null|\n+----+----+\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("+----+---------+\n|page|double_ms|\n+----+---------+\n|  /a|      3.0|\n+----+---------+\n"),
        "{text}"
    );
    assert_eq!(text.matches("Batch: 0").count(), 2, "{text}");
}

#[derive(Debug, Clone, Record)]
struct Click {
    action: String,
    time: Timestamp,
}

fn click(action: &str, minute: i64) -> Click {
    Click {
        action: action.into(),
        time: Timestamp::from_secs(1_764_590_400 + minute * 60),
    }
}

/// The hourly count of clicks per action, as a SQL query into `$sql` and as the
/// `event_window` stage into `$dsl`, in the emit mode given (append by default).
macro_rules! sql_and_stages {
    ($input:expr, $sql:ident, $dsl:ident $(, $emit:ident)?) => {
        stream_pipeline! {
            batch 1s;
            let clicks = source queue($input) |> event_time(|c| c.time) watermark 30m;
            sql("SELECT window, action, count(*) AS n FROM clicks
                 GROUP BY window(time, '1 hour'), action") $(emit $emit)?
                |> map |r| ((r.window.unwrap(), r.action.unwrap()), r.n.unwrap())
                |> collect($sql);
            clicks |> map |c| (c.action.clone(), 1i64)
                |> event_window(1h, 1h) reduce_by_key(+) $(emit $emit)?
                |> collect($dsl)
        }
    };
}

/// Structured Streaming's `groupBy(window($"time", "1 hour"), $"action").count()` after a
/// watermark, written in SQL, against the same aggregation written as DSL stages: the same
/// windows, counts and batches, in every emit mode.
#[test]
fn event_time_windows_in_sql_equal_the_event_window_stage() {
    use proptest::prelude::*;
    let batch =
        (0..12usize).prop_flat_map(|n| proptest::collection::vec((0..3usize, 0i64..300), n));
    proptest!(ProptestConfig::with_cases(64), |(batches in proptest::collection::vec(batch, 1..6))| {
        let actions = ["view", "click", "buy"];
        let input: Vec<Vec<Click>> = batches
            .iter()
            .map(|b| b.iter().map(|&(a, m)| click(actions[a], m)).collect())
            .collect();
        for emit in ["append", "update", "complete"] {
            let (sql_out, dsl_out) = (Collector::new(), Collector::new());
            let mut p = match emit {
                "append" => sql_and_stages!(input.clone(), sql_out, dsl_out),
                "update" => sql_and_stages!(input.clone(), sql_out, dsl_out, update),
                _ => sql_and_stages!(input.clone(), sql_out, dsl_out, complete),
            };
            p.run_batches(input.len() as u64 + 1).unwrap();
            prop_assert_eq!(sql_out.batches(), dsl_out.batches(), "emit {}", emit);
        }
    });
}

#[derive(Debug, Clone, Record)]
struct User {
    id: u32,
    name: String,
}

#[test]
fn inner_and_left_joins_of_two_streams_per_batch() {
    let (inner, left) = (Collector::new(), Collector::new());
    let mut p = stream_pipeline! {
        batch 1s;
        let events = source queue(vec![vec![
            ev("click", 1, Some(10)),
            ev("view", 2, None),
            ev("click", 3, Some(5)),
            ev("buy", 1, Some(7)),
        ], vec![ev("view", 1, None)]]);
        let users = source queue(vec![
            vec![User { id: 1, name: "ann".into() }, User { id: 2, name: "bob".into() }],
            vec![],
        ]);
        sql("SELECT u.name, count(*) AS n, sum(e.bytes) AS bytes
             FROM events e JOIN users u ON e.user = u.id GROUP BY u.name ORDER BY u.name")
            |> map |r| (r.name, r.n, r.bytes)
            |> collect(inner);
        sql("SELECT e.action, e.user, u.name FROM events AS e LEFT JOIN users AS u ON u.id = e.user
             ORDER BY e.user, e.action")
            |> map |r| (r.action, r.user, r.name)
            |> collect(left)
    };
    p.run_batches(2).unwrap();
    let inner = inner.batches();
    assert_eq!(
        inner[0].1,
        [
            (Some(s("ann")), Some(2), Some(17)),
            (Some(s("bob")), Some(1), None)
        ]
    );
    assert!(
        inner[1].1.is_empty(),
        "no users in the second batch: no match"
    );
    let left = left.batches();
    assert_eq!(
        left[0].1,
        [
            (Some(s("buy")), Some(1), Some(s("ann"))),
            (Some(s("click")), Some(1), Some(s("ann"))),
            (Some(s("view")), Some(2), Some(s("bob"))),
            (Some(s("click")), Some(3), None),
        ]
    );
    assert_eq!(left[1].1, [(Some(s("view")), Some(1), None)]);
}

/// Spark's stream–stream join with a time range: clicks meet the impressions of their ad
/// shown up to 5 s before them, across batches, both streams with their own watermark.
#[test]
fn a_join_with_a_time_range_meets_rows_across_batches() {
    let out = Collector::new();
    let at = |s: i64| Timestamp::from_secs(s);
    let impressions = vec![
        vec![(at(1), 7, "i1"), (at(2), 8, "i2")],
        vec![(at(4), 7, "i3")],
        vec![],
    ];
    let clicks = vec![
        vec![(at(1), 7, "c1")],                   // i1, same time: met
        vec![(at(6), 7, "c2"), (at(9), 8, "c3")], // c2 meets i1 (5 s) and i3; c3 is 7 s after i2
        vec![(at(10), 7, "c4")],                  // 6 s after i3: too late
    ];
    let mut p = stream_pipeline! {
        batch 1s;
        let impressions = source queue(impressions) |> event_time(|(t, _, _)| *t) watermark 2s;
        let clicks = source queue(clicks) |> event_time(|(t, _, _)| *t) watermark 2s;
        sql("SELECT c.id AS click, i.id AS impression
             FROM clicks AS c(time, ad, id) JOIN impressions AS i(time, ad, id)
               ON c.ad = i.ad AND c.time BETWEEN i.time AND i.time + INTERVAL '5' SECOND")
            |> map |r| (r.click.unwrap_or_default(), r.impression.unwrap_or_default())
            |> collect(out)
    };
    p.run_batches(3).unwrap();
    assert_eq!(
        sorted(&out),
        vec![
            vec![(s("c1"), s("i1"))],
            vec![(s("c2"), s("i1")), (s("c2"), s("i3"))],
            vec![]
        ]
    );
}

#[test]
fn a_stream_joins_a_named_static_table_in_sql_and_in_stages() {
    // `let afinn = table(expr);` names a static table (Spark's temp view over a static
    // DataFrame): a query joins it by name, and so does the `join` stage.
    let scores = || vec![(String::from("good"), 3i64), (String::from("bad"), -3)];
    let users = vec![
        User {
            id: 1,
            name: "ann".into(),
        },
        User {
            id: 2,
            name: "bob".into(),
        },
    ];
    let (inner, left, staged, named) = (
        Collector::new(),
        Collector::new(),
        Collector::new(),
        Collector::new(),
    );
    let mut p = stream_pipeline! {
        batch 1s;
        let afinn = table(scores());
        let people = table(users);
        let words = source queue(vec![vec!["good day", "bad good"], vec!["meh"]]) |> flat_map split;
        let events = source queue(vec![vec![ev("click", 1, Some(10)), ev("view", 3, None)], vec![]]);
        sql("SELECT w.word, a.score, count(*) AS n FROM words AS w(word)
             JOIN afinn AS a(word, score) ON w.word = a.word
             GROUP BY w.word, a.score ORDER BY w.word")
            |> map |r| (r.word, r.score, r.n)
            |> collect(inner);
        sql("SELECT w.word, a.score FROM words AS w(word)
             LEFT JOIN afinn AS a(word, score) ON a.word = w.word ORDER BY w.word")
            |> map |r| (r.word, r.score)
            |> collect(left);
        sql("SELECT e.action, p.name FROM events e JOIN people p ON e.user = p.id")
            |> map |r| (r.action, r.name)
            |> collect(named);
        words |> map |w| (w.to_string(), 1) |> join(afinn) |> collect(staged)
    };
    p.run_batches(2).unwrap();
    let inner = inner.batches();
    assert_eq!(
        inner[0].1,
        [
            (Some(s("bad")), Some(-3), Some(1)),
            (Some(s("good")), Some(3), Some(2))
        ]
    );
    assert!(inner[1].1.is_empty(), "`meh` has no score");
    let left = left.batches();
    assert_eq!(
        left[0].1,
        [
            (Some(s("bad")), Some(-3)),
            (Some(s("day")), None),
            (Some(s("good")), Some(3)),
            (Some(s("good")), Some(3)),
        ]
    );
    assert_eq!(left[1].1, [(Some(s("meh")), None)]);
    assert_eq!(
        named.batches()[0].1,
        [(Some(s("click")), Some(s("ann")))],
        "a table of records, joined on a field; user 3 has no row"
    );
    let mut staged = staged.batches()[0].1.clone();
    staged.sort();
    assert_eq!(
        staged,
        [
            (s("bad"), (1, -3)),
            (s("good"), (1, 3)),
            (s("good"), (1, 3))
        ]
    );
}

#[test]
fn a_querys_rows_can_be_collected_as_they_are() {
    // The generated row struct is `IntoOwned` (by identity): no `map` before `collect`.
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let events = source queue(vec![vec![ev("a", 1, Some(2)), ev("b", 2, None)]]);
        sql("SELECT action AS a, bytes AS b FROM events ORDER BY a") |> collect(out)
    };
    p.run_batches(1).unwrap();
    let rows: Vec<_> = out.batches()[0]
        .1
        .iter()
        .map(|r| (r.a.clone(), r.b))
        .collect();
    assert_eq!(rows, [(Some(s("a")), Some(2)), (Some(s("b")), None)]);
}

#[test]
fn group_by_an_expression_and_distinct_expressions_select_the_key() {
    // `a % 3` after GROUP BY a % 3 is the key, not computed from the ungrouped `a`.
    let out = Collector::new();
    let distinct = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let events = source queue(vec![vec![
            ev("a", 1, None), ev("B", 4, None), ev("b", 5, None), ev("A", 3, None),
        ]]);
        sql("SELECT user % 3 AS r, count(*) AS n FROM events GROUP BY user % 3 ORDER BY r")
            |> map |r| (r.r, r.n)
            |> collect(out);
        sql("SELECT DISTINCT upper(action) AS u FROM events ORDER BY u")
            |> map |r| r.u
            |> collect(distinct)
    };
    p.run_batches(1).unwrap();
    assert_eq!(
        out.batches()[0].1,
        [(Some(0), Some(1)), (Some(1), Some(2)), (Some(2), Some(1))]
    );
    assert_eq!(distinct.batches()[0].1, [Some(s("A")), Some(s("B"))]);
}

#[test]
fn a_computed_string_casts_and_case_mixes_columns_with_computed_strings() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let events = source queue(vec![vec![ev("ab", 12, None), ev("x", 1, None)]]);
        sql("SELECT CAST(CAST(user AS STRING) AS BIGINT) + 1 AS n,
                    CAST(concat(action, '1') AS BIGINT) AS bad,
                    CASE WHEN user > 1 THEN action ELSE upper(action) END AS c
             FROM events ORDER BY n")
            |> map |r| (r.n, r.bad, r.c)
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    assert_eq!(
        out.batches()[0].1,
        [
            (Some(2), None, Some(s("X"))),
            (Some(13), None, Some(s("ab")))
        ]
    );
}

#[test]
fn select_distinct_over_groups_keeps_each_row_once() {
    // Groups (action, user) give the rows (action, count); DISTINCT keeps ("click", 1) once.
    let out = Collector::new();
    let one = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let events = source queue(vec![vec![
            ev("click", 1, None), ev("click", 2, None), ev("view", 1, None), ev("view", 1, None),
        ]]);
        sql("SELECT DISTINCT action, count(*) AS n FROM events GROUP BY action, user
             ORDER BY action")
            |> map |r| (r.action, r.n)
            |> collect(out);
        sql("SELECT DISTINCT count(*) AS n FROM events") |> map |r| r.n |> collect(one)
    };
    p.run_batches(1).unwrap();
    assert_eq!(
        out.batches()[0].1,
        [(Some(s("click")), Some(1)), (Some(s("view")), Some(2))]
    );
    assert_eq!(one.batches()[0].1, [Some(4)]);
}

#[test]
fn case_with_equal_branches_is_valid_sql() {
    // The generated code is linted as the user's (it carries the query's span): CASE
    // compiles to a `match`, which clippy's `if_same_then_else` leaves alone.
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let events = source queue(vec![vec![ev("a", 1, Some(2)), ev("b", 2, None)]]);
        sql("SELECT CASE WHEN user > 1 THEN bytes ELSE bytes END AS v FROM events ORDER BY v")
            |> map |r| r.v
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    assert_eq!(out.batches()[0].1, [None, Some(2)]);
}

#[test]
fn order_by_limit_over_groups_picks_the_first_groups_before_building_rows() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let tags = source queue(vec![
            vec!["#a #b #a #c #b #a #d", "#c #c #e"],
            vec![],
        ]) |> flat_map split;
        sql("SELECT tag, count(*) AS n FROM tags AS t(tag) GROUP BY tag ORDER BY n DESC, tag LIMIT 3")
            |> map |r| (r.tag, r.n)
            |> collect(out)
    };
    p.run_batches(2).unwrap();
    let b = out.batches();
    assert_eq!(
        b[0].1,
        [
            (Some(s("#a")), Some(3)),
            (Some(s("#c")), Some(3)),
            (Some(s("#b")), Some(2))
        ]
    );
    assert!(b[1].1.is_empty());
}

#[derive(Debug, Clone)]
struct Reading {
    sensor: String,
    v: f64,
    n: i64,
}

fn rd(sensor: &str, v: f64, n: i64) -> Reading {
    Reading {
        sensor: sensor.into(),
        v,
        n,
    }
}

/// A DOUBLE as Rust's `Debug` shows it, so that NaN compares and -0.0 is told from 0.0.
fn dbg(v: Option<f64>) -> Option<String> {
    v.map(|v| format!("{v:?}"))
}

#[test]
fn group_by_a_double_groups_zeros_and_nans_as_spark() {
    // Spark normalises -0.0 to 0.0 and every NaN to one NaN before grouping; the grouped
    // value is a DOUBLE again (arithmetic and HAVING read it), and NaN sorts last.
    let (groups, having, distinct, counted, elems, top) = (
        Collector::new(),
        Collector::new(),
        Collector::new(),
        Collector::new(),
        Collector::new(),
        Collector::new(),
    );
    let mut p = stream_pipeline! {
        batch 1s;
        let readings = source queue(vec![vec![
            rd("a", 0.0, 1), rd("b", -0.0, 2), rd("a", f64::NAN, 3), rd("c", -f64::NAN, 4),
            rd("a", 1.5, 5), rd("b", 1.5, 6), rd("c", 2.5, 7),
        ]]);
        let values = source queue(vec![vec![2.5f32, 0.5, 2.5]]);
        sql("SELECT v, count(*) AS c, sum(n) AS s FROM readings GROUP BY v ORDER BY v")
            |> map |r| (dbg(r.v), r.c, r.s)
            |> collect(groups);
        sql("SELECT v, v * 2 AS d, count(*) AS c FROM readings GROUP BY v HAVING v > 1 AND v < 3
             ORDER BY d DESC")
            |> map |r| (r.v, r.d, r.c)
            |> collect(having);
        sql("SELECT DISTINCT v FROM readings ORDER BY v DESC") |> map |r| dbg(r.v) |> collect(distinct);
        sql("SELECT sensor, count(DISTINCT v) AS d FROM readings GROUP BY sensor ORDER BY sensor")
            |> map |r| (r.sensor, r.d)
            |> collect(counted);
        sql("SELECT x, count(*) AS c FROM values AS t(x) GROUP BY x ORDER BY x")
            |> map |r| (r.x, r.c)
            |> collect(elems);
        sql("SELECT v, count(*) AS c FROM readings GROUP BY v ORDER BY v DESC LIMIT 2")
            |> map |r| (dbg(r.v), r.c)
            |> collect(top)
    };
    p.run_batches(1).unwrap();
    let d = |v: &str| Some(s(v));
    assert_eq!(
        groups.batches()[0].1,
        [
            (d("0.0"), Some(2), Some(3)),
            (d("1.5"), Some(2), Some(11)),
            (d("2.5"), Some(1), Some(7)),
            (d("NaN"), Some(2), Some(7)),
        ]
    );
    assert_eq!(
        having.batches()[0].1,
        [
            (Some(2.5), Some(5.0), Some(1)),
            (Some(1.5), Some(3.0), Some(2))
        ]
    );
    assert_eq!(
        distinct.batches()[0].1,
        [d("NaN"), d("2.5"), d("1.5"), d("0.0")]
    );
    assert_eq!(
        counted.batches()[0].1,
        [
            (Some(s("a")), Some(3)),
            (Some(s("b")), Some(2)),
            (Some(s("c")), Some(2))
        ]
    );
    assert_eq!(
        elems.batches()[0].1,
        [(Some(0.5), Some(1)), (Some(2.5), Some(2))]
    );
    assert_eq!(
        top.batches()[0].1,
        [(d("NaN"), Some(2)), (d("2.5"), Some(1))]
    );
}

#[test]
fn a_join_on_doubles_matches_minus_zero_with_zero() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let readings = source queue(vec![vec![rd("a", -0.0, 1), rd("b", 1.5, 2), rd("c", 9.0, 3)]]);
        let limits = source queue(vec![vec![rd("zero", 0.0, 10), rd("low", 1.5, 20)]]);
        sql("SELECT r.sensor, l.sensor AS lim, r.v FROM readings r JOIN limits l ON r.v = l.v
             ORDER BY r.sensor")
            |> map |r| (r.sensor, r.lim, dbg(r.v))
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    assert_eq!(
        out.batches()[0].1,
        [
            (Some(s("a")), Some(s("zero")), Some(s("-0.0"))),
            (Some(s("b")), Some(s("low")), Some(s("1.5")))
        ]
    );
}

#[test]
fn case_widens_bigint_and_double_branches_to_double() {
    let out = Collector::new();
    let grouped = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let readings = source queue(vec![vec![rd("a", 0.25, 1), rd("b", 7.5, 2), rd("c", 1.0, 3)]]);
        sql("SELECT n, CASE WHEN n > 1 THEN n ELSE 0.5 END AS w,
                    CASE WHEN n = 3 THEN n WHEN n = 2 THEN v ELSE NULL END AS x,
                    CASE n WHEN 1 THEN 1 ELSE 2 END AS i
             FROM readings ORDER BY n")
            |> map |r| (r.n, r.w, r.x, r.i)
            |> collect(out);
        sql("SELECT CASE WHEN count(*) > 1 THEN max(v) ELSE count(*) END AS m FROM readings")
            |> map |r| r.m
            |> collect(grouped)
    };
    p.run_batches(1).unwrap();
    assert_eq!(
        out.batches()[0].1,
        [
            (Some(1), Some(0.5), None, Some(1)),
            (Some(2), Some(2.0), Some(7.5), Some(2)),
            (Some(3), Some(3.0), Some(3.0), Some(2)),
        ]
    );
    assert_eq!(grouped.batches()[0].1, [Some(7.5)]);
}

#[test]
fn concat_shows_numbers_and_booleans_as_spark() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let readings = source queue(vec![vec![rd("a", 1.0, 3), rd("b", 0.25, -2)]]);
        sql("SELECT concat(sensor, '-', n) AS c, sensor || v AS d, concat(n > 0, ':', v * 2) AS e,
                    concat(sensor, NULL) AS f
             FROM readings ORDER BY c")
            |> map |r| (r.c, r.d, r.e, r.f)
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    assert_eq!(
        out.batches()[0].1,
        [
            (Some(s("a-3")), Some(s("a1.0")), Some(s("true:2.0")), None),
            (
                Some(s("b--2")),
                Some(s("b0.25")),
                Some(s("false:0.5")),
                None
            ),
        ]
    );
}

#[derive(Debug, Clone)]
struct Tick {
    time: Timestamp,
    v: f64,
}

fn tick(minute: i64, v: f64) -> Tick {
    Tick {
        time: Timestamp::from_secs(1_764_590_400 + minute * 60),
        v,
    }
}

/// Windows grouped by a DOUBLE keep their keys in the checkpoint: a pipeline restarted from
/// it gives what an uninterrupted one does, -0.0 and 0.0 still one group across the restart.
#[test]
fn double_keys_of_open_windows_are_restored_from_a_checkpoint() {
    let input = || {
        vec![
            vec![tick(0, -0.0), tick(1, 0.0)],
            vec![tick(2, 1.5), tick(70, 2.0)],
            vec![tick(3, 0.0)], // after the checkpoint: joins the restored 0.0 group
            vec![tick(95, 1.5)], // watermark 65 min closes the first hour
            vec![tick(200, 0.0)],
        ]
    };
    type Rows = Collector<(Window, Option<String>, Option<i64>)>;
    let pipeline = |dir: &std::path::Path, out: &Rows| {
        let (dir, out) = (dir.to_path_buf(), out.clone());
        stream_pipeline! {
            batch 1s;
            checkpoint dir every 2s;
            let ticks = source queue(input()) |> event_time(|t| t.time) watermark 30m;
            sql("SELECT window, v, count(*) AS n FROM ticks GROUP BY window(time, '1 hour'), v
                 ORDER BY v")
                |> map |r| (r.window.unwrap(), dbg(r.v), r.n)
                |> collect(out)
        }
    };
    let straight_dir = tempfile::tempdir().unwrap();
    let straight = Collector::new();
    pipeline(straight_dir.path(), &straight)
        .run_batches(5)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    pipeline(dir.path(), &Collector::new())
        .run_batches(3)
        .unwrap(); // checkpointed at 2 s, then "crashes"
    let resumed = Collector::new();
    pipeline(dir.path(), &resumed).run_batches(3).unwrap(); // batch 3 again, then 4, 5
    let rows = |c: &Rows| -> Vec<_> {
        c.batches()
            .into_iter()
            .filter(|(t, _)| t.milliseconds() >= 3000)
            .flat_map(|(_, rows)| rows)
            .map(|(w, v, n)| ((w.start.as_millis() / 1000 - 1_764_590_400) / 60, v, n))
            .collect()
    };
    // The hour from minute 0 closes in the batch at 4 s, the next at 5 s.
    let expected = [
        (0, Some(s("0.0")), Some(3)),
        (0, Some(s("1.5")), Some(1)),
        (60, Some(s("1.5")), Some(1)),
        (60, Some(s("2.0")), Some(1)),
    ];
    assert_eq!(rows(&straight), expected);
    assert_eq!(rows(&resumed), expected);
}

#[test]
fn doubles_compare_as_spark_compares_them() {
    // Spark: NaN = NaN, NaN is above every number (infinity too), -0.0 = 0.0.
    let (above, nan, zero) = (Collector::new(), Collector::new(), Collector::new());
    let mut p = stream_pipeline! {
        batch 1s;
        let readings = source queue(vec![vec![
            rd("a", f64::NAN, 1), rd("b", f64::INFINITY, 2), rd("c", -0.0, 3), rd("d", 2.5, 4),
        ]]);
        sql("SELECT n FROM readings WHERE v > 1000000 ORDER BY n") |> map |r| r.n |> collect(above);
        sql("SELECT n FROM readings WHERE v = CAST('NaN' AS DOUBLE)") |> map |r| r.n |> collect(nan);
        sql("SELECT n FROM readings WHERE v = 0") |> map |r| r.n |> collect(zero)
    };
    p.run_batches(1).unwrap();
    assert_eq!(above.batches()[0].1, [Some(1), Some(2)]);
    assert_eq!(nan.batches()[0].1, [Some(1)]);
    assert_eq!(zero.batches()[0].1, [Some(3)]);
}
