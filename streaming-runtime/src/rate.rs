//! Backpressure (Spark's `spark.streaming.backpressure.enabled`): after every batch a rate
//! controller estimates how many records per second the pipeline can process and publishes
//! it to the sources ([`crate::SourceControl::set_rate_limit`]): receivers read no faster
//! (a socket is then read slower, and TCP flow control slows the sender) and the Kafka
//! source plans no more per batch.
//!
//! The estimator is a PID controller on the processing rate, as Spark's `PIDRateEstimator`:
//! with `latest` the rate it published last, `processing = records / processing delay`,
//!
//! ```text
//! error            = latest - processing
//! historical_error = scheduling_delay × processing / batch_interval
//! d_error          = (error - latest_error) / seconds since the last estimate
//! rate             = max(min_rate, latest - p·error - i·historical_error - d·d_error)
//! ```
//!
//! The historical error turns the scheduling delay (the records that piled up, `delay ×
//! processing`) into the rate at which they would be worked off in one interval, so that a
//! backlog is drained rather than kept. The first batch only measures (`latest` becomes its
//! processing rate); batches without records or with no processing time teach nothing.

use std::sync::Arc;
use std::time::Duration;

use crate::listener::BatchInfo;
use crate::source::SourceControl;
use crate::time::BatchTime;

/// Settings of the backpressure controller (`backpressure on;`, [`crate::Pipeline::backpressure`]).
#[derive(Clone, Debug, PartialEq)]
pub struct BackpressureConfig {
    /// Records per second the sources are limited to until the first estimate (Spark's
    /// `spark.streaming.backpressure.initialRate`); `None`: unlimited until then.
    pub initial_rate: Option<u64>,
    /// Weight of the current error (Spark's `pid.proportional`, default 1.0).
    pub proportional: f64,
    /// Weight of the accumulated error, the scheduling delay (`pid.integral`, default 0.2).
    pub integral: f64,
    /// Weight of the error's change (`pid.derived`, default 0.0).
    pub derivative: f64,
    /// The estimate never goes below this many records per second (`pid.minRate`, 100).
    pub min_rate: f64,
}

impl Default for BackpressureConfig {
    fn default() -> Self {
        BackpressureConfig {
            initial_rate: None,
            proportional: 1.0,
            integral: 0.2,
            derivative: 0.0,
            min_rate: 100.0,
        }
    }
}

/// Spark's `PIDRateEstimator`, in records per second.
#[derive(Clone, Debug)]
pub struct PidRateEstimator {
    batch_interval_ms: f64,
    proportional: f64,
    integral: f64,
    derivative: f64,
    min_rate: f64,
    /// `None` until the first batch with records was measured.
    latest: Option<Latest>,
}

#[derive(Clone, Copy, Debug)]
struct Latest {
    time_ms: u64,
    rate: f64,
    error: f64,
}

impl PidRateEstimator {
    /// An estimator for batches every `batch_interval`, tuned by `config`.
    pub fn new(batch_interval: Duration, config: &BackpressureConfig) -> Self {
        PidRateEstimator {
            batch_interval_ms: (batch_interval.as_secs_f64() * 1e3).max(1.0),
            proportional: config.proportional.max(0.0),
            integral: config.integral.max(0.0),
            derivative: config.derivative.max(0.0),
            min_rate: config.min_rate.max(0.0),
            latest: None,
        }
    }

    /// The new rate after the batch at `time`, or `None` when this batch teaches nothing
    /// (the first one, one without records or processing time, or one out of order).
    pub fn compute(
        &mut self,
        time: BatchTime,
        records: u64,
        processing_delay: Duration,
        scheduling_delay: Duration,
    ) -> Option<f64> {
        let time_ms = time.milliseconds();
        let processing_ms = processing_delay.as_secs_f64() * 1e3;
        if records == 0 || processing_ms <= 0.0 {
            return None;
        }
        let processing_rate = records as f64 / processing_ms * 1e3;
        let Some(latest) = self.latest else {
            self.latest = Some(Latest {
                time_ms,
                rate: processing_rate,
                error: 0.0,
            });
            return None;
        };
        if time_ms <= latest.time_ms {
            return None;
        }
        let since_update = (time_ms - latest.time_ms) as f64 / 1e3;
        let error = latest.rate - processing_rate;
        let historical_error =
            scheduling_delay.as_secs_f64() * 1e3 * processing_rate / self.batch_interval_ms;
        let d_error = (error - latest.error) / since_update;
        let rate = (latest.rate
            - self.proportional * error
            - self.integral * historical_error
            - self.derivative * d_error)
            .max(self.min_rate);
        self.latest = Some(Latest {
            time_ms,
            rate,
            error,
        });
        Some(rate)
    }
}

