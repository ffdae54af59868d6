//! Downloading official ATT&CK bundles from MITRE's attack-stix-data repository.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use covmap_core::Attack;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::bundle::stored_name;

/// MITRE's repository of ATT&CK STIX 2.1 bundles; `COVMAP_ATTACK_BASE_URL` replaces it (mirrors,
/// tests).
const DEFAULT_BASE_URL: &str =
    "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master";
/// Seconds to wait for a connection (`COVMAP_FETCH_CONNECT_TIMEOUT` changes it).
const CONNECT_TIMEOUT_ENV: &str = "COVMAP_FETCH_CONNECT_TIMEOUT";
/// Seconds a server may stay silent, before its answer or within the body
/// (`COVMAP_FETCH_READ_TIMEOUT`); also the window of the minimum-progress rule.
const READ_TIMEOUT_ENV: &str = "COVMAP_FETCH_READ_TIMEOUT";
/// Seconds the whole download may take (`COVMAP_FETCH_DEADLINE`).
const DEADLINE_ENV: &str = "COVMAP_FETCH_DEADLINE";
/// Defaults of the three, in seconds: generous for a 50 MB bundle on a slow link, finite
/// against a server that accepts and never answers, or trickles.
const DEFAULT_CONNECT_SECS: f64 = 30.0;
const DEFAULT_READ_SECS: f64 = 60.0;
const DEFAULT_DEADLINE_SECS: f64 = 1800.0;
/// The least a download must progress in each read-timeout window: a server that sends a byte
/// now and then, never long enough silent to time out, is stopped by this rule.
const MIN_BYTES_PER_WINDOW: u64 = 16 * 1024;

/// The bounds of one download.
#[derive(Debug, Clone, Copy)]
struct Limits {
    connect: Duration,
    read: Duration,
    deadline: Duration,
    /// Bytes after decompression: the input cap of every file covmap reads
    /// (`COVMAP_MAX_INPUT_MIB`), since a larger bundle could not be loaded afterwards anyway.
    max_bytes: u64,
}

impl Limits {
    fn from_env() -> Result<Limits> {
        Ok(Limits {
            connect: seconds(CONNECT_TIMEOUT_ENV, DEFAULT_CONNECT_SECS)?,
            read: seconds(READ_TIMEOUT_ENV, DEFAULT_READ_SECS)?,
            deadline: seconds(DEADLINE_ENV, DEFAULT_DEADLINE_SECS)?,
            max_bytes: covmap_core::input::max_input_bytes(),
        })
    }
}

/// A duration in seconds from the environment (fractions allowed), or `default`. A value that
/// is not a positive number is an error, not silently the default: a mistyped bound must not
/// turn into another one.
fn seconds(var: &str, default: f64) -> Result<Duration> {
    let Some(raw) = std::env::var_os(var) else {
        return Ok(Duration::from_secs_f64(default));
    };
    let text = raw.to_string_lossy();
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
        .map(Duration::from_secs_f64)
        .with_context(|| {
            format!("{var}={text:?} is not a positive number of seconds\n  hint: e.g. {var}=30, or unset it for the default ({default} s)")
        })
}

/// `12.5 s`, `30 s`.
fn secs(d: Duration) -> String {
    format!("{} s", (d.as_secs_f64() * 10.0).round() / 10.0)
}

/// Bytes as MiB with one decimal.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1_048_576.0)
}

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
/// is of the right domain and release, and returns its path. Only `covmap attack fetch` calls
/// it: nothing downloads unless asked (without a bundle, commands use the built-in release).
///
/// The download is bounded (connect and read timeouts, an overall deadline, a minimum progress
/// and a cap on the bytes after decompression) and kept in memory until it has been checked:
/// nothing is on disk while it runs, so an error, Ctrl-C or a kill leaves no partial file. The
/// checked bundle is then written atomically (on Linux through an unnamed file).
pub(crate) fn fetch(dir: &Path, domain: &str, version: Option<&str>) -> Result<PathBuf> {
    let url = bundle_url(domain, version);
    let what = version.map_or_else(|| "newest".to_string(), str::to_string);
    let limits = Limits::from_env()?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the bundle cache {}", dir.display()))?;
    let bytes = download(&url, &what, domain, limits)?;
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
    crate::output::write_atomic(&target, &bytes)
        .with_context(|| format!("cannot store the bundle at {}", target.display()))?;
    crate::note!(
        "covmap: stored ATT&CK {domain} {stored_version} ({} techniques) at {}",
        attack.counts().techniques,
        target.display()
    );
    Ok(target)
}

