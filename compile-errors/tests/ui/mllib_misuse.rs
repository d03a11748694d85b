use streaming::prelude::*;

fn main() {
    // A misspelt model name.
    let _ = stream_pipeline! {
        batch 1s;
        let clusters = kmeans(2).random_centers(2, 0.0, 42);
        source queue(vec![vec![vec![1.0, 2.0]]]) |> train_on(clustres)
    };
    // Elements that are not feature vectors.
    let _ = stream_pipeline! {
        batch 1s;
        let clusters = kmeans(2).random_centers(2, 0.0, 42);
        source queue(vec![vec!["1.0 2.0"]]) |> train_on(clusters);
        source queue(vec![vec!["1.0 2.0"]]) |> predict_on(clusters) |> print
    };
    // Regression trains on labeled points.
    let _ = stream_pipeline! {
        batch 1s;
        let lr = linear_regression().initial_weights(vec![0.0, 0.0]);
        source queue(vec![vec![vec![1.0, 2.0]]]) |> train_on(lr)
    };
    // A model without its starting point.
    let _ = stream_pipeline! {
        batch 1s;
        let clusters = kmeans(2).decay_factor(0.5);
        source queue(vec![vec![vec![1.0, 2.0]]]) |> train_on(clusters)
    };
}
