//! The value of `stream_pipeline! { .. }`: sources plus the generated batch job, and the
//! calls that set it up and drive it batch by batch. Its parts: the settings of the config
//! lines ([`config`]), where `print` writes ([`output`]), recovery from the checkpoint
//! directory at start (`recovery.rs`), and one batch's run (`batch.rs`).

mod batch;
pub mod config;
pub mod output;
pub(crate) mod recovery;

use std::any::Any;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use config::PipelineConfig;
pub(crate) use output::Output;
pub use output::OutputBuffer;

use crate::checkpoint::BatchInput;
use crate::context::BatchContext;
use crate::error::StreamingError;
use crate::listener::{BatchInfo, BatchListener};
use crate::metrics::{MetricsSnapshot, SourceMetrics};
use crate::mllib::{Algorithm, StreamingModel};
use crate::rate::{BackpressureConfig, RateController};
use crate::source::{Source, SourceControl};
use crate::time::{BatchTime, duration_ms};

/// The generated per-batch job.
pub type BatchJob = Box<dyn FnMut(&mut BatchContext<'_>) -> Result<(), StreamingError> + Send>;

/// Collects sources while the generated code wires a pipeline.
pub struct PipelineBuilder {
    config: PipelineConfig,
    sources: Vec<Arc<dyn SourceControl>>,
    /// Per source: whether backpressure limits it.
    rate_limited: Vec<bool>,
    models: Vec<NamedModel>,
}

/// A named model of the pipeline (`let m = kmeans(..)..;`): its latest model, type-erased.
type NamedModel = (&'static str, Box<dyn Fn() -> Box<dyn Any> + Send + Sync>);

impl PipelineBuilder {
    /// A builder for a pipeline with `config`'s settings.
    pub fn new(config: PipelineConfig) -> Self {
        PipelineBuilder {
            config,
            sources: Vec::new(),
            rate_limited: Vec::new(),
            models: Vec::new(),
        }
    }

    /// Registers a named model, so that [`Pipeline::latest_model`] can read it.
    #[doc(hidden)]
    pub fn model<A: Algorithm>(&mut self, name: &'static str, handle: &StreamingModel<A>) {
        let handle = handle.clone();
        self.models
            .push((name, Box::new(move || Box::new(handle.latest_model()))));
    }

    /// Registers `source`'s control half with the scheduler and hands the source back to be
    /// moved into the batch job.
    pub fn source<S: Source>(&mut self, source: S) -> S {
        self.register(source, true)
    }

    /// [`PipelineBuilder::source`] for the source that reads a `repartition` topic back.
    /// Backpressure leaves it alone: its records came in through a source that backpressure
    /// limits (and were counted there), so limiting them again would only leave them
    /// waiting in the topic.
    pub fn repartition_source<S: Source>(&mut self, source: S) -> S {
        self.register(source, false)
    }

    fn register<S: Source>(&mut self, source: S, rate_limited: bool) -> S {
        let control = source.control();
        control.set_batch_interval(self.config.batch_interval);
        self.sources.push(control);
        self.rate_limited.push(rate_limited);
        source
    }

    /// The pipeline running `job` once per batch over the sources registered so far.
    pub fn build(
        self,
        job: impl FnMut(&mut BatchContext<'_>) -> Result<(), StreamingError> + Send + 'static,
    ) -> Pipeline {
        Pipeline {
            config: self.config,
            sources: self.sources,
            rate_limited: self.rate_limited,
            models: self.models,
            job: Box::new(job),
            batches_run: 0,
            started: false,
            manual_runtime: None,
            output: Output::Stdout,
            zero: None,
            pending_state: None,
            pending_batches: VecDeque::new(),
            resumed_after: None,
            presealed: VecDeque::new(),
            checkpoints_prepared: false,
            error: None,
            listeners: Vec::new(),
            ui: None,
            rate_controller: None,
        }
    }
}

/// A built pipeline. Run it with [`Pipeline::run`] (real clock) or drive it batch by batch
/// with [`Pipeline::run_batches`] (manual clock, for tests).
pub struct Pipeline {
    pub(crate) config: PipelineConfig,
    pub(crate) sources: Vec<Arc<dyn SourceControl>>,
    /// Per source: whether backpressure limits it (not a `repartition` topic's reader).
    rate_limited: Vec<bool>,
    job: BatchJob,
    batches_run: u64,
    started: bool,
    manual_runtime: Option<tokio::runtime::Runtime>,
    pub(crate) output: Output,
    /// The start of the pipeline's clock, fixed by its first batch (or a checkpoint).
    zero: Option<BatchTime>,
    /// Operator state restored from a checkpoint, handed to the next batch.
    pending_state: Option<Vec<u8>>,
    /// Batches that ran after the restored checkpoint, before a crash: they run again first,
    /// at their times, with the input the batch log recorded for them.
    pub(crate) pending_batches: VecDeque<(BatchTime, BatchInput)>,
    /// The restored checkpoint's batch: later batches come after it even when this
    /// machine's clock is behind the one that wrote it (a `repartition`'s reader hands on
    /// each writer's batches in time order).
    pub(crate) resumed_after: Option<BatchTime>,
    /// Times of the pending batches sealed at start, still to run (manual clock).
    presealed: VecDeque<BatchTime>,
    /// Checkpoints were looked for (once per pipeline).
    checkpoints_prepared: bool,
    /// Set when the macro found errors: running reports them instead of doing anything.
    error: Option<&'static str>,
    /// `on_batch_completed` callbacks.
    listeners: Vec<BatchListener>,
    /// The streaming page's state and server, while it runs (`ui "addr";`).
    ui: Option<(Arc<crate::ui::UiState>, crate::ui::UiServer)>,
    /// With backpressure on: limits the sources after each batch (set up at start).
    rate_controller: Option<RateController>,
    models: Vec<NamedModel>,
}

impl Pipeline {
    /// The stand-in the macro expands to when the pipeline text has errors, so that the
    /// surrounding code still type-checks while rustc shows the macro's messages.
    #[doc(hidden)]
    pub fn invalid(message: &'static str) -> Self {
        let mut p =
            PipelineBuilder::new(PipelineConfig::new(Duration::from_secs(1))).build(|_| Ok(()));
        p.error = Some(message);
        p
    }

    /// The pipeline's settings.
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// The model named `name` in the pipeline (`let name = kmeans(..)..;`) after the last
    /// completed batch, Spark's `latestModel()`: a `KMeansModel`, `LinearRegressionModel`
    /// or `LogisticRegressionModel` (`None` if there is no such model, or it is of another
    /// type).
    pub fn latest_model<M: 'static>(&self, name: &str) -> Option<M> {
        let (_, latest) = self.models.iter().find(|(n, _)| *n == name)?;
        latest().downcast().ok().map(|m| *m)
    }

    /// Threads a batch may use.
    pub fn parallelism(&self) -> usize {
        self.config.parallelism.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        })
    }

    /// Sends `print` output to `buffer` instead of stdout.
    pub fn print_to(&mut self, buffer: OutputBuffer) -> &mut Self {
        self.output = Output::Buffer(buffer);
        self
    }

    /// Counters of every source, in the order the sources appear in the pipeline.
    pub fn metrics(&self) -> Vec<MetricsSnapshot> {
        self.sources
            .iter()
            .map(|s| s.metrics().snapshot())
            .collect()
    }

    /// Live counters of source `index` (e.g. to wait until a test's input has arrived).
    pub fn source_metrics(&self, index: usize) -> Option<Arc<SourceMetrics>> {
        self.sources.get(index).map(|s| s.metrics())
    }

    /// Makes this pipeline a cluster task holding `fence`: each batch, and each checkpoint
    /// write, first checks that no other process has claimed the partition since; if one
    /// has, the pipeline stops with [`StreamingError::Fenced`] without writing.
    pub fn fenced_by(&mut self, fence: crate::checkpoint::Fence) -> &mut Self {
        self.config.fence = Some(fence);
        self
    }

    /// Checkpoints into `store` instead of the one `checkpoint "LOCATION"` opens: give a
    /// cluster task the store its [`crate::checkpoint::Fence`] was claimed in, so that on an
    /// object store a claim by another owner makes the store refuse this one's next
    /// checkpoint (see [`crate::checkpoint::object`]). Call it before the first batch; a
    /// pipeline without a `checkpoint` line ignores it.
    pub fn checkpoint_store(
        &mut self,
        store: std::sync::Arc<dyn crate::checkpoint::CheckpointStore>,
    ) -> &mut Self {
        if let Some(cfg) = &mut self.config.checkpoint {
            cfg.store = crate::checkpoint::StoreSlot::with(store);
        }
        self
    }

    /// Calls `f` after every batch with its statistics (Spark's
    /// `StreamingListener.onBatchCompleted`), on the thread that runs the batches: keep it
    /// quick. Register before `run`; several callbacks run in registration order.
    ///
    /// ```ignore
    /// let mut pipeline = stream_pipeline! { .. };
    /// pipeline.on_batch_completed(|b| eprintln!("{}: {} records in {:?}",
    ///     b.batch_time, b.num_records, b.processing_delay));
    /// pipeline.run().await?;
    /// ```
    pub fn on_batch_completed(&mut self, f: impl FnMut(&BatchInfo) + Send + 'static) -> &mut Self {
        self.listeners.push(Box::new(f));
        self
    }

    /// Serves the streaming page (`/`) and Prometheus metrics (`/metrics`) at `addr`
    /// (e.g. `"127.0.0.1:4040"`, Spark's UI port) while the pipeline runs: the same as
    /// `ui "addr";` in the pipeline. The address is bound when the pipeline starts; a port
    /// in use fails the start with an error saying so.
    pub fn ui(&mut self, addr: impl Into<String>) -> &mut Self {
        self.config.ui = Some(addr.into());
        self
    }

    /// The address the streaming page is served at, once the pipeline has started (useful
    /// with port 0).
    pub fn ui_address(&self) -> Option<std::net::SocketAddr> {
        self.ui
            .as_ref()
            .map(|(_, server)| crate::ui::local_addr(server))
    }

    /// Starts the streaming page's server on `runtime`, if the pipeline asks for one.
    pub(crate) fn start_ui(
        &mut self,
        runtime: &tokio::runtime::Handle,
    ) -> Result<(), StreamingError> {
        let Some(addr) = self.config.ui.clone() else {
            return Ok(());
        };
        if self.ui.is_some() {
            return Ok(());
        }
        let state = Arc::new(crate::ui::UiState::new(
            self.config.text.to_string(),
            self.config.plan,
            self.config.batch_interval,
            self.parallelism(),
            self.config
                .checkpoint
                .as_ref()
                .map(|c| c.dir.display().to_string()),
            self.sources.clone(),
        ));
        let server = crate::ui::serve(&addr, Arc::clone(&state), runtime)?;
        self.ui = Some((state, server));
        Ok(())
    }

    /// Backpressure, Spark's `spark.streaming.backpressure.enabled` (the `backpressure on;`
    /// line): after each batch a PID controller estimates the rate the pipeline processes
    /// and limits the sources to it (see [`crate::rate`]). Call before running.
    pub fn backpressure(&mut self, on: bool) -> &mut Self {
        self.config.backpressure = on.then(BackpressureConfig::default);
        self
    }

    /// Backpressure with explicit settings (an initial rate, the PID weights).
    pub fn backpressure_with(&mut self, config: BackpressureConfig) -> &mut Self {
        self.config.backpressure = Some(config);
        self
    }

    /// The rates backpressure last set for the sources, added up (records per second);
    /// `None` when backpressure is off or has not limited them yet.
    pub fn rate_limit(&self) -> Option<u64> {
        self.rate_controller.as_ref().and_then(RateController::rate)
    }

    /// The rate backpressure last set for each source, in pipeline order (each source has
    /// its own controller, as in Spark); `None` for a source it does not limit (yet).
    pub fn source_rate_limits(&self) -> Vec<Option<u64>> {
        (0..self.sources.len())
            .map(|i| self.rate_controller.as_ref().and_then(|c| c.rate_of(i)))
            .collect()
    }

    /// Starts the rate controller, if backpressure is on (before the sources start).
    pub(crate) fn start_rate_controller(&mut self) {
        if let Some(config) = &self.config.backpressure {
            if self.rate_controller.is_none() {
                let limited = (self.sources.iter().enumerate())
                    .filter(|&(i, _)| self.rate_limited.get(i).copied().unwrap_or(true))
                    .map(|(i, s)| (i, Arc::clone(s)))
                    .collect();
                self.rate_controller = Some(RateController::new(
                    self.config.batch_interval,
                    config,
                    limited,
                ));
            }
        }
    }

    /// Batches run so far by [`Pipeline::run_batches`].
    pub fn batches_run(&self) -> u64 {
        self.batches_run
    }

    pub(crate) fn check_valid(&self) -> Result<(), StreamingError> {
        match self.error {
            Some(msg) => Err(StreamingError::Config(msg.to_string())),
            None if self.config.batch_interval.is_zero() => Err(StreamingError::Config(
                "the batch interval must be positive".into(),
            )),
            None => Ok(()),
        }
    }

    /// Starts the sources for manual-clock runs without running a batch (receivers begin
    /// buffering). [`Pipeline::run_batches`] calls this itself.
    pub fn start(&mut self) -> Result<(), StreamingError> {
        self.check_valid()?;
        if self.started {
            return Ok(());
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("streaming-receivers")
            .enable_all()
            .build()
            .map_err(|e| StreamingError::io("starting the receivers' runtime", e))?;
        self.start_ui(runtime.handle())?;
        self.prepare_checkpoints(BatchTime::ZERO)?;
        self.presealed = self.seal_pending();
        self.start_rate_controller();
        for s in &self.sources {
            s.start(runtime.handle())?;
        }
        self.manual_runtime = Some(runtime);
        self.started = true;
        Ok(())
    }

    /// Runs exactly `n` batches on the manual clock: synchronous, no sleeping. Batch `k`
    /// (counting from 1 over all calls) has time `k × interval`; it gets whatever the sources
    /// hold at that moment (a `queue` gives its `k`-th vec).
    pub fn run_batches(&mut self, n: u64) -> Result<(), StreamingError> {
        self.start()?;
        let interval = duration_ms(self.config.batch_interval);
        let zero = self.zero.unwrap_or(BatchTime::ZERO).milliseconds();
        for _ in 0..n {
            let time =
                BatchTime::from_millis(zero + (self.batches_run + 1).saturating_mul(interval));
            // A batch replayed after a crash was sealed when the pipeline started.
            if !recovery::take_presealed(&mut self.presealed, time) {
                recovery::seal_all(&self.sources, time, None);
            }
            self.run_batch(time, Instant::now(), false, false)?;
            self.batches_run += 1;
        }
        Ok(())
    }

    /// With `checkpoint "dir"`: reads the checkpoint directory once (see
    /// [`recovery::recover`]): a restored checkpoint's clock, state and pending batches are
    /// taken over, so processing resumes after the checkpointed batch; a fresh pipeline's
    /// clock starts at `fresh_zero`.
    pub(crate) fn prepare_checkpoints(
        &mut self,
        fresh_zero: BatchTime,
    ) -> Result<(), StreamingError> {
        if self.checkpoints_prepared {
            return Ok(());
        }
        self.checkpoints_prepared = true;
        let Some(cfg) = &self.config.checkpoint else {
            return Ok(());
        };
        let recovered =
            recovery::recover(cfg, &self.sources, self.config.batch_interval, fresh_zero)?;
        self.zero = Some(recovered.zero);
        if let Some(resumed) = recovered.resumed {
            self.batches_run = resumed.batches_run;
            self.pending_state = resumed.state;
            self.pending_batches = resumed.pending;
            self.resumed_after = Some(resumed.after);
        }
        Ok(())
    }

    /// Seals the pending batches before the sources start (see [`recovery::seal_pending`]);
    /// returns their times, oldest first.
    pub(crate) fn seal_pending(&mut self) -> VecDeque<BatchTime> {
        recovery::seal_pending(&self.sources, std::mem::take(&mut self.pending_batches))
    }

    /// Stops every source.
    pub(crate) fn stop_sources(&self) {
        for s in &self.sources {
            s.stop();
        }
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop_sources();
        // Dropping a runtime inside an async context panics; never wait for its threads.
        if let Some(rt) = self.manual_runtime.take() {
            rt.shutdown_background();
        }
    }
}
