//! A JOIN back onto the stream's own windowed MAX (or MIN), lowered to the rows at each
//! window's extreme: what Nexmark's q7 (the highest bid) asks, and the way it is written.
//!
//! ```text
//! let maxes = sql("SELECT window.end AS endtime, max(price) AS maxprice
//!                  FROM bids AS b(..) GROUP BY window(t, '10 seconds')");
//! sql("SELECT .. FROM bids AS b(..) JOIN maxes AS m ON b.price = m.maxprice
//!      AND b.t >= m.endtime - INTERVAL '10' SECOND AND b.t < m.endtime")
//!
//!   bids |> flat_map |r| Some((keys, RowsAtMax::new(price, r)?))  a row and its value (NULL: none)
//!        |> event_window(10s, 10s) reduce_by_key(merge)    the rows tied at the maximum
//!        |> flat_map |((w, keys), a)| (row, maxes' row)    maxes' row from w, keys and the max
//! ```
//!
//! Joined as written (`interval_join`), every row of the stream waits until its window's
//! maximum comes out, and is then compared with it: the join holds the whole window. The
//! rows that can meet the maximum are the ones at it, so the window keeps those alone, as
//! the running maximum goes: the same rows out, in one pass, holding a few.
//!
//! The rewrite applies only where it gives exactly the join's rows: the other side is a
//! `let` query and nothing more (no stages after it, no emit mode), over the same stream
//! with the same columns, grouped by one tumbling window and any keys, with one MAX or MIN
//! and no WHERE, HAVING, DISTINCT, ORDER BY or LIMIT; the JOIN is inner, its equalities
//! the aggregate's own expression with the column holding the aggregate and each GROUP BY
//! key's expression with the column holding it (so a row meets its own group's extreme
//! alone; the elements are then keyed by the group as the window is), and its time range
//! the window itself (at the column holding the window's end or start). Anything else is
//! joined as written. Both sides window the stream's event-time stamp, as any windowed
//! GROUP BY does.

use proc_macro2::TokenStream;
use quote::{format_ident, quote_spanned};
use syn::Ident;

use super::{Column, Lowering, QUERIES, TimeRange};
use crate::names::rt_at;
use crate::sql::expr::{FromShape, Scope, Writer};
use crate::sql::query::{self, Agg, Expr, Join, TimeWindow};

