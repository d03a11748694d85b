//! `foreach_batch(|time, batch| ...)`: Spark's `DStream.foreachRDD`.
//!
//! The function gets each batch's time and its elements, and returns either nothing or a
//! `Result<(), E>` for any displayable `E`; an `Err` stops the pipeline with
//! [`StreamingError::Custom`] carrying the error's message, or, when `E` is
//! [`StreamingError`] itself, with that error unchanged: a cluster task's
//! `fence.check()?` in the function stops the task as fenced (the partition moved to
//! another process), which is not a failure of the process.
//!
//! A closure that uses `?` must name its error type, since nothing else fixes it:
//! `foreach_batch(|time, batch| { write(&batch)?; Ok::<(), std::io::Error>(()) })`.

use std::any::Any;
use std::fmt::Display;

use crate::{BatchTime, StreamingError};

/// What a `foreach_batch` function may return: `()` or `Result<(), E>` with `E: Display`.
#[diagnostic::on_unimplemented(
    message = "a `foreach_batch` function must return `()` or `Result<(), E>` with a displayable `E`, not `{Self}`",
    label = "the function returns `{Self}`",
    note = "end the closure with `;` to return nothing, or return `Ok(())`/`Err(e)`; with `?` name the error type, e.g. `Ok::<(), std::io::Error>(())`"
)]
pub trait BatchOutcome {
    fn into_result(self) -> Result<(), StreamingError>;
}

impl BatchOutcome for () {
    #[inline]
    fn into_result(self) -> Result<(), StreamingError> {
        Ok(())
    }
}

impl<E: Display + 'static> BatchOutcome for Result<(), E> {
    #[inline]
    fn into_result(self) -> Result<(), StreamingError> {
        self.map_err(|e| {
            // A StreamingError keeps its kind (`Fenced` above all: turned into `Custom`, a
            // fenced task would look failed and stop its whole process).
            let mut slot = Some(e);
            let any: &mut dyn Any = &mut slot;
            if let Some(own) = any
                .downcast_mut::<Option<StreamingError>>()
                .and_then(Option::take)
            {
                return own;
            }
            slot.map_or_else(
                || StreamingError::custom("foreach_batch failed"),
                |e| StreamingError::custom(e.to_string()),
            )
        })
    }
}

/// Runs the user's function on the batch.
#[inline]
pub fn finish<T, F, R>(time: BatchTime, batch: Vec<T>, f: F) -> Result<(), StreamingError>
where
    F: FnOnce(BatchTime, Vec<T>) -> R,
    R: BatchOutcome,
{
    f(time, batch).into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    fn t(ms: u64) -> BatchTime {
        BatchTime::from_millis(ms)
    }

    #[test]
    fn closures_returning_nothing_infer() {
        let mut seen = Vec::new();
        finish(t(1000), vec!["a", "b"], |time, batch| {
            seen.push((time.milliseconds(), batch.len()))
        })
        .unwrap();
        finish(t(2000), vec![1, 2, 3], |time, batch| {
            println!("{time}: {}", batch.iter().sum::<i32>())
        })
        .unwrap();
        finish(t(3000), Vec::<u8>::new(), |_, _| {}).unwrap();
        assert_eq!(seen, vec![(1000, 2)]);
    }

    #[test]
    fn results_map_to_custom_errors() {
        finish(t(1000), vec![1], |_, _| Ok::<(), String>(())).unwrap();
        let err = finish(t(1000), vec![1], |time, batch| {
            if batch.is_empty() {
                Ok(())
            } else {
                Err(format!("refused batch at {time}"))
            }
        })
        .unwrap_err();
        match err {
            StreamingError::Custom(m) => assert_eq!(m, "refused batch at 1000 ms"),
            other => panic!("expected Custom, got {other:?}"),
        }
    }

    #[test]
    fn question_mark_with_named_error() {
        fn check(x: i32) -> Result<i32, std::num::TryFromIntError> {
            u8::try_from(x).map(i32::from)
        }
        let r = finish(t(1000), vec![1, 300], |_, batch| {
            for x in batch {
                check(x)?;
            }
            Ok::<(), std::num::TryFromIntError>(())
        });
        assert!(matches!(r, Err(StreamingError::Custom(_))));
    }

    #[test]
    fn a_streaming_error_keeps_its_kind() {
        let fenced = || StreamingError::Fenced {
            what: "partition 3 of lines".into(),
            epoch: 1,
            owner: 2,
        };
        let e = finish(t(1), vec![()], |_, _| Err::<(), _>(fenced())).unwrap_err();
        assert!(
            matches!(
                e,
                StreamingError::Fenced {
                    epoch: 1,
                    owner: 2,
                    ..
                }
            ),
            "{e:?}"
        );
        // `?` on a fence's check inside a function returning `Result<(), StreamingError>`.
        let e = finish(t(1), vec![()], |_, _| {
            Err::<(), StreamingError>(fenced())?;
            Ok::<(), StreamingError>(())
        })
        .unwrap_err();
        assert!(matches!(e, StreamingError::Fenced { .. }), "{e:?}");
    }

    #[derive(Debug)]
    struct MyError;

    impl fmt::Display for MyError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("my error")
        }
    }

    #[test]
    fn any_displayable_error() {
        let e = finish(t(1), vec![()], |_, _| Err::<(), _>(MyError)).unwrap_err();
        assert_eq!(e.to_string(), "my error");
        let e = finish(t(1), vec![()], |_, _| {
            Err::<(), Box<dyn std::error::Error>>("boxed".into())
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "boxed");
    }
}
