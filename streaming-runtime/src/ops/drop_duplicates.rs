//! `drop_duplicates [by |x| key] [within_watermark]` over stamped records: the first
//! occurrence of each key passes, stamp and all (see [`Dedup`] for when keys are
//! forgotten and what is late).

use super::event_window::LateCount;
use crate::context::BatchContext;
use crate::event_time::{Dedup, Timestamp, Watermark};
use crate::owned::IntoOwned;

pub fn finish<T, K, F>(
    state: &mut Dedup<K>,
    ctx: &mut BatchContext<'_>,
    late_count: LateCount<'_>,
    batch: Vec<(Timestamp, T)>,
    key: F,
    marks: &[&Watermark],
) -> Vec<(Timestamp, T)>
where
    K: Eq + std::hash::Hash,
    F: FnMut(&T) -> K,
{
    let (out, late) = state.apply(batch, key, marks);
    late_count.add(ctx, late);
    out
}

/// The key of `drop_duplicates` without `by`: the whole record, owned.
pub fn whole<T: Clone + IntoOwned>(x: &T) -> T::Owned {
    x.clone().into_owned()
}
