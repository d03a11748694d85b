//! The macro's compile-time errors, pinned with trybuild (`TRYBUILD=overwrite` regenerates
//! the `.stderr` files after a deliberate change of message). Kafka's errors depend on the
//! `kafka` feature: `tests/ui_kafka` runs with it, `tests/ui_no_kafka` without.

#[test]
fn ui() {
    trybuild_checks_its_dependencies_once();
    let target_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is target/tmp");
    trybuild_cargo_config(target_dir);
    trybuild_shares_the_host_artifacts(target_dir);

    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    #[cfg(feature = "kafka")]
    t.compile_fail("tests/ui_kafka/*.rs");
    #[cfg(not(feature = "kafka"))]
    t.compile_fail("tests/ui_no_kafka/*.rs");
}

/// trybuild checks its project's dependencies twice, with two sets of rustflags (the second
/// adds `--diagnostic-width=140`), so every dependency is checked twice: about 100 s of a
/// fresh CI run. Cargo prefers CARGO_ENCODED_RUSTFLAGS to the `--config` rustflags trybuild
/// passes, so giving it the second set makes both passes one. These are trybuild 1.0's
/// flags exactly (its `rustflags.rs`); the `.stderr` files pin the output, so a change of
/// them shows as a failure here, never as a silent difference.
fn trybuild_checks_its_dependencies_once() {
    let flags = [
        "--cfg",
        "trybuild",
        "--verbose",
        "-A",
        "dead_code",
        "--diagnostic-width=140",
    ];
    // SAFETY: this binary's only test changes the environment before any thread of its own
    // reads it.
    unsafe {
        std::env::set_var("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"));
        // CI lints while it builds (.ci/run: clippy-driver as cargo's workspace wrapper);
        // trybuild's project is not ours to lint, and lints would change the pinned output.
        std::env::remove_var("RUSTC_WORKSPACE_WRAPPER");
        std::env::remove_var("CLIPPY_ARGS");
    }
}

/// The cargo configuration of trybuild's project. trybuild runs cargo in
/// `target/tests/trybuild/<crate>`, so a `.cargo/config.toml` in `target/tests/trybuild`
/// reaches that cargo and no other. It says two things:
///
/// - Compile-fail cases are checked, never linked, so they need no librdkafka; yet
///   rdkafka-sys's build script would compile it from C again in trybuild's target
///   directory (a minute of a fresh CI run, on the critical path). Cargo skips the build
///   script of a `links` library when the configuration overrides it. Were trybuild ever to
///   link a case, the link would fail loudly, naming librdkafka. (Inert without the `kafka`
///   feature: nothing links `rdkafka` then.)
/// - Proc macros, build scripts and their dependencies (sqlparser, syn, serde_derive, ...)
///   are built without debug info, as the workspace's `[profile.dev.build-override]` says:
///   trybuild passes `--target`, and without the setting cargo would give them the
///   project's debug info, so they could not be shared (`trybuild_shares_the_host_artifacts`).
fn trybuild_cargo_config(target_dir: &std::path::Path) {
    let host =
        std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
            .arg("-vV")
            .output()
            .ok()
            .and_then(|o| {
                let text = String::from_utf8_lossy(&o.stdout).into_owned();
                text.lines()
                    .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
            })
            .expect("rustc -vV names the host");
    let dir = target_dir.join("tests/trybuild/.cargo");
    std::fs::create_dir_all(&dir).expect("creating target/tests/trybuild/.cargo");
    let config = format!(
        "# Written by compile-errors/tests/compile_errors.rs (`trybuild_cargo_config` says why).\n\
         [target.{host}.rdkafka]\n\
         rustc-link-lib = [\"static=rdkafka\"]\n\
         \n\
         [profile.dev.build-override]\n\
         debug = false\n"
    );
    std::fs::write(dir.join("config.toml"), config).expect("writing trybuild's cargo config");
}

/// trybuild gives its project a target directory of its own (`target/tests/trybuild`), where
/// every dependency would be built again: the host ones (proc macros, build scripts and
/// what they use: sqlparser alone is 20 CPU-seconds) are the very artifacts the tests' own
/// build has just made in `target/debug`, with the same settings. Because trybuild passes
/// `--target`, the checked crates go to `target/tests/trybuild/<triple>/debug` and only the
/// host artifacts to `target/tests/trybuild/debug`: that directory is made a link to
/// `target/debug`, and cargo finds them fresh there (its lock serializes the two builds).
/// The checked crates are not shared: trybuild's rustflags differ from the tests'.
fn trybuild_shares_the_host_artifacts(target_dir: &std::path::Path) {
    // The link must not dangle: under `cargo test --release` the tests' own build made
    // `target/release`, and `target/debug` may not exist yet.
    std::fs::create_dir_all(target_dir.join("debug")).expect("creating target/debug");
    let link = target_dir.join("tests/trybuild/debug");
    match std::fs::symlink_metadata(&link) {
        Ok(meta) if meta.file_type().is_symlink() => return,
        // A directory of its own, from before the link.
        Ok(_) => std::fs::remove_dir_all(&link).expect("removing target/tests/trybuild/debug"),
        Err(_) => {}
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink("../../debug", &link)
        .expect("linking target/tests/trybuild/debug to target/debug");
}
