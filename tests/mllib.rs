//! MLlib on streams through the DSL: streaming k-means and regression trained on one
//! stream and predicting on another (Spark's `trainOn` / `predictOn` / `predictOnValues`),
//! converging on generated data, the same with `parallelism 2` and `fusion off`, and a
//! restart from a checkpoint continuing the model exactly. The update rules themselves are
//! checked by hand in `streaming-runtime/src/mllib`.

use std::path::Path;

use streaming::mllib::{KMeansModel, Rng, StreamingKMeans, StreamingLinearRegression, kmeans};
use streaming::prelude::*;

const CENTERS: [[f64; 2]; 3] = [[-5.0, -5.0], [5.0, 5.0], [5.0, -5.0]];

/// `batches` batches of `per_batch` points around [`CENTERS`] (σ = 0.5), each labeled
/// with its center's index.
fn clustered(seed: u64, batches: usize, per_batch: usize) -> Vec<Vec<(usize, Vec<f64>)>> {
    let mut rng = Rng::new(seed);
    (0..batches)
        .map(|_| {
            (0..per_batch)
                .map(|i| {
                    let c = i % CENTERS.len();
                    let p = CENTERS[c]
                        .iter()
                        .map(|x| x + 0.5 * rng.next_gaussian())
                        .collect();
                    (c, p)
                })
                .collect()
        })
        .collect()
}

fn vectors(batches: &[Vec<(usize, Vec<f64>)>]) -> Vec<Vec<Vec<f64>>> {
    batches
        .iter()
        .map(|b| b.iter().map(|(_, v)| v.clone()).collect())
        .collect()
}

/// Decay 0.5 per batch: with 1.0 (Spark's default) a center keeps the points it took
/// while the random start was still sorting itself out, a few tenths off for good.
fn new_kmeans() -> StreamingKMeans {
    kmeans(3).decay_factor(0.5).random_centers(2, 0.0, 42)
}

/// Trains on one stream, predicts `(label, cluster)` on another.
fn kmeans_pipeline(km: &StreamingKMeans, out: &Collector<(usize, usize)>, mode: u8) -> Pipeline {
    let train = vectors(&clustered(1, 20, 300));
    let test = clustered(2, 20, 30);
    let (km, out) = (km.clone(), out.clone());
    match mode {
        0 => stream_pipeline! {
            batch 1s;
            let m = model(km);
            source queue(train) |> train_on(m);
            source queue(test) |> predict_on_values(m) |> collect(out)
        },
        1 => stream_pipeline! {
            batch 1s;
            parallelism 2;
            let m = model(km);
            source queue(train) |> map |v| v |> train_on(m);
            source queue(test) |> predict_on_values(m) |> collect(out)
        },
        _ => stream_pipeline! {
            batch 1s;
            fusion off;
            let m = model(km);
            source queue(train) |> map |v| v |> train_on(m);
            source queue(test) |> predict_on_values(m) |> collect(out)
        },
    }
}

/// Each known center has a model center within `tol` in every coordinate.
fn assert_near_centers(m: &KMeansModel, tol: f64) {
    for want in CENTERS {
        let near = m
            .centers
            .iter()
            .any(|c| c.iter().zip(want).all(|(x, y)| (x - y).abs() < tol));
        assert!(near, "centers {:?}, expected {CENTERS:?}", m.centers);
    }
}

#[test]
fn kmeans_converges_to_the_known_centers_and_predicts_them() {
    let km = new_kmeans();
    let out = Collector::new();
    kmeans_pipeline(&km, &out, 0).run_batches(20).unwrap();
    let m = km.latest_model();
    // With decay 0.5 a center is the mean of about 2 batches' 100 points, σ 0.5: its
    // standard error is 0.5 / √200 ≈ 0.035; the tolerance is 3 of those.
    assert_near_centers(&m, 0.1);
    // The weights: 300 points a batch, halved each batch: 600 in all, to the last bits.
    assert!(
        (m.weights.iter().sum::<f64>() - 600.0).abs() < 1e-3,
        "{:?}",
        m.weights
    );
    // From batch 2 on (the model of batch 1's end), each true center is one cluster.
    let batches = out.batches();
    assert_eq!(batches.len(), 20);
    for (_, b) in &batches[1..] {
        assert_eq!(b.len(), 30);
        for (label, cluster) in b {
            assert_eq!(m.predict(&CENTERS[*label]), *cluster);
        }
    }
}

