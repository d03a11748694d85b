//! What the tests start besides our own code (tansu, Chromium, PostgreSQL), installed on
//! first use by `scripts/install_test_deps.sh`: a test that needs one asks here, and the
//! script finds it or installs it from a registry, under a lock so that parallel test
//! binaries do not race. Never skipped: when installing is impossible the test fails with
//! the script's message, which names the command to run. The tools are servers: a test
//! starts one on a [`free_port`] and [`wait_until_listening`] before it connects.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits for `tool`, just started, to accept connections on `port` of 127.0.0.1 (the only
/// wait the tests make for a server; 20 s at most).
pub fn wait_until_listening(port: u16, tool: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{tool} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The path `scripts/install_test_deps.sh <tool>` prints (installing the tool if needed).
pub fn tool(tool: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("scripts/install_test_deps.sh");
    let out = Command::new(&script)
        .arg(tool)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    let printed = String::from_utf8_lossy(&out.stdout);
    let path = printed.lines().last().unwrap_or("").trim();
    assert!(
        out.status.success() && !path.is_empty(),
        "{tool} is missing and scripts/install_test_deps.sh could not install it (its \
         message above names the command to run)"
    );
    PathBuf::from(path)
}