/// The body at `url`, decompressed, within `limits`.
fn download(url: &str, what: &str, domain: &str, limits: Limits) -> Result<Vec<u8>> {
    let started = Instant::now();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(limits.connect))
        .timeout_per_read(Some(limits.read))
        .timeout_global(Some(limits.deadline))
        .build()
        .into();
    let mut response = match agent.get(url).call() {
        Ok(response) => response,
        Err(ureq::Error::StatusCode(404)) => bail!(
            "{url} does not exist (HTTP 404): is {what} an ATT&CK {domain} release?\n  hint: releases are listed at https://github.com/mitre-attack/attack-stix-data; omit --version for the newest"
        ),
        Err(ureq::Error::Timeout(timeout)) => {
            bail!(
                "cannot download {url}: {}",
                timeout_message(timeout, limits)
            )
        }
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
    let size = length.map(|n| format!(" ({})", mib(n))).unwrap_or_default();
    crate::note!("covmap: downloading {url}{size}");
    if let Some(n) = length
        && n > limits.max_bytes
        && response.headers().get("content-encoding").is_none()
    {
        bail!("{}", too_large(url, n, limits.max_bytes, false));
    }
    let progress = ProgressBar::with_draw_target(length, ProgressDrawTarget::stderr());
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // ureq decompresses gzip itself: every bound below is on the decompressed bytes.
    let mut reader = response.body_mut().as_reader();
    let capacity = length.unwrap_or(0).min(limits.max_bytes);
    let mut bytes: Vec<u8> = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    let mut chunk = vec![0u8; 1 << 16];
    let mut window = (Instant::now(), 0u64);
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                progress.finish_and_clear();
                let why = read_failure(&e, limits, bytes.len() as u64, length);
                return Err(
                    anyhow::Error::new(e).context(format!("download of {url} failed: {why}"))
                );
            }
        };
        let got = chunk.get(..n).unwrap_or_default();
        if bytes.len() as u64 + n as u64 > limits.max_bytes {
            progress.finish_and_clear();
            bail!(
                "{}",
                too_large(url, bytes.len() as u64 + n as u64, limits.max_bytes, true)
            );
        }
        bytes.extend_from_slice(got);
        progress.inc(n as u64);
        window.1 += n as u64;
        if started.elapsed() > limits.deadline {
            progress.finish_and_clear();
            bail!(
                "download of {url} failed: not complete after {} ({} received); the deadline is {}\n  hint: on a slow link raise {DEADLINE_ENV}=SECONDS, or download the bundle by hand and pass --attack PATH",
                secs(started.elapsed()),
                mib(bytes.len() as u64),
                secs(limits.deadline)
            );
        }
        if window.0.elapsed() >= limits.read {
            if window.1 < MIN_BYTES_PER_WINDOW {
                progress.finish_and_clear();
                bail!(
                    "download of {url} failed: the server sent only {} bytes in {}, less than the {MIN_BYTES_PER_WINDOW} bytes covmap waits for in each {} ({READ_TIMEOUT_ENV})\n  hint: try again later or from another network, or download the bundle by hand and pass --attack PATH",
                    window.1,
                    secs(window.0.elapsed()),
                    secs(limits.read)
                );
            }
            window = (Instant::now(), 0);
        }
    }
    progress.finish_and_clear();
    Ok(bytes)
}

/// What a ureq timeout means, with the setting that bounds it.
fn timeout_message(timeout: ureq::Timeout, limits: Limits) -> String {
    let hint = "\n  hint: check the network, or download the bundle by hand and pass --attack PATH";
    match timeout {
        ureq::Timeout::Connect | ureq::Timeout::Resolve => format!(
            "no connection within {} ({CONNECT_TIMEOUT_ENV}){hint}",
            secs(limits.connect)
        ),
        ureq::Timeout::Global | ureq::Timeout::PerCall => format!(
            "not complete within the deadline of {} ({DEADLINE_ENV}){hint}",
            secs(limits.deadline)
        ),
        _ => format!(
            "the server sent nothing for {} ({READ_TIMEOUT_ENV}){hint}",
            secs(limits.read)
        ),
    }
}

/// Why reading the body failed, in words: a timeout with its setting, a connection closed
/// before the announced length, or the I/O error itself.
fn read_failure(err: &std::io::Error, limits: Limits, got: u64, announced: Option<u64>) -> String {
    let inner = err.get_ref().and_then(|e| e.downcast_ref::<ureq::Error>());
    if let Some(ureq::Error::Timeout(timeout)) = inner {
        return timeout_message(*timeout, limits);
    }
    match err.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            timeout_message(ureq::Timeout::PerRead, limits)
        }
        std::io::ErrorKind::UnexpectedEof => match announced {
            Some(n) => format!(
                "the connection closed after {got} of the {n} bytes announced; the bundle is incomplete"
            ),
            None => format!("the connection closed after {got} bytes; the bundle is incomplete"),
        },
        _ => "the connection failed".to_string(),
    }
}

/// The refusal of a body over the cap: announced by its Content-Length (`read` false), or
/// found while reading it (a compressed body that inflates past the cap).
fn too_large(url: &str, size: u64, cap: u64, read: bool) -> String {
    let what = if read {
        format!(
            "it is larger than {} once decompressed, the most covmap reads from one file",
            mib(cap)
        )
    } else {
        format!(
            "it announces {}, more than the {} covmap reads from one file",
            mib(size),
            mib(cap)
        )
    };
    format!(
        "download of {url} refused: {what}; nothing was stored\n  hint: if the bundle is genuine, raise the limit with {}=N (MiB)",
        covmap_core::input::MAX_INPUT_ENV
    )
}
