//! Streaming linear and logistic regression with SGD, Spark's
//! `StreamingLinearRegressionWithSGD` and `StreamingLogisticRegressionWithSGD`.
//!
//! Each non-empty batch runs Spark's `GradientDescent.runMiniBatchSGD` ([`sgd`]) warm-started
//! from the current weights (an empty batch leaves the model as it is, as Spark's `trainOn`
//! skips empty RDDs). Iteration `i` (from 1) takes the mean gradient over the batch (or a
//! sample of it, `mini_batch_fraction`) and steps by `step_size / sqrt(i)`:
//!
//! - linear: least squares, gradient `(w·x − y)·x`, Spark's `SimpleUpdater` (no
//!   regularisation);
//! - logistic: `(σ(w·x) − y)·x`, Spark's `SquaredL2Updater`: `w ← w·(1 − step·reg) −
//!   step·g`, with `reg_param` 0.0 by default (so plain SGD).
//!
//! It stops early when `|w_i − w_{i−1}| < convergence_tol · max(|w_i|, 1)` (Euclidean
//! norms; checked from the second iteration, as Spark does). Spark's defaults: step 0.1, 50
//! iterations, fraction 1.0, reg 0.0, tolerance 0.001. Neither model has an intercept (Spark's
//! streaming algorithms never add one); add a constant 1.0 feature for one.
//!
//! Where this is not Spark's code:
//! - Spark's `StreamingLinearRegressionWithSGD.setRegParam` exists but does nothing (its
//!   `SimpleUpdater` ignores the parameter); linear regression here has no `reg_param`.
//! - With `mini_batch_fraction` below 1.0, iteration `i` keeps each point with that
//!   probability from our own generator seeded with `42 + i` (Spark seeds its Bernoulli
//!   sampler with `42 + i` too, but its generator differs).
//! - Spark's `predictOn` reads the model when a task runs, so a batch may predict with the
//!   model its own `trainOn` just produced, or not, depending on the jobs' order; here it is
//!   always the model of the batch's start.
//! - A point of another dimension fails the batch, as Spark's job fails; so does a logistic
//!   label other than 0.0 or 1.0 (Spark's `binaryLabelValidator`). Nothing is updated then.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Algorithm, Labeled, Predict, Rng, StreamingModel, Train, dimension_error, dot};
use crate::error::StreamingError;

/// Gradient descent's settings (Spark's `GradientDescent`, with the streaming defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct Sgd {
    /// The first step's size; iteration `i` steps by `step_size / sqrt(i)`.
    pub step_size: f64,
    /// Iterations per batch (at most: see `convergence_tol`).
    pub num_iterations: usize,
    /// The share of the batch each iteration samples (1.0: all of it).
    pub mini_batch_fraction: f64,
    /// L2 regularisation (logistic regression only).
    pub reg_param: f64,
    /// Stop when the weights move less than this, relative to their norm.
    pub convergence_tol: f64,
}

impl Default for Sgd {
    fn default() -> Self {
        Sgd {
            step_size: 0.1,
            num_iterations: 50,
            mini_batch_fraction: 1.0,
            reg_param: 0.0,
            convergence_tol: 0.001,
        }
    }
}

impl Sgd {
    fn invalid(&self) -> Option<String> {
        if self.step_size.is_nan() || self.step_size <= 0.0 {
            Some(format!(
                "SGD: the step size must be positive, not {}",
                self.step_size
            ))
        } else if !(self.mini_batch_fraction > 0.0 && self.mini_batch_fraction <= 1.0) {
            Some(format!(
                "SGD: the mini-batch fraction must be in (0, 1], not {}",
                self.mini_batch_fraction
            ))
        } else if self.reg_param.is_nan() || self.reg_param < 0.0 {
            Some(format!(
                "SGD: the regularisation must be 0 or more, not {}",
                self.reg_param
            ))
        } else if !(0.0..=1.0).contains(&self.convergence_tol) {
            Some(format!(
                "SGD: the convergence tolerance must be in [0, 1], not {}",
                self.convergence_tol
            ))
        } else {
            None
        }
    }
}

/// The loss whose gradient SGD follows, with its updater.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// Spark's `LeastSquaresGradient` with `SimpleUpdater`.
    LeastSquares,
    /// Spark's `LogisticGradient` (two classes) with `SquaredL2Updater`.
    Logistic,
}

