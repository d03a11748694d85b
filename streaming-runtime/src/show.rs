//! STUB (helper fills in): elements shown as Scala shows them.
use std::fmt;

pub trait SparkDisplay {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

/// Wraps a value so that `{}` shows it as Spark would.
pub struct Spark<'a, T: ?Sized>(pub &'a T);

impl<T: SparkDisplay + ?Sized> fmt::Display for Spark<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_spark(f)
    }
}

impl SparkDisplay for str {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}
impl SparkDisplay for String {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}
impl SparkDisplay for i64 {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}
impl<T: SparkDisplay + ?Sized> SparkDisplay for &T {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt_spark(f)
    }
}
impl<A: SparkDisplay, B: SparkDisplay> SparkDisplay for (A, B) {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({},{})", Spark(&self.0), Spark(&self.1))
    }
}
