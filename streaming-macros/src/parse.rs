//! Tokens → [`Program`]. Statements end with `;` (the last may omit it); a pipeline's stages
//! are separated by `|>`, which never occurs in valid Rust, so closures with `|` inside a
//! stage need no special care. Each operator parses its own arguments ([`crate::ops`]).

use proc_macro2::{Span, TokenStream, TokenTree};

use crate::ast::{
    Backpressure, Catalog, Checkpoint, Config, Head, ModelDef, Program, Queries, Stage, Statement,
    Tables,
};
use crate::ctxt::Ctxt;
use crate::{duration, ops, sources};

const CONFIG_KEYWORDS: &[&str] = &[
    "batch",
    "parallelism",
    "fusion",
    "checkpoint",
    "ui",
    "backpressure",
];

pub fn program(input: TokenStream, cx: &Ctxt) -> Option<Program> {
    let fingerprint = fnv1a(&input.to_string());
    let tokens: Vec<TokenTree> = input.into_iter().collect();
    let mut config = Config {
        fingerprint,
        ..Config::default()
    };
    let mut statements = Vec::new();
    let mut lines = Vec::new();
    let catalog = Catalog {
        tables: tables(&tokens),
        queries: queries(&tokens),
    };
    config.models = models(&tokens, cx);
    for stmt in tokens.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ';')) {
        let Some(first) = stmt.first() else { continue };
        // One statement a line, one stage a line: how pipelines are usually written.
        let text = stmt.iter().cloned().collect::<TokenStream>().to_string();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        lines.push(text.replace(" |> ", "\n    |> "));
        let is_config = matches!(first, TokenTree::Ident(i) if CONFIG_KEYWORDS.contains(&i.to_string().as_str()))
            && !matches!(stmt.get(1), Some(TokenTree::Punct(p)) if p.as_char() == '|');
        if is_config {
            config_line(stmt, &mut config, cx);
        } else if table_statement(stmt).is_some() {
            // `let name = table(expr);`: read by the stages and queries that join it.
        } else if model_statement(stmt).is_some() {
            // `let m = kmeans(..)..;`: read by the stages that train or predict with it.
        } else if let Some(s) = statement(stmt, &catalog, &config.models, cx) {
            statements.extend(s);
        }
    }
    // A query planned from what the query it joins computes keeps other state than the
    // join as written (the rows at a window's maximum, not every row): its checkpoints are
    // another pipeline's, refused by the fingerprint, not misread.
    let computed_again: Vec<String> = statements
        .iter()
        .flat_map(|s| &s.reads)
        .map(|r| format!("{r} computed again"))
        .collect();
    if !computed_again.is_empty() {
        config.fingerprint ^= fnv1a(&computed_again.join(";"));
    }
    config.text = lines.join(";\n");
    if !config.batch_line {
        cx.error(
            Span::call_site(),
            "missing batch interval: start the pipeline with a line such as `batch 1s;`",
        );
    }
    if statements.is_empty() && !cx.has_errors() {
        cx.error(
            Span::call_site(),
            "no pipeline: add one such as `source socket(\"localhost\", 9999) |> print`",
        );
    }
    Some(Program {
        config,
        statements,
        streams: Default::default(),
    })
}

