//! [`PipelineConfig`]: the settings of the pipeline's config lines (`batch`, `parallelism`,
//! `checkpoint`, `ui`, `backpressure`), as the generated code builds them.

use std::time::Duration;

use crate::checkpoint::{CheckpointConfig, Fence};
use crate::rate::BackpressureConfig;

/// Settings from the pipeline's config lines.
#[derive(Clone, Debug)]
pub struct PipelineConfig {
    /// `batch D;`
    pub batch_interval: Duration,
    /// `parallelism N;` (`None`: the machine's available cores).
    pub parallelism: Option<usize>,
    /// How far back windows reach: after every source has ended, `run` goes on this long
    /// (without waiting for the clock) so that pending windows emit their last results.
    pub drain: Duration,
    /// `checkpoint "dir" [every D];`
    pub checkpoint: Option<CheckpointConfig>,
    /// A cluster task's claim on its partition, checked before each batch and checkpoint.
    pub fence: Option<Fence>,
    /// `ui "addr";`: where the streaming page and `/metrics` are served while it runs.
    pub ui: Option<String>,
    /// The pipeline's text, shown on the streaming page.
    pub text: &'static str,
    /// The plan as fused, in JSON, drawn on the streaming page (empty: built by hand).
    pub plan: &'static str,
    /// `backpressure on;`: a rate controller limits the sources (see [`crate::rate`]).
    pub backpressure: Option<BackpressureConfig>,
}

impl PipelineConfig {
    /// The settings of a pipeline batching every `batch_interval`, everything else at its default
    /// (no checkpoint, backpressure off, parallelism: every core).
    pub fn new(batch_interval: Duration) -> Self {
        PipelineConfig {
            batch_interval,
            parallelism: None,
            drain: Duration::ZERO,
            checkpoint: None,
            fence: None,
            ui: None,
            text: "",
            plan: "",
            backpressure: None,
        }
    }

    /// `backpressure on;` (`true`) with Spark's defaults, or off.
    pub fn with_backpressure(mut self, on: bool) -> Self {
        self.backpressure = on.then(BackpressureConfig::default);
        self
    }

    /// `backpressure on initial_rate N;`: backpressure with `config`'s settings.
    pub fn with_backpressure_config(mut self, config: BackpressureConfig) -> Self {
        self.backpressure = Some(config);
        self
    }

    /// `checkpoint "dir" [every D];`: `every_ms` defaults to Spark's rule (see
    /// [`crate::checkpoint::default_interval`]); `fingerprint` identifies the pipeline.
    pub fn with_checkpoint(
        mut self,
        dir: impl Into<std::path::PathBuf>,
        every_ms: u64,
        fingerprint: u64,
    ) -> Self {
        self.checkpoint = Some(CheckpointConfig {
            dir: dir.into(),
            every_ms,
            fingerprint,
            wal: false,
            store: Default::default(),
        });
        self
    }

    /// `checkpoint "dir" wal;`: receivers (socket, stdin) log what they accept.
    pub fn with_write_ahead_log(mut self) -> Self {
        if let Some(cp) = &mut self.checkpoint {
            cp.wal = true;
        }
        self
    }

    /// See [`PipelineConfig::drain`].
    pub fn with_drain(mut self, drain: Duration) -> Self {
        self.drain = drain;
        self
    }

    /// `ui "addr";`: serve the streaming page and `/metrics` at `addr` while running.
    pub fn with_ui(mut self, addr: impl Into<String>) -> Self {
        self.ui = Some(addr.into());
        self
    }

    /// The plan as the macro fused it, in JSON (flows, their fused segments, barriers,
    /// sinks, named streams), for the streaming page to draw.
    pub fn with_plan(mut self, plan: &'static str) -> Self {
        self.plan = plan;
        self
    }

    /// The pipeline's text (the macro passes its input), for the streaming page.
    pub fn with_text(mut self, text: &'static str) -> Self {
        self.text = text;
        self
    }

    /// `parallelism N;` (`None`: available cores).
    pub fn with_parallelism(mut self, parallelism: Option<usize>) -> Self {
        self.parallelism = parallelism.map(|n| n.max(1));
        self
    }
}
