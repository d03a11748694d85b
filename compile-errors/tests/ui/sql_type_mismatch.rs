// SUM of a string, a string compared with a number, and CASE branches of a string and a
// number: the types named, at the query.
use streaming::prelude::*;

#[derive(Debug, Clone, Record)]
struct Event {
    action: String,
    user: u32,
}

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        let events = source queue(Vec::<Vec<Event>>::new());
        sql("SELECT user, sum(action) AS s FROM events GROUP BY user") |> print;
        sql("SELECT user FROM events WHERE action > 3") |> print;
        sql("SELECT CASE WHEN user > 1 THEN action ELSE user END AS c FROM events") |> print
    };
}
