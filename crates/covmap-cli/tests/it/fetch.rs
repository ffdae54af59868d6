//! Downloads, against a local HTTP server on 127.0.0.1 (never the network).

use assert_cmd::Command;

use crate::common::{Env, Reply, Server, fixture};

const NEWEST: &str = "/enterprise-attack/enterprise-attack.json";
const V99: &str = "/enterprise-attack/enterprise-attack-9.9.json";

fn mini_bytes() -> Vec<u8> {
    std::fs::read(fixture("mini-attack-2.1.json")).expect("fixture")
}

/// The usual mirror: the 9.9 fixture as the newest release and as 9.9.
fn mirror(max_requests: usize) -> Server {
    Server::start(
        vec![
            (NEWEST.to_string(), Reply::Body(mini_bytes())),
            (V99.to_string(), Reply::Body(mini_bytes())),
        ],
        max_requests,
    )
}

/// A command allowed to download, from `server` only.
fn online(env: &Env, server: &Server) -> Command {
    assert!(server.base().starts_with("http://127.0.0.1:"));
    let mut cmd = env.cmd();
    cmd.env("COVMAP_OFFLINE", "0")
        .env("COVMAP_ATTACK_BASE_URL", server.base());
    cmd
}

fn run_online(env: &Env, server: &Server, args: &[&str]) -> crate::common::Out {
    let mut cmd = online(env, server);
    cmd.args(args);
    crate::common::run(cmd)
}

#[test]
fn fetch_newest_stores_the_bundle_under_its_version() {
    let env = Env::new();
    let server = mirror(1);
    let url = format!("{}{NEWEST}", server.base());
    let out = run_online(&env, &server, &["attack", "fetch"]).ok_noisy();
    assert_eq!(server.finish(), [NEWEST]);
    let target = env.bundles().join("enterprise-attack-9.9.json");
    assert_eq!(out.stdout, format!("{}\n", target.display()));
    out.stderr_has(&[
        &format!("covmap: downloading {url} (0.1 MiB)"),
        &format!(
            "covmap: stored ATT&CK enterprise 9.9 (5 techniques) at {}",
            target.display()
        ),
    ]);
    assert_eq!(std::fs::read(&target).expect("stored bundle"), mini_bytes());
    assert_eq!(env.files(), ["attack/enterprise-attack-9.9.json"]);

    // The stored bundle is then used offline, without --attack.
    let doc = env.run(&["attack", "info", "--format", "json"]).ok().json();
    assert_eq!(doc["version"], "9.9");
}

#[test]
fn fetch_a_version() {
    let env = Env::new();
    let server = mirror(1);
    let out = run_online(&env, &server, &["attack", "fetch", "--version", "9.9"]).ok_noisy();
    assert_eq!(server.finish(), [V99]);
    let target = env.bundles().join("enterprise-attack-9.9.json");
    assert_eq!(out.stdout, format!("{}\n", target.display()));
    assert_eq!(std::fs::read(&target).expect("stored bundle"), mini_bytes());
    assert_eq!(env.files(), ["attack/enterprise-attack-9.9.json"]);
}

#[test]
fn fetch_ics_domain() {
    let env = Env::new();
    let ics = std::fs::read(fixture("mini-ics-2.1.json")).unwrap();
    let server = Server::start(
        vec![(
            "/ics-attack/ics-attack.json".to_string(),
            Reply::Body(ics.clone()),
        )],
        1,
    );
    let out = run_online(&env, &server, &["--domain", "ics", "attack", "fetch"]).ok_noisy();
    assert_eq!(server.finish(), ["/ics-attack/ics-attack.json"]);
    let target = env.bundles().join("ics-attack-9.9.json");
    assert_eq!(out.stdout, format!("{}\n", target.display()));
    assert_eq!(std::fs::read(&target).unwrap(), ics);
}

