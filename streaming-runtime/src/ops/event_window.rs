//! `event_window(W, S [, offset O]) count | count_by_value | reduce_by_key(f) [emit ..]`
//! and `session_window(gap) count_by_value | reduce_by_key(f)`: the batch's stamped rows
//! added to the windows' state ([`EventWindows`], `Sessions`) with the
//! watermark of the `event_time` stages upstream (the minimum of theirs), and what the emit
//! mode emits. At the end of a finite input (`run()`), append mode emits every open window.
//!
//! A fixed window without a `late(name)` stream is folded in the fused loop: each run's
//! rows go straight into panes by key ([`PaneRuns`], the `fold_*` functions), runs merge
//! pane by pane, and the store takes the panes (`*_folded`), so the rows are never
//! materialised. With a late stream (it needs each late row) and for sessions (a row's
//! session depends on the others), the stamped rows are collected and added one by one.

use crate::context::BatchContext;
use std::hash::Hash;

use crate::event_time::{
    EventAggregation, EventWindows, PaneRuns, Results, Timestamp, Watermark, Window, WindowSpec,
    min_watermark,
};
use crate::metrics::SourceMetrics;
use crate::owned::IntoOwned;

/// Where a stage's late rows are counted: the batch (by the stage's name) and its source.
#[derive(Clone, Copy)]
pub struct LateCount<'a> {
    pub stage: &'static str,
    pub source: Option<&'a SourceMetrics>,
}

impl LateCount<'_> {
    /// Counts `n` late rows, dropped by a window.
    pub(crate) fn add(&self, ctx: &mut BatchContext<'_>, n: u64) {
        self.count(ctx, n, "late rows dropped (their windows had closed)");
    }

    /// Counts `n` late rows that a join still joined with what it kept (`interval_join`).
    pub(crate) fn add_joined(&self, ctx: &mut BatchContext<'_>, n: u64) {
        self.count(
            ctx,
            n,
            "late rows joined with the rows still kept (rows they would have met may have been freed)",
        );
    }

    /// Counts `n` late rows for the batch and the source, and logs `what` befell them.
    fn count(&self, ctx: &mut BatchContext<'_>, n: u64, what: &'static str) {
        if n == 0 {
            return;
        }
        ctx.add_late_rows(self.stage, n);
        if let Some(m) = self.source {
            m.add_late_rows(n);
        }
        tracing::debug!(stage = self.stage, rows = n, "{what}");
    }
}

/// Where a stage's late rows go besides being counted: `late(name)`'s stream.
pub type LateRows<'a, T> = Option<&'a mut Vec<(Timestamp, T)>>;

/// Adds a late row to `late(name)`'s stream, when the stage has one.
fn keep<T>(late_rows: &mut LateRows<'_, T>, t: Timestamp, x: T) {
    if let Some(out) = late_rows.as_deref_mut() {
        out.push((t, x));
    }
}

fn run<K, V, F, L>(
    state: &mut impl EventAggregation<K, V>,
    ctx: &mut BatchContext<'_>,
    late_count: LateCount<'_>,
    rows: impl IntoIterator<Item = (Timestamp, K, V)>,
    marks: &[&Watermark],
    mut reduce: F,
    mut late_row: L,
) -> Results<K, V>
where
    F: FnMut(V, V) -> V,
    L: FnMut(Timestamp, K, V),
{
    let (current, next) = min_watermark(marks);
    let (mut out, late) = state.add_batch(rows, current, next, &mut reduce, &mut late_row);
    late_count.add(ctx, late);
    if ctx.input_ended() {
        out.extend(state.end_of_input(&mut reduce));
    }
    out
}

/// `count_by_value`: `((window, element), count)`.
pub fn count_by_value<T, K>(
    state: &mut impl EventAggregation<K, i64>,
    ctx: &mut BatchContext<'_>,
    late: LateCount<'_>,
    batch: Vec<(Timestamp, T)>,
    marks: &[&Watermark],
    mut late_rows: LateRows<'_, K>,
) -> Vec<((Window, K), i64)>
where
    T: IntoOwned<Owned = K>,
    K: Ord + Clone,
{
    let rows = batch.into_iter().map(|(t, x)| (t, x.into_owned(), 1i64));
    run(
        state,
        ctx,
        late,
        rows,
        marks,
        |a, b| a + b,
        |t, k, _| keep(&mut late_rows, t, k),
    )
}

