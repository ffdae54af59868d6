//! Running the `covmap` binary in a sealed environment, finding test data, and a tiny local
//! HTTP server for the download tests.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// Environment variables that must not leak from the machine into a test run: covmap's own
/// settings and the proxy variables ureq reads.
const SCRUBBED_ENV: &[&str] = &[
    "COVMAP_ATTACK",
    "COVMAP_ATTACK_BASE_URL",
    "COVMAP_DEBUG",
    "COVMAP_JOBS",
    "COVMAP_MAX_INPUT_MIB",
    "COVMAP_FETCH_CONNECT_TIMEOUT",
    "COVMAP_FETCH_READ_TIMEOUT",
    "COVMAP_FETCH_DEADLINE",
    "NO_COLOR",
    "RUST_BACKTRACE",
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// A base URL nothing listens on (the discard port of the loopback interface): if a test ever
/// reached the download code by mistake it would fail here, never touch the network.
const DEAD_BASE_URL: &str = "http://127.0.0.1:9/no-network-in-tests";

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root exists")
}

/// The directory of the synthetic bundles.
pub(crate) fn fixtures_dir() -> PathBuf {
    repo_root().join("fixtures/attack")
}

/// A file under `fixtures/attack/`.
pub(crate) fn fixture(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

/// `../shared/data/attack/NAME` next to the repository, or `None` (with a notice) when the
/// shared data is absent. With `CI=true` its absence fails the test instead.
pub(crate) fn shared_bundle(name: &str) -> Option<PathBuf> {
    let path = repo_root().join("../shared/data/attack").join(name);
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but the real ATT&CK bundle {} is missing",
        path.display()
    );
    #[allow(clippy::print_stderr)] // the notice is the point: a skipped test must say so
    {
        eprintln!("skipped: real-data test needs {}", path.display());
    }
    None
}

/// The outcome of one `covmap` run.
#[derive(Debug)]
pub(crate) struct Out {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Out {
    fn describe(&self) -> String {
        format!(
            "exit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Asserts success with nothing on stderr.
    #[track_caller]
    pub(crate) fn ok(self) -> Self {
        assert!(
            self.code == 0 && self.stderr.is_empty(),
            "expected success and a quiet stderr, got {}",
            self.describe()
        );
        self
    }

    /// Asserts success; stderr may carry progress notes.
    #[track_caller]
    pub(crate) fn ok_noisy(self) -> Self {
        assert_eq!(self.code, 0, "expected success, got {}", self.describe());
        self
    }

    /// Asserts the error exit (2), an empty stdout, and an `error:` report on stderr.
    #[track_caller]
    pub(crate) fn fails(self) -> Self {
        assert!(
            self.code == 2 && self.stdout.is_empty() && self.stderr.contains("error"),
            "expected exit 2, no stdout and an error on stderr, got {}",
            self.describe()
        );
        assert!(
            !self.stderr.contains('\x1b'),
            "escape sequences on a non-terminal stderr: {:?}",
            self.stderr
        );
        self
    }

    /// Asserts that stderr contains every one of `needles`.
    #[track_caller]
    pub(crate) fn stderr_has(self, needles: &[&str]) -> Self {
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr lacks {needle:?}: {}",
                self.describe()
            );
        }
        self
    }

    /// Asserts that stdout contains every one of `needles`.
    #[track_caller]
    pub(crate) fn stdout_has(self, needles: &[&str]) -> Self {
        for needle in needles {
            assert!(
                self.stdout.contains(needle),
                "stdout lacks {needle:?}: {}",
                self.describe()
            );
        }
        self
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.describe()))
    }

    /// stdout parsed as CSV: the header and the records.
    #[track_caller]
    pub(crate) fn csv(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut reader = csv::Reader::from_reader(self.stdout.as_bytes());
        let header = reader
            .headers()
            .expect("CSV header")
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.expect("CSV record").iter().map(str::to_string).collect())
            .collect();
        (header, rows)
    }
}

