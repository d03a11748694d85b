//! What each stage's incoming stream is like, worked out once for the whole program before
//! anything is checked, planned or written: how often it has data (its slide), whether its
//! elements carry their event time, whether it exists only at some batches. `check` reports
//! the rules these break, and `codegen` writes each stage for the stream it reads. The
//! program's statements are read as written (a named stream through its definition), so
//! this runs on whatever parsed, errors or not.

use std::collections::HashMap;

use crate::ast::{Head, Program, Stage};
use crate::ops::Role;
use crate::stream::{Slide, StreamProps};

/// Records on every stage the stream it reads ([`Stage::input`]) and on the program each
/// `let` stream ([`Program::streams`]).
pub fn annotate(p: &mut Program) {
    let program: &Program = p;
    let mut walk = Walk {
        p: program,
        batch: program.config.batch.as_ref().map(|d| Slide {
            duration: d.clone(),
            what: "the batch interval".into(),
        }),
        defs: program
            .statements
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.binding.as_ref().map(|b| (b.to_string(), i)))
            .collect(),
        walked: vec![None; program.statements.len()],
        visiting: vec![false; program.statements.len()],
    };
    for i in 0..program.statements.len() {
        walk.statement(i);
    }
    let walked = walk.walked;
    let mut streams = HashMap::new();
    for (s, (inputs, output)) in p.statements.iter_mut().zip(walked.into_iter().flatten()) {
        for (st, input) in s.stages.iter_mut().zip(inputs) {
            st.input = input;
        }
        if let Some(b) = &s.binding {
            streams.insert(b.to_string(), output);
        }
    }
    p.streams = streams;
}

struct Walk<'p> {
    p: &'p Program,
    batch: Option<Slide>,
    /// Each `let` stream's statement.
    defs: HashMap<String, usize>,
    /// Each statement's stage inputs and output, once walked.
    walked: Vec<Option<(Vec<StreamProps>, StreamProps)>>,
    /// Statements being walked: one met again is defined in terms of itself.
    visiting: Vec<bool>,
}

impl Walk<'_> {
    /// The stream statement `i` produces (walking it first if need be).
    fn statement(&mut self, i: usize) -> StreamProps {
        if let Some((_, output)) = &self.walked[i] {
            return output.clone();
        }
        if self.visiting[i] {
            // A cycle, which the plan reports.
            return StreamProps::default();
        }
        self.visiting[i] = true;
        let p = self.p;
        let s = &p.statements[i];
        let mut stream = match &s.head {
            Head::Source(_) => self.source(),
            Head::Stream(n) => match self.defs.get(&n.to_string()) {
                Some(&j) => self.statement(j),
                // A stream a stage defines (`late(name)`) is written every batch.
                None if defined_by_a_stage(p, n) => self.source(),
                None => StreamProps::default(),
            },
        };
        let mut inputs = Vec::with_capacity(s.stages.len());
        for st in &s.stages {
            inputs.push(stream.clone());
            stream = self.after(st, stream);
        }
        self.walked[i] = Some((inputs, stream.clone()));
        stream
    }

    /// A source's stream: data every batch, unstamped.
    fn source(&self) -> StreamProps {
        StreamProps {
            slide: self.batch.clone(),
            stamped: false,
            windowed: false,
        }
    }

    /// The stream stage `st` produces from `input`.
    fn after(&self, st: &Stage, mut s: StreamProps) -> StreamProps {
        if st.op.repartition_topic().is_some() {
            // What follows reads the topic back, batch by batch (unknown stays unknown).
            return StreamProps {
                slide: s.slide.and(self.batch.clone()),
                ..self.source()
            };
        }
        if let Some(next) = st.op.output_slide() {
            s.slide = s.slide.map(|_| next);
            s.windowed = true;
        }
        if st.def.flags.output_optional {
            s.windowed = true;
        }
        // Stamps travel through adapters and the barriers that keep them (`union`,
        // `drop_duplicates`); any other barrier's output is new elements.
        if st.def.flags.stamps {
            s.stamped = true;
        } else if st.def.role != Role::Adapter && !st.def.flags.keeps_stamps {
            s.stamped = false;
        }
        s
    }
}

fn defined_by_a_stage(p: &Program, name: &syn::Ident) -> bool {
    p.statements
        .iter()
        .flat_map(|s| &s.stages)
        .any(|st| st.op.defines_streams().contains(&name))
}
