//! The value of `stream_pipeline! { .. }`: sources plus the generated batch job.

use std::collections::VecDeque;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::debug;

use crate::checkpoint::{BatchInput, CheckpointConfig, CheckpointDir, PipelineCheckpoint};
use crate::context::BatchContext;
use crate::error::StreamingError;
use crate::listener::{BatchInfo, BatchListener};
use crate::metrics::{MetricsSnapshot, SourceMetrics};
use crate::rate::{BackpressureConfig, RateController};
use crate::source::{Source, SourceControl};
use crate::time::{BatchTime, duration_ms};

/// The generated per-batch job.
pub type BatchJob = Box<dyn FnMut(&mut BatchContext<'_>) -> Result<(), StreamingError> + Send>;

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
    pub fence: Option<crate::checkpoint::Fence>,
    /// `ui "addr";`: where the streaming page and `/metrics` are served while it runs.
    pub ui: Option<String>,
    /// The pipeline's text, shown on the streaming page.
    pub text: &'static str,
    /// `backpressure on;`: a rate controller limits the sources (see [`crate::rate`]).
    pub backpressure: Option<BackpressureConfig>,
}

impl PipelineConfig {
    pub fn new(batch_interval: Duration) -> Self {
        PipelineConfig {
            batch_interval,
            parallelism: None,
            drain: Duration::ZERO,
            checkpoint: None,
            fence: None,
            ui: None,
            text: "",
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

/// Collects sources while the generated code wires a pipeline.
pub struct PipelineBuilder {
    config: PipelineConfig,
    sources: Vec<Arc<dyn SourceControl>>,
    /// Per source: whether backpressure limits it.
    rate_limited: Vec<bool>,
}

impl PipelineBuilder {
    pub fn new(config: PipelineConfig) -> Self {
        PipelineBuilder {
            config,
            sources: Vec::new(),
            rate_limited: Vec::new(),
        }
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

    pub fn build(
        self,
        job: impl FnMut(&mut BatchContext<'_>) -> Result<(), StreamingError> + Send + 'static,
    ) -> Pipeline {
        Pipeline {
            config: self.config,
            sources: self.sources,
            rate_limited: self.rate_limited,
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

/// Where `print` writes.
pub(crate) enum Output {
    Stdout,
    Buffer(OutputBuffer),
}

/// An in-memory stdout for tests: `pipeline.print_to(buffer.clone())`, then read it.
#[derive(Clone, Default)]
pub struct OutputBuffer(Arc<Mutex<Vec<u8>>>);

impl OutputBuffer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything written so far, lossily decoded.
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// Everything written so far; the buffer is emptied.
    pub fn take(&self) -> String {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for OutputBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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

    pub fn config(&self) -> &PipelineConfig {
        &self.config
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
            while self.presealed.front().is_some_and(|t| *t < time) {
                self.presealed.pop_front(); // the batch interval changed
            }
            if self.presealed.front() == Some(&time) {
                self.presealed.pop_front();
            } else {
                seal_all(&self.sources, time, None);
            }
            self.run_batch(time, Instant::now(), false, false)?;
            self.batches_run += 1;
        }
        Ok(())
    }

    /// With `checkpoint "dir"`: sources record their positions, and the newest valid
    /// checkpoint (if any) is restored — positions rewound, the clock's start and the
    /// operator state taken back — so processing resumes after the checkpointed batch.
    ///
    /// A fresh pipeline writes an initial checkpoint at `fresh_zero` (its clock's start)
    /// holding only its sources' starting positions, so that a crash before the first
    /// regular checkpoint does not forget which input was already there.
    pub(crate) fn prepare_checkpoints(
        &mut self,
        fresh_zero: BatchTime,
    ) -> Result<(), StreamingError> {
        if self.checkpoints_prepared {
            return Ok(());
        }
        self.checkpoints_prepared = true;
        let Some(cfg) = self.config.checkpoint.clone() else {
            return Ok(());
        };
        for s in &self.sources {
            s.record_positions();
        }
        let dir = CheckpointDir::new(&cfg.dir, cfg.fingerprint);
        dir.remove_stale_temp_files();
        let Some(restored) = dir.restore::<PipelineCheckpoint>()? else {
            let initial = PipelineCheckpoint {
                zero: fresh_zero,
                state: None,
                sources: self
                    .sources
                    .iter()
                    .map(|s| s.position(fresh_zero))
                    .collect(),
            };
            dir.write(fresh_zero, &initial)?;
            dir.prune_batches(BatchTime::from_millis(u64::MAX));
            self.enable_wals(&cfg, None)?;
            self.zero = Some(fresh_zero);
            tracing::info!(dir = %cfg.dir.display(), "no checkpoint yet: starting fresh");
            return Ok(());
        };
        let cp = restored.state;
        if cp.sources.len() != self.sources.len() {
            return Err(StreamingError::Config(format!(
                "checkpoint in {} has {} sources, this pipeline {}; delete or move the directory to start fresh",
                cfg.dir.display(),
                cp.sources.len(),
                self.sources.len()
            )));
        }
        for (source, position) in self.sources.iter().zip(&cp.sources) {
            if let Some(p) = position {
                source.restore_position(p)?;
            }
        }
        self.enable_wals(&cfg, Some(restored.time))?;
        let interval = duration_ms(self.config.batch_interval).max(1);
        self.batches_run = restored
            .time
            .milliseconds()
            .saturating_sub(cp.zero.milliseconds())
            / interval;
        self.zero = Some(cp.zero);
        self.pending_state = cp.state;
        self.pending_batches = dir.pending_batches(restored.time).into();
        self.resumed_after = Some(restored.time);
        tracing::info!(batch = %restored.time, "resuming after the checkpointed batch");
        if let Some((last, _)) = self.pending_batches.back() {
            tracing::info!(
                batches = self.pending_batches.len(),
                through = %last,
                "running again the batches that ran after it, with the same input"
            );
        }
        Ok(())
    }

    /// Seals the batches that ran after the restored checkpoint before a crash, each with
    /// the input its batch log recorded, before the sources start (so that a source knows
    /// where the replay begins before it looks for its start position). Returns their
    /// times, oldest first.
    pub(crate) fn seal_pending(&mut self) -> VecDeque<BatchTime> {
        let pending = std::mem::take(&mut self.pending_batches);
        pending
            .into_iter()
            .map(|(time, input)| {
                seal_all(&self.sources, time, Some(&input));
                time
            })
            .collect()
    }

    /// `checkpoint "dir" wal;`: each receiver logs to `dir/wal-<source index>`.
    fn enable_wals(
        &self,
        cfg: &CheckpointConfig,
        restored: Option<BatchTime>,
    ) -> Result<(), StreamingError> {
        if cfg.wal {
            for (i, s) in self.sources.iter().enumerate() {
                s.enable_wal(&cfg.dir.join(format!("wal-{i}")), restored)?;
            }
        }
        Ok(())
    }

    /// Runs the job for one sealed batch and logs its size and timings; checkpoints it when
    /// the interval says so or `final_batch` is set.
    pub(crate) fn run_batch(
        &mut self,
        time: BatchTime,
        due: Instant,
        final_batch: bool,
        input_ended: bool,
    ) -> Result<(), StreamingError> {
        let parallelism = self.parallelism();
        let started = Instant::now();
        let mut stdout;
        let mut buffer;
        let out: &mut dyn Write = match &self.output {
            Output::Stdout => {
                stdout = std::io::stdout().lock();
                &mut stdout
            }
            Output::Buffer(b) => {
                buffer = b.clone();
                &mut buffer
            }
        };
        let interval = duration_ms(self.config.batch_interval);
        let zero = *self.zero.get_or_insert(BatchTime::from_millis(
            time.milliseconds().saturating_sub(interval),
        ));
        let mut ctx = BatchContext::new(time, zero, parallelism, out);
        ctx.set_fence(self.config.fence.clone());
        ctx.set_restored_state(self.pending_state.take());
        if input_ended {
            ctx.set_input_ended();
        }
        let checkpoint = self.config.checkpoint.as_ref().filter(|cfg| {
            let since = time.milliseconds().saturating_sub(zero.milliseconds());
            final_batch || (cfg.every_ms > 0 && since % cfg.every_ms == 0)
        });
        if checkpoint.is_some() {
            ctx.request_checkpoint();
        }
        // A task whose partition another process took over stops before it reads, logs
        // or writes anything for this batch.
        if let Some(fence) = &self.config.fence {
            fence.check()?;
        }
        let job = &mut self.job;
        let prepared = prepare_input(
            &self.sources,
            self.config.checkpoint.as_ref(),
            self.config.fence.as_ref(),
            time,
        );
        let result = prepared.and_then(|()| {
            catch_unwind(AssertUnwindSafe(|| job(&mut ctx))).unwrap_or_else(|panic| {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a user function panicked".into());
                Err(StreamingError::BatchPanicked { time, message })
            })
        });
        let records = ctx.input_records();
        let records_by_source = ctx.input_by_source().to_vec();
        let late_rows_by_stage: Vec<(String, u64)> = ctx
            .late_rows()
            .iter()
            .map(|&(stage, n)| (stage.to_string(), n))
            .collect();
        let watermarks: Vec<(String, crate::event_time::Timestamp)> = ctx
            .watermarks()
            .iter()
            .map(|&(stage, t)| (stage.to_string(), t))
            .collect();
        let _ = ctx.out().flush();
        if let (Ok(()), Some(cfg)) = (&result, checkpoint) {
            if let Some(fence) = &self.config.fence {
                fence.check()?;
            }
            let written = Instant::now();
            let cp = PipelineCheckpoint {
                zero,
                state: Some(ctx.saved_state().unwrap_or_default()),
                sources: self.sources.iter().map(|s| s.position(time)).collect(),
            };
            let dir = CheckpointDir::new(&cfg.dir, cfg.fingerprint);
            let path = dir.write(time, &cp)?;
            dir.prune_batches(time);
            for s in &self.sources {
                s.checkpointed(time);
            }
            debug!(batch = %time, file = %path.display(), ms = written.elapsed().as_secs_f64() * 1e3, "checkpoint written");
        }
        let info = BatchInfo {
            batch_time: time,
            num_records: records,
            records_by_source,
            scheduling_delay: started.saturating_duration_since(due),
            processing_delay: started.elapsed(),
            late_rows: late_rows_by_stage.iter().map(|(_, n)| n).sum(),
            late_rows_by_stage,
            watermarks,
            failure: result.as_ref().err().map(ToString::to_string),
        };
        debug!(
            batch = %time,
            records,
            processing_ms = info.processing_delay.as_secs_f64() * 1e3,
            scheduling_delay_ms = info.scheduling_delay.as_secs_f64() * 1e3,
            "batch done"
        );
        if result.is_ok() {
            for s in &self.sources {
                s.batch_completed(time);
            }
        }
        for listener in &mut self.listeners {
            listener(&info);
        }
        if let Some((ui, _)) = &self.ui {
            ui.record(&info);
        }
        if let Some(controller) = &mut self.rate_controller {
            controller.batch_completed(&info);
        }
        result
    }

    /// Stops every source.
    pub(crate) fn stop_sources(&self) {
        for s in &self.sources {
            s.stop();
        }
    }
}

/// Seals every source for the batch at `time`: with the input `replay` recorded for it when
/// the batch runs again after a crash.
pub(crate) fn seal_all(
    sources: &[Arc<dyn SourceControl>],
    time: BatchTime,
    replay: Option<&BatchInput>,
) {
    for (i, s) in sources.iter().enumerate() {
        match replay
            .and_then(|b| b.sources.get(i))
            .and_then(Option::as_ref)
        {
            Some(position) => s.replay_seal(time, position),
            None => s.seal(time),
        }
    }
}

/// Makes the batch's input final and, when a source replays exactly and the pipeline
/// checkpoints, logs every source's position before the batch has any effect.
fn prepare_input(
    sources: &[Arc<dyn SourceControl>],
    checkpoint: Option<&CheckpointConfig>,
    fence: Option<&crate::checkpoint::Fence>,
    time: BatchTime,
) -> Result<(), StreamingError> {
    for s in sources {
        s.prepare(time)?;
    }
    if let Some(cfg) = checkpoint {
        if sources.iter().any(|s| s.replays_exactly()) {
            // Preparing can wait seconds for a fetch: a task whose partition moved
            // meanwhile must not log a batch into the new owner's directory.
            if let Some(fence) = fence {
                fence.check()?;
            }
            let input = BatchInput {
                sources: sources.iter().map(|s| s.position(time)).collect(),
            };
            CheckpointDir::new(&cfg.dir, cfg.fingerprint).write_batch(time, &input)?;
        }
    }
    Ok(())
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
