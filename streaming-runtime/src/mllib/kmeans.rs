//! Streaming k-means, Spark's `StreamingKMeans` / `StreamingKMeansModel`.
//!
//! One batch's update ([`update`]), as Spark's `StreamingKMeansModel.update`:
//!
//! 1. each point goes to its nearest center (squared Euclidean distance; a tie to the lower
//!    index, as Spark's `findClosest`);
//! 2. every cluster's weight is discounted: by the decay factor `a` (time unit `batches`) or
//!    by `a^n` with `n` the batch's number of points (`points`);
//! 3. each cluster that got `m` points with mean `x` moves toward it: with `w` its
//!    discounted weight, `λ = m / max(w + m, 1e-16)`, `c ← (1 − λ)·c + λ·x`, `w ← w + m`;
//! 4. if the smallest weight is below `1e-8` of the largest, the smallest cluster is dying:
//!    both get the mean of the two weights, and the smallest takes the largest's center,
//!    the two pushed apart by `1e-14·max(|x|, 1)` in every coordinate.
//!
//! An empty batch still discounts (Spark runs the update for every batch).
//!
//! Where this is not Spark's code:
//! - Spark's nearest center uses a lower bound from the vectors' norms before computing a
//!   distance (`fastSquaredDistance`); here the squared distance is computed directly, so
//!   a near tie may go the other way in the last bits.
//! - `random_centers` draws from our own seeded generator, not Spark's `XORShiftRandom`:
//!   the same seed gives other centers.
//! - Spark's `setInitialCenters` ignores `k` (the model has as many centers as given); here
//!   a count other than `k` is reported as a mistake.
//! - A point of another dimension than the centers fails the batch, as Spark's job fails
//!   (its `require` in the distance); nothing is updated by that batch.
//! - Spark's `update` changes the model's arrays in place and returns the same object,
//!   which `predictOn` closed over: a prediction job running beside a training one can
//!   see half-moved centers. Here a batch trains a new model, current from the batch's end
//!   (see the parent module).
//! - Some Spark versions' `setDecayFactor(a)` assigns the field to itself
//!   (`this.decayFactor = decayFactor`), leaving the factor at 1.0; `decay_factor(a)` sets
//!   it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Algorithm, Features, Predict, Rng, StreamingModel, Train, dimension_error};
use crate::error::StreamingError;

/// How the decay factor's time passes: per batch or per point (Spark's `"batches"` and
/// `"points"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeUnit {
    /// One step per batch.
    Batches,
    /// One step per point.
    Points,
}

/// A k-means model: the centers and their weights (Spark's `clusterCenters`,
/// `clusterWeights`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KMeansModel {
    /// The cluster centers.
    pub centers: Vec<Vec<f64>>,
    /// Each cluster's weight (its discounted number of points).
    pub weights: Vec<f64>,
}

impl KMeansModel {
    /// The index of the center nearest to `point` (the lower index on a tie).
    pub fn predict(&self, point: &[f64]) -> usize {
        let mut best = (0, f64::INFINITY);
        for (i, c) in self.centers.iter().enumerate() {
            let d = squared_distance(c, point);
            if d < best.1 {
                best = (i, d);
            }
        }
        best.0
    }

    fn dim(&self) -> usize {
        self.centers.first().map_or(0, Vec::len)
    }
}

impl Predict for KMeansModel {
    type Output = usize;
    fn predict(&self, x: &[f64]) -> Result<usize, String> {
        if x.len() != self.dim() {
            return Err(dimension_error("the k-means model", self.dim(), x.len()));
        }
        Ok(KMeansModel::predict(self, x))
    }
}

