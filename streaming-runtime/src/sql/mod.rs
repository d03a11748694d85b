//! The runtime half of SQL in a pipeline (`sql("SELECT ..")` and `#[derive(Record)]`): what
//! the code a query is lowered to calls. The macro compiles a query to ordinary stages
//! (`filter`, `map`, `reduce_by_key`, `sort_by`, `take`, see ARCHITECTURE.md, "SQL"), whose
//! closures compute with the functions here: [`value`] reads columns as SQL values,
//! [`expr`] holds the operators and functions with Spark SQL's semantics, [`agg`] the
//! aggregates' accumulators ([`extreme_join`] the rows at a window's MAX that a join back
//! onto it keeps) and [`table`] the console sink's table that `print` shows
//! records as.

pub mod agg;
pub mod expr;
pub mod extreme_join;
pub mod order;
pub mod table;
pub mod value;

pub use agg::{SqlAcc, SqlKey};
pub use expr::*;
pub use value::{SqlColumn, SqlOwned, SqlText, col, owned};
