//! A real S3-compatible server for the tests: s3s-fs (scripts/install_s3s.sh builds it into
//! target/s3s/, or `S3S_BIN` names one), started on a free 127.0.0.1 port over an empty
//! directory, and stopped when the [`S3Server`] is dropped. It implements the conditional
//! writes the object-store checkpoints rely on (`If-None-Match: *`, `If-Match`).
//!
//! [`Location`] is where a test checkpoints: a fresh local directory, or a fresh prefix in
//! this test binary's server, so the same test body runs over both ([`over_stores!`]).

#![allow(dead_code)] // each test file uses part of this module

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use super::install;

/// The bucket every test's prefix lives in.
pub const BUCKET: &str = "checkpoints";

/// The s3s-fs binary, installed on first use.
pub fn s3s() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| match std::env::var_os("S3S_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => install::tool("s3s"),
    })
    .clone()
}

/// An s3s-fs server on 127.0.0.1 with the bucket [`BUCKET`].
pub struct S3Server {
    child: Option<Child>,
    pub port: u16,
    root: tempfile::TempDir,
}

impl S3Server {
    pub fn start() -> S3Server {
        let root = tempfile::tempdir().expect("a directory for the server");
        // s3s-fs keeps a bucket as a directory of its root.
        std::fs::create_dir_all(root.path().join("data").join(BUCKET)).expect("the bucket");
        let mut server = S3Server {
            child: None,
            port: install::free_port(),
            root,
        };
        server.restart();
        server
    }

    /// Starts the server process (again, after [`S3Server::kill`]), over the same
    /// directory: what it stored is still there.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the server is running");
        let log = std::fs::File::create(self.root.path().join("s3s.log")).expect("log file");
        let child = Command::new(s3s())
            .arg("--host")
            .arg("127.0.0.1")
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--access-key")
            .arg("test")
            .arg("--secret-key")
            .arg("test-secret")
            .arg(self.root.path().join("data"))
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting s3s-fs");
        self.child = Some(child);
        self.wait_until_listening();
    }

    /// Waits for the port to accept connections.
    pub fn wait_until_listening(&self) {
        install::wait_until_listening(self.port, "s3s-fs");
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The directory holding the objects under `prefix` of the bucket.
    pub fn objects_dir(&self, prefix: &str) -> PathBuf {
        self.root.path().join("data").join(BUCKET).join(prefix)
    }

    /// Points `AmazonS3Builder::from_env` (the checkpoint URL's configuration) at this
    /// server. Once per test binary, before any store is opened.
    fn configure_environment(&self) {
        // SAFETY: called once, under the `shared` OnceLock, before any test of this binary
        // opens an object store; Rust's own environment reads and writes take one lock.
        unsafe {
            std::env::set_var("AWS_ENDPOINT", self.endpoint());
            std::env::set_var("AWS_ALLOW_HTTP", "true");
            std::env::set_var("AWS_ACCESS_KEY_ID", "test");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "test-secret");
            std::env::set_var("AWS_REGION", "us-east-1");
            std::env::remove_var("AWS_SESSION_TOKEN");
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.kill();
    }
}

static SERVER: OnceLock<Mutex<S3Server>> = OnceLock::new();

/// This test binary's server, started on first use, the environment set for it, and
/// stopped when the binary exits (a static is never dropped).
pub fn shared() -> &'static Mutex<S3Server> {
    SERVER.get_or_init(|| {
        let server = S3Server::start();
        server.configure_environment();
        // SAFETY: registers a plain function; it runs once, at exit.
        unsafe { libc::atexit(stop_shared) };
        Mutex::new(server)
    })
}

extern "C" fn stop_shared() {
    if let Some(server) = SERVER.get() {
        let mut server = server.lock().unwrap_or_else(|e| e.into_inner());
        server.kill();
        let _ = std::fs::remove_dir_all(server.root.path());
    }
}

/// Where a test checkpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// A local directory (today's layout).
    Local,
    /// A prefix in the test binary's s3s-fs server: `checkpoint "s3://..."`.
    Object,
}

/// A fresh checkpoint location of one kind.
pub struct Location {
    pub store: Store,
    /// What `checkpoint ..` is given: a directory or `s3://bucket/prefix`.
    path: PathBuf,
    /// Where its files are on disk (the directory, or the server's for the prefix).
    files: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Location {
    pub fn new(store: Store) -> Location {
        match store {
            Store::Local => {
                let dir = tempfile::tempdir().expect("a checkpoint directory");
                Location {
                    store,
                    path: dir.path().to_path_buf(),
                    files: dir.path().to_path_buf(),
                    _dir: Some(dir),
                }
            }
            Store::Object => {
                static NEXT: AtomicU64 = AtomicU64::new(0);
                let prefix = format!(
                    "run-{}-{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                );
                let files = shared()
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .objects_dir(&prefix);
                Location {
                    store,
                    path: PathBuf::from(format!("s3://{BUCKET}/{prefix}")),
                    files,
                    _dir: None,
                }
            }
        }
    }

    /// What `checkpoint ..` is given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The checkpoint files' names, sorted (objects are files in the server's directory).
    pub fn checkpoint_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.files)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|n| n.starts_with("checkpoint-"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The newest checkpoint's file on disk.
    pub fn newest_checkpoint_file(&self) -> PathBuf {
        let name = self.checkpoint_files().pop().expect("a checkpoint");
        self.files.join(name)
    }
}

/// Runs a test body over each checkpoint store: `over_stores! { fn name(loc) { .. } }`
/// makes `name::local_dir` and (feature `object-store`) `name::object_store`, each with a
/// fresh [`Location`] `loc`.
#[macro_export]
macro_rules! over_stores {
    ($(#[$meta:meta])* fn $name:ident($loc:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn body($loc: &$crate::common::s3::Location) $body

            #[test]
            fn local_dir() {
                body(&$crate::common::s3::Location::new($crate::common::s3::Store::Local));
            }

            #[cfg(feature = "object-store")]
            #[test]
            fn object_store() {
                body(&$crate::common::s3::Location::new($crate::common::s3::Store::Object));
            }
        }
    };
}
