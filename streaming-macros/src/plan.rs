//! Validated program → plan: named streams resolved and stages fused into segments.
//!
//! A named stream used once as a pipeline's head is spliced into that pipeline, so
//! `let words = source .. |> flat_map split; words |> count |> print;` fuses end to end.
//! One used more than once (or by `union`) is computed once per batch and materialised;
//! each use gets a copy, the last use the original. A *flow* is one chain from a source or
//! a materialised stream to a sink or a materialised stream; flows are ordered so that
//! every stream is computed before it is read. Within a flow, adapters fuse into the
//! segment that the next barrier (or sink) ends; with `fusion off` every stage is its own
//! segment, materialising its output.
//!
//! The plan also decides what code generation only carries out: each stage's number (its
//! variables' names) and, for `sort |> take(n)` chains, how much of its result a barrier
//! produces ([`Finish`]) and which order `global` merges by ([`Segment::selection_before`]).

use std::collections::HashMap;

use proc_macro2::TokenStream;
use syn::Ident;

use crate::ast::{Config, Head, Program, Stage, Statement};
use crate::ctxt::Ctxt;
use crate::ops::Role;
use crate::sources::SourceDef;

pub struct Plan<'a> {
    pub config: &'a Config,
    pub sources: Vec<PlanSource<'a>>,
    pub flows: Vec<Flow<'a>>,
    /// Uses of each materialised stream, for copy-or-move.
    pub uses: HashMap<String, usize>,
    /// Streams defined but never used: not computed (rustc warns on them).
    pub unused: Vec<&'a Ident>,
    /// Items the statements declare (the row structs of `sql(..)` queries).
    pub items: Vec<&'a TokenStream>,
    /// The named streams whose elements are stamped (an `event_time` on their path).
    pub stamped: std::collections::HashSet<String>,
}

/// A source of the job: one written in the text, or a topic a `repartition` writes, read
/// back by the rest of its statement.
pub enum PlanSource<'a> {
    Def(&'a SourceDef),
    Repartitioned {
        /// The source whose flow writes the topic (its brokers, its partitions).
        upstream: usize,
        /// The writing stage (`repartition(topic)`).
        writer: &'a Stage,
    },
}

pub struct Flow<'a> {
    pub input: Input<'a>,
    /// The input is a windowed stream (present only at its slide times).
    pub input_windowed: bool,
    /// The output exists only at slide times (the input or a stage is windowed).
    pub windowed: bool,
    pub segments: Vec<Segment<'a>>,
    /// The stream this flow materialises, or `None` when it ends in a sink.
    pub output: Option<&'a Ident>,
    /// The flow ends in a `repartition` writing the topic of this (added) source.
    pub feeds: Option<usize>,
    /// The source at the root of the flow's input (through the streams it reads first),
    /// when it has one: a cluster task's `global` finds its partition there.
    pub root: Option<usize>,
}

pub enum Input<'a> {
    Source(usize),
    Stream(&'a Ident),
}

/// Fused adapters, ended by a barrier or sink (`None`: materialise the elements).
pub struct Segment<'a> {
    pub adapters: Vec<&'a Stage>,
    pub end: Option<&'a Stage>,
    /// The number of the segment's first stage; the others follow on from it. Stages are
    /// numbered in the order the job runs them, unique in the pipeline (their variables
    /// are named by it).
    pub first_id: usize,
    /// The end stage is a window: its result exists only at its slide times.
    pub windowed: bool,
    /// How much of its result the end stage needs to produce.
    pub finish: Finish<'a>,
    /// The `sort |> take(n)` ending the two segments right before this one, whose first
    /// elements `global` merges over a cluster's partitions.
    pub selection_before: Option<Selection<'a>>,
}

/// A stage of the plan with its number.
#[derive(Clone, Copy)]
pub struct Numbered<'a> {
    pub stage: &'a Stage,
    pub id: usize,
}

