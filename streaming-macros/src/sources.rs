//! `source KIND(args)[.option(..)]*`: the receivers and sources. Trailing
//! method calls configure the source's builder, e.g.
//! `source socket("localhost", 9999).max_line_bytes(65536)`.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token, parse::Parser};

use crate::names::rt;
use crate::suggest;

pub struct SourceDef {
    pub kind: Kind,
    pub args: Vec<Expr>,
    /// `.option(..)` calls applied to the source builder.
    pub options: TokenStream,
    /// The turbofish of a source generic over its element type (`object_files::<T>`).
    pub turbofish: TokenStream,
    pub span: Span,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Socket,
    Stdin,
    TextFiles,
    ObjectFiles,
    Queue,
    Nexmark,
    Receiver,
    Kafka,
    KafkaTask,
}

impl Kind {
    /// The kind's name in the DSL (`socket`, `queue`).
    pub fn name(self) -> &'static str {
        KINDS
            .iter()
            .find(|k| k.kind == self)
            .map_or("source", |k| k.name)
    }
}

struct KindDef {
    name: &'static str,
    kind: Kind,
    args: usize,
    usage: &'static str,
}

const KINDS: &[KindDef] = &[
    KindDef {
        name: "socket",
        kind: Kind::Socket,
        args: 2,
        usage: "`source socket(\"localhost\", 9999)`",
    },
    KindDef {
        name: "stdin",
        kind: Kind::Stdin,
        args: 0,
        usage: "`source stdin`",
    },
    KindDef {
        name: "text_files",
        kind: Kind::TextFiles,
        args: 1,
        usage: "`source text_files(\"dir/\")`",
    },
    KindDef {
        name: "object_files",
        kind: Kind::ObjectFiles,
        args: 1,
        usage: "`source object_files::<(String, i64)>(\"dir/\")` (what `save_as_object_files` wrote)",
    },
    KindDef {
        name: "queue",
        kind: Kind::Queue,
        args: 1,
        usage: "`source queue(vec![batch1, batch2])`",
    },
    KindDef {
        name: "nexmark",
        kind: Kind::Nexmark,
        args: 0,
        usage: "`source nexmark().events(1_000_000)` or `source nexmark(configured)` (Nexmark's persons, auctions and bids)",
    },
    KindDef {
        name: "receiver",
        kind: Kind::Receiver,
        args: 1,
        usage: "`source receiver(my_receiver)`",
    },
    KindDef {
        name: "kafka",
        kind: Kind::Kafka,
        args: 2,
        usage: "`source kafka(\"127.0.0.1:9092\", \"topic\")`",
    },
    KindDef {
        name: "kafka_task",
        kind: Kind::KafkaTask,
        args: 1,
        usage: "`source kafka_task(task)` (a `KafkaCluster` task's partition)",
    },
];

/// Parses what follows the `source` keyword.
pub fn parse(keyword: &Ident, tokens: &[TokenTree]) -> syn::Result<SourceDef> {
    let Some(TokenTree::Ident(name)) = tokens.first() else {
        let span = tokens.first().map_or(keyword.span(), TokenTree::span);
        return Err(syn::Error::new(
            span,
            format!("expected a source after `source`: {}", all_usages()),
        ));
    };
    let key = name.to_string();
    let Some(def) = KINDS.iter().find(|k| k.name == key) else {
        let hint = suggest::hint(&key, KINDS.iter().map(|k| k.name));
        return Err(syn::Error::new(
            name.span(),
            format!("unknown source `{key}`{hint}\nsources: {}", all_usages()),
        ));
    };
    let kind = def.kind;
    if matches!(kind, Kind::Kafka | Kind::KafkaTask) && !cfg!(feature = "kafka") {
        return Err(syn::Error::new(
            name.span(),
            KAFKA_FEATURE.replace("{}", "the `kafka` source"),
        ));
    }
    let mut rest = &tokens[1..];
    let turbofish = turbofish(&mut rest)?;
    if !turbofish.is_empty() && kind != Kind::ObjectFiles {
        return Err(syn::Error::new(
            name.span(),
            format!("`{key}` takes no type arguments: write {}", def.usage),
        ));
    }
    let mut args = Vec::new();
    if let Some(TokenTree::Group(g)) = rest.first() {
        if g.delimiter() == Delimiter::Parenthesis {
            args = Punctuated::<Expr, Token![,]>::parse_terminated
                .parse2(g.stream())?
                .into_iter()
                .collect();
            rest = &rest[1..];
        }
    }
    // `nexmark(configured)`: a source built outside the pipeline (`nexmark().events(n)`),
    // so that a query can be written once for any configuration.
    let optional_arg = kind == Kind::Nexmark && args.len() == 1;
    if args.len() != def.args && !optional_arg {
        let takes = match (kind, def.args) {
            (Kind::Nexmark, _) => "no argument or one (a configured `nexmark()`)".to_string(),
            (_, 1) => "1 argument".to_string(),
            (_, n) => format!("{n} arguments"),
        };
        return Err(syn::Error::new(
            name.span(),
            format!("`{key}` takes {takes}: write {}", def.usage),
        ));
    }
    check_options(
        rest,
        "`|>` or a source option such as `.max_line_bytes(65536)` after the source",
    )?;
    Ok(SourceDef {
        kind,
        args,
        options: rest.iter().cloned().collect(),
        turbofish,
        span: name.span(),
    })
}

