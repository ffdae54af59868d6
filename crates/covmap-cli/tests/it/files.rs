//! Issue 16, files and gates: no output ever replaces an input (however the path is spelled)
//! or anything but a regular file; `-o -`; a report folder holds one coherent set (its
//! manifest); an output's permissions are kept; a closed stdout never turns a verdict into
//! success. These are refused outputs, not bad inputs, so they live here rather than in
//! `fixtures/bad/` (whose cases are one refused input file each).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::common::{Env, Out, fixture, run, run_into_closed_pipe, std_covmap};

/// A small inventory for `mini-attack-2.1.json`: T1059.001 detected (partial); with `import`,
/// also a layer file and a folder of layers read at assess time.
const INVENTORY: &str = "\
covmap: 1
organization: Example Corp
capabilities:
  - id: edr
    coverage:
      - {techniques: T1059.001, function: detect, level: partial}
";

const LAYER: &str = r#"{"name": "EDR", "versions": {"layer": "4.5"}, "domain": "enterprise-attack",
 "techniques": [{"techniqueID": "T1059.001", "score": 50}]}
"#;

/// A temp folder holding `inventory.yaml`, a copy of the mini bundle as `bundle.json`, and
/// `layer.json`; commands run inside it with that bundle.
struct World {
    env: Env,
    dir: TempDir,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("inventory.yaml"), INVENTORY).expect("write");
        fs::copy(
            fixture("mini-attack-2.1.json"),
            dir.path().join("bundle.json"),
        )
        .expect("copy");
        fs::write(dir.path().join("layer.json"), LAYER).expect("write");
        World {
            env: Env::new(),
            dir,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn run(&self, args: &[&str]) -> Out {
        let mut cmd = self.env.cmd();
        cmd.current_dir(self.dir.path())
            .args(["--attack", "bundle.json"])
            .args(args);
        run(cmd)
    }

    fn std(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std_covmap(self.env.cache());
        cmd.current_dir(self.dir.path())
            .args(["--attack", "bundle.json"])
            .args(args);
        cmd
    }

    /// Every input's bytes, to check nothing changed.
    fn inputs(&self) -> Vec<Vec<u8>> {
        ["inventory.yaml", "bundle.json", "layer.json"]
            .iter()
            .map(|n| fs::read(self.path(n)).expect("input"))
            .collect()
    }
}

#[cfg(unix)]
fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

/// Every spelling of an input path is refused as an output, by every command that writes a
/// file, and nothing is written or created (not even the missing folder of `nonexistent/..`).
#[cfg(unix)]
#[test]
fn an_output_that_resolves_to_an_input_is_refused_however_it_is_spelled() {
    let w = World::new();
    fs::create_dir(w.path("sub")).expect("mkdir");
    symlink("inventory.yaml", w.path("link-to-inventory"));
    symlink("sub", w.path("link-to-sub"));
    symlink(w.path("bundle.json"), w.path("link-to-bundle"));
    fs::hard_link(w.path("inventory.yaml"), w.path("hard-inventory")).expect("hard link");
    fs::hard_link(w.path("layer.json"), w.path("hard-layer")).expect("hard link");
    let before = w.inputs();
    let inventory_spellings = [
        "inventory.yaml",
        "./inventory.yaml",
        "sub/../inventory.yaml",
        "nonexistent/../inventory.yaml",
        "nonexistent/deeper/../../inventory.yaml",
        "link-to-inventory",
        "link-to-sub/../inventory.yaml",
        "hard-inventory",
    ];
    let bundle_spellings = ["bundle.json", "sub/../bundle.json", "link-to-bundle"];
    for spelling in inventory_spellings.iter().chain(&bundle_spellings) {
        w.run(&["export", "navigator", "inventory.yaml", "-o", spelling])
            .fails()
            .stderr_has(&["is one of the inputs; covmap never overwrites its inputs"]);
    }
    // `import`: its input files, and the bundle.
    for spelling in [
        "layer.json",
        "sub/../layer.json",
        "nonexistent/../layer.json",
        "hard-layer",
    ]
    .iter()
    .chain(&bundle_spellings)
    {
        w.run(&["import", "navigator", "layer.json", "-o", spelling])
            .fails()
            .stderr_has(&["is one of the inputs; covmap never overwrites its inputs"]);
    }
    // A report set whose folder holds an input under one of the set's names.
    fs::write(w.path("report.html"), INVENTORY).expect("write");
    w.run(&["assess", "report.html", "-o", "."])
        .fails()
        .stderr_has(&["is one of the inputs; covmap never overwrites its inputs"]);
    w.run(&["assess", "report.html", "-o", "nonexistent/.."])
        .fails()
        .stderr_has(&["is one of the inputs"]);
    assert_eq!(
        fs::read(w.path("report.html")).expect("read"),
        INVENTORY.as_bytes()
    );
    assert_eq!(w.inputs(), before, "an input changed");
    assert!(!w.path("nonexistent").exists(), "a folder was created");
    assert!(
        !w.path("heatmap.svg").exists(),
        "a refused set wrote a file"
    );
}