#[test]
fn missing_release_is_an_error_and_leaves_nothing() {
    let env = Env::new();
    let server = mirror(1);
    run_online(&env, &server, &["attack", "fetch", "--version", "9.8"])
        .fails()
        .stderr_has(&[
            "does not exist (HTTP 404)",
            "/enterprise-attack/enterprise-attack-9.8.json",
            "404",
        ]);
    assert_eq!(
        server.finish(),
        ["/enterprise-attack/enterprise-attack-9.8.json"]
    );
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}

#[test]
fn version_mismatch_is_an_error_and_stores_nothing() {
    let env = Env::new();
    // A broken mirror that answers every release with 9.9.
    let path = "/enterprise-attack/enterprise-attack-9.7.json";
    let server = Server::start(vec![(path.to_string(), Reply::Body(mini_bytes()))], 1);
    run_online(&env, &server, &["attack", "fetch", "--version", "9.7"])
        .fails()
        .stderr_has(&["holds ATT&CK 9.9, not the requested 9.7"]);
    assert_eq!(server.finish(), [path]);
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}

#[test]
fn wrong_domain_is_an_error_and_stores_nothing() {
    let env = Env::new();
    let path = "/mobile-attack/mobile-attack.json";
    let server = Server::start(vec![(path.to_string(), Reply::Body(mini_bytes()))], 1);
    run_online(&env, &server, &["--domain", "mobile", "attack", "fetch"])
        .fails()
        .stderr_has(&["holds the enterprise-attack domain, not mobile"]);
    assert_eq!(server.finish(), [path]);
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}

#[test]
fn not_a_bundle_is_an_error_and_stores_nothing() {
    let env = Env::new();
    let server = Server::start(
        vec![(
            NEWEST.to_string(),
            Reply::Body(std::fs::read(fixture("not-bundle.json")).unwrap()),
        )],
        1,
    );
    run_online(&env, &server, &["attack", "fetch"])
        .fails()
        .stderr_has(&["is not a usable ATT&CK bundle", "not a STIX bundle"]);
    assert_eq!(server.finish(), [NEWEST]);
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}

#[test]
fn truncated_download_is_an_error_and_leaves_nothing() {
    let env = Env::new();
    let server = Server::start(vec![(V99.to_string(), Reply::Truncated(mini_bytes()))], 1);
    run_online(&env, &server, &["attack", "fetch", "--version", "9.9"])
        .fails()
        .stderr_has(&["download of http://127.0.0.1:", V99, "failed"]);
    assert_eq!(server.finish(), [V99]);
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}

#[test]
fn unreachable_server_is_an_error_with_a_hint() {
    let env = Env::new();
    // Bind a port, then free it: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = env.cmd();
    cmd.env("COVMAP_OFFLINE", "0")
        .env("COVMAP_ATTACK_BASE_URL", format!("http://127.0.0.1:{port}"))
        .args(["attack", "fetch"]);
    crate::common::run(cmd)
        .fails()
        .stderr_has(&["cannot download", "hint:", "--attack PATH"]);
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}

#[test]
fn nothing_downloads_unless_asked() {
    // Online, with a mirror ready and nothing cached: the built-in release is used (ICS, the
    // smallest) and no request is made, with or without --attack-version.
    let env = Env::new();
    let server = mirror(2);
    run_online(&env, &server, &["--domain", "ics", "attack", "info"])
        .ok_noisy()
        .stderr_has(&["covmap: using ATT&CK ics 18.1, built into covmap"])
        .stdout_has(&["built into covmap (ics-attack-18.1.json)"]);
    run_online(
        &env,
        &server,
        &["--attack-version", "9.9", "attack", "info"],
    )
    .fails()
    .stderr_has(&[
        "ATT&CK enterprise 9.9 is not in the cache",
        "run `covmap attack fetch --domain enterprise --version 9.9`",
    ]);
    assert_eq!(server.finish(), Vec::<String>::new());
    assert!(
        env.files().iter().all(|f| f.starts_with("models/")),
        "{:?}",
        env.files()
    );
}

// ---------------------------------------------------------------------------------------------
// Bounded downloads (issue 16 §4): servers that stall, trickle, truncate or bomb. Each test
// asserts the exit code, the message, how long it took, and that the cache holds no file
// (no bundle, no `.part` or temp file).

