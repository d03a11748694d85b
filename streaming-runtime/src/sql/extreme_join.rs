//! A stream joined back onto its own windowed MAX (or MIN): the rows at each window's
//! extreme, found in one pass (ARCHITECTURE.md, "SQL").
//!
//! ```sql
//! SELECT .. FROM bids AS b JOIN maxes AS m
//!   ON b.price = m.maxprice AND b.t >= m.endtime - INTERVAL '10' SECOND AND b.t < m.endtime
//! -- maxes: SELECT window.end AS endtime, max(price) AS maxprice FROM bids GROUP BY window(t, '10 seconds')
//! ```
//!
//! As written, every row waits in the join until its window's maximum is known. Lowered
//! here, a window keeps only the rows tied at its running extreme ([`RowsAtMax`]), and
//! emits them with the extreme when it closes: the same rows, without holding the others
//! (Nexmark q7, the highest bid).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::agg::SqlOrdered;
use crate::owned::IntoOwned;

/// The rows at a group's MAX (`MAX` true) or MIN of a value, ties all kept in the order
/// they were merged. The first row is held inline: most windows have one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowsAt<T, R, const MAX: bool> {
    value: T,
    first: R,
    rest: Vec<R>,
}

/// The rows at a group's MAX of a value.
pub type RowsAtMax<T, R> = RowsAt<T, R, true>;
/// The rows at a group's MIN of a value.
pub type RowsAtMin<T, R> = RowsAt<T, R, false>;

impl<T: SqlOrdered, R, const MAX: bool> RowsAt<T, R, MAX> {
    /// A row and its value (owned, so the row can move); `None` when the value is NULL:
    /// the row meets no MAX or MIN, as in the join (so windows never hold it).
    #[inline]
    pub fn new(value: Option<T>, row: R) -> Option<Self> {
        Some(RowsAt {
            value: value?,
            first: row,
            rest: Vec::new(),
        })
    }

    /// Both groups' rows at the better value (`reduce_by_key`'s function), or both rows
    /// when their values are equal as the join's keys are (NaN equal to NaN, as
    /// `KeyDouble` has it).
    #[inline]
    pub fn merge(mut self, other: Self) -> Self {
        let better = if MAX {
            Ordering::Greater
        } else {
            Ordering::Less
        };
        let tie = match other.value.partial_cmp(&self.value) {
            Some(o) if o == better => return other,
            Some(o) => o == Ordering::Equal,
            None => is_nan(&self.value) && is_nan(&other.value),
        };
        if tie {
            self.rest.push(other.first);
            self.rest.extend(other.rest);
        }
        self
    }

    /// The value and the rows at it, in order.
    pub fn into_rows(self) -> (Option<T>, impl Iterator<Item = R>) {
        (
            Some(self.value),
            std::iter::once(self.first).chain(self.rest),
        )
    }
}

// A window keeps its values across batches, so they are owned: the rows are made owned
// before they are kept (`new(value, row.into_owned())`), and this is the identity (where
// it converted the rows, its moves were a third of the merge's time in Nexmark q7).
impl<T: Send + 'static, R: Send + 'static, const MAX: bool> IntoOwned for RowsAt<T, R, MAX> {
    type Owned = Self;
    #[inline]
    fn into_owned(self) -> Self {
        self
    }
}

/// Whether `v` is unordered even with itself (a float's NaN).
fn is_nan<T: PartialOrd>(v: &T) -> bool {
    v.partial_cmp(v).is_none()
}

/// Each row with the extreme's row (a clone for all but the last), as the join's elements
/// `(key, (row, other))` are (the key is never read after the join).
pub fn joined<R, M: Clone>(
    rows: impl Iterator<Item = R>,
    other: M,
) -> impl Iterator<Item = ((), (R, M))> {
    rows.map(move |r| ((), (r, other.clone())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows<T: SqlOrdered, R, const MAX: bool>(a: RowsAt<T, R, MAX>) -> (Option<T>, Vec<R>) {
        let (v, r) = a.into_rows();
        (v, r.collect())
    }

    /// The rows' accumulators merged in order, NULLs left out as the stage leaves them.
    fn merged<T: SqlOrdered, R, const MAX: bool>(
        rows: impl IntoIterator<Item = (Option<T>, R)>,
    ) -> Option<RowsAt<T, R, MAX>> {
        rows.into_iter()
            .filter_map(|(v, r)| RowsAt::new(v, r))
            .reduce(RowsAt::merge)
    }

    #[test]
    fn ties_are_kept_in_order_and_a_better_value_replaces_them() {
        let rows_at_max = [
            (Some(3i64), 'a'),
            (Some(5), 'b'),
            (None, 'n'),
            (Some(5), 'c'),
            (Some(4), 'd'),
        ];
        let max: Option<RowsAtMax<_, _>> = merged(rows_at_max);
        assert_eq!(max.map(rows), Some((Some(5), vec!['b', 'c'])));
        let min: Option<RowsAtMin<_, _>> = merged(rows_at_max);
        assert_eq!(min.map(rows), Some((Some(3), vec!['a'])));
        assert_eq!(RowsAtMax::new(None::<i64>, 'n'), None);
    }

    #[test]
    fn floats_tie_as_the_joins_keys_match() {
        // -0.0 and 0.0 are one key; NaN meets NaN and nothing else.
        let z: Option<RowsAtMax<_, _>> = merged([(Some(0.0f64), 'a'), (Some(-0.0), 'b')]);
        assert_eq!(z.map(rows).map(|r| r.1), Some(vec!['a', 'b']));
        let n: Option<RowsAtMax<_, _>> = merged([
            (Some(f64::NAN), 'a'),
            (Some(1.0), 'b'),
            (Some(f64::NAN), 'c'),
        ]);
        assert_eq!(n.map(rows).map(|r| r.1), Some(vec!['a', 'c']));
    }
}