/// `sort |> take(n)`: the stage that orders, and the one reading only its first elements.
#[derive(Clone, Copy)]
pub struct Selection<'a> {
    pub order: Numbered<'a>,
    pub first: Numbered<'a>,
}

/// How much of its result a barrier produces, when the stages right after it read only
/// part of it (fused code only: `fusion off` runs every operator as written).
#[derive(Clone, Copy)]
pub enum Finish<'a> {
    /// All of it.
    All,
    /// `sort |> take(n)`: the next stage reads only the first elements, so the barrier
    /// produces just those.
    First(Numbered<'a>),
    /// `window .. |> sort |> take(n)`: the stage after next reads only the first elements
    /// of the next one's order, so the barrier hands over just those (a window picks them
    /// from references into its store).
    Selected(Selection<'a>),
}

pub fn build<'a>(p: &'a Program, cx: &Ctxt) -> Option<Plan<'a>> {
    if cx.has_errors() {
        return None;
    }
    let defs: HashMap<String, usize> = p
        .statements
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.binding.as_ref().map(|b| (b.to_string(), i)))
        .collect();
    // Uses of each name by the statements that run, and whether all of them are as a
    // head. A named stream nothing reads does not run, and its own reads do not count
    // (so the stream it reads may be spliced into its one other user): repeated until
    // no more are found, as one dead stream may be another's only reader.
    let mut uses: HashMap<String, usize> = HashMap::new();
    let mut head_only: HashMap<String, bool> = HashMap::new();
    let mut dead = vec![false; p.statements.len()];
    loop {
        uses.clear();
        head_only.clear();
        for (s, _) in p.statements.iter().zip(&dead).filter(|(_, d)| !**d) {
            if let Head::Stream(n) = &s.head {
                *uses.entry(n.to_string()).or_default() += 1;
            }
            for st in &s.stages {
                for n in st.op.streams_read() {
                    *uses.entry(n.to_string()).or_default() += 1;
                    head_only.insert(n.to_string(), false);
                }
            }
        }
        let mut found = false;
        for (s, d) in p.statements.iter().zip(&mut dead) {
            if !*d
                && s.binding
                    .as_ref()
                    .is_some_and(|b| !uses.contains_key(&b.to_string()))
            {
                *d = true;
                found = true;
            }
        }
        if !found {
            break;
        }
    }
    // A stream a stage defines (`late(name)`) is always materialised.
    let inlined = |name: &str| {
        defs.contains_key(name)
            && uses.get(name) == Some(&1)
            && head_only.get(name).copied().unwrap_or(true)
    };

    let mut sources = Vec::new();
    let mut source_of: HashMap<usize, usize> = HashMap::new();
    for (i, s) in p.statements.iter().enumerate() {
        if let Head::Source(def) = &s.head {
            source_of.insert(i, sources.len());
            sources.push(PlanSource::Def(def));
        }
    }

    let mut flows = Vec::new();
    let mut unused = Vec::new();
    let read_by_queries: Vec<String> = p
        .statements
        .iter()
        .flat_map(|s| &s.reads)
        .map(ToString::to_string)
        .collect();
    for (i, s) in p.statements.iter().enumerate() {
        let output = match &s.binding {
            Some(b) if !uses.contains_key(&b.to_string()) => {
                if !read_by_queries.contains(&b.to_string()) {
                    unused.push(b);
                }
                continue;
            }
            Some(b) if inlined(&b.to_string()) => continue, // spliced into its one user
            Some(b) => Some(b),
            None => None,
        };
        // Walk back through streams spliced into this one.
        let mut stages: Vec<&Stage> = s.stages.iter().collect();
        let (mut cur, mut cur_i): (&Statement, usize) = (s, i);
        let mut seen = vec![i];
        let input = loop {
            match &cur.head {
                Head::Source(_) => break Input::Source(source_of[&cur_i]),
                Head::Stream(n) if inlined(&n.to_string()) => {
                    let j = defs[&n.to_string()];
                    if seen.contains(&j) {
                        cx.error(
                            n.span(),
                            format!("stream `{n}` is defined in terms of itself"),
                        );
                        return None;
                    }
                    seen.push(j);
                    let def = &p.statements[j];
                    stages.splice(0..0, def.stages.iter());
                    (cur, cur_i) = (def, j);
                }
                Head::Stream(n) => break Input::Stream(n),
            }
        };
        // `repartition` cuts the chain: the stage ends one flow, the rest reads its topic.
        let mut input = input;
        let mut rest: &[&Stage] = &stages;
        while let Some(cut) = rest
            .iter()
            .position(|st| st.op.repartition_topic().is_some())
        {
            let writer = rest[cut];
            let Input::Source(upstream) = input else {
                cx.error(writer.name.span(), format!("`repartition` must be in the pipeline that reads the Kafka source, and `{}` is a stream used more than once; repartition it where it is defined", match &input { Input::Stream(n) => n.to_string(), Input::Source(_) => String::new() }));
                return None;
            };
            if let Some(PlanSource::Def(def)) = sources.get(upstream) {
                if !def.is_kafka() {
                    cx.error(writer.name.span(), "`repartition` shuffles through the brokers of a Kafka input, and this pipeline does not read Kafka: start it with `source kafka(brokers, topic)` or `source kafka_task(task)`");
                    return None;
                }
            }
            sources.push(PlanSource::Repartitioned { upstream, writer });
            flows.push(Flow {
                input,
                input_windowed: false,
                windowed: false,
                segments: segments(&rest[..=cut], false, p.config.fused()),
                output: None,
                feeds: Some(sources.len() - 1),
                root: None,
            });
            input = Input::Source(sources.len() - 1);
            rest = &rest[cut + 1..];
        }
        flows.push(Flow {
            input,
            input_windowed: false,
            windowed: false,
            segments: segments(rest, output.is_some(), p.config.fused()),
            output,
            feeds: None,
            root: None,
        });
    }
    let mut flows = order(flows, cx)?;
    let mut roots: HashMap<String, Option<usize>> = HashMap::new();
    for f in &mut flows {
        f.root = match &f.input {
            Input::Source(i) => Some(*i),
            Input::Stream(n) => roots.get(&n.to_string()).copied().flatten(),
        };
        if let Some(o) = f.output {
            roots.insert(o.to_string(), f.root);
        }
        let global = f
            .segments
            .iter()
            .flat_map(|s| s.end.iter())
            .find(|st| st.name == "global");
        if let (Some(global), Some(PlanSource::Def(def))) =
            (global, f.root.and_then(|i| sources.get(i)))
        {
            if !def.is_kafka() {
                cx.error(global.name.span(), "`global` merges the rankings of a Kafka cluster job's partitions, and this pipeline does not read Kafka; without a cluster `sort desc |> take(n)` ranks everything already: remove `|> global`");
                return None;
            }
        }
    }
    slides(&mut flows, p, cx);
    number(&mut flows, p.config.fused());
    Some(Plan {
        config: &p.config,
        sources,
        flows,
        uses,
        unused,
        items: p.statements.iter().map(|s| &s.items).collect(),
        stamped: p
            .streams
            .iter()
            .filter(|(_, s)| s.stamped)
            .map(|(n, _)| n.clone())
            .collect(),
    })
}

