use streaming::prelude::*;

struct Event {
    user: String,
}

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![Event { user: "a".into() }]])
            |> reduce_by_key(+)
            |> print
    };
}
