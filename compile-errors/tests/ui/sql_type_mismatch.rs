// Type mismatches in a query: each error names the expression, its column and the types,
// at the query.
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
        // SUM of a string.
        sql("SELECT user, sum(action) AS s FROM events GROUP BY user") |> print;
        // A string compared with a number.
        sql("SELECT user FROM events WHERE action > 3") |> print;
        // A number as a condition, a string function of a number, `/` of a string.
        sql("SELECT upper(user) AS u, action / 2 AS h FROM events WHERE user") |> print;
        // CASE branches of a string and a number.
        // (A column of a type SQL does not read, such as `Vec<String>`, is an error naming
        // the column too; not pinned here, as rustc's list of the types SQL reads differs
        // with the crate's features.)
        sql("SELECT CASE WHEN user > 1 THEN action ELSE user END AS c FROM events") |> print
    };
}
