//! STUB (helper fills in): `text_files(dir)`.
use super::{Source, SourceControl};
use crate::{BatchTime, LineBlock, SourceMetrics, StreamingError};
use std::sync::Arc;

pub struct TextFilesSource {
    shared: Arc<Shared>,
}
struct Shared {
    metrics: Arc<SourceMetrics>,
}

pub fn text_files(dir: impl AsRef<std::path::Path>) -> TextFilesSource {
    let _ = dir;
    TextFilesSource {
        shared: Arc::new(Shared {
            metrics: Arc::new(SourceMetrics::new("text_files")),
        }),
    }
}

impl Source for TextFilesSource {
    type Batch = LineBlock;
    fn control(&self) -> Arc<dyn SourceControl> {
        self.shared.clone()
    }
    fn next_batch(&mut self, _time: BatchTime) -> Result<LineBlock, StreamingError> {
        Ok(LineBlock::new())
    }
}

impl SourceControl for Shared {
    fn start(&self, _: &tokio::runtime::Handle) -> Result<(), StreamingError> {
        Ok(())
    }
    fn seal(&self, _: BatchTime) {}
    fn is_finished(&self) -> bool {
        false
    }
    fn stop(&self) {}
    fn metrics(&self) -> Arc<SourceMetrics> {
        self.metrics.clone()
    }
}
