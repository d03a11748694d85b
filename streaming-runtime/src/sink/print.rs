//! STUB (helper fills in): `print(n)` in Spark's layout.
use crate::{
    BatchContext, StreamingError,
    show::{Spark, SparkDisplay},
};
pub fn fold<I: Iterator>(it: I, n: usize) -> Vec<I::Item> {
    it.take(n.saturating_add(1)).collect()
}
pub fn merge<T>(a: &mut Vec<T>, mut b: Vec<T>, n: usize) {
    a.append(&mut b);
    a.truncate(n.saturating_add(1));
}
pub fn finish<T: SparkDisplay>(
    ctx: &mut BatchContext<'_>,
    batch: &[T],
    n: usize,
) -> Result<(), StreamingError> {
    let t = ctx.time();
    let out = ctx.out();
    let _ = writeln!(
        out,
        "-------------------------------------------\nTime: {t}\n-------------------------------------------"
    );
    for x in batch.iter().take(n) {
        let _ = writeln!(out, "{}", Spark(x));
    }
    if batch.len() > n {
        let _ = writeln!(out, "...");
    }
    let _ = writeln!(out);
    Ok(())
}