fn segments<'a>(stages: &[&'a Stage], materialise: bool, fused: bool) -> Vec<Segment<'a>> {
    let mut out = Vec::new();
    let mut adapters = Vec::new();
    for &st in stages {
        match st.def.role {
            Role::Adapter if fused => adapters.push(st),
            Role::Adapter => out.push(Segment {
                adapters: vec![st],
                end: None,
                ..Segment::default()
            }),
            Role::Barrier | Role::Sink => out.push(Segment {
                adapters: std::mem::take(&mut adapters),
                end: Some(st),
                ..Segment::default()
            }),
        }
    }
    if !adapters.is_empty() || (materialise && out.is_empty()) {
        out.push(Segment {
            adapters,
            end: None,
            ..Segment::default()
        });
    }
    out
}

impl<'a> Selection<'a> {
    /// `order |> first` when the one orders in a way the stage before can pick from and the
    /// other reads only the first elements.
    fn of(order: Option<Numbered<'a>>, first: Option<Numbered<'a>>) -> Option<Self> {
        let (order, first) = (order?, first?);
        (order.stage.op.first_n().selects && first.stage.op.first_n().reads)
            .then_some(Selection { order, first })
    }
}

impl Default for Segment<'_> {
    fn default() -> Self {
        Segment {
            adapters: Vec::new(),
            end: None,
            first_id: 0,
            windowed: false,
            finish: Finish::All,
            selection_before: None,
        }
    }
}