#[test]
fn the_same_model_with_parallelism_2_and_fusion_off() {
    let run = |mode| {
        let km = new_kmeans();
        let out = Collector::new();
        kmeans_pipeline(&km, &out, mode).run_batches(20).unwrap();
        (km.latest_model(), out.batches())
    };
    let (one, preds) = run(0);
    // Bit for bit: a batch is trained on in its order, on the batch thread.
    assert_eq!(run(1), (one.clone(), preds.clone()));
    assert_eq!(run(2), (one, preds));
}

#[test]
fn a_batch_predicts_with_the_model_of_its_start() {
    // Training moves center 0 from 0 to 20 in batch 1 (its weight is 0: λ = 1).
    let km = kmeans(2).initial_centers([[0.0], [60.0]], [0.0, 1.0]);
    let out = Collector::new();
    let (m2, o) = (km.clone(), out.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        let m = model(m2);
        source queue(vec![vec![[20.0]]]) |> train_on(m);
        source queue(vec![vec![[35.0]], vec![[35.0]]]) |> predict_on(m) |> collect(o)
    };
    p.run_batches(2).unwrap();
    // Batch 1: centers 0 and 60, 35 is nearer 60; batch 2: centers 20 and 60, nearer 20.
    assert_eq!(out.elements(), vec![1, 0]);
}

fn checkpointed(dir: &Path, km: &StreamingKMeans, out: &Collector<(usize, usize)>) -> Pipeline {
    let train = vectors(&clustered(3, 6, 50));
    let test = clustered(4, 6, 10);
    let (km, out, dir) = (km.clone(), out.clone(), dir.to_path_buf());
    stream_pipeline! {
        batch 1s;
        checkpoint dir every 1s;
        let m = model(km);
        source queue(train) |> train_on(m);
        source queue(test) |> predict_on_values(m) |> collect(out)
    }
}

#[test]
fn a_restart_from_a_checkpoint_continues_the_model_exactly() {
    let straight_dir = tempfile::tempdir().unwrap();
    let straight = new_kmeans();
    let straight_out = Collector::new();
    checkpointed(straight_dir.path(), &straight, &straight_out)
        .run_batches(6)
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let first = new_kmeans();
    checkpointed(dir.path(), &first, &Collector::new())
        .run_batches(3)
        .unwrap(); // then "crashes"
    // A fresh handle (random centers again): the checkpoint's model replaces them.
    let resumed = new_kmeans();
    let resumed_out = Collector::new();
    checkpointed(dir.path(), &resumed, &resumed_out)
        .run_batches(3)
        .unwrap();
    assert_eq!(resumed.latest_model(), straight.latest_model());
    assert_eq!(resumed_out.batches(), straight_out.batches()[3..].to_vec());
}

/// `batches` batches of points `x` (3 features, standard normal) and `y = w·x + ε`.
fn linear(seed: u64, w: &[f64], batches: usize, per_batch: usize) -> Vec<Vec<(f64, Vec<f64>)>> {
    let mut rng = Rng::new(seed);
    (0..batches)
        .map(|_| {
            (0..per_batch)
                .map(|_| {
                    let x: Vec<f64> = w.iter().map(|_| rng.next_gaussian()).collect();
                    let y = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>()
                        + 0.1 * rng.next_gaussian();
                    (y, x)
                })
                .collect()
        })
        .collect()
}

#[test]
fn linear_regression_converges_to_the_known_weights() {
    let w = [2.0, -3.0, 0.5];
    let lr: StreamingLinearRegression =
        streaming::mllib::linear_regression().initial_weights(vec![0.0; 3]);
    let out = Collector::new();
    let (h, o) = (lr.clone(), out.clone());
    let train = linear(5, &w, 30, 100);
    let test = linear(6, &w, 30, 5);
    let mut p = stream_pipeline! {
        batch 1s;
        let m = model(h);
        source queue(train) |> train_on(m);
        source queue(test) |> map |(y, x)| (y, x) |> predict_on_values(m) |> collect(o)
    };
    p.run_batches(30).unwrap();
    let got = lr.latest_model().weights;
    for (g, w) in got.iter().zip(&w) {
        assert!((g - w).abs() < 0.05, "weights {got:?}");
    }
    // The last batch's predictions are within the noise (σ 0.1) and the weights' error.
    let (_, last) = out.batches().pop().unwrap();
    for (y, predicted) in last {
        assert!((y - predicted).abs() < 0.6, "{y} predicted {predicted}");
    }
}

