//! Data-parallel batches (`parallelism N`): a batch is cut into N runs, each run goes
//! through the fused chain on its own thread into a thread-local partial aggregate, and the
//! partials are merged once, in run order, so results equal those of `parallelism 1`.

use crate::block::{LineBlock, Lines, split_evenly};

/// Below this many elements a batch is not worth a thread.
pub const MIN_ELEMENTS_PER_THREAD: usize = 4096;

/// A batch that can be cut into runs for parallel processing.
pub trait IntoChunks {
    type Chunk: IntoIterator + Send;
    fn element_count(&self) -> usize;
    /// At most `n` runs, in order, together holding every element once.
    fn into_chunks(self, n: usize) -> Vec<Self::Chunk>;
}

impl<'a> IntoChunks for &'a LineBlock {
    type Chunk = Lines<'a>;
    fn element_count(&self) -> usize {
        self.len()
    }
    fn into_chunks(self, n: usize) -> Vec<Lines<'a>> {
        self.slices(n)
    }
}

impl<'a> IntoChunks for &'a mut LineBlock {
    type Chunk = Lines<'a>;
    fn element_count(&self) -> usize {
        self.len()
    }
    fn into_chunks(self, n: usize) -> Vec<Lines<'a>> {
        let this: &'a LineBlock = self;
        this.slices(n)
    }
}

/// Borrows the elements: runs are slices of the batch, which outlives the fused loop (the
/// segment starts with `flat_map split`, whose words borrow from the batch's strings).
impl<'a, T: Sync> IntoChunks for &'a Vec<T> {
    type Chunk = &'a [T];
    fn element_count(&self) -> usize {
        self.len()
    }
    fn into_chunks(self, n: usize) -> Vec<&'a [T]> {
        split_evenly(self.len(), n)
            .map(|(a, b)| self.get(a..b).unwrap_or_default())
            .collect()
    }
}

/// Moves the elements out (the vec is left empty).
impl<T: Send> IntoChunks for &mut Vec<T> {
    type Chunk = Vec<T>;
    fn element_count(&self) -> usize {
        self.len()
    }
    fn into_chunks(self, n: usize) -> Vec<Vec<T>> {
        let mut all = std::mem::take(self);
        if n <= 1 {
            return vec![all];
        }
        let ranges: Vec<_> = split_evenly(all.len(), n).collect();
        let mut out = Vec::with_capacity(ranges.len());
        // Split from the back so each split_off copies only its own run.
        for &(start, _) in ranges.iter().rev() {
            out.push(all.split_off(start));
        }
        out.reverse();
        out
    }
}

impl<T: Send> IntoChunks for Vec<T> {
    type Chunk = Vec<T>;
    fn element_count(&self) -> usize {
        self.len()
    }
    fn into_chunks(mut self, n: usize) -> Vec<Vec<T>> {
        (&mut self).into_chunks(n)
    }
}

/// A named stream's batch as one of its readers other than the last reads it: the runs are
/// slices of the batch the readers share, and each element is cloned as the fused loop
/// reads it, instead of the whole batch copied into a vec of the reader's own first
/// (written, then read again: a second pass over memory for every element). A reader whose
/// loop borrows its input (`flat_map split` first) borrows the shared elements themselves.
pub struct Shared<'a, T>(&'a Vec<T>);

/// The batch of a stream read more than once, for one of its readers but the last.
#[inline]
pub fn shared<T: crate::ops::FanOut>(batch: &Vec<T>) -> Shared<'_, T> {
    Shared(batch)
}

impl<'a, T: Clone + Sync> IntoChunks for &mut Shared<'a, T> {
    type Chunk = std::iter::Cloned<std::slice::Iter<'a, T>>;
    fn element_count(&self) -> usize {
        self.0.len()
    }
    fn into_chunks(self, n: usize) -> Vec<Self::Chunk> {
        let all: &'a [T] = self.0;
        split_evenly(all.len(), n)
            .map(|(a, b)| all.get(a..b).unwrap_or_default().iter().cloned())
            .collect()
    }
}

impl<'a, T: Sync> IntoChunks for &Shared<'a, T> {
    type Chunk = &'a [T];
    fn element_count(&self) -> usize {
        self.0.len()
    }
    fn into_chunks(self, n: usize) -> Vec<&'a [T]> {
        self.0.into_chunks(n)
    }
}

thread_local! {
    /// The number of the run this thread is folding (see [`current_run`]).
    static RUN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The number of the run of [`run`] the calling thread is folding (0 for the first run,
/// and outside of any run). Runs fold concurrently, so a stage that reports positions of
/// its input's rows (`parse`) numbers them within its run and puts the runs in order with
/// this number afterwards.
pub fn current_run() -> usize {
    RUN.with(std::cell::Cell::get)
}

/// Folds run number `n` with [`current_run`] saying so.
fn fold_run<C, A>(n: usize, fold: impl FnOnce(C) -> A, chunk: C) -> A {
    RUN.with(|r| r.set(n));
    let out = fold(chunk);
    RUN.with(|r| r.set(0));
    out
}

/// How many threads a batch of `elements` should use at `parallelism`.
pub fn threads_for(elements: usize, parallelism: usize) -> usize {
    parallelism.clamp(1, (elements / MIN_ELEMENTS_PER_THREAD).max(1))
}

/// Runs `fold` over the runs of `input` (on up to `parallelism` threads; the first run on
/// the calling thread) and merges the partial results in order with `merge`.
pub fn run<I, A, F, M>(parallelism: usize, input: I, fold: F, mut merge: M) -> A
where
    I: IntoChunks,
    A: Send,
    F: Fn(I::Chunk) -> A + Sync,
    M: FnMut(&mut A, A),
{
    let threads = threads_for(input.element_count(), parallelism);
    let mut chunks = input.into_chunks(threads).into_iter();
    let Some(first) = chunks.next() else {
        unreachable!("into_chunks returns at least one run")
    };
    if threads == 1 {
        let mut acc = fold_run(0, &fold, first);
        for (n, rest) in chunks.enumerate() {
            let part = fold_run(n + 1, &fold, rest);
            merge(&mut acc, part);
        }
        return acc;
    }
    let fold = &fold;
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .enumerate()
            .map(|(n, chunk)| scope.spawn(move || fold_run(n + 1, fold, chunk)))
            .collect();
        let mut acc = fold_run(0, fold, first);
        for handle in handles {
            match handle.join() {
                Ok(part) => merge(&mut acc, part),
                // Re-raise a user function's panic on the batch thread, where the
                // scheduler turns it into a failed batch.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        acc
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_run_equals_sequential() {
        let data: Vec<u64> = (0..100_000).collect();
        let seq = run(
            1,
            data.clone(),
            |c| c.into_iter().map(|x| x * 2).collect::<Vec<_>>(),
            |a, mut b| a.append(&mut b),
        );
        let par = run(
            4,
            data,
            |c| c.into_iter().map(|x| x * 2).collect::<Vec<_>>(),
            |a, mut b| a.append(&mut b),
        );
        assert_eq!(seq, par);
        let lines: LineBlock = (0..10_000).map(|i| i.to_string()).collect();
        let n = run(2, &lines, |c| c.into_iter().count(), |a, b| *a += b);
        assert_eq!(n, 10_000);
    }
}
