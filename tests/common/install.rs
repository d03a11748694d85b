//! What the tests start besides our own code (tansu, Chromium, PostgreSQL), installed on
//! first use by `scripts/install_test_deps.sh`: a test that needs one asks here, and the
//! script finds it or installs it from a registry, under a lock so that parallel test
//! binaries do not race. Never skipped: when installing is impossible the test fails with
//! the script's message, which names the command to run.

use std::path::PathBuf;
use std::process::{Command, Stdio};

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
