//! The real clock: `Pipeline::run`. A job generator seals every source at each batch time
//! (aligned to multiples of the interval, as Spark's), and one blocking thread runs the
//! batches in time order. Sealing never waits for processing, so data lands in the batch
//! during which it arrived even when processing falls behind.

use std::pin::Pin;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tracing::{info, warn};

use crate::error::StreamingError;
use crate::pipeline::Pipeline;
use crate::pipeline::recovery::{first_new_batch, seal_all};
use crate::time::{BatchTime, duration_ms};

/// What [`Pipeline::run`] returns: a future to `.await` (or spawn; it is `Send`). Boxed, so
/// that the scheduler is compiled once, in this crate, rather than in every program that
/// runs a pipeline (it was most of what a one-stage pipeline added to a release build).
pub type Running<'a> = Pin<Box<dyn Future<Output = Result<(), StreamingError>> + Send + 'a>>;

impl Pipeline {
    /// Runs on the real clock until Ctrl-C / SIGTERM or until every source has ended, then
    /// finishes the data already received and returns. Logs go to stderr (`RUST_LOG`).
    pub fn run(self) -> Running<'static> {
        self.run_boxed(Box::pin(std::future::pending::<()>()))
    }

    /// Like [`Pipeline::run`], but also stops (just as on Ctrl-C: the data already received
    /// is processed first) when `stop` completes — Spark's `awaitTerminationOrTimeout`
    /// is `run_until(tokio::time::sleep(d))`.
    pub fn run_until<'a>(self, stop: impl Future<Output = ()> + Send + 'a) -> Running<'a> {
        self.run_boxed(Box::pin(stop))
    }

    fn run_boxed<'a>(self, stop: Pin<Box<dyn Future<Output = ()> + Send + 'a>>) -> Running<'a> {
        Box::pin(self.run_on_clock(stop))
    }

    async fn run_on_clock(
        mut self,
        stop: Pin<Box<dyn Future<Output = ()> + Send + '_>>,
    ) -> Result<(), StreamingError> {
        crate::logging::init();
        self.check_valid()?;
        // Before anything else, so that a port in use is reported at once.
        self.start_ui(&tokio::runtime::Handle::current())?;
        let first = first_batch_time(self.config.batch_interval);
        self.prepare_checkpoints(BatchTime::from_millis(
            first
                .milliseconds()
                .saturating_sub(duration_ms(self.config.batch_interval)),
        ))?;
        // Batches that ran before a crash but were not checkpointed run again first, at their
        // own times and with the same input (Spark's pending batches): sealed now, before the
        // sources start.
        let pending = self.seal_pending();
        let resumed_after = self.resumed_after;
        let handle = tokio::runtime::Handle::current();
        self.start_rate_controller();
        for s in &self.sources {
            s.start(&handle)?;
        }
        let interval = self.config.batch_interval;
        let self_drain = self.config.drain;
        let sources = self.sources.clone();
        // Ctrl-C / SIGTERM, and the caller's `stop` (a cluster revoking the partition of
        // this task, say): either makes this batch the last; only a second *signal* exits
        // at once.
        let mut requests = StopRequests::new();
        let mut stop = stop;
        let mut signalled = false;
        info!(
            batch_ms = duration_ms(interval),
            parallelism = self.parallelism(),
            sources = sources.len(),
            "pipeline started"
        );

        // (time, when it was due, the last batch, every source ended)
        let (tx, rx) = mpsc::channel::<(BatchTime, Instant, bool, bool)>();
        let mut processor = tokio::task::spawn_blocking(move || {
            while let Ok((time, due, last, ended)) = rx.recv() {
                match self.run_batch(time, due, last, ended) {
                    Ok(()) => {}
                    // `| head` has read what it wanted: stop as Unix tools do, status 0.
                    Err(StreamingError::OutputClosed) => {
                        info!("stdout closed by its reader: stopping");
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            self.stop_sources();
            Ok::<Pipeline, StreamingError>(self)
        });

        let mut time = first_new_batch(
            first_batch_time(interval),
            resumed_after,
            &pending,
            interval,
        );
        for t in &pending {
            let _ = tx.send((*t, Instant::now(), false, false));
        }
        let mut processor_result = None;
        // Once every source has ended: the last batch time windows still need.
        let mut draining_until: Option<BatchTime> = None;
        loop {
            let due = if draining_until.is_some() {
                Instant::now()
            } else {
                instant_of(time)
            };
            let mut last = false;
            tokio::select! {
                _ = tokio::time::sleep_until(due.into()) => {}
                () = requests.next() => {
                    info!("stop requested: processing what was received, then exiting (again to exit at once)");
                    signalled = true;
                    last = true;
                }
                () = &mut stop => {
                    info!("stop requested: processing what was received, then stopping");
                    last = true;
                }
                r = &mut processor => { processor_result = Some(r); break; }
            }
            seal_all(&sources, time, None);
            if draining_until.is_none() && !last && sources.iter().all(|s| s.is_finished()) {
                let until = time.plus(self_drain);
                if until > time {
                    info!(until = %until, "every source has ended: emitting the pending windows");
                }
                draining_until = Some(until);
            }
            last |= draining_until.is_some_and(|until| time >= until);
            let ended = last && draining_until.is_some();
            if tx.send((time, due, last, ended)).is_err() || last {
                break;
            }
            time = time.plus(interval);
        }
        drop(tx);

        // A signal while the last batch runs: the first is what a stop already does (the
        // pipeline stopped by its caller, a signal comes: it is the user's first request);
        // the second exits at once, as a second Ctrl-C does.
        let exit_at_once = async {
            if !signalled {
                requests.next().await;
                info!(
                    "stop requested while stopping: finishing the last batch (again to exit at once)"
                );
            }
            requests.next().await;
        };
        let result = match processor_result {
            Some(r) => r,
            None => tokio::select! {
                r = &mut processor => r,
                () = exit_at_once => {
                    warn!("second stop request: exiting now");
                    std::process::exit(130);
                }
            },
        };
        for s in &sources {
            s.stop();
        }
        match result {
            Ok(Ok(_pipeline)) => {
                info!("pipeline stopped");
                Ok(())
            }
            Ok(Err(e)) => Err(e),
            Err(join) => Err(StreamingError::Custom(format!(
                "batch thread failed: {join}"
            ))),
        }
    }
}

/// Spark's first batch: the next multiple of the interval after now.
fn first_batch_time(interval: Duration) -> BatchTime {
    let now = duration_ms(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default(),
    );
    let step = duration_ms(interval).max(1);
    BatchTime::from_millis((now / step + 1) * step)
}

/// The monotonic instant at which wall-clock `time` arrives.
fn instant_of(time: BatchTime) -> Instant {
    let now_wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let now = Instant::now();
    match time.as_duration().checked_sub(now_wall) {
        Some(ahead) => now + ahead,
        None => now,
    }
}

/// Ctrl-C and SIGTERM as they come, one after another. The handlers are registered when it
/// is made, not when first waited on, so a signal arriving right after start-up is not
/// lost (or fatal), and none is missed between two waits.
pub(crate) struct StopRequests {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopRequests {
    pub(crate) fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = signal(SignalKind::terminate())
                .and_then(|term| Ok((term, signal(SignalKind::interrupt())?)))
                .ok();
            StopRequests { signals }
        }
        #[cfg(not(unix))]
        StopRequests {}
    }

    /// The next request.
    pub(crate) async fn next(&mut self) {
        #[cfg(unix)]
        if let Some((term, int)) = &mut self.signals {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
