//! MLlib on streams: Spark's `StreamingKMeans` ([`mod@kmeans`]) and its streaming linear and
//! logistic regression with SGD ([`regression`]).
//!
//! A model lives in a [`StreamingModel`], a shared handle (as Spark's `StreamingKMeans`
//! object owns its `model`): the pipeline's `train_on(m)` stage updates it once per batch,
//! `predict_on(m)` / `predict_on_values(m)` read it, and the user reads
//! [`StreamingModel::latest_model`] from a clone of the handle. The updates themselves are
//! pure functions over one batch's points ([`kmeans::update`], [`regression::sgd`]).
//!
//! Within a batch, prediction uses the model as of the batch's start: training writes a
//! pending model that [`StreamingModel::commit`] makes current at the end of the batch,
//! before its checkpoint (ARCHITECTURE.md, "Exactly once"), so the order of the pipeline's
//! statements does not change what is predicted.
//!
//! A training batch is folded on the batch thread in the batch's order, so results do not
//! depend on `parallelism` (Spark's sums over partitions do, in the last bits).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::StreamingError;

pub mod kmeans;
pub mod regression;

pub use kmeans::{KMeans, KMeansModel, StreamingKMeans, TimeUnit, kmeans};
pub use regression::{
    LinearRegressionModel, LinearRegressionWithSgd, LogisticRegressionModel,
    LogisticRegressionWithSgd, StreamingLinearRegression, StreamingLogisticRegression,
    linear_regression, logistic_regression,
};

/// A feature vector: `Vec<f64>`, `[f64; N]`, `[f64]`, `Box<[f64]>`, or a reference to one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a feature vector",
    label = "MLlib reads feature vectors here",
    note = "a feature vector is a `Vec<f64>`, `[f64; N]` or `&[f64]`: map the elements to one first, e.g. `|> map |p| vec![p.x, p.y]`"
)]
pub trait Features {
    /// The vector's coordinates.
    fn features(&self) -> &[f64];
}

impl Features for [f64] {
    fn features(&self) -> &[f64] {
        self
    }
}
impl Features for Vec<f64> {
    fn features(&self) -> &[f64] {
        self
    }
}
impl Features for Box<[f64]> {
    fn features(&self) -> &[f64] {
        self
    }
}
impl<const N: usize> Features for [f64; N] {
    fn features(&self) -> &[f64] {
        self
    }
}
impl<T: Features + ?Sized> Features for &T {
    fn features(&self) -> &[f64] {
        (**self).features()
    }
}

/// A labeled point, Spark's `LabeledPoint`: `(label, features)` or a [`LabeledPoint`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a labeled point",
    label = "regression trains on labeled points here",
    note = "a labeled point is `(f64, Vec<f64>)` (label, features) or a `LabeledPoint`: map the elements to one first, e.g. `|> map |p| (p.y, vec![p.x1, p.x2])`"
)]
pub trait Labeled {
    /// The label (the value to predict; 0.0 or 1.0 for logistic regression).
    fn label(&self) -> f64;
    /// The features.
    fn features(&self) -> &[f64];
}

impl<V: Features> Labeled for (f64, V) {
    fn label(&self) -> f64 {
        self.0
    }
    fn features(&self) -> &[f64] {
        self.1.features()
    }
}
impl Labeled for LabeledPoint {
    fn label(&self) -> f64 {
        self.label
    }
    fn features(&self) -> &[f64] {
        &self.features
    }
}
impl<T: Labeled + ?Sized> Labeled for &T {
    fn label(&self) -> f64 {
        (**self).label()
    }
    fn features(&self) -> &[f64] {
        (**self).features()
    }
}

/// Spark's `LabeledPoint`: a label and its features. Shown and parsed as Spark's
/// `(1.0,[2.0,3.0])`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabeledPoint {
    /// The label.
    pub label: f64,
    /// The features.
    pub features: Vec<f64>,
}

