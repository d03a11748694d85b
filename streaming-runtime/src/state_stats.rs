//! How much state a stateful stage holds, measured once per batch: Structured Streaming's
//! `stateOperators` progress (rows total, rows updated, rows removed, memory used).
//!
//! The generated job calls [`StateSize::state_stats`] on every stateful stage's store at the
//! end of each batch, before its checkpoint (ARCHITECTURE.md, "The data's way"), and hands
//! the result to the batch's context, whence it reaches [`crate::BatchInfo::state`],
//! `/metrics` and the streaming page. Reading the figures must not slow the batch thread,
//! so every store answers in O(1) or O(its inner tables) (panes, sessions' keys, a window's
//! panes), never O(rows): lengths and capacities the tables already know, and two counters
//! the store's update paths bump (rows updated, rows evicted) and this call takes.
//!
//! **Bytes** are an estimate of the tables' own memory, from their capacity and element
//! sizes: a hash table (hashbrown) of capacity `c` has `buckets(c)` buckets (`c × 8 / 7`
//! rounded up to a power of two), each `size_of::<(K, V)>()` bytes plus one control byte;
//! an ordered map (sessions) counts `size_of::<(K, V)>()` per entry; a buffer of rows (the
//! DStream `window`) its vectors' capacity × `size_of::<T>()`. What keys and values own on
//! the heap themselves (a `String`'s characters) is not counted: finding it would cost a
//! walk over every row. The figure is therefore a lower bound, exact for plain keys and
//! values (numbers, tuples of numbers, `KeyStr`'s inline strings).

use std::mem::size_of;

use serde::Serialize;

/// One stateful stage's state after a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StateStats {
    /// Rows (keys, or keys of a window's panes) the store holds.
    pub rows: u64,
    /// Rows the batch's data inserted or changed.
    pub updated: u64,
    /// Rows the batch removed: expired, timed out, closed windows freed, panes that left
    /// the window, keys whose update returned `None`.
    pub evicted: u64,
    /// The store's tables' memory, estimated from their capacity (see the module's doc).
    pub bytes: u64,
    /// Event-time windows or sessions held open (event-time stages only).
    pub open_windows: Option<u64>,
}

/// The two per-batch counters a store keeps beside its tables (not checkpointed: they
/// count what one batch did).
#[derive(Clone, Copy, Debug, Default)]
pub struct StateCounters {
    /// Rows the batch inserted or changed.
    pub updated: u64,
    /// Rows the batch removed (counted where the store removes them).
    pub evicted: u64,
    /// For stores that count evictions from their size ([`Self::take_from_rows`]): rows
    /// inserted in the batch, and rows held after the batch before.
    pub inserted: u64,
    last_rows: u64,
}

impl StateCounters {
    /// The batch's counts, with the store's size; the counters start again from zero.
    pub fn take(&mut self, rows: usize, bytes: u64) -> StateStats {
        let c = std::mem::take(self);
        StateStats {
            rows: rows as u64,
            updated: c.updated,
            evicted: c.evicted,
            bytes,
            open_windows: None,
        }
    }

    /// For a store that frees rows in many places (closed windows, merged sessions):
    /// evicted is what the rows held before, plus those inserted, less those held now.
    /// After a restore the first batch counts none evicted (the rows before are unknown).
    pub fn take_from_rows(&mut self, rows: usize, bytes: u64) -> StateStats {
        let rows = rows as u64;
        self.evicted += (self.last_rows + self.inserted).saturating_sub(rows);
        self.last_rows = rows;
        self.inserted = 0;
        let last = self.last_rows;
        let stats = self.take(rows as usize, bytes);
        self.last_rows = last;
        stats
    }
}

/// A store the generated code can measure after each batch.
pub trait StateSize {
    /// The store's size and what the batch did to it (`None`: the stage keeps no rows, as
    /// a watermark does). Takes the batch's counters, so the generated code calls it once
    /// per batch.
    fn state_stats(&mut self) -> Option<StateStats>;
}

/// A stage's store created at its first batch (the DStream windows): empty until then.
impl<T: StateSize> StateSize for Option<T> {
    fn state_stats(&mut self) -> Option<StateStats> {
        match self {
            Some(s) => s.state_stats(),
            None => Some(StateStats::default()),
        }
    }
}

/// Buckets of a hashbrown table that reports `capacity` (its inverse of
/// `bucket_mask_to_capacity`: 7/8 of the buckets are usable from 8 buckets on).
fn buckets(capacity: usize) -> usize {
    match capacity {
        0 => 0,
        c if c < 8 => (c + 1).next_power_of_two(),
        c => (c.saturating_mul(8) / 7).next_power_of_two(),
    }
}

/// The memory of a hash table of `(K, V)` with `capacity`: buckets × (entry + control byte).
pub fn table_bytes<K, V>(capacity: usize) -> u64 {
    (buckets(capacity) * (size_of::<(K, V)>() + 1)) as u64
}

/// The memory of `len` entries `(K, V)` in an ordered map (its nodes' slack not counted).
pub fn tree_bytes<K, V>(len: usize) -> u64 {
    (len * size_of::<(K, V)>()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tables_bytes_follow_its_buckets() {
        let mut m: crate::keyed::KeyedMap<u64, u64> = Default::default();
        assert_eq!(table_bytes::<u64, u64>(m.capacity()), 0);
        m.insert(1, 1);
        // 4 buckets (capacity 3) of 16 bytes and a control byte each.
        assert_eq!(m.capacity(), 3);
        assert_eq!(table_bytes::<u64, u64>(m.capacity()), 4 * 17);
        for i in 0..1000 {
            m.insert(i, i);
        }
        // 1000 rows: 2048 buckets (capacity 1792).
        assert_eq!(m.capacity(), 1792);
        assert_eq!(table_bytes::<u64, u64>(m.capacity()), 2048 * 17);
    }

    #[test]
    fn counters_count_one_batch() {
        let mut c = StateCounters::default();
        c.updated += 3;
        c.evicted += 1;
        let s = c.take(7, 100);
        assert_eq!((s.rows, s.updated, s.evicted, s.bytes), (7, 3, 1, 100));
        assert_eq!(c.take(7, 100).updated, 0);
    }
}