/// The report date of every test run, as `SOURCE_DATE_EPOCH`: 2026-12-06T00:00:00Z
/// (`date -u -d 2026-12-06 +%s`).
pub(crate) const TEST_EPOCH: &str = "1796515200";

/// A `covmap` command that only sees `cache` as its cache, is offline, and inherits none of
/// the machine's covmap, colour or proxy settings.
pub(crate) fn covmap(cache: &Path) -> Command {
    let mut cmd = Command::cargo_bin("covmap").expect("the covmap binary is built");
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    cmd.env("COVMAP_CACHE_DIR", cache)
        .env("COVMAP_OFFLINE", "1")
        .env("COVMAP_ATTACK_BASE_URL", DEAD_BASE_URL)
        // Reports are dated today by default; tests pin the date (2026-12-06).
        .env("SOURCE_DATE_EPOCH", TEST_EPOCH)
        .timeout(Duration::from_secs(120));
    cmd
}

/// [`covmap`] as a plain `std::process::Command`, for wiring its stdout by hand.
pub(crate) fn std_covmap(cache: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("covmap"));
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    cmd.env("COVMAP_CACHE_DIR", cache)
        .env("COVMAP_OFFLINE", "1")
        .env("COVMAP_ATTACK_BASE_URL", DEAD_BASE_URL)
        .env("SOURCE_DATE_EPOCH", TEST_EPOCH);
    cmd
}

/// Runs a prepared command.
pub(crate) fn run(mut cmd: Command) -> Out {
    let output = cmd.output().expect("covmap runs");
    Out {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs covmap with its stdout connected to a pipe whose reading end is already closed.
pub(crate) fn run_into_closed_pipe(mut cmd: std::process::Command) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let output = cmd
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run covmap");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Escapes a literal for a regular expression (insta filters are regexes).
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One test's private world: a fresh, empty cache directory.
pub(crate) struct Env {
    dir: TempDir,
}

impl Env {
    pub(crate) fn new() -> Self {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The cache directory (`COVMAP_CACHE_DIR`).
    pub(crate) fn cache(&self) -> &Path {
        self.dir.path()
    }

    /// Where bundles are stored in the cache.
    pub(crate) fn bundles(&self) -> PathBuf {
        self.cache().join("attack")
    }

    /// Copies a fixture into the cache's bundle store under `stored_name`.
    pub(crate) fn store(&self, fixture_name: &str, stored_name: &str) -> PathBuf {
        std::fs::create_dir_all(self.bundles()).expect("create bundle store");
        let target = self.bundles().join(stored_name);
        std::fs::copy(fixture(fixture_name), &target).expect("copy fixture into the cache");
        target
    }

    /// A sealed command using this cache.
    pub(crate) fn cmd(&self) -> Command {
        covmap(self.cache())
    }

    /// Runs covmap with `args` (no `--attack`).
    pub(crate) fn run(&self, args: &[&str]) -> Out {
        let mut cmd = self.cmd();
        cmd.args(args);
        run(cmd)
    }

    /// Runs covmap against the fixture bundle `name` with `args`.
    pub(crate) fn fx(&self, name: &str, args: &[&str]) -> Out {
        let mut cmd = self.cmd();
        cmd.arg("--attack").arg(fixture(name)).args(args);
        run(cmd)
    }

    /// Runs covmap against `mini-attack-2.1.json` (ATT&CK "9.9").
    pub(crate) fn mini(&self, args: &[&str]) -> Out {
        self.fx("mini-attack-2.1.json", args)
    }

    /// Every file (not directory) under the cache, relative to it, sorted.
    pub(crate) fn files(&self) -> Vec<String> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    let rel = path.strip_prefix(root).expect("under the root");
                    out.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        let mut out = Vec::new();
        walk(self.cache(), self.cache(), &mut out);
        out.sort();
        out
    }

    /// Snapshot filters: this test's temp dir and the fixtures directory.
    pub(crate) fn filters(&self) -> Vec<(String, &'static str)> {
        vec![
            (regex_escape(&self.cache().display().to_string()), "[TEMP]"),
            (
                regex_escape(&fixtures_dir().display().to_string()),
                "[FIXTURES]",
            ),
        ]
    }
}

/// Snapshots a human-readable output with the temp and fixture paths filtered.
macro_rules! assert_text_snapshot {
    ($env:expr, $name:literal, $text:expr) => {{
        let filters = $env.filters();
        insta::with_settings!(
            {
                filters => filters.iter().map(|(re, to)| (re.as_str(), *to)),
            },
            {
                insta::assert_snapshot!($name, $text);
            }
        );
    }};
}

/// The IDs of a JSON array of `{id, ...}` objects.
#[track_caller]
pub(crate) fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|item| item["id"].as_str().expect("an id"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Real ATT&CK data, shared across the real-data tests of this binary.

/// Name prefix of the shared real-data caches under Cargo's test tmp dir.
const REAL_CACHE_PREFIX: &str = "covmap-real-cache-";

/// The cache shared by the real-data tests: parsing the 50 MB enterprise bundle once and
/// reusing the parsed model keeps them fast. It lives under Cargo's per-target tmp dir; caches
/// older than a day, left by earlier runs, are removed first.
pub(crate) fn real_cache() -> &'static Path {
    static CACHE: OnceLock<TempDir> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
            let day = Duration::from_secs(24 * 3600);
            for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
                let stale = entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(REAL_CACHE_PREFIX)
                    && entry
                        .metadata()
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| SystemTime::now().duration_since(t).ok())
                        .is_some_and(|age| age > day);
                if stale {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
            tempfile::Builder::new()
                .prefix(REAL_CACHE_PREFIX)
                .tempdir_in(root)
                .expect("real-data cache dir")
        })
        .path()
}