impl LabeledPoint {
    /// Spark's `LabeledPoint.parse` of its own text form, `(label,[f1,f2,..])`; `None` for
    /// anything else.
    pub fn parse(text: &str) -> Option<LabeledPoint> {
        let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
        let (label, features) = inner.split_once(',')?;
        Some(LabeledPoint {
            label: label.trim().parse().ok()?,
            features: parse_vector(features)?,
        })
    }
}

impl fmt::Display for LabeledPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({:?},", self.label)?;
        write_vector(f, &self.features)?;
        write!(f, ")")
    }
}

/// Spark's `Vectors.parse` of a dense vector, `[1.0,2.0]`; `None` for anything else.
pub fn parse_vector(text: &str) -> Option<Vec<f64>> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    if inner.trim().is_empty() {
        return Some(Vec::new());
    }
    inner.split(',').map(|x| x.trim().parse().ok()).collect()
}

/// A vector as Spark shows one: `[1.0,2.5]`.
pub(crate) fn write_vector(f: &mut fmt::Formatter<'_>, v: &[f64]) -> fmt::Result {
    write!(f, "[")?;
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            write!(f, ",")?;
        }
        write!(f, "{x:?}")?;
    }
    write!(f, "]")
}

/// An algorithm's settings (not checkpointed: they are the program's) and the type of the
/// model it trains (checkpointed).
pub trait Algorithm: Send + Sync + 'static {
    /// The model it trains.
    type Model: Clone + fmt::Debug + Send + Sync + Serialize + DeserializeOwned + 'static;
    /// The settings' mistakes, reported by the first batch that uses the model.
    fn invalid(&self, model: &Self::Model) -> Option<String>;
}

/// An algorithm that trains on elements of type `P`.
#[diagnostic::on_unimplemented(
    message = "this model cannot train on elements of type `{P}`",
    label = "`train_on` gets `{P}` here",
    note = "k-means trains on feature vectors (`Vec<f64>`, `[f64; N]`), regression on labeled points (`(f64, Vec<f64>)` or `LabeledPoint`): map the elements to those first"
)]
pub trait Train<P>: Algorithm {
    /// `model` after one batch, or `None` when the batch leaves it unchanged.
    fn train(
        &self,
        model: &Self::Model,
        batch: &[P],
    ) -> Result<Option<Self::Model>, StreamingError>;
}

/// A model that predicts from a feature vector.
pub trait Predict {
    /// What it predicts (a cluster's index, a value, a class).
    type Output: Send;
    /// The prediction for `x`, or why there is none (a vector of another dimension).
    fn predict(&self, x: &[f64]) -> Result<Self::Output, String>;
}

struct Slot<A: Algorithm> {
    algo: A,
    current: Arc<A::Model>,
    /// The model trained in this batch, current from the batch's end.
    pending: Option<A::Model>,
    invalid: Option<String>,
    /// Batches trained (committed), for the log.
    batches: u64,
}

/// A model trained and used by a pipeline: a shared handle (clones see the same model).
pub struct StreamingModel<A: Algorithm> {
    inner: Arc<RwLock<Slot<A>>>,
}

impl<A: Algorithm> Clone for StreamingModel<A> {
    fn clone(&self) -> Self {
        StreamingModel {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<A: Algorithm> fmt::Debug for StreamingModel<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StreamingModel")
            .field(&*self.read().current)
            .finish()
    }
}

impl<A: Algorithm> StreamingModel<A> {
    pub(crate) fn new(algo: A, model: A::Model) -> Self {
        let invalid = algo.invalid(&model);
        StreamingModel {
            inner: Arc::new(RwLock::new(Slot {
                algo,
                current: Arc::new(model),
                pending: None,
                invalid,
                batches: 0,
            })),
        }
    }

