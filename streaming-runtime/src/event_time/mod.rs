//! Event time: Structured Streaming's windows and watermarks beside the DStream windows.
//! Records are grouped by a timestamp they carry, not by the batch they
//! arrived in.
//!
//! - [`Timestamp`], [`Window`]: the record's time, and a window `[start, end)` printed as
//!   Spark shows one (`[start, end]` as UTC date-times).
//! - [`Watermark`] (`event_time(f) watermark D`): stamps records and tracks the watermark,
//!   Spark's rules: it starts at 0 and after each batch becomes max(old, max event time
//!   seen − D).
//! - [`EventWindows`] (`event_window(W, S [, offset O]) count | count_by_value |
//!   reduce_by_key(f) [emit append | update | complete]`): the aggregation, its late rows and
//!   its emit modes.
//! - [`Sessions`] (`session_window(gap) count_by_value | reduce_by_key(f)`): per-key
//!   sessions that merge when they overlap or touch.
//! - [`Dedup`] (`drop_duplicates [by f] [within_watermark]`): repeats dropped, keys
//!   forgotten as the watermark passes them.
//! - [`timed`]: what stateless stages do to stamped records (the stamp travels with them).

mod dedup;
mod panes;
mod sessions;
pub mod timed;
mod timestamp;
mod watermark;
mod windows;

pub use dedup::Dedup;
pub use panes::{EventWindows, PaneRuns};
pub use sessions::Sessions;
pub use timestamp::{ParseTimestampError, Timestamp, Window};
pub use watermark::{Watermark, min_watermark, stamp};
pub use windows::{Emit, EventAggregation, Results, WindowSpec};
