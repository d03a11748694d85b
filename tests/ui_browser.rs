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

/// The page's DOM after its scripts ran (`--dump-dom`).
fn page_dom(chromium: &Path, profile: &Path, url: &str) -> String {
    let out = headless(profile, url, &["--dump-dom"]);
    assert!(
        out.status.success(),
        "{} --dump-dom failed: {}",
        chromium.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether the section `id` carries `hidden`.
fn section_hidden(dom: &str, id: &str) -> bool {
    let needle = format!("id=\"{id}\"");
    let start = dom
        .find(&needle)
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let tag_start = dom[..start].rfind('<').unwrap_or(0);
    let tag_end = start + dom[start..].find('>').unwrap_or(0);
    dom[tag_start..tag_end].contains("hidden")
}

/// The `data-points` of the series chart `id` (`chart-<id>`): points drawn over its series.
fn chart_points(dom: &str, id: &str) -> usize {
    let needle = format!("id=\"chart-{id}\"");
    let Some(start) = dom.find(&needle) else {
        return 0;
    };
    let tag_start = dom[..start].rfind('<').unwrap_or(0);
    let tag_end = start + dom[start..].find('>').unwrap_or(0);
    let tag = &dom[tag_start..tag_end];
    tag.split("data-points=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The page's picture, taken by headless Chromium into `target/<name>`.
fn screenshot(profile: &Path, url: &str, name: &str, height: u32) {
    let shot = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(name);
    let _ = std::fs::remove_file(&shot);
    let out = headless(
        profile,
        url,
        &[
            &format!("--screenshot={}", shot.display()),
            &format!("--window-size=1400,{height}"),
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

#[test]
fn the_event_time_and_state_sections_draw_in_chromium() {
    let chromium = chromium();
    let port = http::free_port();
    let ui = format!("127.0.0.1:{port}");
    let _example = Running(
        Command::new(common::process::example_path("structured_word_count"))
            .args(["--ui", &ui, "--seconds", "300"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the structured_word_count example"),
    );
    // Five batches whose watermark has moved (the producer's first lines arrived).
    http::poll(&ui, "/api/batches", Duration::from_secs(60), |body| {
        serde_json::from_str::<serde_json::Value>(body).is_ok_and(|j| {
            j["batches"].as_array().is_some_and(|b| {
                b.iter()
                    .filter(|b| !b["watermarks"][0]["gap_ms"].is_null())
                    .count()
                    >= 5
            })
        })
    })
    .expect("five batches with a watermark within 60 s");

    let profile = tempfile::tempdir().unwrap();
    let url = format!("http://{ui}/");
    let dom = page_dom(&chromium, profile.path(), &url);
    assert!(
        !section_hidden(&dom, "event-time"),
        "event time hidden: {dom}"
    );
    assert!(!section_hidden(&dom, "state"), "state hidden: {dom}");
    assert!(chart_points(&dom, "watermark-gap") >= 5, "gap chart: {dom}");
    assert!(
        chart_points(&dom, "late-rows") >= 5,
        "late rows chart: {dom}"
    );
    for chart in ["state-rows", "state-bytes"] {
        assert!(chart_points(&dom, chart) >= 5, "{chart}: {dom}");
    }
    // The watermark's stage and the window's (open windows, late rows).
    assert_eq!(rows_of(&dom, "event-stages-body"), 2, "event stages: {dom}");
    assert!(dom.contains("event_window (pipeline statement 1)"));
    screenshot(profile.path(), &url, "ui-screenshot-event-time.png", 1900);
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
    let dom = page_dom(&chromium, profile.path(), &url);

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
    // The keyed window keeps state: its rows and memory are charted; no event time here.
    assert!(
        !section_hidden(&dom, "state"),
        "state section hidden: {dom}"
    );
    assert!(
        section_hidden(&dom, "event-time"),
        "event time shown: {dom}"
    );
    for chart in ["state-rows", "state-bytes", "state-updated"] {
        assert!(chart_points(&dom, chart) >= 5, "{chart}: {dom}");
    }
    assert_eq!(
        rows_of(&dom, "state-stages-body"),
        1,
        "one stateful stage: {dom}"
    );
    // The plan as fused: one flow, its stages in boxes, the window a barrier.
    assert!(!section_hidden(&dom, "plan"), "plan hidden: {dom}");
    assert!(
        dom.contains("class=\"fused\""),
        "no fused loop drawn: {dom}"
    );
    assert!(
        dom.contains("<span class=\"node barrier\">window</span>"),
        "the window is not drawn as a barrier: {dom}"
    );
    assert_eq!(rows_of(&dom, "sources-body"), 1, "one source: {dom}");
    let source = json["sources"][0]["name"].as_str().unwrap();
    assert!(dom.contains(source), "source {source} not shown");
    assert!(
        dom.contains("flat_map split") && dom.contains("window(300s, 1s)"),
        "pipeline text not shown"
    );

    // The picture of the page.
    screenshot(profile.path(), &url, "ui-screenshot.png", 1800);
}