/// Spark's `runMiniBatchSGD` from `initial` over `batch` (see the module doc). The caller
/// has checked the points' dimension.
pub fn sgd<P: Labeled>(batch: &[P], initial: &[f64], cfg: &Sgd, loss: Loss) -> Vec<f64> {
    let mut w = initial.to_vec();
    if batch.is_empty() {
        return w;
    }
    let mut grad = vec![0.0; w.len()];
    let mut previous: Option<Vec<f64>> = None;
    for i in 1..=cfg.num_iterations {
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut count = 0u64;
        let mut sample = (cfg.mini_batch_fraction < 1.0).then(|| Rng::new(42 + i as u64));
        for p in batch {
            if let Some(rng) = &mut sample
                && rng.next_f64() >= cfg.mini_batch_fraction
            {
                continue;
            }
            let x = p.features();
            let multiplier = match loss {
                Loss::LeastSquares => dot(x, &w) - p.label(),
                Loss::Logistic => 1.0 / (1.0 + (-dot(x, &w)).exp()) - p.label(),
            };
            for (g, xj) in grad.iter_mut().zip(x) {
                *g += multiplier * xj;
            }
            count += 1;
        }
        if count == 0 {
            continue;
        }
        let step = cfg.step_size / (i as f64).sqrt();
        let shrink = match loss {
            Loss::LeastSquares => 1.0,
            Loss::Logistic => 1.0 - step * cfg.reg_param,
        };
        for (wj, g) in w.iter_mut().zip(&grad) {
            *wj = *wj * shrink - step * (g / count as f64);
        }
        if let Some(prev) = &previous {
            let diff = prev
                .iter()
                .zip(&w)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                .sqrt();
            if diff < cfg.convergence_tol * norm(&w).max(1.0) {
                break;
            }
        }
        previous = Some(w.clone());
    }
    w
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Checks a batch before training: every point of the model's dimension (and, for logistic
/// regression, every label 0.0 or 1.0).
fn check_batch<P: Labeled>(batch: &[P], dim: usize, loss: Loss) -> Result<(), StreamingError> {
    for p in batch {
        let n = p.features().len();
        if n != dim {
            return Err(StreamingError::Custom(format!(
                "train_on: {}",
                dimension_error("the regression model", dim, n)
            )));
        }
        let y = p.label();
        if loss == Loss::Logistic && y != 0.0 && y != 1.0 {
            return Err(StreamingError::Custom(format!(
                "train_on: logistic regression needs labels 0.0 or 1.0, got {y}"
            )));
        }
    }
    Ok(())
}

/// A linear regression model: `w·x + intercept`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearRegressionModel {
    /// The weights.
    pub weights: Vec<f64>,
    /// The intercept (0.0: the streaming algorithm does not fit one).
    pub intercept: f64,
}

impl Predict for LinearRegressionModel {
    type Output = f64;
    fn predict(&self, x: &[f64]) -> Result<f64, String> {
        if x.len() != self.weights.len() {
            return Err(dimension_error(
                "the regression model",
                self.weights.len(),
                x.len(),
            ));
        }
        Ok(dot(&self.weights, x) + self.intercept)
    }
}

impl fmt::Display for LinearRegressionModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "weights=")?;
        super::write_vector(f, &self.weights)?;
        write!(f, ", intercept={:?}", self.intercept)
    }
}

/// A logistic regression model: class 1.0 when `σ(w·x + intercept)` exceeds the threshold
/// (0.5), else 0.0; with no threshold, the probability itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticRegressionModel {
    /// The weights.
    pub weights: Vec<f64>,
    /// The intercept (0.0: the streaming algorithm does not fit one).
    pub intercept: f64,
    /// Spark's `threshold` (0.5; `None`: predict the probability).
    pub threshold: Option<f64>,
}

impl Predict for LogisticRegressionModel {
    type Output = f64;
    fn predict(&self, x: &[f64]) -> Result<f64, String> {
        if x.len() != self.weights.len() {
            return Err(dimension_error(
                "the regression model",
                self.weights.len(),
                x.len(),
            ));
        }
        let score = 1.0 / (1.0 + (-(dot(&self.weights, x) + self.intercept)).exp());
        Ok(match self.threshold {
            Some(t) if score > t => 1.0,
            Some(_) => 0.0,
            None => score,
        })
    }
}

impl fmt::Display for LogisticRegressionModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "weights=")?;
        super::write_vector(f, &self.weights)?;
        write!(f, ", intercept={:?}", self.intercept)
    }
}

/// Spark's `StreamingLinearRegressionWithSGD` settings: `linear_regression()`, its SGD
/// settings, then `.initial_weights(w)`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LinearRegressionWithSgd {
    /// Gradient descent's settings (`reg_param` is not used).
    pub sgd: Sgd,
}

/// Spark's `StreamingLogisticRegressionWithSGD` settings: `logistic_regression()`, its SGD
/// settings, then `.initial_weights(w)`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LogisticRegressionWithSgd {
    /// Gradient descent's settings.
    pub sgd: Sgd,
}

