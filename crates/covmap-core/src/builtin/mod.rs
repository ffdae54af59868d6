//! The ATT&CK release built into covmap, so that a first run needs no network.
//!
//! The data are MITRE's official STIX bundles themselves (enterprise, mobile, ICS), compressed
//! with zstd and embedded in the binary. They are decoded at run time and parsed by the same
//! STIX loader as a file, so the built-in release answers exactly as the official bundle does
//! (the `builtin` test compares the two models). `just builtin-attack DIR` remakes the data
//! and `generated.rs` (sizes and xxh3-128 hashes) from the bundles in DIR; see
//! `crates/covmap-core/builtin/README.md`.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::attack::Attack;
use crate::error::LoadError;

// Written by a program; sizes and hashes read better as the tools print them.
#[allow(clippy::unreadable_literal)]
mod generated;

/// The ATT&CK release built in (`18.1`).
pub const RELEASE: &str = generated::RELEASE;

/// One domain's built-in bundle.
#[derive(Debug)]
pub struct Builtin {
    /// Short domain name: `enterprise`, `mobile`, `ics`.
    domain: &'static str,
    /// The official file name (`enterprise-attack-18.1.json`).
    file_name: &'static str,
    /// The bundle's size in bytes.
    size: u64,
    /// xxh3-128 of the bundle's bytes: checked after decoding, and the model cache's key.
    hash: u128,
    /// The bundle, zstd-compressed.
    compressed: &'static [u8],
}

/// Every built-in bundle: enterprise, mobile, ICS.
pub fn all() -> &'static [Builtin] {
    &generated::BUNDLES
}

/// The built-in bundle of a domain (`enterprise`, `mobile`, `ics`), if there is one.
pub fn of(domain: &str) -> Option<&'static Builtin> {
    all().iter().find(|b| b.domain == domain)
}

impl Builtin {
    /// Short domain name: `enterprise`, `mobile`, `ics`.
    pub fn domain(&self) -> &'static str {
        self.domain
    }

    /// The ATT&CK release (`18.1`).
    pub fn release(&self) -> &'static str {
        RELEASE
    }

    /// The official file name it was made from (`enterprise-attack-18.1.json`).
    pub fn file_name(&self) -> &'static str {
        self.file_name
    }

    /// The bundle's size once decoded, in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// xxh3-128 of the bundle's bytes.
    pub fn hash(&self) -> u128 {
        self.hash
    }

    /// The compressed size embedded in the binary, in bytes.
    pub fn compressed_size(&self) -> usize {
        self.compressed.len()
    }

    /// The path that names the built-in bundle in errors: `built-in/enterprise-attack-18.1.json`.
    /// Its file name is the official one, as the loader reads a STIX 2.0 bundle's version there.
    pub fn display_path(&self) -> PathBuf {
        Path::new("built-in").join(self.file_name)
    }

    /// The official bundle's bytes, decoded and checked against its size and hash.
    pub fn bytes(&self) -> Result<Vec<u8>, LoadError> {
        let damaged = |message: String| LoadError::Builtin {
            file_name: self.file_name.to_string(),
            message,
        };
        let bytes = decode(self.compressed, self.size).map_err(|e| damaged(e.to_string()))?;
        if bytes.len() as u64 != self.size {
            return Err(damaged(format!(
                "it decodes to {} bytes, {} expected",
                bytes.len(),
                self.size
            )));
        }
        if xxhash_rust::xxh3::xxh3_128(&bytes) != self.hash {
            return Err(damaged("its content does not match its hash".into()));
        }
        Ok(bytes)
    }

    /// Decodes and parses the bundle, without the model cache.
    pub fn load(&self) -> Result<Attack, LoadError> {
        Attack::from_bytes(self.bytes()?, &self.display_path())
    }
}

/// Decodes one zstd frame, refusing more than `size` bytes of output. Public for the
/// `builtin-attack` example, which checks that what it writes decodes back.
pub fn decode(compressed: &[u8], size: u64) -> std::io::Result<Vec<u8>> {
    let decoder =
        ruzstd::decoding::StreamingDecoder::new(compressed).map_err(std::io::Error::other)?;
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // One byte more than expected is enough to tell a wrong size.
    decoder.take(size.saturating_add(1)).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_is_built_in_once_with_its_official_name() {
        let domains: Vec<&str> = all().iter().map(Builtin::domain).collect();
        assert_eq!(domains, ["enterprise", "mobile", "ics"]);
        for b in all() {
            assert_eq!(
                b.file_name(),
                format!("{}-attack-{RELEASE}.json", b.domain())
            );
            assert!(b.compressed_size() > 0);
        }
        assert!(of("pre").is_none());
    }

    #[test]
    fn damage_is_reported_not_parsed() {
        let real = of("ics").unwrap();
        let mut bytes = real.compressed.to_vec();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x55;
        let leaked: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let damaged = Builtin {
            compressed: leaked,
            ..*real
        };
        let err = damaged.load().unwrap_err();
        assert!(matches!(err, LoadError::Builtin { .. }), "{err}");
        let wrong_size = Builtin {
            size: real.size - 1,
            ..*real
        };
        assert!(matches!(
            wrong_size.bytes().unwrap_err(),
            LoadError::Builtin { .. }
        ));
    }
}
