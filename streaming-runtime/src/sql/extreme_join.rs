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

pub use crate::rows_at::{RowsAtMax, RowsAtMin};

/// Each row with (a clone of) the extreme's row, as the join's elements
/// `(key, (row, other))` are (the key is never read after the join).
pub fn joined<R, M: Clone>(
    rows: impl Iterator<Item = R>,
    other: M,
) -> impl Iterator<Item = ((), (R, M))> {
    rows.map(move |r| ((), (r, other.clone())))
}