/// `count`: `(window, count)`.
pub fn count<T>(
    state: &mut EventWindows<(), i64>,
    ctx: &mut BatchContext<'_>,
    late: LateCount<'_>,
    batch: Vec<(Timestamp, T)>,
    marks: &[&Watermark],
    mut late_rows: LateRows<'_, ()>,
) -> Vec<(Window, i64)> {
    let rows = batch.into_iter().map(|(t, _)| (t, (), 1i64));
    run(
        state,
        ctx,
        late,
        rows,
        marks,
        |a, b| a + b,
        |t, (), _| keep(&mut late_rows, t, ()),
    )
    .into_iter()
    .map(|((w, ()), n)| (w, n))
    .collect()
}

/// `reduce_by_key(f)` over `(k, v)` rows: `((window, k), f-reduced v)`.
pub fn reduce_by_key<KB, VB, K, V, F>(
    state: &mut impl EventAggregation<K, V>,
    ctx: &mut BatchContext<'_>,
    late: LateCount<'_>,
    batch: Vec<(Timestamp, (KB, VB))>,
    marks: &[&Watermark],
    f: F,
    mut late_rows: LateRows<'_, (K, V)>,
) -> Vec<((Window, K), V)>
where
    KB: IntoOwned<Owned = K>,
    VB: IntoOwned<Owned = V>,
    K: Ord + Clone,
    V: Clone,
    F: FnMut(V, V) -> V,
{
    let rows = batch
        .into_iter()
        .map(|(t, (k, v))| (t, k.into_owned(), v.into_owned()));
    run(state, ctx, late, rows, marks, f, |t, k, v| {
        keep(&mut late_rows, t, (k, v))
    })
}

/// `count`, one run folded into panes.
pub fn fold_count<T>(
    run: impl Iterator<Item = (Timestamp, T)>,
    spec: WindowSpec,
) -> PaneRuns<(), i64> {
    fold(run.map(|(t, _)| (t, (), 1i64)), spec, &mut |a, b| a + b)
}

/// `count_by_value`, one run folded into panes.
pub fn fold_count_by_value<T, K>(
    run: impl Iterator<Item = (Timestamp, T)>,
    spec: WindowSpec,
) -> PaneRuns<K, i64>
where
    T: IntoOwned<Owned = K>,
    K: Hash + Eq,
{
    fold(
        run.map(|(t, x)| (t, x.into_owned(), 1i64)),
        spec,
        &mut |a, b| a + b,
    )
}

/// `reduce_by_key(f)`, one run folded into panes.
pub fn fold_reduce_by_key<KB, VB, K, V, F>(
    run: impl Iterator<Item = (Timestamp, (KB, VB))>,
    spec: WindowSpec,
    mut f: F,
) -> PaneRuns<K, V>
where
    KB: IntoOwned<Owned = K>,
    VB: IntoOwned<Owned = V>,
    K: Hash + Eq,
    F: FnMut(V, V) -> V,
{
    let rows = run.map(|(t, (k, v))| (t, k.into_owned(), v.into_owned()));
    fold(rows, spec, &mut f)
}

fn fold<K: Hash + Eq, V>(
    rows: impl Iterator<Item = (Timestamp, K, V)>,
    spec: WindowSpec,
    reduce: &mut impl FnMut(V, V) -> V,
) -> PaneRuns<K, V> {
    // No watermark here (the run is folded while the batch is read): late panes are
    // found, and their rows counted, when the store takes the runs.
    PaneRuns::fold_rows(rows, spec, None, reduce, |_, _, _| {})
}

/// Merges a later run's panes into `a`.
pub fn merge_folded<K: Hash + Eq, V>(
    a: &mut PaneRuns<K, V>,
    b: PaneRuns<K, V>,
    mut f: impl FnMut(V, V) -> V,
) {
    a.merge(b, &mut f);
}

/// The batch's folded runs added to the windows: what the emit mode emits.
pub fn reduce_by_key_folded<K, V, F>(
    state: &mut EventWindows<K, V>,
    ctx: &mut BatchContext<'_>,
    late: LateCount<'_>,
    runs: PaneRuns<K, V>,
    marks: &[&Watermark],
    mut f: F,
) -> Results<K, V>
where
    K: Hash + Ord + Clone,
    V: Clone,
    F: FnMut(V, V) -> V,
{
    let (current, next) = min_watermark(marks);
    let (mut out, n) = state.add_folded(runs, current, next, &mut f);
    late.add(ctx, n);
    if ctx.input_ended() {
        out.extend(state.end_of_input(&mut f));
    }
    out
}

/// `count`'s folded runs: `(window, count)`.
pub fn count_folded(
    state: &mut EventWindows<(), i64>,
    ctx: &mut BatchContext<'_>,
    late: LateCount<'_>,
    runs: PaneRuns<(), i64>,
    marks: &[&Watermark],
) -> Vec<(Window, i64)> {
    reduce_by_key_folded(state, ctx, late, runs, marks, |a, b| a + b)
        .into_iter()
        .map(|((w, ()), n)| (w, n))
        .collect()
}
