//! Materialising a fused run of a batch into a vec sized for it.
//!
//! A run that reads `n` elements and keeps about as many (a `map`, a `flat_map` of an
//! `Option`) would, collected with `Iterator::collect`, start from the adapters' lower bound
//! (0 after a `filter` or `flat_map`) and grow by doubling: ~17 copies for 100,000
//! elements (a tenth of Nexmark q5's instructions). Sizing by the input avoids them.

/// Collects a run that read `input_len` elements, its vec sized for them. A selective
/// filter leaves it mostly empty: it is not shrunk here, since most runs are consumed
/// within their batch (shrinking copies what was kept); the one store that keeps a batch's
/// vec beyond it, a `window`'s pane, shrinks what it keeps (`WindowBuffer::push`).
#[inline]
pub fn collect_run<I: Iterator>(it: I, input_len: usize) -> Vec<I::Item> {
    let (lower, upper) = it.size_hint();
    let mut out = Vec::with_capacity(lower.max(input_len));
    if upper == Some(lower) {
        // An exact length (a `map` of the batch): `extend` writes in place, unchecked.
        out.extend(it);
    } else {
        // A `flat_map` or `filter`: `extend` would loop on `next()`, which copies each
        // element of the batch out before the closure reads it (a `memcpy` per 112-byte
        // Nexmark event); internal iteration (`fold`) reads it where it lies.
        it.for_each(|x| out.push(x));
    }
    out
}

/// Adds `more` behind `out`: `more` is taken whole when `out` is empty (a run's first
/// part, a window's first rows, a pane's first batch), copied behind it otherwise.
#[inline]
pub fn append<T>(out: &mut Vec<T>, mut more: Vec<T>) {
    if out.is_empty() {
        *out = more;
    } else {
        out.append(&mut more);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_sized_by_its_input() {
        let kept = collect_run(
            (0..1000).flat_map(|x| Some(x).filter(|x| x % 10 != 0)),
            1000,
        );
        assert_eq!(
            (kept.len(), kept.capacity()),
            (900, 1000),
            "no growth by doubling"
        );
        let few = collect_run((0..1000).filter(|x| x % 100 == 0), 1000);
        assert_eq!(
            (few.len(), few.capacity()),
            (10, 1000),
            "consumed as it is, not copied"
        );
        // An exact length (a `map`) goes through `extend`; a `flat_map` through `for_each`:
        // both keep the run's order.
        let mapped = collect_run((0..1000).map(|x| x * 2), 1000);
        assert_eq!((mapped.len(), mapped.capacity()), (1000, 1000));
        assert!(mapped.iter().enumerate().all(|(i, &x)| x == 2 * i));
        let flat = collect_run((0..4).flat_map(|x| [x, x + 10]), 4);
        assert_eq!(flat, [0, 10, 1, 11, 2, 12, 3, 13]);
    }

    #[test]
    fn append_takes_the_second_vec_whole_when_the_first_is_empty() {
        let more = vec![1, 2];
        let ptr = more.as_ptr();
        let mut out = Vec::new();
        append(&mut out, more);
        assert_eq!(out.as_ptr(), ptr, "taken, not copied");
        append(&mut out, vec![3]);
        assert_eq!(out, [1, 2, 3]);
    }
}