impl Lowering<'_> {
    /// The stages giving the join's elements `((), (row, other row))` and the items they
    /// need, when the JOIN is one onto a windowed MAX or MIN (per group) of the stream's
    /// own rows (`None`: it is joined as written).
    pub(super) fn extreme_join(
        &self,
        j: &Join,
        right: &FromShape,
        row: &Ident,
    ) -> Option<(Vec<TokenStream>, TokenStream)> {
        if j.left_outer || self.right_table.is_some() {
            return None;
        }
        // The other side's rows are its row struct, read by field.
        if right.columns.is_some() {
            return None;
        }
        let m = query::read(self.queries.get(&j.right.stream)?).ok()?;
        let plain = m.join.is_none()
            && m.filter.is_none()
            && m.having.is_none()
            && !m.distinct
            && m.order_by.is_empty()
            && m.limit.is_none();
        if !plain || m.from.stream != self.q.from.stream || m.from.columns != self.q.from.columns {
            return None;
        }
        // One tumbling window, and any keys besides.
        let mut windows = m.group_by.iter().filter_map(|g| match g {
            Expr::TimeWindow(TimeWindow::Fixed { length, slide }) if length == slide => {
                Some(*length)
            }
            _ => None,
        });
        let (Some(length), None) = (windows.next(), windows.next()) else {
            return None;
        };
        let group_by: Vec<&Expr> = m
            .group_by
            .iter()
            .filter(|g| !matches!(g, Expr::TimeWindow(_)))
            .collect();
        if group_by.iter().any(|k| k.has_agg()) {
            return None;
        }
        let n = QUERIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let other = Lowering {
            q: &m,
            emit: None,
            w: Writer::new(self.span, n),
            span: self.span,
            shape: FromShape::of(&m.from),
            right: None,
            right_table: None,
            queries: self.queries,
            n,
        };
        let columns = other.columns().ok()?;
        let mut aggs: Vec<Expr> = Vec::new();
        for c in &columns {
            c.expr.visit(&mut |e| {
                if matches!(e, Expr::Agg(..)) && !aggs.contains(e) {
                    aggs.push(e.clone());
                }
            });
        }
        let [aggregate @ Expr::Agg(agg @ (Agg::Max | Agg::Min), Some(arg))] = &aggs[..] else {
            return None;
        };
        let in_other = |e: &Expr| canonical(e, &other.shape, false);
        let group_keys: Vec<Expr> = group_by
            .iter()
            .map(|k| in_other(k))
            .collect::<Option<_>>()?;

        // ON: this side's value of the aggregate's expression equal to the column holding
        // the aggregate, and each GROUP BY key's expression equal to the column holding
        // it (every key: a row meets its own group's extreme, not another's).
        let other_column = |e: &Expr| -> Option<&Column<'_>> {
            let Expr::Column(c) = e else { return None };
            let (t, c) = c.split_once('.')?;
            right.is_named(t).then_some(())?;
            columns.iter().find(|x| x.field == c)
        };
        if j.on.len() != 1 + group_keys.len() {
            return None;
        }
        let mut value = None;
        let mut keys: Vec<Option<&Expr>> = vec![None; group_keys.len()];
        for (a, b) in &j.on {
            let (this, at) = match (other_column(b), other_column(a)) {
                (Some(c), _) => (a, c),
                (None, Some(c)) => (b, c),
                (None, None) => return None,
            };
            let this_expr = canonical(this, &self.shape, true)?;
            if at.expr == aggregate {
                if value.is_some() || this_expr != in_other(arg)? {
                    return None;
                }
                value = Some(this);
                continue;
            }
            let held = in_other(at.expr)?;
            let i = group_keys.iter().position(|k| *k == held)?;
            if keys[i].is_some() || this_expr != group_keys[i] {
                return None;
            }
            keys[i] = Some(this);
        }
        let value = value?;
        let keys: Vec<&Expr> = keys.into_iter().collect::<Option<_>>()?;

        // The time range: the window itself, at the column holding its end or its start
        // (`u − t` within `1 ..= length`, or `1 − length ..= 0`, in milliseconds).
        let TimeRange {
            lower,
            upper,
            other_time,
        } = self.time_range(j, right).ok()??;
        let time = other_column(&Expr::Column(other_time))?;
        let length = i64::try_from(length).ok()?;
        let window = match time.expr {
            Expr::Column(c) if c == "window.end" => (1, length),
            Expr::Column(c) if c == "window.start" => (1 - length, 0),
            _ => return None,
        };
        if (lower, upper) != window {
            return None;
        }

        // The other query's row, from the window, the group's keys and the extreme: built
        // first, so that nothing of this query is written unless the rewrite holds.
        let s = self.span;
        let rt = rt_at(s);
        let (w, a, v, rows, x, k, keep) = (
            self.var("__w"),
            self.var("__a"),
            self.var("__v0"),
            self.var("__rows"),
            self.var("__x"),
            self.var("__k"),
            self.var("__keep"),
        );
        let key_vars: Vec<Ident> = (0..keys.len())
            .map(|i| self.var(&format!("__g{i}")))
            .collect();
        let grouped_keys: Vec<(Expr, Ident)> = group_by
            .into_iter()
            .cloned()
            .zip(key_vars.iter().cloned())
            .collect();
        let aggs = [(aggregate.clone(), v.clone())];
        let aliases = super::aliases(&columns);
        let grouped = Scope::Grouped {
            keys: &grouped_keys,
            aggs: &aggs,
            aliases: &aliases,
            window: Some(&w),
        };
        let fields = other.fields(&columns, &grouped).ok()?;

        // This query's side: each row's value and group.
        let this_row = Scope::Row {
            row,
            from: &self.shape,
        };
        let value = self.w.expr(value, &this_row).ok()?;
        let key_values = keys
            .iter()
            .map(|k| {
                let v = self.w.expr(k, &this_row).ok()?;
                Some(quote_spanned!(s=> #rt::sql::agg::key(#v)))
            })
            .collect::<Option<Vec<_>>>()?;
        let not_null = self.all_some(&quote_spanned!(s=> #k), keys.len());
        let acc = match agg {
            Agg::Max => format_ident!("RowsAtMax", span = s),
            _ => format_ident!("RowsAtMin", span = s),
        };
        let name = format_ident!("__SqlRow{}", n, span = s);
        let length = self.millis(length.unsigned_abs());
        let ej = quote_spanned!(s=> #rt::sql::extreme_join);
        let stages = vec![
            // A row whose value or key is NULL meets nothing, as in the join: not kept.
            // The others are kept across batches, so owned.
            self.stage(
                "flat_map",
                quote_spanned!(s=> |#row| {
                    let #k = (#(#key_values,)*);
                    let #keep = #not_null;
                    let #x = #rt::sql::owned(#value);
                    let #row = #rt::IntoOwned::into_owned(#row);
                    ::core::option::Option::filter(
                        ::core::option::Option::map(#ej::#acc::new(#x, #row), |#a| (#k, #a)),
                        |_| #keep,
                    )
                }),
            ),
            self.stage(
                "event_window",
                quote_spanned!(s=> (#length, #length) reduce_by_key(#ej::#acc::merge)),
            ),
            self.stage(
                "flat_map",
                quote_spanned!(s=> |((#w, #k), #a)| {
                    #[allow(unused_variables)]
                    let (#(#key_vars,)*) = #k;
                    let (#v, #rows) = #ej::#acc::into_rows(#a);
                    let #v = ::core::option::Option::Some(#v);
                    #ej::joined(#rows, #name { #(#fields),* })
                }),
            ),
        ];
        let row_struct = other.row_struct(&name, &columns);
        let checks = other.w.take_checks();
        Some((stages, quote_spanned!(s=> #row_struct #checks)))
    }
}

/// `e` with its columns named as `shape`'s columns are, unqualified (`b.price` → `price`),
/// so that the same expression over the same stream compares equal whatever the alias;
/// `None` if a column is another stream's. In a JOIN (`joined`), an unqualified column
/// must be one `shape` lists, the other side's being unlisted.
fn canonical(e: &Expr, shape: &FromShape, joined: bool) -> Option<Expr> {
    let mut e = e.clone();
    let mut ours = true;
    e.visit_mut(&mut |x| {
        if let Expr::Column(c) = x {
            match c.split_once('.') {
                Some((t, bare)) if shape.is_named(t) => *c = bare.to_owned(),
                Some(_) => ours = false,
                None if joined => {
                    ours &= shape.columns.as_ref().is_some_and(|cols| cols.contains(c));
                }
                None => {}
            }
        }
    });
    ours.then_some(e)
}