fn config_line(stmt: &[TokenTree], config: &mut Config, cx: &Ctxt) {
    let TokenTree::Ident(key) = &stmt[0] else {
        return;
    };
    let rest = &stmt[1..];
    let name = key.to_string();
    let duplicate = |what: bool| {
        if what {
            cx.error(key.span(), format!("`{name}` is given twice; keep one"));
        }
    };
    match name.as_str() {
        "batch" => {
            duplicate(config.batch_line);
            config.batch_line = true;
            match rest {
                [t] => match duration::parse(t) {
                    Ok(d) if d.millis() == Some(0) => cx.error(
                        d.span(),
                        "the batch interval must be positive, e.g. `batch 1s;`",
                    ),
                    Ok(d) => config.batch = Some(d),
                    Err(e) => cx.syn(e),
                },
                [] => cx.error(key.span(), "`batch` needs an interval, e.g. `batch 1s;`"),
                [_, extra, ..] => cx.error(extra.span(), "unexpected tokens: write `batch 1s;`"),
            }
        }
        "parallelism" => {
            duplicate(config.parallelism.is_some());
            match rest {
                [TokenTree::Literal(lit)] => match syn::Lit::new(lit.clone()) {
                    syn::Lit::Int(n) if n.base10_parse::<usize>().is_ok_and(|n| n > 0) && n.suffix().is_empty() => {
                        config.parallelism = Some((quote::quote!(#n), lit.span()));
                    }
                    _ => cx.error(lit.span(), "`parallelism` takes a positive whole number of threads, e.g. `parallelism 4;`"),
                },
                [TokenTree::Group(g)] if g.delimiter() == proc_macro2::Delimiter::Brace => {
                    let e = g.stream();
                    config.parallelism = Some((quote::quote!({ #e }), g.span()));
                }
                _ => cx.error(key.span(), "`parallelism` takes a positive whole number of threads, e.g. `parallelism 4;`"),
            }
        }
        "fusion" => {
            duplicate(config.fusion.is_some());
            match rest {
                [TokenTree::Ident(v)] if v == "on" || v == "off" => {
                    config.fusion = Some((v == "on", v.span()))
                }
                _ => cx.error(
                    key.span(),
                    "write `fusion off;` (operator-at-a-time code) or `fusion on;` (the default)",
                ),
            }
        }
        "checkpoint" => {
            duplicate(config.checkpoint.is_some());
            let usage = "write `checkpoint \"dir\";`, `checkpoint \"dir\" every 10s;` or `checkpoint \"dir\" wal;`";
            let Some(dir) = rest.first() else {
                cx.error(
                    key.span(),
                    format!("`checkpoint` needs a directory: {usage}"),
                );
                return;
            };
            let mut every = None;
            let mut wal = false;
            let mut i = 1;
            while i < rest.len() {
                match &rest[i] {
                    TokenTree::Ident(kw) if kw == "every" => {
                        match rest.get(i + 1).map(duration::parse) {
                            Some(Ok(d)) if d.millis() == Some(0) => {
                                cx.error(d.span(), "the checkpoint interval must be positive")
                            }
                            Some(Ok(d)) => every = Some(d),
                            Some(Err(e)) => cx.syn(e),
                            None => {
                                cx.error(kw.span(), format!("`every` needs a duration: {usage}"))
                            }
                        }
                        i += 2;
                    }
                    TokenTree::Ident(kw) if kw == "wal" => {
                        wal = true;
                        i += 1;
                    }
                    other => {
                        cx.error(
                            other.span(),
                            format!("unexpected tokens after `checkpoint`: {usage}"),
                        );
                        break;
                    }
                }
            }
            config.checkpoint = Some(Checkpoint {
                dir: dir.clone().into(),
                every,
                wal,
            });
        }
        "ui" => {
            duplicate(config.ui.is_some());
            match rest {
                [addr] => config.ui = Some(addr.clone().into()),
                [] => cx.error(
                    key.span(),
                    "`ui` needs an address to serve the streaming page at, e.g. `ui \"127.0.0.1:4040\";`",
                ),
                [_, extra, ..] => cx.error(
                    extra.span(),
                    "unexpected tokens: write `ui \"127.0.0.1:4040\";` (or `ui addr;` with a variable)",
                ),
            }
        }
        "backpressure" => {
            duplicate(config.backpressure.is_some());
            let usage = "write `backpressure on;`, `backpressure on initial_rate 1000;` or `backpressure off;`";
            match rest {
                [TokenTree::Ident(v)] if v == "on" || v == "off" => {
                    config.backpressure = Some(Backpressure {
                        on: v == "on",
                        initial_rate: None,
                    });
                }
                [TokenTree::Ident(v), TokenTree::Ident(kw), TokenTree::Literal(lit)]
                    if v == "on" && kw == "initial_rate" =>
                {
                    match syn::Lit::new(lit.clone()) {
                        syn::Lit::Int(n)
                            if n.base10_parse::<u64>().is_ok_and(|n| n > 0)
                                && n.suffix().is_empty() =>
                        {
                            config.backpressure = Some(Backpressure {
                                on: true,
                                initial_rate: Some(quote::quote!(#n)),
                            });
                        }
                        _ => cx.error(
                            lit.span(),
                            "`initial_rate` takes a positive whole number of records per second, e.g. `backpressure on initial_rate 1000;`",
                        ),
                    }
                }
                _ => cx.error(key.span(), usage),
            }
        }
        _ => {}
    }
}

fn is_pipe(tokens: &[TokenTree], i: usize) -> bool {
    matches!((tokens.get(i), tokens.get(i + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            // `|` then `>` never occurs in valid Rust; spacing is not relied on because
            // tokens passed through `macro_rules!` may lose it.
            if a.as_char() == '|' && b.as_char() == '>')
}

/// Splits at each `|>`; returns the parts and the span of the `|>` before each part after the first.
fn split_pipes(tokens: &[TokenTree]) -> Vec<(&[TokenTree], Span)> {
    let mut parts = Vec::new();
    let (mut start, mut i, mut pipe_span) = (
        0,
        0,
        tokens.first().map_or_else(Span::call_site, TokenTree::span),
    );
    while i < tokens.len() {
        if is_pipe(tokens, i) {
            parts.push((&tokens[start..i], pipe_span));
            pipe_span = tokens[i].span();
            i += 2;
            start = i;
        } else {
            i += 1;
        }
    }
    parts.push((&tokens[start..], pipe_span));
    parts
}

fn tables(tokens: &[TokenTree]) -> Tables {
    tokens
        .split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ';'))
        .filter_map(table_statement)
        .collect()
}

/// `let name = sql("..");`, without an emit mode or stages after it.
fn queries(tokens: &[TokenTree]) -> Queries {
    tokens
        .split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ';'))
        .filter_map(|stmt| match stmt {
            [
                TokenTree::Ident(kw),
                TokenTree::Ident(name),
                TokenTree::Punct(eq),
                body @ ..,
            ] if kw == "let" && eq.as_char() == '=' => match sql_query(body)? {
                (text, None) => Some((name.to_string(), text.value())),
                (_, Some(_)) => None,
            },
            _ => None,
        })
        .collect()
}

/// `let name = table(expr)`: the name and the expression.
fn table_statement(stmt: &[TokenTree]) -> Option<(String, TokenStream)> {
    match stmt {
        [
            TokenTree::Ident(kw),
            TokenTree::Ident(name),
            TokenTree::Punct(eq),
            TokenTree::Ident(table),
            TokenTree::Group(g),
        ] if kw == "let"
            && eq.as_char() == '='
            && table == "table"
            && g.delimiter() == proc_macro2::Delimiter::Parenthesis =>
        {
            Some((name.to_string(), g.stream()))
        }
        _ => None,
    }
}

/// What a model statement may start with: `streaming::mllib`'s constructors, and
/// `model(handle)` for a handle built outside the pipeline (so the program can read
/// `handle.latest_model()` after each batch).
const MODEL_HEADS: &[&str] = &[
    "kmeans",
    "linear_regression",
    "logistic_regression",
    "model",
];

/// The stages that name a model.
const MODEL_STAGES: &[&str] = &["train_on", "predict_on", "predict_on_values"];

/// A pipeline's named models, each name once.
fn models(tokens: &[TokenTree], cx: &Ctxt) -> Vec<ModelDef> {
    let mut models: Vec<ModelDef> = Vec::new();
    for m in tokens
        .split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ';'))
        .filter_map(model_statement)
    {
        if models.iter().any(|o| o.name == m.name) {
            cx.error(
                m.name.span(),
                format!("the model `{}` is defined twice; rename one", m.name),
            );
        } else {
            models.push(m);
        }
    }
    models
}

/// `let m = kmeans(..)..;` and the like: the model's name and its handle's expression.
fn model_statement(stmt: &[TokenTree]) -> Option<ModelDef> {
    let [
        TokenTree::Ident(kw),
        TokenTree::Ident(name),
        TokenTree::Punct(eq),
        TokenTree::Ident(head),
        TokenTree::Group(g),
        rest @ ..,
    ] = stmt
    else {
        return None;
    };
    let head_name = head.to_string();
    if kw != "let"
        || eq.as_char() != '='
        || !MODEL_HEADS.contains(&head_name.as_str())
        || g.delimiter() != proc_macro2::Delimiter::Parenthesis
    {
        return None;
    }
    let rt = crate::names::rt_at(head.span());
    let rest: TokenStream = rest.iter().cloned().collect();
    let expr = if head_name == "model" {
        // The pipeline keeps its own handle, so the caller's stays usable.
        let e = g.stream();
        quote::quote_spanned!(head.span()=> #rt::mllib::model(&(#e)) #rest)
    } else {
        quote::quote_spanned!(head.span()=> #rt::mllib::model(#rt::mllib::#head #g #rest))
    };
    Some(ModelDef {
        name: name.clone(),
        expr,
    })
}

/// A model stage's argument must name a model of the pipeline.
fn check_model(name: &proc_macro2::Ident, tokens: &[TokenTree], models: &[ModelDef], cx: &Ctxt) {
    if !MODEL_STAGES.contains(&name.to_string().as_str()) {
        return;
    }
    let [TokenTree::Group(g)] = tokens else {
        return;
    };
    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
    let [TokenTree::Ident(m)] = &inner[..] else {
        return;
    };
    if models.iter().any(|d| d.name == *m) {
        return;
    }
    let known: Vec<String> = models.iter().map(|d| d.name.to_string()).collect();
    let hint = crate::suggest::hint(&m.to_string(), known.iter().map(String::as_str));
    let fix = if hint.is_empty() {
        format!(
            "; define it in the pipeline, e.g. `let {m} = kmeans(3).random_centers(2, 0.0, 42);`"
        )
    } else {
        hint
    };
    cx.error(m.span(), format!("no model named `{m}`{fix}"));
}

/// The join family's `name(t)` for a named table `t`: `name(table(expr))`.
fn with_table(
    name: &proc_macro2::Ident,
    tokens: &[TokenTree],
    tables: &Tables,
) -> Option<Vec<TokenTree>> {
    const JOINS: &[&str] = &[
        "join",
        "left_outer_join",
        "right_outer_join",
        "full_outer_join",
        "cogroup",
    ];
    let [TokenTree::Group(g)] = tokens else {
        return None;
    };
    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
    let [TokenTree::Ident(t)] = &inner[..] else {
        return None;
    };
    if !JOINS.contains(&name.to_string().as_str()) {
        return None;
    }
    let expr = tables.get(&t.to_string())?;
    let call = quote::quote_spanned!(t.span()=> table(#expr));
    let mut group = proc_macro2::Group::new(g.delimiter(), call);
    group.set_span(g.span());
    Some(vec![TokenTree::Group(group)])
}

/// A statement, and the hidden ones a `sql(..)` head needs (a JOIN's keyed other side).
fn statement(
    stmt: &[TokenTree],
    catalog: &Catalog,
    models: &[ModelDef],
    cx: &Ctxt,
) -> Option<Vec<Statement>> {
    let span = stmt[0].span();
    let (binding, body) = match stmt {
        [TokenTree::Ident(kw), rest @ ..] if kw == "let" => match rest {
            [TokenTree::Ident(name), TokenTree::Punct(eq), body @ ..] if eq.as_char() == '=' => {
                if body.is_empty() {
                    cx.error(
                        eq.span(),
                        "expected a pipeline after `=`, e.g. `let lines = source stdin;`",
                    );
                    return None;
                }
                (Some(name.clone()), body)
            }
            _ => {
                cx.error(kw.span(), "expected `let NAME = source ...;`");
                return None;
            }
        },
        _ => (None, stmt),
    };
    let parts = split_pipes(body);
    let (head_tokens, _) = parts[0];
    let mut stages = Vec::new();
    let mut complete = true;
    let mut items = TokenStream::new();
    let mut extra = Vec::new();
    let mut reads = Vec::new();
    let head = match sql_query(head_tokens) {
        // `sql("..")`: its FROM stream, read through the stages the query lowers to.
        Some((text, emit)) => match crate::sql::lower(&text, emit, catalog) {
            Ok(lowered) => {
                for (name, tokens) in &lowered.stages {
                    complete &= push_stage(&mut stages, name, tokens, cx);
                }
                items = lowered.items;
                reads = lowered.reads;
                for (binding, from, extra_stages) in lowered.extra {
                    let mut st = Vec::new();
                    for (name, tokens) in &extra_stages {
                        push_stage(&mut st, name, tokens, cx);
                    }
                    extra.push(Statement {
                        binding: Some(binding),
                        head: Head::Stream(from),
                        stages: st,
                        complete: true,
                        span,
                        items: TokenStream::new(),
                        reads: Vec::new(),
                    });
                }
                Head::Stream(lowered.from)
            }
            Err(message) => {
                cx.error(text.span(), message);
                return None;
            }
        },
        None => head(head_tokens, span, cx)?,
    };
    for &(tokens, pipe) in &parts[1..] {
        complete &= matches!(tokens.first(), Some(TokenTree::Ident(_)));
        match tokens.first() {
            Some(TokenTree::Ident(name)) => {
                check_model(name, &tokens[1..], models, cx);
                let args = with_table(name, &tokens[1..], &catalog.tables);
                let args = args.as_deref().unwrap_or(&tokens[1..]);
                complete &= push_stage(&mut stages, name, args, cx);
            }
            Some(other) => cx.error(
                other.span(),
                "expected an operator name such as `map`, `filter` or `print`",
            ),
            None => cx.error(pipe, "expected an operator after `|>`"),
        }
    }
    extra.insert(
        0,
        Statement {
            binding,
            head,
            stages,
            complete,
            span,
            items,
            reads,
        },
    );
    Some(extra)
}

/// Parses a stage `name tokens` onto `stages`; false if it did not parse (the error is in
/// `cx`).
fn push_stage(
    stages: &mut Vec<Stage>,
    name: &proc_macro2::Ident,
    tokens: &[TokenTree],
    cx: &Ctxt,
) -> bool {
    match ops::parse_stage(name, tokens, cx) {
        Some((def, op)) => {
            stages.push(Stage {
                name: name.clone(),
                def,
                op,
                input: Default::default(),
            });
            true
        }
        None => false,
    }
}

/// `sql("SELECT ..") [emit MODE]`: the query's text and emit mode.
fn sql_query(tokens: &[TokenTree]) -> Option<(syn::LitStr, Option<&proc_macro2::Ident>)> {
    let (kw, g, emit) = match tokens {
        [TokenTree::Ident(kw), TokenTree::Group(g)] => (kw, g, None),
        [
            TokenTree::Ident(kw),
            TokenTree::Group(g),
            TokenTree::Ident(e),
            TokenTree::Ident(mode),
        ] if e == "emit" => (kw, g, Some(mode)),
        _ => return None,
    };
    if kw != "sql" || g.delimiter() != proc_macro2::Delimiter::Parenthesis {
        return None;
    }
    Some((syn::parse2::<syn::LitStr>(g.stream()).ok()?, emit))
}

fn head(tokens: &[TokenTree], span: Span, cx: &Ctxt) -> Option<Head> {
    match tokens {
        [TokenTree::Ident(kw), rest @ ..] if kw == "source" => match sources::parse(kw, rest) {
            Ok(def) => Some(Head::Source(def)),
            Err(e) => {
                cx.syn(e);
                None
            }
        },
        [TokenTree::Ident(name)] => Some(Head::Stream(name.clone())),
        [first, ..] => {
            cx.error(
                first.span(),
                "a pipeline starts with `source ...` or the name of a stream defined with `let`",
            );
            None
        }
        [] => {
            cx.error(span, "expected `source ...` or a stream name before `|>`");
            None
        }
    }
}

/// FNV-1a, as the runtime's `checkpoint::fingerprint`: stable across builds.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    fn expand(text: &str) -> String {
        crate::expand(proc_macro2::TokenStream::from_str(text).unwrap()).to_string()
    }

    #[test]
    fn the_backpressure_line() {
        let on = expand("batch 1s; backpressure on; source stdin |> print");
        assert!(on.contains("with_backpressure (true)"), "{on}");
        let off = expand("batch 1s; backpressure off; source stdin |> print");
        assert!(off.contains("with_backpressure (false)"), "{off}");
        let rate = expand("batch 1s; backpressure on initial_rate 250; source stdin |> print");
        assert!(rate.contains("with_backpressure_config"), "{rate}");
        assert!(rate.contains("Some (250)"), "{rate}");
        let none = expand("batch 1s; source stdin |> print");
        assert!(!none.contains("backpressure"), "{none}");
        for bad in [
            "backpressure;",
            "backpressure maybe;",
            "backpressure on 5;",
            "backpressure on initial_rate 0;",
            "backpressure on initial_rate 1.5;",
            "backpressure off initial_rate 5;",
        ] {
            let out = expand(&format!("batch 1s; {bad} source stdin |> print"));
            assert!(
                out.contains("compile_error") && out.contains("backpressure"),
                "{bad}: {out}"
            );
        }
        let twice = expand("batch 1s; backpressure on; backpressure off; source stdin |> print");
        assert!(twice.contains("given twice"), "{twice}");
    }
}
