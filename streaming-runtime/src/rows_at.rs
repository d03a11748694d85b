//! [`RowsAtMax`] and [`RowsAtMin`]: the rows at a group's maximum (or minimum) of a value,
//! ties all kept, as a value `reduce_by_key` combines (`reduce_by_key(RowsAtMax::merge)`):
//! the highest bid of each window with every bid that reached it (Nexmark q7), the
//! auctions with the most bids (q5). A SQL join of a stream back onto its own windowed MAX
//! is lowered to them (`sql::extreme_join`).
//!
//! ```text
//! |> map |b| ((), RowsAtMax::of(b.price, b))
//! |> event_window(10s, 10s) reduce_by_key(RowsAtMax::merge)
//! |> flat_map |((w, ()), top)| top.into_rows().1.map(move |b| (w, b))
//! ```

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

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

impl<T: PartialOrd, R, const MAX: bool> RowsAt<T, R, MAX> {
    /// `row` alone, at `value`.
    #[inline]
    pub fn of(value: T, row: R) -> Self {
        RowsAt {
            value,
            first: row,
            rest: Vec::new(),
        }
    }

    /// A row and its SQL value (owned, so the row can move); `None` when the value is
    /// NULL: the row meets no MAX or MIN, as in a join (so windows never hold it).
    #[inline]
    pub fn new(value: Option<T>, row: R) -> Option<Self> {
        Some(Self::of(value?, row))
    }

    /// The maximum (or minimum).
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Both groups' rows at the better value (`reduce_by_key`'s function), or both rows
    /// when their values are equal, as a SQL join's keys are (NaN equal to NaN, as
    /// `KeyDouble` has it; -0.0 equal to 0.0).
    // One arm per outcome, each moving or dropping `other` whole: written as "ties push
    // `other`'s rows, then `self` is returned", `other` was dropped behind drop flags, and
    // Nexmark q7's windows took 10% more instructions than with this form.
    #[inline]
    pub fn merge(self, other: Self) -> Self {
        let better = if MAX {
            Ordering::Greater
        } else {
            Ordering::Less
        };
        match other.value.partial_cmp(&self.value) {
            Some(Ordering::Equal) => self.tied_with(other),
            Some(o) if o == better => other,
            None if is_nan(&self.value) && is_nan(&other.value) => self.tied_with(other),
            _ => self,
        }
    }

    /// `self`'s rows, then `other`'s.
    #[inline]
    fn tied_with(mut self, other: Self) -> Self {
        self.rest.push(other.first);
        self.rest.extend(other.rest);
        self
    }

    /// The value and the rows at it, in the order they were merged.
    pub fn into_rows(self) -> (T, impl Iterator<Item = R>) {
        (self.value, std::iter::once(self.first).chain(self.rest))
    }
}

// A window keeps its values across batches, so they are owned: the rows are made owned
// before they are kept (`of(value, row.into_owned())`), and this is the identity (where
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::agg::SqlOrdered;

    fn rows<T: SqlOrdered, R, const MAX: bool>(a: RowsAt<T, R, MAX>) -> (T, Vec<R>) {
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
        assert_eq!(max.map(rows), Some((5, vec!['b', 'c'])));
        let min: Option<RowsAtMin<_, _>> = merged(rows_at_max);
        assert_eq!(min.map(rows), Some((3, vec!['a'])));
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
