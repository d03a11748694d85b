//! The streaming page in a real browser: the `hashtags` example runs with `--ui`, and
//! headless Chromium (Debian's `chromium`, installed on first use) loads the page, runs its
//! JavaScript (uPlot, the polling of `/api/batches`) and dumps the DOM it built; then it
//! takes a screenshot (`target/ui-screenshot.png`, the README's `docs/streaming-page.png`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use common::http;

/// The example, killed when the test ends however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Headless Chromium: Debian's `chromium`, installed on first use (`common::install`).
fn chromium() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| common::install::tool("chromium"))
        .clone()
}

/// Headless Chromium on `url`, with `args` (`--dump-dom`, `--screenshot=..`); its own
/// profile directory, so parallel runs do not share one.
fn headless(profile: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--hide-scrollbars",
            // Lets the page's timers (the 1 s poll) run for 5 s of page time.
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("running chromium")
}

/// The `data-points` values of the elements of `class` in `dom`.
fn points_of(dom: &str, class: &str) -> Vec<usize> {
    let needle = format!("class=\"{class}\"");
    dom.match_indices(&needle)
        .filter_map(|(i, _)| {
            let tag_end = i + dom[i..].find('>')?;
            let tag = &dom[i..tag_end];
            let v = tag.split("data-points=\"").nth(1)?;
            v.split('"').next()?.parse().ok()
        })
        .collect()
}

/// The rows of the table body with id `id`.
fn rows_of(dom: &str, id: &str) -> usize {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let body = &dom[start..];
    let end = body.find("</tbody>").unwrap_or(body.len());
    body[..end].matches("<tr").count()
}

#[test]
fn the_streaming_page_draws_charts_and_tables_in_chromium() {
    let chromium = chromium(); // fail first, and clearly, when it is missing
    let port = http::free_port();
    let ui = format!("127.0.0.1:{port}");
    let _example = Running(
        Command::new(common::process::example_path("hashtags"))
            .args(["--ui", &ui, "--seconds", "300"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the hashtags example"),
    );

    // Five batches with input, as the page will show them.
    let api = http::poll(&ui, "/api/batches", Duration::from_secs(60), |body| {
        serde_json::from_str::<serde_json::Value>(body).is_ok_and(|j| {
            j["batches"]
                .as_array()
                .is_some_and(|b| b.iter().filter(|b| b["records"] != 0).count() >= 5)
        })
    })
    .expect("five batches with records within 60 s");
    let json: serde_json::Value = serde_json::from_str(&api).unwrap();

    let profile = tempfile::tempdir().unwrap();
    let url = format!("http://{ui}/");
    let out = headless(profile.path(), &url, &["--dump-dom"]);
    assert!(
        out.status.success(),
        "{} --dump-dom failed: {}",
        chromium.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);

    // uPlot built its charts: a timeline and a histogram per statistic, each a canvas.
    assert!(
        dom.matches("class=\"uplot").count() >= 8,
        "uPlot charts missing: {dom}"
    );
    assert!(dom.matches("<canvas").count() >= 8, "canvases missing");
    for class in ["timeline", "histogram"] {
        let points = points_of(&dom, class);
        assert_eq!(points.len(), 4, "{class}: one per statistic: {dom}");
        assert!(
            points.iter().all(|&n| n >= 5),
            "{class} charts got {points:?} batches"
        );
    }
    assert!(rows_of(&dom, "batches-body") >= 5, "batches table: {dom}");
    assert_eq!(rows_of(&dom, "sources-body"), 1, "one source: {dom}");
    let source = json["sources"][0]["name"].as_str().unwrap();
    assert!(dom.contains(source), "source {source} not shown");
    assert!(
        dom.contains("flat_map split") && dom.contains("window(300s, 1s)"),
        "pipeline text not shown"
    );

    // The picture of the page.
    let shot = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ui-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let out = headless(
        profile.path(),
        &url,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1400,1800",
        ],
    );
    assert!(
        out.status.success(),
        "screenshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000);
}