    // A panic while holding the lock (in a user's own use of the handle) leaves the model
    // whole: every write replaces it in one assignment.
    fn read(&self) -> RwLockReadGuard<'_, Slot<A>> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> RwLockWriteGuard<'_, Slot<A>> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The model after the last completed batch (Spark's `latestModel()`).
    pub fn latest_model(&self) -> A::Model {
        A::Model::clone(&self.read().current)
    }

    /// Another handle to the same model (what `model(handle)` in the DSL takes).
    pub fn share(&self) -> Self {
        self.clone()
    }

    /// The current model, for a batch's predictions.
    #[doc(hidden)]
    pub fn snapshot(&self) -> Result<Arc<A::Model>, StreamingError> {
        let slot = self.read();
        match &slot.invalid {
            Some(e) => Err(StreamingError::Config(e.clone())),
            None => Ok(Arc::clone(&slot.current)),
        }
    }

    /// Trains on one batch: the result is pending until [`StreamingModel::commit`]. A
    /// second `train_on` of the same model in a batch continues from the first's result,
    /// as Spark's two `trainOn` output operations would.
    #[doc(hidden)]
    pub fn train<P>(&self, batch: &[P]) -> Result<(), StreamingError>
    where
        A: Train<P>,
    {
        let mut slot = self.write();
        if let Some(e) = &slot.invalid {
            return Err(StreamingError::Config(e.clone()));
        }
        let trained = {
            let base = slot.pending.as_ref().unwrap_or(&*slot.current);
            slot.algo.train(base, batch)?
        };
        if let Some(m) = trained {
            slot.pending = Some(m);
        }
        Ok(())
    }

    /// The start of a batch: a model trained by a batch that failed is dropped.
    #[doc(hidden)]
    pub fn begin_batch(&self) {
        self.write().pending = None;
    }

    /// The end of a batch: the model trained in it becomes current.
    #[doc(hidden)]
    pub fn commit(&self) {
        let mut slot = self.write();
        if let Some(m) = slot.pending.take() {
            slot.current = Arc::new(m);
            slot.batches += 1;
            tracing::debug!(batches = slot.batches, model = ?slot.current, "model updated");
        }
    }

    /// The model restored from a checkpoint.
    #[doc(hidden)]
    pub fn restore(&self, model: A::Model) {
        let mut slot = self.write();
        slot.pending = None;
        slot.current = Arc::new(model);
    }
}

/// Checkpoints hold the current model (the pending one is committed before).
impl<A: Algorithm> Serialize for StreamingModel<A> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.read().current.serialize(s)
    }
}

/// What `let m = ..;` in the DSL accepts: a model handle whose starting model is set.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a streaming model with its starting model set",
    label = "this model has no starting point",
    note = "k-means needs its initial centers: end with `.random_centers(dim, weight, seed)` or `.initial_centers(centers, weights)`; regression its initial weights: end with `.initial_weights(vec![0.0; n])`"
)]
pub trait IntoModel {
    /// The algorithm.
    type Algo: Algorithm;
    /// The handle.
    fn into_model(self) -> StreamingModel<Self::Algo>;
}

impl<A: Algorithm> IntoModel for StreamingModel<A> {
    type Algo = A;
    fn into_model(self) -> StreamingModel<A> {
        self
    }
}

/// A reference (however deep) to a handle: another handle to the same model.
impl<T: IntoModel + Clone> IntoModel for &T {
    type Algo = T::Algo;
    fn into_model(self) -> StreamingModel<T::Algo> {
        self.clone().into_model()
    }
}

/// The DSL's `let m = EXPR;`: the model handle.
#[doc(hidden)]
pub fn model<M: IntoModel>(m: M) -> StreamingModel<M::Algo> {
    m.into_model()
}

/// The DSL's `train_on(m)`: trains on the batch.
#[doc(hidden)]
pub fn train_on<A: Train<P>, P>(
    model: &StreamingModel<A>,
    batch: Vec<P>,
) -> Result<(), StreamingError> {
    model.train(&batch)
}

/// A `predict_on` stage's tally of points it could not predict (of another dimension):
/// runs of a batch count concurrently, and the batch fails after them, as Spark's job
/// fails on such a point.
#[doc(hidden)]
pub struct Predictions {
    label: &'static str,
    failed: AtomicU64,
    first: Mutex<Option<String>>,
}

impl Predictions {
    #[doc(hidden)]
    pub fn new(label: &'static str) -> Self {
        Predictions {
            label,
            failed: AtomicU64::new(0),
            first: Mutex::new(None),
        }
    }