/// Numbers the stages in the order the job runs them, and decides what each barrier
/// finishes given the stages reading it (`sort |> take(n)`: see [`Finish`]).
fn number(flows: &mut [Flow<'_>], fused: bool) {
    let mut id = 0;
    for flow in flows.iter_mut() {
        for seg in &mut flow.segments {
            seg.first_id = id;
            id += seg.adapters.len() + usize::from(seg.end.is_some());
        }
        // Each segment's end, numbered, when nothing is fused before it.
        let ends: Vec<Option<Numbered>> = flow
            .segments
            .iter()
            .map(|s| {
                s.end.map(|stage| Numbered {
                    stage,
                    id: s.first_id + s.adapters.len(),
                })
            })
            .collect();
        let alone: Vec<Option<Numbered>> = flow
            .segments
            .iter()
            .zip(&ends)
            .map(|(s, e)| e.filter(|_| s.adapters.is_empty()))
            .collect();
        for (s, seg) in flow.segments.iter_mut().enumerate() {
            seg.selection_before = s
                .checked_sub(2)
                .and_then(|b| Selection::of(ends[b], ends[b + 1]));
            let Some(end) = seg.end.filter(|_| fused) else {
                continue;
            };
            let (next, after) = (
                alone.get(s + 1).copied().flatten(),
                alone.get(s + 2).copied().flatten(),
            );
            let can = end.op.first_n();
            seg.finish = match (Selection::of(next, after), next) {
                (Some(sel), _) if can.finishes_selected => Finish::Selected(sel),
                (_, Some(next)) if can.finishes_first && next.stage.op.first_n().reads => {
                    Finish::First(next)
                }
                _ => Finish::All,
            };
        }
    }
}

/// Orders flows so that each stream is produced before it is read.
fn order<'a>(flows: Vec<Flow<'a>>, cx: &Ctxt) -> Option<Vec<Flow<'a>>> {
    let reads = |f: &Flow<'a>| -> Vec<String> {
        let mut r: Vec<String> = f
            .segments
            .iter()
            .flat_map(|s| s.adapters.iter().chain(s.end.iter()))
            .flat_map(|st| st.op.streams_read())
            .map(|n| n.to_string())
            .collect();
        if let Input::Stream(n) = &f.input {
            r.push(n.to_string());
        }
        r
    };
    let mut pending: Vec<Flow<'a>> = flows;
    let mut done: Vec<Flow<'a>> = Vec::new();
    let mut produced: Vec<String> = Vec::new();
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|f| reads(f).iter().all(|n| produced.contains(n)));
        match ready {
            Some(i) => {
                let f = pending.remove(i);
                if let Some(o) = f.output {
                    produced.push(o.to_string());
                }
                produced.extend(
                    f.segments
                        .iter()
                        .flat_map(|s| s.adapters.iter().chain(s.end.iter()))
                        .flat_map(|st| st.op.defines_streams())
                        .map(|n| n.to_string()),
                );
                done.push(f);
            }
            None => {
                let stuck: Vec<String> = pending
                    .iter()
                    .filter_map(|f| f.output.map(|o| format!("`{o}`")))
                    .collect();
                let span = pending
                    .iter()
                    .find_map(|f| f.output)
                    .map_or_else(proc_macro2::Span::call_site, Ident::span);
                cx.error(span, format!("streams {} depend on each other in a cycle; a stream can only read streams defined before it is computed", stuck.join(", ")));
                return None;
            }
        }
    }
    Some(done)
}