use std::time::{Duration, Instant};

/// The most a refused download may take in these tests, with timeouts of about a second:
/// generous for a loaded machine, far below the defaults (60 s read timeout, 30 min deadline).
const QUICK: Duration = Duration::from_secs(20);

/// Runs `attack fetch` against `server` with the given extra environment; returns the outcome
/// and how long it took.
fn fetch_with(env: &Env, server: &Server, vars: &[(&str, &str)]) -> (crate::common::Out, Duration) {
    let mut cmd = online(env, server);
    for (key, value) in vars {
        cmd.env(key, value);
    }
    cmd.args(["attack", "fetch"]);
    let started = Instant::now();
    let out = crate::common::run(cmd);
    (out, started.elapsed())
}

/// `bytes` gzip-compressed.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn a_server_that_accepts_and_never_answers_times_out() {
    let env = Env::new();
    let server = Server::start(
        vec![(NEWEST.to_string(), Reply::Stall(Duration::from_secs(60)))],
        1,
    );
    let (out, took) = fetch_with(&env, &server, &[("COVMAP_FETCH_READ_TIMEOUT", "1")]);
    out.fails().stderr_has(&[
        "cannot download http://127.0.0.1:",
        "the server sent nothing for 1 s (COVMAP_FETCH_READ_TIMEOUT)",
        "hint:",
    ]);
    assert!(took < QUICK, "took {took:?}");
    assert!(
        took >= Duration::from_millis(900),
        "gave up early: {took:?}"
    );
    assert_eq!(server.finish(), [NEWEST]);
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}

#[test]
fn a_trickling_server_is_stopped_by_the_minimum_progress_rule() {
    let env = Env::new();
    let server = Server::start(
        vec![(
            NEWEST.to_string(),
            Reply::Trickle {
                body: mini_bytes(),
                every: Duration::from_millis(50),
                hold: Duration::from_secs(60),
            },
        )],
        1,
    );
    // Each byte comes well within the read timeout: only the progress rule can stop it.
    let (out, took) = fetch_with(&env, &server, &[("COVMAP_FETCH_READ_TIMEOUT", "1")]);
    out.fails().stderr_has(&[
        "download of http://127.0.0.1:",
        "the server sent only ",
        "less than the 16384 bytes covmap waits for in each 1 s (COVMAP_FETCH_READ_TIMEOUT)",
    ]);
    assert!(took < QUICK, "took {took:?}");
    assert_eq!(server.finish(), [NEWEST]);
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}

#[test]
fn a_trickling_server_is_stopped_by_the_deadline() {
    let env = Env::new();
    let server = Server::start(
        vec![(
            NEWEST.to_string(),
            Reply::Trickle {
                body: mini_bytes(),
                every: Duration::from_millis(50),
                hold: Duration::from_secs(60),
            },
        )],
        1,
    );
    let (out, took) = fetch_with(
        &env,
        &server,
        &[
            ("COVMAP_FETCH_READ_TIMEOUT", "30"),
            ("COVMAP_FETCH_DEADLINE", "1.5"),
        ],
    );
    out.fails().stderr_has(&[
        "download of http://127.0.0.1:",
        "deadline",
        "COVMAP_FETCH_DEADLINE",
    ]);
    assert!(took < QUICK, "took {took:?}");
    assert!(
        took >= Duration::from_millis(1400),
        "gave up early: {took:?}"
    );
    assert_eq!(server.finish(), [NEWEST]);
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}

#[test]
fn a_body_shorter_than_its_content_length_is_refused() {
    let env = Env::new();
    let body = mini_bytes();
    let server = Server::start(
        vec![(NEWEST.to_string(), Reply::Truncated(body.clone()))],
        1,
    );
    let (out, took) = fetch_with(&env, &server, &[("COVMAP_FETCH_READ_TIMEOUT", "5")]);
    out.fails().stderr_has(&[&format!(
        "the connection closed after {} of the {} bytes announced",
        body.len() / 2,
        body.len()
    )]);
    assert!(took < QUICK, "took {took:?}");
    assert_eq!(server.finish(), [NEWEST]);
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}

