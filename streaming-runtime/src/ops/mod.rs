//! The runtime half of each operator, one module per operator, named as in the DSL.
//! Generated code passes user closures straight into these functions so that rustc infers
//! the closures' argument types from the functions' bounds (users write closures without
//! type annotations, as in Spark). Barrier operators come in three parts used by
//! [`crate::par::run`]: a fold over one run of the batch, a merge of two runs' partials, and
//! a finish producing the operator's output batch.

pub mod count;
pub mod count_by_value;
pub mod drop_duplicates;
pub mod event_window;
pub mod flat_map_values;
pub mod group_by_key;
pub mod interval_join;
pub mod join;
pub mod map_values;
pub mod map_with_state;
pub mod parse;
pub mod reduce;
pub mod reduce_by_key;
pub mod sort;
pub mod take;
pub mod transform;
pub mod unfused;
pub mod union;
pub mod update_state_by_key;
pub mod window;

/// Materialises a run of a batch (the fold of every operator that needs the whole batch).
#[inline]
pub fn collect_vec<I: Iterator>(it: I) -> Vec<I::Item> {
    it.collect()
}

/// Merges two runs' vecs, keeping run order.
#[inline]
pub fn concat<T>(a: &mut Vec<T>, b: Vec<T>) {
    crate::run_vec::append(a, b)
}

/// A copy of a named stream's batch for one of its several uses.
#[inline]
pub fn fan_out<T: FanOut>(batch: &[T]) -> Vec<T> {
    batch.to_vec()
}

/// A copy of a windowed named stream's batch (present only at the window's slide times).
#[inline]
pub fn fan_out_windowed<T: FanOut>(batch: &Option<Vec<T>>) -> Option<Vec<T>> {
    batch.clone()
}

/// Elements of a named stream used more than once.
#[diagnostic::on_unimplemented(
    message = "a named stream used more than once is computed once per batch and each use gets a copy, so `{Self}` must implement `Clone`",
    label = "elements of a stream used more than once",
    note = "derive `Clone` for the element type, or use the stream only once"
)]
pub trait FanOut: Clone {}
impl<T: Clone> FanOut for T {}
