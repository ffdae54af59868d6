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
fn first_use_downloads_the_newest_bundle() {
    let env = Env::new();
    let server = mirror(1);
    let out = run_online(&env, &server, &["attack", "info"]).ok_noisy();
    assert_eq!(server.finish(), [NEWEST]);
    out.stderr_has(&[
        "no ATT&CK enterprise bundle in",
        "downloading the newest one",
        "--offline",
        "downloading http://127.0.0.1:",
    ])
    .stdout_has(&[
        "Mini ATT&CK 9.9",
        "techniques             5",
        &env.bundles()
            .join("enterprise-attack-9.9.json")
            .display()
            .to_string(),
    ]);
    assert_eq!(
        std::fs::read(env.bundles().join("enterprise-attack-9.9.json")).unwrap(),
        mini_bytes()
    );
}

#[test]
fn first_use_with_attack_version_downloads_that_release() {
    let env = Env::new();
    let server = mirror(1);
    let doc = run_online(
        &env,
        &server,
        &[
            "--attack-version",
            "9.9",
            "attack",
            "techniques",
            "--format",
            "json",
        ],
    )
    .ok_noisy()
    .stderr_has(&["downloading the 9.9 one"])
    .json();
    assert_eq!(server.finish(), [V99]);
    assert_eq!(doc.as_array().map(Vec::len), Some(5));
}

#[test]
fn first_use_download_failure_is_an_error() {
    let env = Env::new();
    let server = Server::start(Vec::new(), 1);
    run_online(&env, &server, &["attack", "show", "T1059"])
        .fails()
        .stderr_has(&["downloading the newest one", "does not exist (HTTP 404)"]);
    assert_eq!(server.finish(), [NEWEST]);
    assert!(env.files().is_empty(), "left behind: {:?}", env.files());
}