#[test]
fn a_gzip_bomb_is_cut_at_the_input_cap() {
    let env = Env::new();
    // 64 MiB of zeros: about 64 KB on the wire, 32 times the 2 MiB cap set below.
    let bomb = gzip(&vec![0u8; 64 << 20]);
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let server = Server::start(vec![(NEWEST.to_string(), Reply::Gzip(bomb))], 1);
    let (out, took) = fetch_with(&env, &server, &[("COVMAP_MAX_INPUT_MIB", "2")]);
    out.fails().stderr_has(&[
        "download of http://127.0.0.1:",
        "refused: it is larger than 2.0 MiB once decompressed",
        "nothing was stored",
        "COVMAP_MAX_INPUT_MIB",
    ]);
    assert!(took < QUICK, "took {took:?}");
    assert_eq!(server.finish(), [NEWEST]);
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}

#[test]
fn a_content_length_over_the_cap_is_refused_before_reading() {
    let env = Env::new();
    let server = Server::start(
        vec![(NEWEST.to_string(), Reply::Body(vec![b' '; 3 << 20]))],
        1,
    );
    let (out, took) = fetch_with(&env, &server, &[("COVMAP_MAX_INPUT_MIB", "2")]);
    out.fails()
        .stderr_has(&["it announces 3.0 MiB, more than the 2.0 MiB covmap reads from one file"]);
    assert!(took < QUICK, "took {took:?}");
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}

#[test]
fn a_gzip_encoded_bundle_under_the_cap_is_stored_decompressed() {
    let env = Env::new();
    let server = Server::start(
        vec![(NEWEST.to_string(), Reply::Gzip(gzip(&mini_bytes())))],
        1,
    );
    let (out, took) = fetch_with(&env, &server, &[("COVMAP_MAX_INPUT_MIB", "2")]);
    let target = env.bundles().join("enterprise-attack-9.9.json");
    assert_eq!(out.ok_noisy().stdout, format!("{}\n", target.display()));
    assert!(took < QUICK, "took {took:?}");
    assert_eq!(std::fs::read(&target).unwrap(), mini_bytes());
    assert_eq!(env.files(), ["attack/enterprise-attack-9.9.json"]);
}

#[test]
fn a_timeout_that_is_not_a_number_is_an_error() {
    let env = Env::new();
    let server = mirror(1);
    for (var, value) in [
        ("COVMAP_FETCH_READ_TIMEOUT", "soon"),
        ("COVMAP_FETCH_CONNECT_TIMEOUT", "0"),
        ("COVMAP_FETCH_DEADLINE", "-5"),
    ] {
        let (out, _) = fetch_with(&env, &server, &[(var, value)]);
        out.fails().stderr_has(&[&format!(
            "{var}=\"{value}\" is not a positive number of seconds"
        )]);
    }
    assert!(server.finish().is_empty(), "nothing is downloaded");
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}

/// Ctrl-C in the middle of a download leaves nothing: the body is kept in memory until it has
/// been checked (it used to go to a `.download-*.part` file, left behind by SIGINT).
#[cfg(unix)]
#[test]
fn ctrl_c_during_a_download_leaves_no_file() {
    let env = Env::new();
    let server = Server::start(
        vec![(
            NEWEST.to_string(),
            Reply::Trickle {
                body: mini_bytes(),
                every: Duration::from_millis(20),
                hold: Duration::from_secs(60),
            },
        )],
        1,
    );
    let mut child = crate::common::std_covmap(env.cache())
        .env("COVMAP_OFFLINE", "0")
        .env("COVMAP_ATTACK_BASE_URL", server.base())
        .args(["attack", "fetch"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("covmap starts");
    // Wait until the download is under way: the bundle folder exists before the request.
    let started = Instant::now();
    while !env.bundles().is_dir() && started.elapsed() < QUICK {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let waited = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if waited.elapsed() > QUICK {
            let _ = child.kill();
            panic!("covmap ignored SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success(), "{status:?}");
    assert_eq!(server.finish(), [NEWEST]);
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}
