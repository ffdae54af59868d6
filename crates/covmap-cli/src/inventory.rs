//! Reading inventory files and resolving them against the right ATT&CK bundle: the shared first
//! step of `validate`, `assess`, `gaps`, `compare`, `threats` and `check`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use covmap_assess::diagnostic::Diagnostic;
use covmap_assess::parse::{
    Parsed, SourceFile, ValidationContext, declared_attack, load_documents, resolve,
};
use covmap_core::Attack;
use covmap_core::store::stored_bundles;

use crate::bundle;
use crate::cli::{Domain, SourceArgs};
use crate::diagnostics::Sources;

/// Inventories read and validated against a bundle.
pub(crate) struct Loaded {
    /// The bundle they were resolved against.
    pub(crate) attack: Attack,
    /// The merged inventory and every finding.
    pub(crate) parsed: Parsed,
    /// The files as read, for rendering findings.
    pub(crate) sources: Vec<SourceFile>,
    /// The bundle file loaded (an input that no output may replace); none for the built-in
    /// release.
    pub(crate) bundle: Option<PathBuf>,
    /// One line per threat profile read (what it weights, what its format's rules left out).
    pub(crate) profile_summaries: Vec<String>,
}

/// Reads files, naming the file in every error.
pub(crate) fn read_sources(paths: &[PathBuf]) -> Result<Vec<SourceFile>> {
    paths
        .iter()
        .map(|path| {
            if path.is_dir() {
                bail!(
                    "{} is a directory; pass inventory files (e.g. {}/*.yaml)",
                    path.display(),
                    path.display()
                );
            }
            let bytes = covmap_core::input::read(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Ok(SourceFile::new(path.clone(), bytes))
        })
        .collect()
}

fn domain_of(name: &str) -> Option<Domain> {
    match name.trim_end_matches("-attack") {
        "enterprise" => Some(Domain::Enterprise),
        "mobile" => Some(Domain::Mobile),
        "ics" => Some(Domain::Ics),
        _ => None,
    }
}

/// The bundle options for these inventories: the command line wins; otherwise the domain the
/// inventories declare, and their version when that release is in the cache (a different
/// release is used with a warning from validation rather than a surprise download).
fn source_for(sources: &[SourceFile], args: &SourceArgs) -> SourceArgs {
    let mut args = args.clone();
    if args.attack.is_some() {
        return args;
    }
    let declared = declared_attack(sources);
    if args.domain.is_none() {
        args.domain = declared.domain.as_deref().and_then(domain_of);
    }
    if args.attack_version.is_none()
        && let Some(version) = declared.version
        && bundle::available(&args, &version)
    {
        args.attack_version = Some(version);
    }
    args
}

/// Other domains' bundles already in the cache, to tell "wrong domain" from "unknown" IDs.
fn other_domains(attack: &Attack, args: &SourceArgs) -> Vec<Attack> {
    let Ok(dir) = bundle::bundle_dir(args) else {
        return Vec::new();
    };
    ["enterprise", "mobile", "ics"]
        .into_iter()
        .filter(|d| *d != attack.domain_short())
        .filter_map(|d| stored_bundles(&dir, d).into_iter().next())
        .filter_map(|b| bundle::load_path(&b.path, args).ok())
        .collect()
}

/// Reads inventories, loads the bundle they need and validates them; prints the findings to
/// stderr. Fails (exit 2) when there is any error, after printing all of them.
pub(crate) fn load(paths: &[PathBuf], args: &SourceArgs) -> Result<Loaded> {
    let mut loaded = load_unchecked(paths, args)?;
    let errors = loaded
        .parsed
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .count();
    if errors > 0 {
        print_findings(&loaded, &loaded.parsed.diagnostics);
        bail!(
            "{} in {}; nothing was assessed\n  hint: fix them and run `covmap validate` to check",
            plural(errors, "error"),
            files_label(paths)
        );
    }
    // What each threat profile weights, and what its format's rules left out.
    let mut notes: Vec<String> = loaded
        .profile_summaries
        .iter()
        .map(|line| format!("covmap: {line}\n"))
        .collect();
    // One line that no score hides: claims accepted but worth nothing (the warnings above
    // name each; imported ones are counted one by one here).
    let parent_only =
        covmap_assess::claims::parent_only_entries(&loaded.attack, &loaded.parsed.inventory);
    if parent_only > 0 {
        notes.push(format!(
            "covmap: {} on parent techniques count{} for no sub-technique (warning parent-counts-for-no-subtechnique): add `include_subtechniques: true`, or list the sub-techniques\n",
            plural(parent_only, "entry").replace("entrys", "entries"),
            if parent_only == 1 { "s" } else { "" }
        ));
    }
    // Nothing reads the findings or the files' texts again, and on a large inventory they are
    // the largest things held (about 800 bytes a finding): they are printed on another thread
    // while the command goes on (the next thing printed waits for them), then freed. One
    // thread renders them: the command's own work has the other core (measured on the
    // 2,000 x 20 inventory: printing took 42 ms on two threads beside the 25 ms assessment,
    // instead of about as long as the assessment on one).
    let mut findings = std::mem::take(&mut loaded.parsed.diagnostics);
    let files: Vec<(PathBuf, Vec<u8>)> = loaded
        .sources
        .iter_mut()
        .map(|source| (source.path.clone(), std::mem::take(&mut source.bytes)))
        .collect();
    crate::term::print_aside(move || {
        if !findings.is_empty() {
            Sources::new(
                files
                    .iter()
                    .map(|(path, bytes)| (path.as_path(), bytes.as_slice())),
            )
            .eprint_on_this_thread(&mut findings);
        }
        for note in &notes {
            crate::term::eprint(note);
        }
        free_aside((findings, files));
    });
    Ok(loaded)
}

/// Inventory text from which the rest of the run uses small memory pages only.
///
/// mimalloc asks for transparent huge pages, and the kernel then zeroes, and on a machine whose
/// memory is fragmented first compacts, 2 MiB at every first touch. Small inventories gain from
/// the fewer page faults; large ones touch hundreds of megabytes and lose, and their system time
/// swings with the machine's state. Measured interleaved on the generated inventories
/// (docs/performance.md, issue 20): huge pages 11 % faster at 4.7 MB, 3 % slower at 11.7 MB,
/// 7 % slower and 27 MiB larger at 47 MB; the limit sits between the first two.
const SMALL_PAGES_FROM: usize = 8 << 20;

/// Turns transparent huge pages off for the rest of the process when the inventories are large
/// (see [`SMALL_PAGES_FROM`]). Where the kernel refuses, nothing changes but speed.
fn small_pages_for(inventory_bytes: usize) {
    #[cfg(target_os = "linux")]
    if inventory_bytes >= SMALL_PAGES_FROM {
        let _ = rustix::thread::disable_transparent_huge_pages(true);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = inventory_bytes;
}

/// Frees a large value on a thread of its own, when threads are allowed: freeing a hundred
/// thousand findings one by one takes milliseconds the caller need not wait for. The thread is
/// not joined: if the process ends first, the OS takes the memory back anyway. When no thread
/// can be started, the closure, and the value with it, is dropped here.
fn free_aside<T: Send + 'static>(value: T) {
    if covmap_assess::threads::parallel() {
        let _ = std::thread::Builder::new().spawn(move || drop(value));
    } else {
        drop(value);
    }
}

/// Like [`load`], but keeps going with errors and prints nothing (for `validate`).
pub(crate) fn load_unchecked(paths: &[PathBuf], args: &SourceArgs) -> Result<Loaded> {
    if paths.is_empty() {
        bail!("no inventory file given");
    }
    let sources = read_sources(paths)?;
    small_pages_for(sources.iter().map(|s| s.bytes.len()).sum());
    let args = source_for(&sources, args);
    // The YAML needs no bundle: parse it while another thread loads ATT&CK.
    let (attack, documents) = if covmap_assess::threads::parallel() {
        std::thread::scope(|scope| {
            let loader = scope.spawn(|| load_bundle(&args));
            let documents = load_documents(&sources);
            let attack = loader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (attack, documents)
        })
    } else {
        (load_bundle(&args), load_documents(&sources))
    };
    let (bundle, attack) = attack?;
    let others = other_domains(&attack, &args);
    let context = ValidationContext {
        other_domains: others.iter().collect(),
    };
    let mut parsed = resolve(&documents, &attack, &context);
    drop(documents);
    // Capabilities' `import:` entries read their artefacts now, against the same bundle.
    let imports = covmap_import::expand::expand(&mut parsed.inventory, &attack);
    parsed.diagnostics.extend(imports);
    // Telemetry entries' `import:` entries (Sysmon configurations, DeTT&CT data sources)
    // become log sources now too.
    let telemetry = covmap_import::telemetry::expand(&mut parsed.inventory, &attack);
    parsed.diagnostics.extend(telemetry);
    // Threat profiles (`scope.threats.profiles`) read their files now too. A DeTT&CT group's
    // software-only techniques count `scoring.threat_software_factor`, as a group's do.
    let software_factor = parsed.inventory.scoring.threat_software_factor;
    let profiles =
        covmap_import::profile::read_profiles(&mut parsed.inventory, &attack, software_factor);
    parsed.diagnostics.extend(profiles.diagnostics);
    Ok(Loaded {
        attack,
        parsed,
        sources,
        bundle,
        profile_summaries: profiles.summaries,
    })
}

/// The bundle's path (none for the built-in release) and the bundle.
fn load_bundle(args: &SourceArgs) -> Result<(Option<PathBuf>, Attack)> {
    let source = bundle::locate(args)?;
    let attack = bundle::load_source(&source, args)?;
    Ok((source.path().map(std::path::Path::to_path_buf), attack))
}

/// Prints findings to stderr.
pub(crate) fn print_findings(loaded: &Loaded, diagnostics: &[Diagnostic]) {
    if diagnostics.is_empty() {
        return;
    }
    // Built only when there is something to show: it indexes the texts' lines, which costs a
    // large inventory more than its validation.
    let rendering = Sources::new(
        loaded
            .sources
            .iter()
            .map(|s| (s.path.as_path(), s.bytes.as_slice())),
    );
    rendering.eprint(diagnostics);
}

/// `3 errors`, `1 warning`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `inventory.yaml` or `3 files`.
pub(crate) fn files_label(paths: &[PathBuf]) -> String {
    match paths {
        [one] => one.display().to_string(),
        many => format!("{} files", many.len()),
    }
}

#[cfg(test)]
mod tests {
    /// The kernel's view of this process: `THP_enabled` in /proc/self/status (Linux 5.0+).
    #[cfg(target_os = "linux")]
    fn huge_pages_allowed() -> Option<bool> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("THP_enabled:"))?;
        Some(line.split_whitespace().nth(1)? == "1")
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn only_large_inventories_turn_huge_pages_off() {
        // No other test of this binary calls `small_pages_for`, so the state is the process's
        // own until here.
        let Some(before) = huge_pages_allowed() else {
            #[allow(clippy::print_stderr)] // a skipped test says why
            {
                eprintln!("skipped: this kernel does not report THP_enabled");
            }
            return;
        };
        super::small_pages_for(super::SMALL_PAGES_FROM - 1);
        assert_eq!(huge_pages_allowed(), Some(before));
        super::small_pages_for(super::SMALL_PAGES_FROM);
        assert_eq!(huge_pages_allowed(), Some(false));
    }
}