/// The files and folders a capability's `import:` entries read are inputs too: an output
/// over one, or inside such a folder, is refused; beside them is fine.
#[test]
fn import_paths_of_capabilities_are_inputs() {
    let w = World::new();
    fs::create_dir_all(w.path("layers/sub")).expect("mkdir");
    fs::write(w.path("layers/a.json"), LAYER).expect("write");
    fs::write(
        w.path("importing.yaml"),
        format!(
            "{INVENTORY}  - id: layer\n    import:\n      - {{format: navigator, path: layer.json}}\n  - id: folder\n    import:\n      - {{format: navigator, path: layers}}\n"
        ),
    )
    .expect("write");
    w.run(&["export", "navigator", "importing.yaml", "-o", "layer.json"])
        .fails()
        .stderr_has(&["is one of the inputs"]);
    for inside in ["layers/new.json", "layers/sub/../new.json", "layers/a.json"] {
        w.run(&["export", "navigator", "importing.yaml", "-o", inside])
            .fails()
            .stderr_has(&["inside the input folder layers"]);
    }
    for dir in ["layers", "layers/reports", "layers/sub/.."] {
        w.run(&["assess", "importing.yaml", "-o", dir])
            .fails()
            .stderr_has(&["inside the input folder layers"]);
    }
    assert_eq!(
        fs::read(w.path("layer.json")).expect("read"),
        LAYER.as_bytes()
    );
    assert!(!w.path("layers/new.json").exists());
    assert!(!w.path("layers/reports").exists());
    assert!(!w.path("layers/heatmap.svg").exists());
    w.run(&[
        "export",
        "navigator",
        "importing.yaml",
        "-o",
        "layers-out.json",
    ])
    .ok_noisy();
    w.run(&[
        "assess",
        "importing.yaml",
        "-o",
        "reports",
        "--outputs",
        "csv",
    ])
    .ok_noisy();
}

/// `covmap report`'s assessment.json is an input: a set that would write over it is refused,
/// and the manifest never removes it.
#[test]
fn report_never_writes_over_or_removes_its_assessment() {
    let w = World::new();
    w.run(&[
        "assess",
        "inventory.yaml",
        "-o",
        "out",
        "--outputs",
        "layer",
    ])
    .ok_noisy();
    let assessment = fs::read(w.path("out/assessment.json")).expect("assessment");
    fs::copy(w.path("out/assessment.json"), w.path("layer-renamed.json")).expect("copy");
    // Named like a file of the set it would write.
    fs::create_dir(w.path("set")).expect("mkdir");
    fs::copy(w.path("out/assessment.json"), w.path("set/layer.json")).expect("copy");
    w.run(&[
        "report",
        "set/layer.json",
        "-o",
        "set",
        "--outputs",
        "layer",
    ])
    .fails()
    .stderr_has(&["is one of the inputs"]);
    // `report` into the folder of its assessment: assessment.json is not in its set, and
    // stays although the manifest lists it.
    w.run(&[
        "report",
        "out/assessment.json",
        "-o",
        "out",
        "--outputs",
        "csv",
    ])
    .ok_noisy();
    assert_eq!(
        fs::read(w.path("out/assessment.json")).expect("kept"),
        assessment
    );
    assert!(!w.path("out/layer.json").exists(), "stale layer.json stays");
    let manifest = manifest(&w.path("out"));
    assert!(manifest.contains_key("assessment.json"), "{manifest:?}");
}

