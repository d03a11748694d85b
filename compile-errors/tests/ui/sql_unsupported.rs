// Constructs outside the subset: each named, at the query.
use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        let words = source stdin |> flat_map split;
        let scores = table(vec![("good", 3)]);
        sql("SELECT word FROM words AS w(word) UNION SELECT word FROM words AS v(word)") |> print;
        sql("SELECT rank() OVER (ORDER BY word) AS r FROM words AS w(word)") |> print;
        sql("SELECT word, n FROM words AS w(word) GROUP BY word") |> print;
        sql("SELEC word FROM words") |> print;
        // A table is joined to a stream, never read alone.
        sql("SELECT _1 FROM scores JOIN words AS w(word) ON _1 = w.word") |> print;
        // A time range needs both bounds, and an inner join.
        let clicks = source stdin |> map |l| (l.len() as i64, l);
        sql("SELECT a.l FROM clicks AS a(t, l) JOIN clicks AS b(t, l) ON a.l = b.l AND a.t >= b.t") |> print;
        sql("SELECT a.l FROM clicks AS a(t, l) LEFT JOIN clicks AS b(t, l)
             ON a.l = b.l AND a.t BETWEEN b.t AND b.t + INTERVAL '1' MINUTE") |> print
    };
}