impl fmt::Display for KMeansModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (c, w)) in self.centers.iter().zip(&self.weights).enumerate() {
            if i > 0 {
                write!(f, " ")?;
            }
            super::write_vector(f, c)?;
            write!(f, "x{w:.3}")?;
        }
        Ok(())
    }
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The settings of streaming k-means (Spark's `StreamingKMeans` without its model):
/// `kmeans(k)`, then `.decay_factor(a)` or `.half_life(h, unit)`, then the initial centers.
#[derive(Clone, Debug, PartialEq)]
pub struct KMeans {
    /// The number of clusters.
    pub k: usize,
    /// The decay factor `a`: 1.0 weighs every batch alike, 0.0 keeps only the last.
    pub decay_factor: f64,
    /// Per batch or per point.
    pub time_unit: TimeUnit,
    mistake: Option<String>,
}

/// Spark's `new StreamingKMeans().setK(k)`: decay factor 1.0 per batch.
pub fn kmeans(k: usize) -> KMeans {
    KMeans {
        k,
        decay_factor: 1.0,
        time_unit: TimeUnit::Batches,
        mistake: None,
    }
}

/// The handle of a streaming k-means model.
pub type StreamingKMeans = StreamingModel<KMeans>;

impl KMeans {
    /// Spark's `setDecayFactor(a)` (time unit unchanged).
    pub fn decay_factor(mut self, a: f64) -> Self {
        self.decay_factor = a;
        self
    }

    /// Spark's `setHalfLife(h, unit)`: data `h` units old weighs half: `a = 0.5^(1/h)`.
    pub fn half_life(mut self, h: f64, unit: TimeUnit) -> Self {
        if h.is_nan() || h <= 0.0 {
            self.mistake = Some(format!("k-means: the half-life must be positive, not {h}"));
        }
        self.decay_factor = (0.5f64.ln() / h).exp();
        self.time_unit = unit;
        self
    }

    /// Spark's `setRandomCenters(dim, weight, seed)`: `k` centers of standard normal
    /// coordinates (from our own generator, see the module doc), each of weight `weight`.
    pub fn random_centers(self, dim: usize, weight: f64, seed: u64) -> StreamingKMeans {
        let mut rng = Rng::new(seed);
        let centers = (0..self.k)
            .map(|_| (0..dim).map(|_| rng.next_gaussian()).collect())
            .collect();
        let model = KMeansModel {
            centers,
            weights: vec![weight; self.k],
        };
        StreamingModel::new(self, model)
    }

    /// Spark's `setInitialCenters(centers, weights)`.
    pub fn initial_centers<V: Features>(
        self,
        centers: impl IntoIterator<Item = V>,
        weights: impl IntoIterator<Item = f64>,
    ) -> StreamingKMeans {
        let model = KMeansModel {
            centers: centers.into_iter().map(|c| c.features().to_vec()).collect(),
            weights: weights.into_iter().collect(),
        };
        StreamingModel::new(self, model)
    }
}

impl Algorithm for KMeans {
    type Model = KMeansModel;
    fn invalid(&self, m: &KMeansModel) -> Option<String> {
        let dim = m.dim();
        if let Some(e) = &self.mistake {
            Some(e.clone())
        } else if self.k == 0 {
            Some("k-means: k must be at least 1".into())
        } else if m.centers.len() != self.k || m.weights.len() != self.k {
            Some(format!(
                "k-means: k is {} but there are {} centers and {} weights",
                self.k,
                m.centers.len(),
                m.weights.len()
            ))
        } else if dim == 0 || m.centers.iter().any(|c| c.len() != dim) {
            Some("k-means: the centers must have one dimension, at least 1".into())
        } else if m.weights.iter().any(|w| w.is_nan() || *w < 0.0) {
            Some("k-means: the weights must be 0 or more".into())
        } else if self.decay_factor.is_nan() || self.decay_factor < 0.0 {
            Some(format!(
                "k-means: the decay factor must be 0 or more, not {}",
                self.decay_factor
            ))
        } else {
            None
        }
    }
}

impl<V: Features> Train<V> for KMeans {
    fn train(
        &self,
        model: &KMeansModel,
        batch: &[V],
    ) -> Result<Option<KMeansModel>, StreamingError> {
        let mut next = model.clone();
        update(&mut next, batch, self.decay_factor, self.time_unit)?;
        Ok(Some(next))
    }
}

/// One batch's update of `model` (see the module doc). On a point of another dimension,
/// `model` is left unchanged and the batch fails.
pub fn update<V: Features>(
    model: &mut KMeansModel,
    batch: &[V],
    decay_factor: f64,
    time_unit: TimeUnit,
) -> Result<(), StreamingError> {
    let (k, dim) = (model.centers.len(), model.dim());
    if k == 0 {
        return Ok(());
    }
    let mut sums = vec![vec![0.0; dim]; k];
    let mut counts = vec![0u64; k];
    for p in batch {
        let x = p.features();
        if x.len() != dim {
            return Err(StreamingError::Custom(format!(
                "train_on: {}",
                dimension_error("the k-means model", dim, x.len())
            )));
        }
        let c = model.predict(x);
        for (s, v) in sums[c].iter_mut().zip(x) {
            *s += v;
        }
        counts[c] += 1;
    }
    let discount = match time_unit {
        TimeUnit::Batches => decay_factor,
        TimeUnit::Points => decay_factor.powf(batch.len() as f64),
    };
    for w in &mut model.weights {
        *w *= discount;
    }
    for (c, (sum, &count)) in sums.iter().zip(&counts).enumerate() {
        if count == 0 {
            continue;
        }
        let m = count as f64;
        let updated = model.weights[c] + m;
        let lambda = m / updated.max(1e-16);
        model.weights[c] = updated;
        for (x, s) in model.centers[c].iter_mut().zip(sum) {
            *x = *x * (1.0 - lambda) + s * (lambda / m);
        }
    }
    split_dying(model);
    Ok(())
}

/// Spark's check after each update: the smallest cluster, if it weighs less than 1e-8 of
/// the largest, is split off the largest. The first of equal weights is taken, as Scala's
/// `maxBy` / `minBy` do.
fn split_dying(model: &mut KMeansModel) {
    let (mut largest, mut smallest) = (0, 0);
    for (i, &w) in model.weights.iter().enumerate() {
        if w > model.weights[largest] {
            largest = i;
        }
        if w < model.weights[smallest] {
            smallest = i;
        }
    }
    let (max, min) = (model.weights[largest], model.weights[smallest]);
    // (NaN weights, from NaN input, split nothing.)
    if min.is_nan() || max.is_nan() || min >= 1e-8 * max {
        return;
    }
    tracing::info!(
        smallest,
        largest,
        "k-means: a cluster is dying; splitting the largest"
    );
    let weight = (max + min) / 2.0;
    model.weights[largest] = weight;
    model.weights[smallest] = weight;
    for j in 0..model.dim() {
        let x = model.centers[largest][j];
        let p = 1e-14 * x.abs().max(1.0);
        model.centers[largest][j] = x + p;
        model.centers[smallest][j] = x - p;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(centers: &[[f64; 2]], weights: &[f64]) -> KMeansModel {
        KMeansModel {
            centers: centers.iter().map(|c| c.to_vec()).collect(),
            weights: weights.to_vec(),
        }
    }

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn decay_in_batches_by_hand() {
        // Centers (0,0) w=2 and (10,10) w=1, a = 0.5. Points (1,1), (3,3) go to 0;
        // (11,11) to 1. Cluster 0: w = 2*0.5 = 1, m = 2, λ = 2/3, mean (2,2):
        // c = (0,0)/3 + (2,2)*2/3 = (4/3, 4/3), w = 3. Cluster 1: w = 0.5, m = 1,
        // λ = 1/1.5 = 2/3: c = (10,10)/3 + (11,11)*2/3 = (32/3, 32/3), w = 1.5.
        let mut m = model(&[[0.0, 0.0], [10.0, 10.0]], &[2.0, 1.0]);
        let batch = vec![vec![1.0, 1.0], vec![3.0, 3.0], vec![11.0, 11.0]];
        update(&mut m, &batch, 0.5, TimeUnit::Batches).unwrap();
        close(&m.centers[0], &[4.0 / 3.0, 4.0 / 3.0]);
        close(&m.centers[1], &[32.0 / 3.0, 32.0 / 3.0]);
        close(&m.weights, &[3.0, 1.5]);
    }

    #[test]
    fn decay_in_points_by_hand() {
        // Same batch, a = 0.5 per point: 3 points, discount 0.125 for every cluster.
        // Cluster 0: w = 0.25, m = 2, λ = 2/2.25 = 8/9: c = (2,2)*8/9 = (16/9, 16/9).
        // Cluster 1: w = 0.125, m = 1, λ = 1/1.125 = 8/9: c = 10/9 + 11*8/9 = 98/9.
        let mut m = model(&[[0.0, 0.0], [10.0, 10.0]], &[2.0, 1.0]);
        let batch = [[1.0, 1.0], [3.0, 3.0], [11.0, 11.0]];
        update(&mut m, &batch, 0.5, TimeUnit::Points).unwrap();
        close(&m.centers[0], &[16.0 / 9.0, 16.0 / 9.0]);
        close(&m.centers[1], &[98.0 / 9.0, 98.0 / 9.0]);
        close(&m.weights, &[2.25, 1.125]);
    }

    #[test]
    fn half_life_sets_the_decay() {
        // Half-life 2 batches: a = 0.5^(1/2); after two empty batches a weight halves.
        let km = kmeans(1).half_life(2.0, TimeUnit::Batches);
        assert!((km.decay_factor - 0.5f64.sqrt()).abs() < 1e-15);
        let mut m = KMeansModel {
            centers: vec![vec![1.0]],
            weights: vec![8.0],
        };
        let empty: [[f64; 1]; 0] = [];
        update(&mut m, &empty, km.decay_factor, km.time_unit).unwrap();
        update(&mut m, &empty, km.decay_factor, km.time_unit).unwrap();
        close(&m.weights, &[4.0]);
        // In points: one point of weight 1 after 2 points.
        let km = kmeans(1).half_life(2.0, TimeUnit::Points);
        let mut m = KMeansModel {
            centers: vec![vec![0.0]],
            weights: vec![2.0],
        };
        update(&mut m, &[[0.0], [0.0]], km.decay_factor, km.time_unit).unwrap();
        close(&m.weights, &[1.0 + 2.0]);
        assert!(kmeans(1).half_life(0.0, TimeUnit::Points).mistake.is_some());
    }

    #[test]
    fn dying_cluster_is_split_from_the_largest() {
        // Cluster 2 gets no points and weighs 0 after a = 0: it dies. The largest (0, w = 3
        // after the batch) is split: both weigh 1.5, centers (2 ± 1e-14, 2 ± 1e-14).
        let mut m = model(&[[0.0, 0.0], [10.0, 10.0], [50.0, 50.0]], &[1.0, 1.0, 1.0]);
        let batch = [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [11.0, 11.0]];
        update(&mut m, &batch, 0.0, TimeUnit::Batches).unwrap();
        close(&m.weights, &[1.5, 1.0, 1.5]);
        close(&m.centers[0], &[2.0, 2.0]);
        close(&m.centers[2], &[2.0, 2.0]);
        for j in 0..2 {
            let gap = m.centers[0][j] - m.centers[2][j];
            assert!((gap - 4e-14).abs() < 1e-15, "{gap}");
        }
        close(&m.centers[1], &[11.0, 11.0]);
    }

    #[test]
    fn nearest_center_ties_go_to_the_lower_index() {
        let m = model(&[[0.0, 0.0], [2.0, 0.0]], &[1.0, 1.0]);
        assert_eq!(m.predict(&[1.0, 0.0]), 0);
        assert_eq!(m.predict(&[1.5, 0.0]), 1);
    }

    #[test]
    fn wrong_dimension_fails_and_leaves_the_model() {
        let mut m = model(&[[0.0, 0.0]], &[1.0]);
        let before = m.clone();
        let batch = vec![vec![1.0, 1.0], vec![1.0]];
        assert!(update(&mut m, &batch, 1.0, TimeUnit::Batches).is_err());
        assert_eq!(m, before);
        assert!(Predict::predict(&m, &[1.0]).is_err());
    }

    #[test]
    fn mistakes_are_reported() {
        let km = kmeans(2).initial_centers([[0.0, 0.0]], [1.0]);
        assert!(km.snapshot().is_err());
        let km = kmeans(2).random_centers(3, 0.0, 1);
        let m = km.latest_model();
        assert_eq!(m.centers.len(), 2);
        assert_eq!(m.centers[0].len(), 3);
        assert!(km.snapshot().is_ok());
    }

    #[test]
    fn prediction_sees_the_model_of_the_batch_start() {
        let km = kmeans(1).initial_centers([[0.0]], [0.0]);
        km.train(&[[4.0]]).unwrap();
        assert_eq!(km.snapshot().unwrap().centers, vec![vec![0.0]]);
        // A second training in the batch continues from the first's result.
        km.train(&[[4.0]]).unwrap();
        km.commit();
        assert_eq!(km.latest_model().centers, vec![vec![4.0]]);
        assert_eq!(km.latest_model().weights, vec![2.0]);
    }
}