/// A real bundle from `../shared`, with its parsed model already in [`real_cache`] (so the
/// tests that use it in parallel do not all parse it), or `None` when the data is absent.
pub(crate) fn real(name: &'static str) -> Option<PathBuf> {
    static PRIMED: OnceLock<std::sync::Mutex<Vec<&'static str>>> = OnceLock::new();
    let path = shared_bundle(name)?;
    let primed = PRIMED.get_or_init(Default::default);
    // Held while priming, so a bundle is parsed once; the others wait for the cached model.
    let mut done = primed
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !done.contains(&name) {
        let mut cmd = covmap(real_cache());
        cmd.arg("--attack").arg(&path).args(["attack", "info"]);
        run(cmd).ok();
        done.push(name);
    }
    Some(path)
}

/// A sealed command using the shared real-data cache.
pub(crate) fn real_cmd() -> Command {
    covmap(real_cache())
}

/// Runs covmap on a real bundle with the shared cache.
pub(crate) fn run_real(bundle: &Path, args: &[&str]) -> Out {
    let mut cmd = covmap(real_cache());
    cmd.arg("--attack").arg(bundle).args(args);
    run(cmd)
}

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 server on the loopback interface for the download tests.

/// What the server answers for a path.
#[derive(Clone)]
pub(crate) enum Reply {
    /// 200 with this body and its Content-Length.
    Body(Vec<u8>),
    /// 200 announcing the full Content-Length but sending only the first half, then closing.
    Truncated(Vec<u8>),
    /// Reads the request, then answers nothing until the client goes, the server is stopped,
    /// or the duration passes.
    Stall(Duration),
    /// 200 with the body's Content-Length, then one byte of it every `every`, until the client
    /// goes, the server is stopped, or `hold` passes.
    Trickle {
        body: Vec<u8>,
        every: Duration,
        hold: Duration,
    },
    /// 200 with `Content-Encoding: gzip` and this (already compressed) body.
    Gzip(Vec<u8>),
}

/// A server that answers a bounded number of requests on 127.0.0.1, then stops.
pub(crate) struct Server {
    base: String,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Vec<String>>>,
}