/// Feeds each completed batch to one estimator per source and publishes each source's new
/// rate to it. As in Spark, where every input stream has its own rate controller, a
/// source's rate is estimated from the records *it* gave the batch and the batch's
/// processing time and scheduling delay: a fast source and a trickle together get about
/// what each delivers at the pipeline's pace, not an even split of the total.
pub(crate) struct RateController {
    sources: Vec<Controlled>,
}

/// One source and its estimator.
struct Controlled {
    /// The source's index in pipeline order (in [`BatchInfo::records_by_source`]).
    index: usize,
    source: Arc<dyn SourceControl>,
    estimator: PidRateEstimator,
    /// The rate last published to it, `None` while unlimited.
    published: Option<u64>,
}

impl RateController {
    /// Starts the controller over `sources` (each with its index in pipeline order): every
    /// one gets `config.initial_rate` (if any) now (Spark's `initialRate` is also per
    /// receiver).
    pub fn new(
        batch_interval: Duration,
        config: &BackpressureConfig,
        sources: Vec<(usize, Arc<dyn SourceControl>)>,
    ) -> Self {
        let initial = config.initial_rate.map(|r| r.max(1));
        let sources = sources
            .into_iter()
            .map(|(index, source)| {
                source.set_rate_limit(initial);
                Controlled {
                    index,
                    source,
                    estimator: PidRateEstimator::new(batch_interval, config),
                    published: initial,
                }
            })
            .collect();
        RateController { sources }
    }

    /// The batch `info` completed: each source whose estimate changed gets it.
    pub fn batch_completed(&mut self, info: &BatchInfo) {
        if info.failure.is_some() {
            return;
        }
        for c in &mut self.sources {
            let records = info.records_by_source.get(c.index).copied().unwrap_or(0);
            let Some(rate) = c.estimator.compute(
                info.batch_time,
                records,
                info.processing_delay,
                info.scheduling_delay,
            ) else {
                continue;
            };
            // Whole records per second, at least one (a zero rate would stop a source for
            // good).
            let rate = (rate.round() as u64).max(1);
            tracing::debug!(batch = %info.batch_time, source = c.index, rate, "backpressure: new rate limit");
            c.published = Some(rate);
            c.source.set_rate_limit(Some(rate));
        }
    }

    /// The rate last published to source `index` (records per second), `None` while
    /// unlimited or when the controller does not limit it.
    pub fn rate_of(&self, index: usize) -> Option<u64> {
        self.sources
            .iter()
            .find(|c| c.index == index)
            .and_then(|c| c.published)
    }

