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