/// Spark's `new StreamingLinearRegressionWithSGD()`: step 0.1, 50 iterations, fraction 1.0.
pub fn linear_regression() -> LinearRegressionWithSgd {
    LinearRegressionWithSgd::default()
}

/// Spark's `new StreamingLogisticRegressionWithSGD()`: step 0.1, 50 iterations, fraction
/// 1.0, regularisation 0.0.
pub fn logistic_regression() -> LogisticRegressionWithSgd {
    LogisticRegressionWithSgd::default()
}

/// The handle of a streaming linear regression model.
pub type StreamingLinearRegression = StreamingModel<LinearRegressionWithSgd>;
/// The handle of a streaming logistic regression model.
pub type StreamingLogisticRegression = StreamingModel<LogisticRegressionWithSgd>;

/// The setters both regressions share (Spark's `setStepSize`, ...).
macro_rules! sgd_setters {
    ($t:ty) => {
        impl $t {
            /// Spark's `setStepSize`.
            pub fn step_size(mut self, step: f64) -> Self {
                self.sgd.step_size = step;
                self
            }
            /// Spark's `setNumIterations`.
            pub fn num_iterations(mut self, n: usize) -> Self {
                self.sgd.num_iterations = n;
                self
            }
            /// Spark's `setMiniBatchFraction`.
            pub fn mini_batch_fraction(mut self, fraction: f64) -> Self {
                self.sgd.mini_batch_fraction = fraction;
                self
            }
            /// Spark's `setConvergenceTol`.
            pub fn convergence_tol(mut self, tol: f64) -> Self {
                self.sgd.convergence_tol = tol;
                self
            }
        }
    };
}
sgd_setters!(LinearRegressionWithSgd);
sgd_setters!(LogisticRegressionWithSgd);

impl LinearRegressionWithSgd {
    /// Spark's `setInitialWeights`: the starting model (and the number of features).
    pub fn initial_weights(self, w: impl Into<Vec<f64>>) -> StreamingLinearRegression {
        let model = LinearRegressionModel {
            weights: w.into(),
            intercept: 0.0,
        };
        StreamingModel::new(self, model)
    }
}

impl LogisticRegressionWithSgd {
    /// Spark's `setRegParam` (L2).
    pub fn reg_param(mut self, reg: f64) -> Self {
        self.sgd.reg_param = reg;
        self
    }

    /// Spark's `setInitialWeights`: the starting model (and the number of features).
    pub fn initial_weights(self, w: impl Into<Vec<f64>>) -> StreamingLogisticRegression {
        let model = LogisticRegressionModel {
            weights: w.into(),
            intercept: 0.0,
            threshold: Some(0.5),
        };
        StreamingModel::new(self, model)
    }
}

impl Algorithm for LinearRegressionWithSgd {
    type Model = LinearRegressionModel;
    fn invalid(&self, _: &LinearRegressionModel) -> Option<String> {
        self.sgd.invalid()
    }
}

impl Algorithm for LogisticRegressionWithSgd {
    type Model = LogisticRegressionModel;
    fn invalid(&self, _: &LogisticRegressionModel) -> Option<String> {
        self.sgd.invalid()
    }
}

impl<P: Labeled> Train<P> for LinearRegressionWithSgd {
    fn train(
        &self,
        model: &LinearRegressionModel,
        batch: &[P],
    ) -> Result<Option<LinearRegressionModel>, StreamingError> {
        if batch.is_empty() {
            return Ok(None);
        }
        check_batch(batch, model.weights.len(), Loss::LeastSquares)?;
        Ok(Some(LinearRegressionModel {
            weights: sgd(batch, &model.weights, &self.sgd, Loss::LeastSquares),
            intercept: model.intercept,
        }))
    }
}