    /// The sources' rates added up, `None` while none is limited.
    pub fn rate(&self) -> Option<u64> {
        self.sources
            .iter()
            .filter_map(|c| c.published)
            .reduce(u64::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn t(ms: u64) -> BatchTime {
        BatchTime::from_millis(ms)
    }

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("an estimate");
        assert!((a - b).abs() < 1e-6, "{a} != {b}");
    }

    #[test]
    fn the_first_batch_only_measures() {
        let mut e = PidRateEstimator::new(ms(1000), &BackpressureConfig::default());
        assert_eq!(e.compute(t(1000), 1000, ms(500), ms(0)), None);
        // latest rate 2000/s. Now 1000 records in 1000 ms: processing 1000/s,
        // error 1000, no delay: 2000 - 1.0 × 1000 = 1000.
        close(e.compute(t(2000), 1000, ms(1000), ms(0)), 1000.0);
    }

    #[test]
    fn hand_computed_steps_with_scheduling_delay() {
        let mut e = PidRateEstimator::new(ms(1000), &BackpressureConfig::default());
        // Processing 10 000 records/s measured first.
        assert_eq!(e.compute(t(1000), 10_000, ms(1000), ms(0)), None);
        // 10 000 records took 10 s: processing 1000/s, error 9000; a 2 s scheduling delay
        // means 2 × 1000 / 1 = 2000/s of historical error:
        // 10 000 - 9000 - 0.2 × 2000 = 600.
        close(e.compute(t(2000), 10_000, ms(10_000), ms(2000)), 600.0);
        // 600 records in 500 ms: processing 1200/s, error 600 - 1200 = -600; delay 11 s:
        // historical 11 × 1200 = 13 200; 600 + 600 - 2640 = -1440 -> min rate 100.
        close(e.compute(t(3000), 600, ms(500), ms(11_000)), 100.0);
        // 100 records in 100 ms: 1000/s, error -900, delay 0: 100 + 900 = 1000.
        close(e.compute(t(4000), 100, ms(100), ms(0)), 1000.0);
    }

    #[test]
    fn the_derivative_uses_the_time_since_the_last_estimate() {
        let config = BackpressureConfig {
            derivative: 0.5,
            min_rate: 0.0,
            ..BackpressureConfig::default()
        };
        let mut e = PidRateEstimator::new(ms(2000), &config);
        assert_eq!(e.compute(t(2000), 4000, ms(1000), ms(0)), None); // 4000/s, error 0
        // 4000 in 2000 ms: 2000/s, error 2000; delay 1 s over a 2 s interval: 1000/s of
        // historical error; d_error = (2000 - 0) / 2 s = 1000:
        // 4000 - 2000 - 0.2 × 1000 - 0.5 × 1000 = 1300.
        close(e.compute(t(4000), 4000, ms(2000), ms(1000)), 1300.0);
        // 1300 in 1000 ms: 1300/s, error 0; d_error = (0 - 2000) / 4 s = -500:
        // 1300 - 0 - 0 + 250 = 1550.
        close(e.compute(t(8000), 1300, ms(1000), ms(0)), 1550.0);
    }

    #[test]
    fn batches_that_teach_nothing_are_skipped() {
        let mut e = PidRateEstimator::new(ms(1000), &BackpressureConfig::default());
        assert_eq!(e.compute(t(1000), 0, ms(10), ms(0)), None);
        assert_eq!(e.compute(t(1000), 10, ms(0), ms(0)), None);
        assert_eq!(e.compute(t(1000), 1000, ms(1000), ms(0)), None); // first: 1000/s
        assert_eq!(e.compute(t(1000), 1000, ms(500), ms(0)), None); // not later
        assert_eq!(e.compute(t(2000), 0, ms(5), ms(0)), None); // empty
        close(e.compute(t(3000), 1000, ms(1000), ms(0)), 1000.0);
    }

    #[test]
    fn the_controller_publishes_the_initial_rate_then_estimates() {
        #[derive(Default)]
        struct Seen(std::sync::Mutex<Vec<Option<u64>>>);
        impl SourceControl for Seen {
            fn start(&self, _: &tokio::runtime::Handle) -> Result<(), crate::StreamingError> {
                Ok(())
            }
            fn seal(&self, _: BatchTime) {}
            fn is_finished(&self) -> bool {
                false
            }
            fn stop(&self) {}
            fn metrics(&self) -> Arc<crate::SourceMetrics> {
                Arc::new(crate::SourceMetrics::new("seen"))
            }
            fn set_rate_limit(&self, rate: Option<u64>) {
                self.0.lock().unwrap().push(rate);
            }
        }
        let (fast, trickle) = (Arc::new(Seen::default()), Arc::new(Seen::default()));
        let config = BackpressureConfig {
            initial_rate: Some(1000),
            ..BackpressureConfig::default()
        };
        let mut c = RateController::new(
            ms(1000),
            &config,
            vec![(0, fast.clone() as _), (1, trickle.clone() as _)],
        );
        assert_eq!([c.rate_of(0), c.rate_of(1)], [Some(1000), Some(1000)]);
        let info = |time, fast, trickle, processing, scheduling| BatchInfo {
            batch_time: t(time),
            num_records: fast + trickle,
            records_by_source: vec![fast, trickle],
            scheduling_delay: ms(scheduling),
            processing_delay: ms(processing),
            ..BatchInfo::default()
        };
        // Each source's rate comes from its own records: the fast one measures 1000/s and
        // the trickle 200/s (both over the same 1 s of processing).
        c.batch_completed(&info(1000, 1000, 200, 1000, 0));
        assert_eq!(
            [c.rate_of(0), c.rate_of(1)],
            [Some(1000), Some(1000)],
            "the first batch only measures"
        );
        // 1000 + 200 records took 2 s with a 1 s delay: the fast source processed 500/s,
        // error 500, historical 1 × 500 / 1 = 500: 1000 - 500 - 0.2 × 500 = 400; the
        // trickle 100/s: 200 - 100 - 0.2 × 100 = 80 -> min rate 100.
        c.batch_completed(&info(2000, 1000, 200, 2000, 1000));
        assert_eq!([c.rate_of(0), c.rate_of(1)], [Some(400), Some(100)]);
        assert_eq!(c.rate(), Some(500));
        // A batch the trickle gave nothing teaches its estimator nothing: its rate stays.
        // The fast one: 400 in 400 ms, 1000/s, error -600: 400 + 600 = 1000.
        c.batch_completed(&info(3000, 400, 0, 400, 0));
        assert_eq!([c.rate_of(0), c.rate_of(1)], [Some(1000), Some(100)]);
        let mut failed = info(4000, 10, 10, 1000, 0);
        failed.failure = Some("boom".into());
        c.batch_completed(&failed);
        assert_eq!(*fast.0.lock().unwrap(), [Some(1000), Some(400), Some(1000)]);
        assert_eq!(*trickle.0.lock().unwrap(), [Some(1000), Some(100)]);
    }
}
