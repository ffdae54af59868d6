//! Downloading official ATT&CK bundles from MITRE's attack-stix-data repository.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use covmap_core::Attack;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::bundle::stored_name;

/// MITRE's repository of ATT&CK STIX 2.1 bundles; `COVMAP_ATTACK_BASE_URL` replaces it (mirrors,
/// tests).
const DEFAULT_BASE_URL: &str =
    "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master";
/// A bound on a download, far above the 50 MB enterprise bundle, against a runaway server.
const MAX_BYTES: u64 = 1 << 30;

fn base_url() -> String {
    std::env::var("COVMAP_ATTACK_BASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
        .trim_end_matches('/')
        .to_string()
}

/// The download address of a domain's bundle: a given release, or the newest.
pub(crate) fn bundle_url(domain: &str, version: Option<&str>) -> String {
    let base = base_url();
    match version {
        Some(v) => format!("{base}/{domain}-attack/{domain}-attack-{v}.json"),
        None => format!("{base}/{domain}-attack/{domain}-attack.json"),
    }
}

/// Downloads a bundle into `dir` as `<domain>-attack-<version>.json`, checks that it parses and
/// is of the right domain and release, and returns its path. `implicit` says the user did not
/// ask for the download, so the message explains why it happens.
pub(crate) fn fetch(
    dir: &Path,
    domain: &str,
    version: Option<&str>,
    implicit: bool,
) -> Result<PathBuf> {
    let url = bundle_url(domain, version);
    let what = version.map_or_else(|| "newest".to_string(), str::to_string);
    if implicit {
        eprintln!(
            "covmap: no ATT&CK {domain} bundle in {}; downloading the {what} one (use --offline to forbid this)",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the bundle cache {}", dir.display()))?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_body(Some(Duration::from_secs(600)))
        .build()
        .into();
    let mut response = match agent.get(&url).call() {
        Ok(response) => response,
        Err(ureq::Error::StatusCode(404)) => bail!(
            "{url} does not exist (HTTP 404): is {what} an ATT&CK {domain} release?\n  hint: releases are listed at https://github.com/mitre-attack/attack-stix-data; omit --version for the newest"
        ),
        Err(err) => {
            return Err(anyhow::Error::new(err).context(format!(
                "cannot download {url}\n  hint: check the network, or download the bundle by hand and pass --attack PATH"
            )));
        }
    };
    let length = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match length {
        Some(n) => eprintln!(
            "covmap: downloading {url} ({:.1} MiB)",
            n as f64 / 1_048_576.0
        ),
        None => eprintln!("covmap: downloading {url}"),
    }
    let progress = ProgressBar::with_draw_target(length, ProgressDrawTarget::stderr());
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // The temp file lives in the cache directory, so the final rename is atomic and an
    // interrupted download leaves no partial bundle behind (the temp file is removed on drop).
    let mut temp = tempfile::Builder::new()
        .prefix(".download-")
        .suffix(".part")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let reader = response.body_mut().with_config().limit(MAX_BYTES).reader();
    io::copy(&mut progress.wrap_read(reader), temp.as_file_mut())
        .with_context(|| format!("download of {url} failed"))?;
    progress.finish_and_clear();
    temp.as_file_mut().flush()?;
    let bytes = std::fs::read(temp.path())?;
    let attack = Attack::from_slice(&bytes, Path::new(&url))
        .with_context(|| format!("{url} is not a usable ATT&CK bundle"))?;
    if attack.domain_short() != domain {
        bail!("{url} holds the {} domain, not {domain}", attack.domain());
    }
    let got = attack.version().map(str::to_string);
    let stored_version = match (version, got.as_deref()) {
        (Some(want), Some(got)) if want != got => {
            bail!("{url} holds ATT&CK {got}, not the requested {want}")
        }
        (_, Some(got)) => got.to_string(),
        (Some(want), None) => want.to_string(),
        (None, None) => bail!(
            "{url} does not say which ATT&CK release it is; fetch a specific one with --version"
        ),
    };
    // Only ever a regular file is replaced (never a FIFO or device left at that name).
    let target = crate::guard::output_file(
        &dir.join(stored_name(domain, &stored_version)),
        &crate::guard::Inputs::new(),
    )?;
    temp.persist(&target)
        .with_context(|| format!("cannot store the bundle at {}", target.display()))?;
    eprintln!(
        "covmap: stored ATT&CK {domain} {stored_version} ({} techniques) at {}",
        attack.counts().techniques,
        target.display()
    );
    Ok(target)
}