impl Server {
    /// Serves `routes` (path -> reply; anything else is a 404) for at most `max_requests`
    /// requests or 60 seconds, whichever comes first.
    pub(crate) fn start(routes: Vec<(String, Reply)>, max_requests: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut seen = Vec::new();
            while seen.len() < max_requests
                && Instant::now() < deadline
                && !stop_flag.load(Ordering::SeqCst)
            {
                match listener.accept() {
                    Ok((stream, _)) => {
                        if let Some(path) = answer(stream, &routes, &stop_flag) {
                            seen.push(path);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(e) => panic!("accept failed: {e}"),
                }
            }
            seen
        });
        Server {
            base,
            stop,
            handle: Some(handle),
        }
    }

    /// The base URL to give covmap (`COVMAP_ATTACK_BASE_URL`).
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Stops the server and returns the paths it was asked for, in order.
    pub(crate) fn finish(mut self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle
            .take()
            .expect("not finished yet")
            .join()
            .expect("server thread")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// Waits up to `hold` (in short steps, so a stop or the client leaving ends it): `tick` runs at
/// each step and returns `false` to end the wait.
fn hold_while(hold: Duration, step: Duration, stop: &AtomicBool, mut tick: impl FnMut() -> bool) {
    let until = Instant::now() + hold;
    while Instant::now() < until && !stop.load(Ordering::SeqCst) && tick() {
        std::thread::sleep(step);
    }
}

/// Whether the client is still connected (a read that returns 0 means it closed).
fn client_connected(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    let _ = stream.set_nonblocking(true);
    let open = match stream.read(&mut byte) {
        Ok(0) => false,
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
    };
    let _ = stream.set_nonblocking(false);
    open
}

/// Reads one request and answers it; returns the requested path.
fn answer(mut stream: TcpStream, routes: &[(String, Reply)], stop: &AtomicBool) -> Option<String> {
    stream.set_nonblocking(false).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut request = Vec::new();
    let mut chunk = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 64 * 1024 {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        request.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&request);
    let path = head.split_whitespace().nth(1)?.to_string();
    let reply = routes.iter().find(|(p, _)| *p == path).map(|(_, r)| r);
    let header = |status: &str, length: usize| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
        )
    };
    let _ = match reply {
        Some(Reply::Body(body)) => stream
            .write_all(header("200 OK", body.len()).as_bytes())
            .and_then(|()| stream.write_all(body)),
        Some(Reply::Truncated(body)) => stream
            .write_all(header("200 OK", body.len()).as_bytes())
            .and_then(|()| stream.write_all(&body[..body.len() / 2])),
        Some(Reply::Stall(hold)) => {
            hold_while(*hold, Duration::from_millis(20), stop, || {
                client_connected(&mut stream)
            });
            Ok(())
        }
        Some(Reply::Trickle { body, every, hold }) => {
            let mut sent = 0;
            stream
                .write_all(header("200 OK", body.len()).as_bytes())
                .map(|()| {
                    hold_while(*hold, *every, stop, || {
                        let Some(byte) = body.get(sent..=sent) else {
                            return false;
                        };
                        sent += 1;
                        stream.write_all(byte).and_then(|()| stream.flush()).is_ok()
                    });
                })
        }
        Some(Reply::Gzip(body)) => stream
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            )
            .and_then(|()| stream.write_all(body)),
        None => stream
            .write_all(header("404 Not Found", 9).as_bytes())
            .and_then(|()| stream.write_all(b"not found")),
    };
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
    Some(path)
}

// ---------------------------------------------------------------------------------------------
// The ATT&CK release built into covmap.

/// A sealed command on the built-in release of `domain`: the shared real-data cache holds no
/// downloaded bundle, and its model of the built-in release is made once per test binary (a
/// decode and a parse), so the tests that use it in parallel do not all make it.
pub(crate) fn builtin_cmd(domain: &'static str) -> Command {
    static PRIMED: OnceLock<std::sync::Mutex<Vec<&'static str>>> = OnceLock::new();
    let primed = PRIMED.get_or_init(Default::default);
    let mut done = primed
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !done.contains(&domain) {
        let mut cmd = covmap(real_cache());
        cmd.args(["--domain", domain, "attack", "info"]);
        run(cmd).ok_noisy();
        done.push(domain);
    }
    let mut cmd = covmap(real_cache());
    cmd.args(["--domain", domain]);
    cmd
}
