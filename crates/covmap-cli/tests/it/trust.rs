//! Nothing lost (issue 6): a run killed while it writes leaves every earlier output intact and
//! no temporary file; outputs are byte-identical across runs and thread counts.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use crate::common::{real_cache, repo_root, std_covmap};
use crate::inv::{CAND_EDR, CAND_NDR, EX01, TEAMS, e18, real_root, s};
use crate::report::files;

#[cfg(unix)]
#[test]
#[allow(clippy::too_many_lines)] // one scenario: calibrate, kill, check every output
fn a_run_killed_while_writing_leaves_the_old_outputs_whole_and_no_temp_file() {
    let Some(bundle) = e18() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    // Debug builds pause 100 ms between each output's data and its rename (the tests run the
    // debug binary): the twelve writes then span most of a second, so kills land among them.
    let assess_into = |inventory: &str, dir: &Path| {
        let mut cmd = std_covmap(real_cache());
        cmd.current_dir(repo_root())
            .env("SOURCE_DATE_EPOCH", "1767225600")
            // Writes fill most of the run, so that kills land among them even on a loaded
            // machine (the report set renders two PNGs before writing, one a poster).
            .env("COVMAP_TEST_SLOW_WRITES_MS", "250")
            .arg("--attack")
            .arg(&bundle)
            .args(["assess", inventory, "-o"])
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };
    // The two complete sets: the old outputs (one team's inventory) and the new (example 01).
    let old_dir = tmp.path().join("old");
    let new_dir = tmp.path().join("new");
    assert!(
        assess_into(TEAMS[3], &old_dir)
            .status()
            .expect("runs")
            .success()
    );
    assert!(
        assess_into(EX01, &new_dir)
            .status()
            .expect("runs")
            .success()
    );
    let (old, new) = (files(&old_dir), files(&new_dir));
    assert_ne!(old["assessment.json"], new["assessment.json"]);

    let work = tmp.path().join("work");
    let restore_old = || {
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).expect("mkdir");
        for (name, bytes) in &old {
            std::fs::write(work.join(name), bytes).expect("restore the old set");
        }
    };
    // How long a run takes: the fastest of three, since on a loaded machine one slow run would
    // put every kill after the end of the next, faster ones.
    let mut whole = (0..3)
        .map(|_| {
            restore_old();
            let start = Instant::now();
            assert!(assess_into(EX01, &work).status().expect("runs").success());
            start.elapsed()
        })
        .min()
        .expect("three runs");

    // Kill runs writing over the old set at twelve points through the run (the writes fill its
    // last part), then check each output is the old file or the new one, and nothing else. A
    // run that finished before its kill means the machine got faster: aim earlier, and try
    // again (at most 24 runs) until at least 6 were killed.
    let mut interrupted = 0;
    let mut mixed = 0;
    let mut attempts = 0u32;
    while attempts < 24 && (attempts < 12 || interrupted < 6) {
        attempts += 1;
        let step = (attempts - 1) % 12 + 1;
        restore_old();
        let delay = whole * (40 + 5 * step) / 100;
        let mut child = assess_into(EX01, &work).spawn().expect("spawns");
        std::thread::sleep(delay);
        if child.try_wait().expect("waits").is_none() {
            child.kill().expect("SIGKILL");
            interrupted += 1;
        } else {
            whole = whole * 4 / 5;
        }
        let status = child.wait().expect("reaped");
        let now = files(&work);
        // The manifest is bookkeeping: between two runs it may list both sets; whatever the
        // kill, it lists every file in the folder with its current content (so that the next
        // run can tell covmap's files from the user's).
        crate::files::assert_manifest_covers(&work);
        for (name, bytes) in now.iter().filter(|(n, _)| *n != ".covmap-manifest.json") {
            assert!(
                old.get(name) == Some(bytes) || new.get(name) == Some(bytes),
                "after a kill at {delay:?}, {name} is neither the old nor the new file \
                 (a temp file, or a torn write)"
            );
        }
        for name in old.keys() {
            assert!(
                now.contains_key(name),
                "{name} vanished after a kill at {delay:?}"
            );
        }
        let outputs = || now.iter().filter(|(n, _)| *n != ".covmap-manifest.json");
        let some_new = outputs().any(|(n, b)| old.get(n) != Some(b));
        let some_old = outputs().any(|(n, b)| new.get(n) != Some(b));
        mixed += usize::from(some_new && some_old);
        if status.success() {
            assert_eq!(now, new, "a finished run writes the whole new set");
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "run {whole:?}; {interrupted} of {attempts} runs killed, {mixed} between two outputs"
        );
    }
    assert!(
        interrupted >= 6,
        "only {interrupted} of {attempts} runs were killed before finishing"
    );
    assert!(mixed >= 2, "only {mixed} kills landed among the writes");
}