#[test]
fn logistic_regression_separates_the_classes() {
    let w = [3.0, -2.0];
    let mut rng = Rng::new(8);
    let mut points = |n: usize| -> Vec<(f64, [f64; 2])> {
        (0..n)
            .map(|_| {
                let x = [rng.next_gaussian(), rng.next_gaussian()];
                let y = if w[0] * x[0] + w[1] * x[1] > 0.0 {
                    1.0
                } else {
                    0.0
                };
                (y, x)
            })
            .collect()
    };
    let train: Vec<_> = (0..20).map(|_| points(200)).collect();
    let test: Vec<_> = (0..20).map(|_| points(50)).collect();
    let lr = streaming::mllib::logistic_regression().initial_weights(vec![0.0, 0.0]);
    let out = Collector::new();
    let (h, o) = (lr.clone(), out.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        let m = model(h);
        source queue(train) |> train_on(m);
        source queue(test) |> predict_on_values(m) |> collect(o)
    };
    p.run_batches(20).unwrap();
    let m = lr.latest_model();
    // The direction of the separating line: w ∝ (3, -2).
    let cos = (m.weights[0] * 3.0 - m.weights[1] * 2.0)
        / (m.weights.iter().map(|x| x * x).sum::<f64>().sqrt() * 13f64.sqrt());
    assert!(cos > 0.99, "weights {:?}", m.weights);
    let (_, last) = out.batches().pop().unwrap();
    let right = last.iter().filter(|(y, p)| y == p).count();
    assert!(right >= 48, "{right} of 50 right");
}

#[test]
fn models_defined_in_the_pipeline_and_points_of_another_dimension() {
    let out = Collector::new();
    let o = out.clone();
    let mut p = stream_pipeline! {
        batch 1s;
        let m = kmeans(2).half_life(2.0, streaming::mllib::TimeUnit::Batches).initial_centers([[0.0, 0.0], [9.0, 9.0]], [1.0, 1.0]);
        source queue(vec![vec![[1.0, 1.0], [8.0, 8.0]]]) |> train_on(m);
        source queue(vec![vec![vec![1.0, 2.0]], vec![vec![1.0]]]) |> predict_on(m) |> collect(o)
    };
    p.run_batches(1).unwrap();
    assert_eq!(out.elements(), vec![0]);
    // Half-life 2 batches: the weights 1 become 1/√2, then + 1 point each; each center
    // moves by λ = 1 / (1/√2 + 1) toward its point.
    let m: KMeansModel = p.latest_model("m").unwrap();
    let lambda = 1.0 / (0.5f64.sqrt() + 1.0);
    assert!(
        (m.weights[0] - (0.5f64.sqrt() + 1.0)).abs() < 1e-12,
        "{m:?}"
    );
    assert!((m.centers[0][0] - lambda).abs() < 1e-12, "{m:?}");
    assert!((m.centers[1][0] - (9.0 - lambda)).abs() < 1e-12, "{m:?}");
    assert!(p.latest_model::<KMeansModel>("other").is_none());
    let err = p.run_batches(1).unwrap_err().to_string();
    assert!(err.contains("has 2 features, this point has 1"), "{err}");
}

fn regression_checkpointed(dir: &Path, lr: &StreamingLinearRegression) -> Pipeline {
    let train = linear(9, &[1.0, -1.0, 2.0], 6, 20);
    let (lr, dir) = (lr.clone(), dir.to_path_buf());
    stream_pipeline! {
        batch 1s;
        checkpoint dir every 1s;
        parallelism 2;
        let m = model(lr);
        source queue(train) |> train_on(m)
    }
}

#[test]
fn a_regression_restarts_from_its_checkpoint_exactly() {
    let fresh = || streaming::mllib::linear_regression().initial_weights(vec![0.0; 3]);
    let straight_dir = tempfile::tempdir().unwrap();
    let straight = fresh();
    regression_checkpointed(straight_dir.path(), &straight)
        .run_batches(6)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    regression_checkpointed(dir.path(), &fresh())
        .run_batches(4)
        .unwrap();
    let resumed = fresh();
    let mut p = regression_checkpointed(dir.path(), &resumed);
    p.run_batches(2).unwrap();
    assert_eq!(resumed.latest_model(), straight.latest_model());
    assert_ne!(resumed.latest_model().weights, vec![0.0; 3]);
}