/// Only regular files are replaced: a FIFO, a socket, a symlink to either, or a directory as
/// a single-file output, and a non-directory as a report folder, are refused before anything is
/// written. (`/dev/null` is refused by the same check, tested without a write in `guard.rs`.)
#[cfg(unix)]
#[test]
fn only_regular_files_are_replaced() {
    use std::os::unix::fs::FileTypeExt as _;
    let w = World::new();
    let status = std::process::Command::new("mkfifo")
        .arg(w.path("fifo"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    let _socket = std::os::unix::net::UnixListener::bind(w.path("socket")).expect("socket");
    symlink("fifo", w.path("link-to-fifo"));
    symlink("socket", w.path("link-to-socket"));
    fs::create_dir(w.path("folder")).expect("mkdir");
    for (target, kind) in [
        (
            "fifo",
            "is a FIFO (named pipe); covmap only ever replaces regular files",
        ),
        ("link-to-fifo", "is a symlink to a FIFO (named pipe)"),
        ("socket", "is a socket"),
        ("link-to-socket", "is a symlink to a socket"),
        ("folder", "is a directory"),
    ] {
        w.run(&["export", "navigator", "inventory.yaml", "-o", target])
            .fails()
            .stderr_has(&[kind]);
        w.run(&["import", "navigator", "layer.json", "-o", target])
            .fails()
            .stderr_has(&[kind]);
    }
    for target in ["fifo", "link-to-fifo", "socket", "inventory.yaml"] {
        w.run(&["assess", "inventory.yaml", "-o", target])
            .fails()
            .stderr_has(&["not a directory; a report set is written into a directory"]);
    }
    assert!(
        fs::symlink_metadata(w.path("fifo"))
            .expect("fifo")
            .file_type()
            .is_fifo()
    );
    assert!(
        fs::symlink_metadata(w.path("socket"))
            .expect("socket")
            .file_type()
            .is_socket()
    );
    assert!(
        fs::symlink_metadata(w.path("link-to-fifo"))
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_dir(w.path("folder")).expect("folder").count(), 0);
}

/// A symlink to a regular file is written through: the link stays, its target gets the output.
#[cfg(unix)]
#[test]
fn a_symlink_to_a_regular_file_is_written_through() {
    let w = World::new();
    fs::write(w.path("target.json"), "old").expect("write");
    symlink("target.json", w.path("link.json"));
    w.run(&["export", "navigator", "inventory.yaml", "-o", "link.json"])
        .ok_noisy();
    assert!(
        fs::symlink_metadata(w.path("link.json"))
            .expect("link")
            .file_type()
            .is_symlink()
    );
    let layer: Value =
        serde_json::from_slice(&fs::read(w.path("target.json")).expect("target")).expect("a layer");
    assert!(
        layer["techniques"]
            .as_array()
            .expect("techniques")
            .iter()
            .any(|t| t["techniqueID"] == "T1059.001" && t["score"] != 0),
        "{layer}"
    );
}

/// `-o -`: a single-file output (layer, inventory) goes to stdout, byte for byte what no `-o`
/// prints; a report set (several files) is refused, and no file or folder named `-` appears.
#[test]
fn dash_is_stdout_for_one_file_and_refused_for_a_set() {
    let w = World::new();
    let plain = w.run(&["export", "navigator", "inventory.yaml"]).ok();
    let dash = w
        .run(&["export", "navigator", "inventory.yaml", "-o", "-"])
        .ok();
    assert_eq!(dash.stdout, plain.stdout);
    assert!(dash.stdout.contains("\"techniqueID\": \"T1059.001\""));
    let plain = w.run(&["import", "navigator", "layer.json"]).ok_noisy();
    let dash = w
        .run(&["import", "navigator", "layer.json", "-o", "-"])
        .ok_noisy();
    assert!(dash.stdout.contains("T1059.001"), "{}", dash.stdout);
    // The same inventory; only its first line, the command line that wrote it, differs.
    let body = |text: &str| text.split_once('\n').map(|(_, rest)| rest.to_string());
    assert_eq!(body(&dash.stdout), body(&plain.stdout));
    for args in [
        &["assess", "inventory.yaml", "-o", "-"][..],
        &["compare", "inventory.yaml", "--without", "edr", "-o", "-"],
    ] {
        w.run(args)
            .fails()
            .stderr_has(&["a report set is several files and cannot go to stdout"]);
    }
    w.run(&["assess", "inventory.yaml", "-o", "out", "--outputs", "csv"])
        .ok_noisy();
    w.run(&["report", "out/assessment.json", "-o", "-"])
        .fails()
        .stderr_has(&["cannot go to stdout"]);
    assert!(!w.path("-").exists());
}

/// SHA-256 in hex, as the manifest records it.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// A folder's manifest as name -> hashes.
fn manifest(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let doc: Value =
        serde_json::from_slice(&fs::read(dir.join(".covmap-manifest.json")).expect("a manifest"))
            .expect("JSON");
    assert_eq!(doc["covmap_manifest"], 1);
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in doc["files"].as_array().expect("files") {
        map.entry(entry["name"].as_str().expect("name").to_string())
            .or_default()
            .push(entry["sha256"].as_str().expect("sha256").to_string());
    }
    map
}

/// Every file of `dir` (but the manifest) is listed in its manifest with its current hash.
pub(crate) fn assert_manifest_covers(dir: &Path) {
    let listed = manifest(dir);
    for name in names(dir) {
        let bytes = fs::read(dir.join(&name)).expect("read");
        assert!(
            listed
                .get(&name)
                .is_some_and(|h| h.contains(&sha256(&bytes))),
            "{name} is not in the manifest with its content"
        );
    }
}

/// The regular files of a folder, without the manifest.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".covmap-manifest.json")
        .collect();
    names.sort();
    names
}

/// The manifest lists exactly the files of the last run, each with its hash.
fn assert_manifest_is(dir: &Path, expected: &[String]) {
    let listed = manifest(dir);
    assert_eq!(listed.keys().cloned().collect::<Vec<_>>(), expected);
    for (name, hashes) in &listed {
        let bytes = fs::read(dir.join(name)).expect("listed file");
        assert_eq!(hashes, &[sha256(&bytes)], "{name}");
    }
}

/// A report folder holds the last run's set: files of earlier runs that this run does not
/// write are removed; a file covmap did not write, or wrote and someone changed, is kept and
/// said so; a folder without a manifest (an older covmap's) loses nothing.
#[test]
fn a_report_folder_holds_one_coherent_set() {
    let w = World::new();
    let out = w.path("out");
    // Everything, with one layer per function (layer-detect.json, ...).
    w.run(&[
        "assess",
        "inventory.yaml",
        "-o",
        "out",
        "--layer-per-function",
        "--date",
        "2026-01-01",
    ])
    .ok_noisy();
    let full = names(&out);
    assert!(full.contains(&"layer-detect.json".to_string()), "{full:?}");
    assert!(full.contains(&"heatmap.png".to_string()), "{full:?}");
    assert_manifest_is(&out, &full);
    fs::write(out.join("notes.txt"), "mine").expect("write");
    // Changed by the user after covmap wrote it.
    fs::write(out.join("tactics.csv"), "edited").expect("write");

    let run = w
        .run(&[
            "assess",
            "inventory.yaml",
            "-o",
            "out",
            "--outputs",
            "layer,html",
        ])
        .ok_noisy();
    let now = names(&out);
    assert_eq!(
        now,
        [
            "assessment.json",
            "layer-visibility.json",
            "layer.json",
            "notes.txt",
            "report.html",
            "tactics.csv"
        ]
    );
    assert_manifest_is(
        &out,
        &[
            "assessment.json",
            "layer-visibility.json",
            "layer.json",
            "report.html",
        ]
        .map(String::from),
    );
    // All but assessment.json, the two layers, report.html and tactics.csv.
    let removed = full.len() - 5;
    run.stderr_has(&[
        &format!("covmap: removed {removed} files of an earlier run that this run does not write"),
        "covmap: kept 1 file an earlier run wrote but someone changed since: tactics.csv",
    ]);
    assert_eq!(fs::read(out.join("notes.txt")).expect("kept"), b"mine");
    assert_eq!(fs::read(out.join("tactics.csv")).expect("kept"), b"edited");

    // A second identical run changes and says nothing.
    let again = w
        .run(&[
            "assess",
            "inventory.yaml",
            "-o",
            "out",
            "--outputs",
            "layer,html",
        ])
        .ok_noisy();
    assert!(!again.stderr.contains("removed"), "{}", again.stderr);
    assert_eq!(names(&out), now);
}

/// A folder an older covmap wrote has no manifest: nothing is removed, and the run says so.
#[test]
fn a_folder_without_a_manifest_loses_nothing() {
    let w = World::new();
    w.run(&["assess", "inventory.yaml", "-o", "out"]).ok_noisy();
    let all = names(&w.path("out"));
    fs::remove_file(w.path("out/.covmap-manifest.json")).expect("rm");
    w.run(&["assess", "inventory.yaml", "-o", "out", "--outputs", "csv"])
        .ok_noisy()
        .stderr_has(&["had no .covmap-manifest.json (written by an older covmap, or files of your own): kept its"]);
    assert_eq!(names(&w.path("out")), all);
    // From now on the folder has a manifest, of this run's files only: the older files stay.
    w.run(&[
        "assess",
        "inventory.yaml",
        "-o",
        "out",
        "--outputs",
        "layer",
    ])
    .ok_noisy();
    assert!(w.path("out/heatmap.svg").exists());
    assert!(!w.path("out/coverage.csv").exists());
}

/// A manifest is data: entries naming files outside the folder, or the manifest itself, or
/// with a wrong hash, never remove anything; a damaged manifest removes nothing and says so.
#[test]
fn a_forged_or_damaged_manifest_removes_nothing_else() {
    let w = World::new();
    fs::create_dir(w.path("out")).expect("mkdir");
    fs::write(w.path("victim.txt"), "precious").expect("write");
    fs::write(w.path("out/mine.txt"), "mine").expect("write");
    let forged = serde_json::json!({
        "covmap_manifest": 1,
        "files": [
            {"name": "../victim.txt", "sha256": sha256(b"precious")},
            {"name": "mine.txt", "sha256": sha256(b"not mine")},
            {"name": "/etc/hostname", "sha256": sha256(b"x")},
        ]
    });
    fs::write(
        w.path("out/.covmap-manifest.json"),
        serde_json::to_vec(&forged).expect("json"),
    )
    .expect("write");
    w.run(&["assess", "inventory.yaml", "-o", "out", "--outputs", "csv"])
        .ok_noisy();
    assert_eq!(fs::read(w.path("victim.txt")).expect("kept"), b"precious");
    assert_eq!(fs::read(w.path("out/mine.txt")).expect("kept"), b"mine");
    fs::write(w.path("out/.covmap-manifest.json"), "{ damaged").expect("write");
    w.run(&[
        "assess",
        "inventory.yaml",
        "-o",
        "out",
        "--outputs",
        "layer",
    ])
    .ok_noisy()
    .stderr_has(&[
        "is not a manifest this covmap reads",
        "no file of an earlier run is removed",
    ]);
    assert!(w.path("out/coverage.csv").exists());
}

/// Overwriting an output keeps its mode: a private 0600 layer stays private, a 0640 report
/// stays group-readable. A new file gets the usual 0644 (under umask 022).
#[cfg(unix)]
#[test]
fn overwriting_an_output_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| fs::metadata(p).expect("exists").permissions().mode() & 0o7777;
    let w = World::new();
    for wanted in [0o600, 0o640] {
        w.run(&[
            "export",
            "navigator",
            "inventory.yaml",
            "-o",
            "layer-out.json",
        ])
        .ok_noisy();
        fs::set_permissions(w.path("layer-out.json"), fs::Permissions::from_mode(wanted))
            .expect("chmod");
        w.run(&[
            "export",
            "navigator",
            "inventory.yaml",
            "-o",
            "layer-out.json",
        ])
        .ok_noisy();
        assert_eq!(mode(&w.path("layer-out.json")), wanted);

        w.run(&["import", "navigator", "layer.json", "-o", "imported.yaml"])
            .ok_noisy();
        fs::set_permissions(w.path("imported.yaml"), fs::Permissions::from_mode(wanted))
            .expect("chmod");
        w.run(&["import", "navigator", "layer.json", "-o", "imported.yaml"])
            .ok_noisy();
        assert_eq!(mode(&w.path("imported.yaml")), wanted);

        w.run(&["assess", "inventory.yaml", "-o", "out", "--outputs", "csv"])
            .ok_noisy();
        fs::set_permissions(w.path("out/gaps.csv"), fs::Permissions::from_mode(wanted))
            .expect("chmod");
        w.run(&["assess", "inventory.yaml", "-o", "out", "--outputs", "csv"])
            .ok_noisy();
        assert_eq!(mode(&w.path("out/gaps.csv")), wanted);
    }
}