#[test]
fn the_examples_outputs_are_the_same_bytes_across_runs_and_thread_counts() {
    let Some(bundle) = e18() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    // The three examples as their READMEs run them: 01 assessed, 02's candidates compared
    // with 01, 03's team files merged. (report.rs runs 01 twice with the default threads.)
    let examples: [Vec<&str>; 3] = [
        vec!["assess", EX01],
        vec![
            "compare",
            EX01,
            "--candidate",
            CAND_EDR,
            "--candidate",
            CAND_NDR,
        ],
        [vec!["assess"], TEAMS.to_vec()].concat(),
    ];
    for args in &examples {
        let mut sets = Vec::new();
        for jobs in [None, Some("1"), None] {
            let dir = tmp.path().join(format!("{}-{}", args.len(), sets.len()));
            let mut run_args = args.clone();
            run_args.extend(["-o", s(&dir), "--date", "2026-01-01"]);
            if let Some(jobs) = jobs {
                run_args.extend(["--jobs", jobs]);
            }
            real_root(&bundle, &run_args).ok_noisy();
            sets.push(files(&dir));
        }
        assert!(sets[0].len() >= 10, "{args:?}: {:?}", sets[0].keys());
        assert_eq!(sets[1], sets[0], "{args:?}: --jobs 1 writes other bytes");
        assert_eq!(
            sets[2], sets[0],
            "{args:?}: a second run writes other bytes"
        );
    }
}

#[test]
fn many_findings_print_the_same_bytes_on_one_thread_and_two() {
    let Some(bundle) = e18() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    // 1,200 entries on T1059 without `include_subtechniques`: one
    // parent-counts-for-no-subtechnique warning each, three batches of findings (512 a
    // batch), so the default run renders every other batch on a second thread.
    let mut text = String::from(
        "covmap: 1\nattack: {domain: enterprise, version: \"18.1\"}\ncapabilities:\n  - id: edr\n    coverage:\n",
    );
    for _ in 0..1200 {
        text.push_str("      - {techniques: [T1059], function: detect, level: partial}\n");
    }
    let path = tmp.path().join("many.yaml");
    std::fs::write(&path, text).expect("write");
    let one = real_root(&bundle, &["--jobs", "1", "validate", s(&path)]).ok_noisy();
    let two = real_root(&bundle, &["validate", s(&path)]).ok_noisy();
    assert_eq!(
        one.stderr
            .matches("warning[parent-counts-for-no-subtechnique]")
            .count(),
        1200
    );
    assert_eq!(two.stderr, one.stderr, "two threads print other bytes");
    assert_eq!(two.stdout, one.stdout);
}