    fn failed(&self, why: String) {
        if self.failed.fetch_add(1, Ordering::Relaxed) == 0 {
            *self.first.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
        }
    }

    /// After the batch's runs: fails the batch if a point could not be predicted.
    #[doc(hidden)]
    pub fn finish(&self) -> Result<(), StreamingError> {
        let n = self.failed.swap(0, Ordering::Relaxed);
        let first = self.first.lock().unwrap_or_else(|e| e.into_inner()).take();
        match (n, first) {
            (0, _) => Ok(()),
            (n, why) => Err(StreamingError::Custom(format!(
                "{}: {n} point(s) could not be predicted: {}",
                self.label,
                why.unwrap_or_default()
            ))),
        }
    }
}

/// The DSL's `predict_on(m)`: each vector's prediction.
#[doc(hidden)]
pub fn predict_on<'a, A, I>(
    it: I,
    model: &StreamingModel<A>,
    tally: &'a Predictions,
) -> impl Iterator<Item = <A::Model as Predict>::Output> + 'a
where
    A: Algorithm,
    A::Model: Predict,
    I: Iterator + 'a,
    I::Item: Features,
{
    let m = model.snapshot();
    if let Err(e) = &m {
        tally.failed(e.to_string());
    }
    let m = m.ok();
    it.filter_map(move |v| {
        let m = m.as_ref()?;
        m.predict(v.features()).map_err(|e| tally.failed(e)).ok()
    })
}

/// The DSL's `predict_on_values(m)`: `(k, v)` becomes `(k, prediction of v)`.
#[doc(hidden)]
pub fn predict_on_values<'a, A, I, K, V>(
    it: I,
    model: &StreamingModel<A>,
    tally: &'a Predictions,
) -> impl Iterator<Item = (K, <A::Model as Predict>::Output)> + 'a
where
    A: Algorithm,
    A::Model: Predict,
    I: Iterator<Item = (K, V)> + 'a,
    V: Features,
{
    let m = model.snapshot();
    if let Err(e) = &m {
        tally.failed(e.to_string());
    }
    let m = m.ok();
    it.filter_map(move |(k, v)| {
        let m = m.as_ref()?;
        match m.predict(v.features()) {
            Ok(p) => Some((k, p)),
            Err(e) => {
                tally.failed(e);
                None
            }
        }
    })
}

/// A seeded generator of standard normal numbers (SplitMix64 and Box–Muller), for random
/// centers and sampling. Not Spark's `XORShiftRandom`: the same seed gives other numbers
/// than Spark's.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
    spare: Option<f64>,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng {
            state: seed,
            spare: None,
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal.
    pub fn next_gaussian(&mut self) -> f64 {
        if let Some(x) = self.spare.take() {
            return x;
        }
        // 1 - u is in (0, 1]: its logarithm is finite.
        let (u, v) = (1.0 - self.next_f64(), self.next_f64());
        let r = (-2.0 * u.ln()).sqrt();
        let t = 2.0 * std::f64::consts::PI * v;
        self.spare = Some(r * t.sin());
        r * t.cos()
    }
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub(crate) fn dimension_error(what: &str, expected: usize, got: usize) -> String {
    format!("{what} has {expected} features, this point has {got}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spark_text_forms() {
        assert_eq!(parse_vector("[1.0, 2.5]"), Some(vec![1.0, 2.5]));
        assert_eq!(parse_vector("[]"), Some(vec![]));
        assert_eq!(parse_vector("1,2"), None);
        let p = LabeledPoint::parse("(1.0,[2.0,3.0])");
        assert_eq!(
            p,
            Some(LabeledPoint {
                label: 1.0,
                features: vec![2.0, 3.0]
            })
        );
        assert_eq!(p.map(|p| p.to_string()).as_deref(), Some("(1.0,[2.0,3.0])"));
        assert_eq!(LabeledPoint::parse("(x,[1])"), None);
    }

    #[test]
    fn gaussian_is_standard() {
        let mut r = Rng::new(7);
        let xs: Vec<f64> = (0..20_000).map(|_| r.next_gaussian()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
    }
}