/// A closed stdout (EPIPE) never turns a verdict into success: `check`, `validate`, `import
/// --strict` and `tests` exit with the code they would have with stdout open, passing and
/// failing, in every format.
#[test]
fn a_closed_stdout_keeps_every_verdict() {
    let w = World::new();
    // One warning (an empty capability) for validate --strict.
    fs::write(
        w.path("warning.yaml"),
        format!("{INVENTORY}  - id: empty\n    name: Empty\n"),
    )
    .expect("write");
    fs::write(w.path("error.yaml"), format!("{INVENTORY}    bogus: 1\n")).expect("write");
    // A layer with an unknown technique: a finding, so `import --strict` fails.
    fs::write(
        w.path("unknown.json"),
        LAYER.replace(
            r#"{"techniqueID": "T1059.001", "score": 50}"#,
            r#"{"techniqueID": "T1059.001", "score": 50}, {"techniqueID": "T9999", "score": 50}"#,
        ),
    )
    .expect("write");
    // An Atomic Red Team folder with one test of T1059.001.
    fs::create_dir_all(w.path("atomics/T1059.001")).expect("mkdir");
    fs::write(
        w.path("atomics/T1059.001/T1059.001.yaml"),
        "attack_technique: T1059.001\ndisplay_name: PowerShell\natomic_tests:\n  - name: Run PowerShell\n    auto_generated_guid: 11111111-2222-3333-4444-555555555555\n    supported_platforms: [windows]\n    executor: {name: powershell, command: whoami}\n",
    )
    .expect("write");
    let cases: &[(&[&str], i32)] = &[
        (&["check", "inventory.yaml", "--min-overall", "0.01"], 0),
        (&["check", "inventory.yaml", "--min-overall", "0.9"], 1),
        (
            &[
                "check",
                "inventory.yaml",
                "--min-overall",
                "0.9",
                "--format",
                "json",
            ],
            1,
        ),
        (
            &[
                "check",
                "inventory.yaml",
                "--min-overall",
                "0.01",
                "--format",
                "json",
            ],
            0,
        ),
        (&["validate", "inventory.yaml", "--format", "json"], 0),
        (
            &["validate", "warning.yaml", "--strict", "--format", "json"],
            1,
        ),
        (&["validate", "warning.yaml", "--format", "json"], 0),
        (&["validate", "error.yaml", "--format", "json"], 2),
        (&["import", "navigator", "layer.json", "--strict"], 0),
        (&["import", "navigator", "unknown.json", "--strict"], 1),
        (&["tests", "inventory.yaml", "--atomics", "atomics"], 0),
        (
            &[
                "tests",
                "inventory.yaml",
                "--atomics",
                "atomics",
                "--format",
                "json",
            ],
            0,
        ),
    ];
    for (args, expected) in cases {
        // The verdict with stdout open, then with stdout closed before covmap writes.
        let open = w.run(args);
        assert_eq!(open.code, *expected, "{args:?} with stdout open: {open:?}");
        let (code, stderr) = run_into_closed_pipe(w.std(args));
        assert_eq!(
            code,
            Some(*expected),
            "{args:?} with stdout closed: {stderr}"
        );
    }
}