/// 600 capabilities x 8 entries, about 400 KB and 60,000 YAML nodes (the splits start at
/// 64 KiB and 12,000 nodes): Windows-only capabilities listing a macOS-only technique
/// (platform-mismatch), a parent alone (parent-counts-for-no-subtechnique) and an unknown name
/// ("did you mean", an error; without `unknown_names`, T1003.002 instead); with `duplicate`,
/// capability 550 repeats the id of capability 10.
fn large_inventory(duplicate: bool, unknown_names: bool) -> String {
    let mut text =
        String::from("covmap: 1\nattack: {domain: enterprise, version: \"18.1\"}\ncapabilities:\n");
    for c in 0..600 {
        let id = if duplicate && c == 550 { 10 } else { c };
        let _ = write!(
            text,
            "  - id: cap-{id}\n    platforms: [Windows]\n    coverage:\n"
        );
        for e in 0..8 {
            let techniques = match (c + e) % 4 {
                0 => "T1059.001, T1647".to_string(),
                1 => "T1059".to_string(),
                2 if unknown_names => format!("Powershel {}", c % 7),
                2 => "T1003.002".to_string(),
                _ => "T1003.001".to_string(),
            };
            let _ = writeln!(
                text,
                "      - {{techniques: [{techniques}], function: detect, level: partial}}"
            );
        }
    }
    text
}

/// A large inventory goes through every step that splits in two (the YAML in two chunks, the
/// capabilities in two halves, findings and assessment.json in batches): the bytes are those of
/// `--jobs 1`, with a duplicate id across the halves too (then read again in one pass).
#[test]
fn a_large_inventory_gives_the_same_bytes_on_one_thread_and_two() {
    let Some(bundle) = e18() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    for (name, duplicate, command) in [
        ("clean.yaml", false, "assess"),
        ("dup.yaml", true, "validate"),
    ] {
        let path = tmp.path().join(name);
        std::fs::write(&path, large_inventory(duplicate, true)).expect("write");
        let args: Vec<&str> = if command == "assess" {
            vec!["assess", s(&path), "--format", "json"]
        } else {
            vec!["validate", s(&path)]
        };
        let one = real_root(&bundle, &[&["--jobs", "1"], args.as_slice()].concat());
        let two = real_root(&bundle, &args);
        assert_eq!(two.code, one.code, "{name}");
        assert_eq!(
            two.stdout, one.stdout,
            "{name}: two threads print other bytes"
        );
        assert_eq!(
            two.stderr, one.stderr,
            "{name}: two threads print other findings"
        );
        assert!(one.stderr.contains("warning[platform-mismatch]"), "{name}");
        assert!(one.stderr.contains("did you mean"), "{name}");
        assert_eq!(
            one.stderr.matches("error[duplicate-capability-id]").count(),
            usize::from(duplicate),
            "{name}"
        );
    }
}

/// Findings print on a thread of their own while the assessment is computed: with stdout and
/// stderr in one file (`2>&1`), every finding and note still comes before the table, in the
/// order `--jobs 1` prints them one after the other (delaying the printing thread, or not
/// waiting for it before the table, fails this).
#[test]
fn findings_printed_aside_come_before_the_results_in_one_stream() {
    let Some(bundle) = e18() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("large.yaml");
    std::fs::write(&path, large_inventory(false, false)).expect("write");
    let merged = |jobs: &[&str], name: &str| {
        let out = tmp.path().join(name);
        let file = std::fs::File::create(&out).expect("create");
        let status = std_covmap(real_cache())
            .current_dir(repo_root())
            .arg("--attack")
            .arg(&bundle)
            .args(jobs)
            .args(["assess", s(&path)])
            .stdout(file.try_clone().expect("clone"))
            .stderr(file)
            .status()
            .expect("covmap runs");
        assert!(status.success(), "{name}");
        std::fs::read_to_string(&out).expect("read")
    };
    let one = real_root(&bundle, &["--jobs", "1", "assess", s(&path)]);
    assert!(one.stderr.contains("warning[platform-mismatch]"));
    // Two of each capability's 8 entries list T1059 alone ((c + e) % 4 == 1): 600 x 2.
    assert!(
        one.stderr
            .contains("covmap: 1200 entries on parent techniques")
    );
    let in_turn = format!("{}{}", one.stderr, one.stdout);
    assert_eq!(merged(&["--jobs", "1"], "one.txt"), in_turn);
    assert_eq!(
        merged(&[], "two.txt"),
        in_turn,
        "findings printed aside moved"
    );
}
