//! Output operations (Spark's "output operators"): each ends a pipeline.
pub mod collect;
pub mod foreach_batch;
pub mod print;
pub mod save_as_text_files;