/// The commands without a verdict still exit 0 on a closed stdout, as before.
#[test]
fn a_closed_stdout_is_still_success_for_other_commands() {
    let w = World::new();
    for args in [
        &["assess", "inventory.yaml"][..],
        &["gaps", "inventory.yaml", "--format", "json"],
        &["export", "navigator", "inventory.yaml", "-o", "-"],
        &["import", "navigator", "layer.json"],
    ] {
        let (code, stderr) = run_into_closed_pipe(w.std(args));
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
    }
}

/// a threat profile file (`scope.threats.profiles`) is an input too: an output
/// over it is refused and it is left as it was.
#[test]
fn threat_profile_files_are_inputs() {
    let w = World::new();
    fs::write(w.path("threat.json"), LAYER).expect("write");
    fs::write(
        w.path("profiled.yaml"),
        "covmap: 1\nscope:\n  threats:\n    profiles:\n      - {path: threat.json, format: navigator}\ncapabilities:\n  - id: edr\n    coverage:\n      - {techniques: T1059.001, function: detect, level: partial}\n",
    )
    .expect("write");
    w.run(&["export", "navigator", "profiled.yaml", "-o", "threat.json"])
        .fails()
        .stderr_has(&["is one of the inputs"]);
    w.run(&[
        "export",
        "navigator",
        "profiled.yaml",
        "-o",
        "./threat.json",
    ])
    .fails()
    .stderr_has(&["is one of the inputs"]);
    assert_eq!(
        fs::read(w.path("threat.json")).expect("read"),
        LAYER.as_bytes()
    );
    w.run(&["export", "navigator", "profiled.yaml", "-o", "out.json"])
        .ok_noisy();
}
