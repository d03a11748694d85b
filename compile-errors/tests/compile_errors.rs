//! The macro's compile-time errors, pinned with trybuild (`TRYBUILD=overwrite` regenerates
//! the `.stderr` files after a deliberate change of message). Kafka's errors depend on the
//! `kafka` feature: `tests/ui_kafka` runs with it, `tests/ui_no_kafka` without.

#[test]
fn ui() {
    trybuild_checks_its_dependencies_once();
    #[cfg(feature = "kafka")]
    librdkafka_is_not_built_for_a_check();

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
    // SAFETY: this binary's only test sets it before any thread of its own reads the
    // environment.
    unsafe { std::env::set_var("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f")) };
}

/// Compile-fail cases are checked, never linked, so trybuild's project needs no librdkafka;
/// yet rdkafka-sys's build script would compile it from C again in trybuild's own target
/// directory (a minute of a fresh CI run, on the critical path). Cargo skips the build
/// script of a `links` library when the configuration overrides it: trybuild runs cargo
/// in `target/tests/trybuild/<crate>`, so a `.cargo/config.toml` in `target/tests/trybuild`
/// reaches that cargo and no other. Were trybuild ever to link a case, the link would fail
/// loudly, naming librdkafka.
#[cfg(feature = "kafka")]
fn librdkafka_is_not_built_for_a_check() {
    let target_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is target/tmp");
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
        "# Written by compile-errors/tests/compile_errors.rs: trybuild's checks need no\n\
         # librdkafka, so rdkafka-sys's build script is not run for them.\n\
         [target.{host}.rdkafka]\n\
         rustc-link-lib = [\"static=rdkafka\"]\n"
    );
    std::fs::write(dir.join("config.toml"), config).expect("writing trybuild's cargo config");
}
