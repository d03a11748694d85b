//! Requests in the last 5 seconds (every 2 s), and running request totals per user, from
//! Apache combined-format access logs — the Spark course's user-requests job.
//!
//! ```text
//! cargo run --release --example user_requests
//! cargo run --release --example user_requests -- --file data/apache_access.log
//! ```

mod common;

use clap::Parser;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

fn job(host: String, port: u16) -> Pipeline {
    stream_pipeline! {
        batch 1s;
        let logs = source socket(host, port);
        logs |> count_by_window(5s, 2s) |> print;
        logs |> map |line| (user_of(line), 1)
             |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
             |> sort desc
             |> print(5)
    }
}

/// The user id: the third field of a combined-format line (`-` when absent or malformed).
fn user_of(line: &str) -> &str {
    line.split(' ')
        .nth(2)
        .filter(|u| !u.is_empty())
        .unwrap_or("-")
}

#[tokio::main]
async fn main() -> common::Result {
    let logs = LineFeed::from_lines(common::access_logs(20_000, 5));
    common::SocketArgs::parse().run(logs, job).await
}
