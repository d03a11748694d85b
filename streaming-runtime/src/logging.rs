//! Logs go to stderr through `tracing`, filtered by `RUST_LOG` (default `info`), so that
//! `print` output on stdout stays clean to pipe.

/// Installs the stderr subscriber unless the application installed one already.
pub fn init() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// librdkafka's own logs go to `tracing` at debug level: the source and sink report what
/// matters (brokers lost and found, bad records, undelivered records) once, in their own
/// words, and count it, instead of librdkafka's retry chatter.
#[cfg(feature = "kafka")]
pub(crate) fn quiet_log(level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
    tracing::debug!(target: "librdkafka", ?level, fac, "{message}");
}

/// librdkafka's global errors, at debug level for the same reason as [`quiet_log`].
#[cfg(feature = "kafka")]
pub(crate) fn quiet_error(error: &rdkafka::error::KafkaError, reason: &str) {
    tracing::debug!(target: "librdkafka", %error, "{reason}");
}