/// Checks that joined streams share a slide, and marks what is windowed (from the streams
/// [`crate::props`] recorded).
fn slides(flows: &mut [Flow], p: &Program, cx: &Ctxt) {
    let windowed = |n: &Ident| p.streams.get(&n.to_string()).is_some_and(|s| s.windowed);
    for flow in flows.iter_mut() {
        flow.input_windowed = match &flow.input {
            Input::Source(_) => false,
            Input::Stream(n) => windowed(n),
        };
        flow.windowed = flow.output.is_some_and(windowed);
        for seg in &mut flow.segments {
            for st in seg.adapters.iter().chain(seg.end.iter()) {
                for other in st.op.streams_read() {
                    let theirs = p
                        .streams
                        .get(&other.to_string())
                        .and_then(|s| s.slide.as_ref());
                    if let (Some(a), Some(b)) = (
                        st.input.slide.as_ref().and_then(|s| s.duration.millis()),
                        theirs.and_then(|s| s.duration.millis()),
                    ) {
                        if a != b {
                            cx.error(
                                other.span(),
                                format!("`{}` joins streams with different slides ({} and {}); window them to the same slide first", st.name, crate::duration::show(a), crate::duration::show(b)),
                            );
                        }
                    }
                }
            }
            seg.windowed = seg
                .end
                .is_some_and(|e| e.op.output_slide().is_some() || e.def.flags.output_optional);
        }
    }
}

/// A JSON string for `s` (names and operator names: escaping quotes and backslashes is
/// enough, but control characters are escaped too).
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Plan<'_> {
    /// The plan as the streaming page draws it, in JSON: the sources; each flow's input (a
    /// source or a named stream), its segments (the adapters fused into one loop, and the
    /// barrier or sink that ends it, or none when the segment materialises a stream), the
    /// stream it names and the added source it feeds. A constant string of the generated
    /// code: the page costs the batches nothing.
    pub fn describe(&self) -> String {
        let sources: Vec<String> = self
            .sources
            .iter()
            .map(|s| match s {
                PlanSource::Def(d) => json_str(d.kind.name()),
                PlanSource::Repartitioned { writer, .. } => {
                    json_str(&format!("{} topic", writer.name))
                }
            })
            .collect();
        let flows: Vec<String> = self
            .flows
            .iter()
            .map(|f| {
                let input = match &f.input {
                    Input::Source(i) => format!("{{\"source\":{i}}}"),
                    Input::Stream(n) => format!("{{\"stream\":{}}}", json_str(&n.to_string())),
                };
                let segments: Vec<String> = f
                    .segments
                    .iter()
                    .map(|seg| {
                        let stages: Vec<String> = (seg.adapters.iter())
                            .map(|st| json_str(&st.name.to_string()))
                            .collect();
                        let end = seg.end.map_or("null".to_string(), |st| {
                            let role = match st.def.role {
                                Role::Sink => "sink",
                                _ => "barrier",
                            };
                            format!(
                                "{{\"name\":{},\"role\":\"{role}\"}}",
                                json_str(&st.name.to_string())
                            )
                        });
                        format!(
                            "{{\"first_id\":{},\"adapters\":[{}],\"end\":{end}}}",
                            seg.first_id,
                            stages.join(",")
                        )
                    })
                    .collect();
                let output = f
                    .output
                    .map_or("null".to_string(), |o| json_str(&o.to_string()));
                let feeds = f.feeds.map_or("null".to_string(), |i| i.to_string());
                format!(
                    "{{\"input\":{input},\"segments\":[{}],\"output\":{output},\"feeds\":{feeds}}}",
                    segments.join(",")
                )
            })
            .collect();
        format!(
            "{{\"fused\":{},\"sources\":[{}],\"flows\":[{}]}}",
            self.config.fused(),
            sources.join(","),
            flows.join(",")
        )
    }
}