/// `::<T>` right after a source's name, taken off `rest` (empty if there is none).
fn turbofish(rest: &mut &[TokenTree]) -> syn::Result<TokenStream> {
    let is =
        |t: Option<&TokenTree>, c: char| matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == c);
    if !(is(rest.first(), ':') && is(rest.get(1), ':') && is(rest.get(2), '<')) {
        return Ok(TokenStream::new());
    }
    // The `>` closing the first `<` (`>>` comes as two `>` tokens; `->` is not a bracket).
    let mut depth = 0usize;
    let mut end = None;
    for (i, t) in rest.iter().enumerate().skip(2) {
        if let TokenTree::Punct(p) = t {
            let after_dash = i > 0 && is(rest.get(i - 1), '-');
            match p.as_char() {
                '<' => depth += 1,
                '>' if !after_dash => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    let Some(end) = end else {
        let span = rest.get(2).map_or(Span::call_site(), TokenTree::span);
        return Err(syn::Error::new(
            span,
            "unclosed `<` after the source's name",
        ));
    };
    let tokens: TokenStream = rest.iter().take(end + 1).cloned().collect();
    let args: syn::AngleBracketedGenericArguments = syn::parse2(tokens)?;
    *rest = rest.get(end + 1..).unwrap_or_default();
    Ok(quote!(#args))
}

/// What to write when a Kafka source or sink is used without the feature (`{}`: which).
pub const KAFKA_FEATURE: &str = "{} needs the `kafka` feature of `streaming`: `streaming = { version = \"0.1\", features = [\"kafka\"] }` in Cargo.toml (it builds librdkafka, so it is off by default)";

/// Only `.name(args)` calls may follow a source (or a sink such as `save_to_kafka(..)`);
/// `expected` says what else may come.
pub fn check_options(mut rest: &[TokenTree], expected: &str) -> syn::Result<()> {
    while let Some(first) = rest.first() {
        match rest {
            [
                TokenTree::Punct(dot),
                TokenTree::Ident(_),
                TokenTree::Group(g),
                tail @ ..,
            ] if dot.as_char() == '.' && g.delimiter() == Delimiter::Parenthesis => {
                rest = tail;
            }
            _ => {
                return Err(syn::Error::new(
                    first.span(),
                    format!("expected {expected}"),
                ));
            }
        }
    }
    Ok(())
}

fn all_usages() -> String {
    KINDS.iter().map(|k| k.usage).collect::<Vec<_>>().join(", ")
}

impl SourceDef {
    /// A Kafka source (it can feed a `repartition`, whose shuffle uses its brokers).
    pub fn is_kafka(&self) -> bool {
        matches!(self.kind, Kind::Kafka | Kind::KafkaTask)
    }

    /// An expression of a type implementing the runtime's `IntoSource`.
    pub fn expr(&self) -> TokenStream {
        let rt = rt();
        let args = &self.args;
        let options = &self.options;
        let base = match self.kind {
            Kind::Socket => quote_spanned!(self.span=> #rt::source::socket(#(#args),*)),
            Kind::Stdin => quote_spanned!(self.span=> #rt::source::stdin()),
            Kind::TextFiles => quote_spanned!(self.span=> #rt::source::text_files(#(#args),*)),
            Kind::ObjectFiles => {
                let turbofish = &self.turbofish;
                quote_spanned!(self.span=> #rt::source::object_files #turbofish (#(#args),*))
            }
            Kind::Queue => quote_spanned!(self.span=> #rt::source::queue(#(#args),*)),
            Kind::Nexmark if args.is_empty() => quote_spanned!(self.span=> #rt::source::nexmark()),
            Kind::Nexmark => {
                quote_spanned!(self.span=> #rt::source::nexmark::NexmarkSource::from(#(#args),*))
            }
            Kind::Receiver => quote_spanned!(self.span=> #rt::source::receiver(#(#args),*)),
            Kind::Kafka => quote_spanned!(self.span=> #rt::kafka::source::kafka(#(#args),*)),
            Kind::KafkaTask => {
                quote_spanned!(self.span=> #rt::kafka::group::Task::source(#(#args),*))
            }
        };
        quote!(#base #options)
    }
}
