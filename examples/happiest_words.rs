//! The Spark course's "happiest words": word counts over the last 10 seconds (every 2 s)
//! joined with a sentiment table in the AFINN format (`word<TAB>score`), ranked by
//! count × score.
//!
//! ```text
//! cargo run --release --example happiest_words
//! cargo run --release --example happiest_words -- --afinn data/AFINN-111.txt \
//!     --file data/tweets.txt
//! ```

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

/// `afinn`: each word's sentiment score.
fn job(host: String, port: u16, afinn: HashMap<String, i64>) -> Pipeline {
    stream_pipeline! {
        batch 1s;
        source socket(host, port)
            |> flat_map split
            |> map to_lowercase
            |> window(10s, 2s) reduce(+, -)
            |> join(table(afinn))
            |> map |(word, (count, score))| (word, count * score)
            |> sort desc
            |> print(5)
    }
}

/// The sentiment table: the file `path`, or the built-in sample.
fn load_afinn(path: Option<&Path>) -> common::Result<HashMap<String, i64>> {
    let text = match path {
        Some(path) => String::from_utf8_lossy(
            &std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )
        .into_owned(),
        None => SAMPLE.to_string(),
    };
    let (afinn, bad) = parse_afinn(&text);
    eprintln!(
        "sentiment table: {} words ({bad} malformed lines skipped)",
        afinn.len()
    );
    Ok(afinn)
}

/// A few AFINN-style entries so the example runs without the data folder.
const SAMPLE: &str = "love\t3\nloving\t2\ngreat\t3\nfun\t4\nhappy\t3\ngood\t3\nawesome\t4\nnew\t1\nsad\t-2\nbad\t-3\nhate\t-3\nslow\t-2\n";

/// Parses `word<TAB>score` lines; malformed lines are skipped and counted.
fn parse_afinn(text: &str) -> (HashMap<String, i64>, usize) {
    let mut table = HashMap::new();
    let mut bad = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match line
            .rsplit_once('\t')
            .and_then(|(w, s)| Some((w.trim(), s.trim().parse::<i64>().ok()?)))
        {
            Some((word, score)) if !word.is_empty() => {
                table.insert(word.to_lowercase(), score);
            }
            _ => bad += 1,
        }
    }
    (table, bad)
}

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    socket: common::SocketArgs,
    /// A word list in the AFINN format (`word<TAB>score` per line); a small built-in sample otherwise.
    #[arg(long, value_name = "PATH")]
    afinn: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> common::Result {
    let cli = Cli::parse();
    let afinn = load_afinn(cli.afinn.as_deref())?;
    let tweets = LineFeed::from_lines(common::tweets(50_000, 9));
    cli.socket
        .run(tweets, |host, port| job(host, port, afinn))
        .await
}