impl<P: Labeled> Train<P> for LogisticRegressionWithSgd {
    fn train(
        &self,
        model: &LogisticRegressionModel,
        batch: &[P],
    ) -> Result<Option<LogisticRegressionModel>, StreamingError> {
        if batch.is_empty() {
            return Ok(None);
        }
        check_batch(batch, model.weights.len(), Loss::Logistic)?;
        Ok(Some(LogisticRegressionModel {
            weights: sgd(batch, &model.weights, &self.sgd, Loss::Logistic),
            ..model.clone()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_iteration() -> Sgd {
        Sgd {
            num_iterations: 1,
            ..Sgd::default()
        }
    }

    #[test]
    fn least_squares_step_by_hand() {
        // w = (0, 0); points (y=1, x=(1,0)), (y=2, x=(0,1)). Gradient: (0−1)(1,0) + (0−2)(0,1)
        // = (−1, −2); mean (−0.5, −1); step 0.1/sqrt(1): w = (0.05, 0.1).
        let batch = [(1.0, vec![1.0, 0.0]), (2.0, vec![0.0, 1.0])];
        let w = sgd(&batch, &[0.0, 0.0], &one_iteration(), Loss::LeastSquares);
        assert_eq!(w, vec![0.05, 0.1]);
        // Second iteration: diffs 0.05−1 = −0.95 and 0.1−2 = −1.9; mean gradient
        // (−0.475, −0.95); step 0.1/sqrt(2).
        let two = Sgd {
            num_iterations: 2,
            convergence_tol: 0.0,
            ..Sgd::default()
        };
        let w = sgd(&batch, &[0.0, 0.0], &two, Loss::LeastSquares);
        let s = 0.1 / 2f64.sqrt();
        assert!((w[0] - (0.05 + s * 0.475)).abs() < 1e-15);
        assert!((w[1] - (0.1 + s * 0.95)).abs() < 1e-15);
    }

    #[test]
    fn logistic_step_by_hand() {
        // w = 0: σ = 0.5. Points (1, (2)), (0, (1)): gradient (0.5−1)·2 + (0.5−0)·1 = −0.5,
        // mean −0.25; w = 0.025. With reg 0.5: w = 0·(1 − 0.05) + 0.025.
        let batch = [(1.0, [2.0]), (0.0, [1.0])];
        let w = sgd(&batch, &[0.0], &one_iteration(), Loss::Logistic);
        assert_eq!(w, vec![0.025]);
        let reg = Sgd {
            reg_param: 0.5,
            ..one_iteration()
        };
        let w = sgd(&batch, &[1.0], &reg, Loss::Logistic);
        let sigma = 1.0 / (1.0 + (-2.0f64).exp());
        let sigma1 = 1.0 / (1.0 + (-1.0f64).exp());
        let g = ((sigma - 1.0) * 2.0 + sigma1) / 2.0;
        assert!((w[0] - (1.0 * (1.0 - 0.1 * 0.5) - 0.1 * g)).abs() < 1e-15);
    }

    #[test]
    fn stops_when_converged() {
        // Already at the solution: the weights do not move, so iteration 2 stops.
        let batch = [(2.0, [1.0])];
        let w = sgd(&batch, &[2.0], &Sgd::default(), Loss::LeastSquares);
        assert_eq!(w, vec![2.0]);
    }

    #[test]
    fn warm_start_and_empty_batches() {
        let m = linear_regression().initial_weights(vec![0.0]);
        let empty: [(f64, [f64; 1]); 0] = [];
        m.train(&empty).unwrap();
        m.commit();
        assert_eq!(m.latest_model().weights, vec![0.0]);
        // y = 3x: many batches converge to 3.
        for _ in 0..100 {
            m.train(&[(3.0, [1.0]), (-3.0, [-1.0]), (6.0, [2.0])])
                .unwrap();
            m.commit();
        }
        assert!((m.latest_model().weights[0] - 3.0).abs() < 1e-6);
    }

    #[test]
    fn bad_points_fail_the_batch() {
        let m = logistic_regression().initial_weights(vec![0.0]);
        assert!(m.train(&[(2.0, [1.0])]).is_err());
        assert!(m.train(&[(1.0, [1.0, 2.0])]).is_err());
        m.commit();
        assert_eq!(m.latest_model().weights, vec![0.0]);
        let bad = linear_regression()
            .step_size(0.0)
            .initial_weights(vec![0.0]);
        assert!(bad.snapshot().is_err());
    }

    #[test]
    fn mini_batches_are_reproducible() {
        let cfg = Sgd {
            mini_batch_fraction: 0.5,
            ..Sgd::default()
        };
        let batch: Vec<(f64, [f64; 1])> = (0..50).map(|i| (i as f64, [1.0])).collect();
        let a = sgd(&batch, &[0.0], &cfg, Loss::LeastSquares);
        let b = sgd(&batch, &[0.0], &cfg, Loss::LeastSquares);
        assert_eq!(a, b);
        assert_ne!(a, sgd(&batch, &[0.0], &Sgd::default(), Loss::LeastSquares));
    }

    #[test]
    fn logistic_predicts_classes() {
        let m = LogisticRegressionModel {
            weights: vec![1.0],
            intercept: 0.0,
            threshold: Some(0.5),
        };
        assert_eq!(m.predict(&[2.0]), Ok(1.0));
        assert_eq!(m.predict(&[-2.0]), Ok(0.0));
    }
}
