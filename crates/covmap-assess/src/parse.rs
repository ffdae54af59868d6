//! Reading inventory files: bytes -> YAML (`yaml`) -> the `Raw*` structs of [`crate::schema`]
//! -> checks against the loaded ATT&CK bundle -> one merged, resolved [`Inventory`], with every
//! finding of the run as a [`Diagnostic`] that names file:line:column.
//!
//! ```no_run
//! use covmap_assess::parse::{SourceFile, ValidationContext, parse_inventories};
//! # let attack = covmap_core::Attack::load("enterprise-attack-18.1.json".as_ref()).expect("bundle");
//! let sources = vec![SourceFile::new("inventory.yaml", std::fs::read("inventory.yaml")?)];
//! let parsed = parse_inventories(&sources, &attack, &ValidationContext::default());
//! if parsed.has_errors() {
//!     // render parsed.diagnostics, exit 2
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The work comes in two phases, which callers may also run themselves: [`load_documents`]
//! reads the files as YAML and needs no bundle; [`resolve`] checks and merges them against a
//! bundle. Loading the bundle on another thread meanwhile hides one of the two:
//!
//! ```no_run
//! use covmap_assess::parse::{SourceFile, ValidationContext, load_documents, resolve};
//! # fn load_bundle() -> covmap_core::Attack {
//! #     covmap_core::Attack::load("enterprise-attack-18.1.json".as_ref()).expect("bundle")
//! # }
//! let sources = vec![SourceFile::new("inventory.yaml", std::fs::read("inventory.yaml")?)];
//! let (documents, attack) = std::thread::scope(|s| {
//!     let bundle = s.spawn(load_bundle);
//!     let documents = load_documents(&sources);
//!     (documents, bundle.join().expect("loading the bundle panicked"))
//! });
//! let parsed = resolve(&documents, &attack, &ValidationContext::default());
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Findings never stop the run: a capability or coverage entry that cannot be read is reported
//! and left out, and the rest is still checked. The inventory that comes back holds what could
//! be resolved; callers should not score it when [`Parsed::has_errors`].

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use covmap_core::{Attack, Kind, NameMatch, ObjectRef};
use sha2::{Digest, Sha256};

use crate::claims::Subtechniques;
use crate::diagnostic::{Code, Diagnostic, Interner, Location, Severity};
use crate::inventory::{
    AttackTarget, Capability, Confidence, Cost, CoverageEntry, Exclusion, Function, ImportSpec,
    Inventory, InventoryFile, Level, PlanParams, ProfileFormat, Scope, Status, ThreatProfile,
    Threats,
};
use crate::params::ScoringParams;
use crate::schema::{
    FormatVersion, RawAttack, RawCapability, RawCapabilityFallback, RawCost, RawCoverage,
    RawCoverageFallback, RawExclusion, RawImport, RawInventory, RawLevel, RawPlan, RawProfile,
    RawScope, RawTelemetry, RawThreats,
};
use crate::yaml::{self, DeError, DeErrorKind, Document, NodeId, OneOrMany, Spanned, UnknownKey};

mod telemetry;

/// One inventory file as the caller read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path, as given on the command line; it names the file in findings.
    pub path: PathBuf,
    /// The raw bytes: UTF-8, with or without a byte-order mark, LF or CRLF line ends.
    pub bytes: Vec<u8>,
}

impl SourceFile {
    /// A file from its path and contents.
    pub fn new(path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) -> SourceFile {
        SourceFile {
            path: path.into(),
            bytes: bytes.into(),
        }
    }
}

/// What validation may know besides the bundle being assessed against.
#[derive(Debug, Clone, Default)]
pub struct ValidationContext<'a> {
    /// Other ATT&CK domains, when available, to recognise IDs of the wrong domain (an ICS
    /// technique in an enterprise inventory).
    pub other_domains: Vec<&'a Attack>,
}

/// The result of [`parse_inventories`]: the merged inventory and every finding, sorted by file
/// (in the order given), line and column.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// What could be resolved. Incomplete when there are errors.
    pub inventory: Inventory,
    /// Every finding of the run.
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    /// Whether any finding is an error (the inventory should not be scored).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Whether any finding is a warning.
    pub fn has_warnings(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Warning)
    }
}

/// Inventory files read as YAML but not yet checked against ATT&CK: what [`load_documents`]
/// returns and [`resolve`] reads.
///
/// It borrows the sources it was read from: the YAML trees keep positions into their text, and
/// only scalar values are copied (into one buffer per file). It is `Send` and `Sync`, so it can
/// be built on one thread while another loads the bundle, and resolved against several bundles.
#[derive(Debug)]
pub struct Documents<'s> {
    files: Vec<LoadedFile<'s>>,
}

/// One file of [`Documents`].
#[derive(Debug)]
struct LoadedFile<'s> {
    path: Arc<Path>,
    /// SHA-256 of the raw bytes, lowercase hex.
    sha256: String,
    /// `None` when the file is not a YAML document (a finding says why). With `pieces`, the
    /// head of the document: the rest of its `capabilities:` list is in the pieces.
    doc: Option<Document<'s>>,
    /// The rest of a large file's `capabilities:` list, parsed a piece at a time as it is read.
    pieces: Option<yaml::Pieces>,
    /// Findings of reading: encoding, YAML syntax, duplicate keys.
    diagnostics: Vec<Diagnostic>,
}

/// Reads, validates and merges inventory files against a loaded ATT&CK domain:
/// [`load_documents`] then [`resolve`].
///
/// Never fails and never panics: every problem becomes a [`Diagnostic`]. Technique IDs are
/// resolved to positions in [`Attack::techniques`]: revoked IDs to their replacement (with a
/// warning), deprecated and unknown ones dropped.
pub fn parse_inventories(
    sources: &[SourceFile],
    attack: &Attack,
    context: &ValidationContext<'_>,
) -> Parsed {
    resolve(&load_documents(sources), attack, context)
}

/// The first phase of [`parse_inventories`]: reads each file as one YAML document (decoding,
/// YAML syntax, duplicate keys) and hashes its bytes. Needs no bundle.
///
/// Never fails: a file that cannot be read is kept with its findings, which [`resolve`] reports.
pub fn load_documents(sources: &[SourceFile]) -> Documents<'_> {
    // A large file alone in its run keeps its tree to the pieces being read; with other files,
    // every file is read whole (their capabilities are joined in file order).
    let alone = sources.len() == 1;
    Documents {
        files: sources.iter().map(|s| load_file(s, alone)).collect(),
    }
}

impl<'s> Documents<'s> {
    /// The same files, each parsed whole: what a run falls back on when a piece cannot be
    /// read alone (the whole text's parse reports any error there).
    fn whole(&self) -> Documents<'s> {
        Documents {
            files: self.files.iter().map(LoadedFile::whole).collect(),
        }
    }
}

impl<'s> LoadedFile<'s> {
    /// [`Documents::whole`] of one file.
    fn whole(&self) -> LoadedFile<'s> {
        let (doc, pieces, diagnostics) = match &self.doc {
            Some(doc) => {
                let parsed = parse_text(&self.path, doc.text(), None);
                if let Some(whole) = &parsed.0 {
                    whole.share_line_index(doc);
                }
                parsed
            }
            None => (None, None, self.diagnostics.clone()),
        };
        LoadedFile {
            path: Arc::clone(&self.path),
            sha256: self.sha256.clone(),
            doc,
            pieces,
            diagnostics,
        }
    }
}

/// The second phase of [`parse_inventories`]: validates and merges the documents against a
/// loaded ATT&CK domain. The result is the same as `parse_inventories` on the same sources:
/// the findings of [`load_documents`] come with the others.
pub fn resolve(
    documents: &Documents<'_>,
    attack: &Attack,
    context: &ValidationContext<'_>,
) -> Parsed {
    resolve_split(documents, attack, context, |capabilities| {
        crate::threads::parallel()
            .then(|| split_point(capabilities))
            .flatten()
    })
}

/// [`resolve`], with the capabilities read in two halves at the position `split` chooses
/// (`None`: in one pass). The result does not depend on the choice.
fn resolve_split(
    documents: &Documents<'_>,
    attack: &Attack,
    context: &ValidationContext<'_>,
    split: impl Fn(&[(&FileRef<'_>, NodeId)]) -> Option<usize>,
) -> Parsed {
    let mut run = Run::new(attack, context);
    let mut inventory = Inventory::default();
    inventory.files.reserve(documents.files.len());
    for (index, loaded) in documents.files.iter().enumerate() {
        inventory.files.push(InventoryFile {
            path: loaded.path.to_path_buf(),
            sha256: loaded.sha256.clone(),
        });
        for d in &loaded.diagnostics {
            run.push_in(index, d.clone());
        }
    }

    let mut settings = Vec::with_capacity(documents.files.len());
    for (index, loaded) in documents.files.iter().enumerate() {
        if let Some(doc) = &loaded.doc {
            let file = FileRef {
                index,
                path: &loaded.path,
                doc,
            };
            if let Some(s) = run.read_settings(&file) {
                settings.push((file, s));
            }
        }
    }

    run.merge(&settings, &mut inventory);
    run.scope_platforms.clone_from(&inventory.scope.platforms);

    if let Some(pieces) = documents.files.iter().find_map(|f| f.pieces.as_ref()) {
        // Only a file alone in its run is read in pieces: they go on with its head's list.
        let read = match settings.as_slice() {
            [(head, s)] => {
                run.capabilities_in_pieces(head, &s.capabilities, pieces, &mut inventory)
            }
            _ => false,
        };
        if !read {
            return resolve_split(&documents.whole(), attack, context, split);
        }
    } else {
        let capabilities: Vec<(&FileRef<'_>, NodeId)> = settings
            .iter()
            .flat_map(|(file, s)| s.capabilities.iter().map(move |node| (file, *node)))
            .collect();
        inventory.capabilities.reserve(capabilities.len());
        let at = split(&capabilities);
        run.capabilities(&capabilities, at, &mut inventory);
    }

    // Telemetry, in file order; the bundle's log-source names are gathered only when needed.
    if settings.iter().any(|(_, s)| !s.telemetry.is_empty()) {
        let catalog = telemetry::LogSourceCatalog::new(attack);
        let mut telemetry_ids = HashMap::new();
        for (file, s) in &settings {
            for node in &s.telemetry {
                if let Some(entry) =
                    run.telemetry(file, *node, &mut telemetry_ids, &catalog, &inventory.scope)
                {
                    inventory.telemetry.push(entry);
                }
            }
        }
    }

    Parsed {
        inventory,
        diagnostics: run.ordered_diagnostics(),
    }
}

/// The ATT&CK domain and version the inventories name (`attack:`), the first file that says
/// winning, read without parsing whole files: callers use it to pick the bundle before they
/// can validate. Only the top-level `attack:` block of each file is parsed.
pub fn declared_attack(sources: &[SourceFile]) -> crate::inventory::AttackTarget {
    let mut target = crate::inventory::AttackTarget::default();
    for source in sources {
        let Ok(text) = std::str::from_utf8(&source.bytes) else {
            continue;
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Some(block) = top_level_block(text, "attack") else {
            continue;
        };
        let Ok(doc) = yaml::load(&block) else {
            continue;
        };
        let Some(root) = doc.root() else { continue };
        let field = |name: &str| {
            doc.lookup(root, &["attack", name])
                .and_then(|n| doc.scalar(n))
                .map(str::to_string)
        };
        if target.domain.is_none() {
            target.domain = field("domain").map(|d| d.to_lowercase());
        }
        if target.version.is_none() {
            target.version = field("version");
        }
    }
    target
}

/// The lines of one top-level key (`key:` at column 0 up to the next top-level line).
fn top_level_block(text: &str, key: &str) -> Option<String> {
    let mut lines = text.lines();
    let first = lines.find(|line| {
        line.strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })?;
    let mut block = format!("{first}\n");
    for line in lines {
        let top_level = line.starts_with(|c: char| !c.is_whitespace() && c != '#');
        if top_level {
            break;
        }
        block.push_str(line);
        block.push('\n');
    }
    Some(block)
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Files from this size on are hashed, and their lines indexed, on a thread of their own while
/// they are parsed: SHA-256 takes about 0.8 ms a MiB here, a thread start 50 µs (3.5 ms of the
/// 2,000 x 20 inventory's run were its hash, before the parse).
const HASH_ASIDE_FROM: usize = 1 << 20;

/// Decodes and parses one file; a large one `alone` in its run, in pieces when it can.
fn load_file(source: &SourceFile, alone: bool) -> LoadedFile<'_> {
    let in_pieces = alone && source.bytes.len() >= yaml::PIECES_FROM;
    if crate::threads::parallel() && source.bytes.len() >= HASH_ASIDE_FROM {
        return std::thread::scope(|scope| {
            // The line index too, which findings need: built here, the first finding of each
            // half of the capabilities would wait for it.
            let aside = scope.spawn(|| {
                let index = text_of(&source.bytes).ok().map(yaml::LineIndex::of);
                (sha256_hex(&source.bytes), index)
            });
            let mut loaded = read_file(source, String::new(), in_pieces);
            let (sha256, index) = aside
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            loaded.sha256 = sha256;
            if let (Some(doc), Some(index)) = (&loaded.doc, index) {
                doc.set_line_index(index);
            }
            loaded
        });
    }
    read_file(source, sha256_hex(&source.bytes), in_pieces)
}

/// A file's text: its bytes without a UTF-8 byte order mark, when they are UTF-8.
fn text_of(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
}

/// [`load_file`] given the file's hash.
fn read_file(source: &SourceFile, sha256: String, in_pieces: bool) -> LoadedFile<'_> {
    let mut loaded = LoadedFile {
        path: Arc::from(source.path.as_path()),
        sha256,
        doc: None,
        pieces: None,
        diagnostics: Vec::new(),
    };
    let bytes = source
        .bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&source.bytes);
    let text = match text_of(&source.bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            let prefix = std::str::from_utf8(valid).unwrap_or_default();
            let line = prefix.matches('\n').count() + 1;
            let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let byte = bytes.get(e.valid_up_to()).copied().unwrap_or_default();
            let diagnostic = Diagnostic::new(
                Severity::Error,
                Code::UnreadableFile,
                Location {
                    path: Arc::clone(&loaded.path),
                    line,
                    column,
                },
                format!("the file is not UTF-8 text: byte `0x{byte:02x}` cannot be decoded"),
            )
            .hint("save the file as UTF-8 (inventories are YAML text)");
            loaded.diagnostics.push(diagnostic);
            return loaded;
        }
    };
    let piece_bytes = in_pieces.then_some(yaml::PIECE_BYTES);
    (loaded.doc, loaded.pieces, loaded.diagnostics) = parse_text(&loaded.path, text, piece_bytes);
    loaded
}

/// A file's text parsed: its document (or, with `piece_bytes` and when it can, the head of its
/// document and the pieces of its `capabilities:` list) and the findings of reading it.
fn parse_text<'s>(
    path: &Arc<Path>,
    text: &'s str,
    piece_bytes: Option<usize>,
) -> (Option<Document<'s>>, Option<yaml::Pieces>, Vec<Diagnostic>) {
    let in_pieces = piece_bytes.and_then(|bytes| yaml::load_in_pieces(text, bytes));
    let (loaded, pieces) = match in_pieces {
        Some((head, pieces)) => (Ok(head), Some(pieces)),
        None => (yaml::load(text), None),
    };
    let mut diagnostics = Vec::new();
    match loaded {
        Ok(doc) => {
            // Only builds findings: the index (position in a run) is not used.
            let file = FileRef {
                index: 0,
                path,
                doc: &doc,
            };
            for dup in doc.duplicate_keys() {
                let (first, _) = file.location(dup.first);
                let d = file
                    .error(
                        dup.key,
                        Code::YamlSyntax,
                        format!("duplicate key `{}`", dup.name),
                    )
                    .hint(format!(
                        "keep one `{}:` in this mapping; this one is ignored",
                        dup.name
                    ))
                    .related(first, format!("`{}` is first set here", dup.name));
                diagnostics.push(d);
            }
            (Some(doc), pieces, diagnostics)
        }
        Err(e) => {
            let mut d = Diagnostic::new(
                Severity::Error,
                Code::YamlSyntax,
                Location {
                    path: Arc::clone(path),
                    line: e.pos.line,
                    column: e.pos.column,
                },
                e.message,
            )
            .length(e.pos.length);
            d.hints = e.hints.into_iter().map(Cow::Owned).collect();
            diagnostics.push(d);
            (None, None, diagnostics)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Files and findings

/// A loaded file: where findings go.
#[derive(Clone, Copy)]
struct FileRef<'d> {
    /// Position in the files of the run (findings are sorted by it).
    index: usize,
    path: &'d Arc<Path>,
    doc: &'d Document<'d>,
}

impl FileRef<'_> {
    fn location(&self, node: NodeId) -> (Location, usize) {
        let pos = self.doc.pos(node);
        (
            Location {
                path: Arc::clone(self.path),
                line: pos.line,
                column: pos.column,
            },
            pos.length,
        )
    }

    /// Where a node starts, for the `location` of model items (no length needed).
    fn start(&self, node: NodeId) -> Location {
        let (line, column) = self.doc.start(node);
        Location {
            path: Arc::clone(self.path),
            line,
            column,
        }
    }

    fn diag(&self, node: NodeId, severity: Severity, code: Code, message: String) -> Diagnostic {
        let (location, length) = self.location(node);
        Diagnostic::new(severity, code, location, message).length(length)
    }

    fn error(&self, node: NodeId, code: Code, message: String) -> Diagnostic {
        self.diag(node, Severity::Error, code, message)
    }

    fn warning(&self, node: NodeId, code: Code, message: String) -> Diagnostic {
        self.diag(node, Severity::Warning, code, message)
    }
}

/// What one file sets, with where it sets it.
struct Settings {
    organization: Option<(String, NodeId)>,
    domain: Option<(String, NodeId)>,
    version: Option<(String, NodeId)>,
    platforms: Option<(Vec<String>, NodeId)>,
    scoring: Option<(ScoringParams, NodeId)>,
    plan: Option<(PlanParams, NodeId)>,
    exclusions: Vec<Exclusion>,
    threats: Threats,
    capabilities: Vec<NodeId>,
    /// Items of `telemetry:`, read once the scope is merged.
    telemetry: Vec<NodeId>,
}

/// How a technique reference resolved.
enum Resolved {
    /// Score this technique.
    Technique(u32),
    /// Not scored (a finding was reported).
    Dropped,
}

/// Capability ids seen so far, with where each is first used.
/// Capability ids taken, with where each was first given. Owned: the pieces of a large file
/// ([`yaml::Pieces`]) are dropped once read, their ids kept.
type Ids = HashMap<String, Location>;

/// A technique an entry lists (after resolution), for the redundant-subtechnique check.
struct Listed {
    function: Function,
    include_subtechniques: bool,
    technique: u32,
    node: NodeId,
}

/// Hashes the keys of [`technique_key`]: small integers need no SipHash.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(self.0.rotate_left(8) ^ u64::from(*b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing, with the high bits folded down: the table indexes by the low ones.
        let h = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 32);
    }
}

/// The state of one run: the bundle, caches, and the findings so far.
struct Run<'a> {
    attack: &'a Attack,
    context: &'a ValidationContext<'a>,
    /// `attack.platforms()`, sorted.
    platforms: Vec<String>,
    /// [`Attack::lookup`] of technique-shaped IDs, by [`technique_key`]: each distinct ID is
    /// looked up once, and the others allocate nothing.
    technique_ids: HashMap<u32, Option<ObjectRef>, BuildHasherDefault<KeyHasher>>,
    /// The listed techniques of the capability being read (kept for its allocation).
    listed: Vec<Listed>,
    /// "did you mean" for unknown technique references, by reference text.
    suggestions: HashMap<String, Vec<u32>>,
    /// Lowercase technique names, built on the first unknown reference.
    lower_names: Option<Vec<String>>,
    /// Active sub-techniques per parent, for `parent-counts-for-no-subtechnique`.
    subtechniques: Subtechniques<'a>,
    /// The merged scope's platforms, for `platform-mismatch` (set before capabilities are read).
    scope_platforms: Vec<String>,
    /// Every finding, and beside it the index of its file (apart, so that findings found in
    /// order, the common case, are handed over without a copy).
    diagnostics: Vec<Diagnostic>,
    diagnostic_files: Vec<usize>,
    /// One copy of each message (400k generated entries: 385,810 findings, 14,022 messages).
    messages: Interner,
}

/// Reorders `items` so that the item at `order[j]` comes at `j` (`order` a permutation of the
/// positions), following each cycle with swaps: a large run's findings are reordered where
/// they are instead of moved into a second vector as large (50 MB for 400,000 findings).
/// `order` is left as the identity.
fn permute_in_place<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order.get(at).copied().unwrap_or(start);
            if let Some(slot) = order.get_mut(at) {
                *slot = at;
            }
            if from == start || from == at {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// YAML nodes of capabilities from which they are read on two threads. Reading costs about
/// 85 ns a node (2,000 x 20 inventory: 40 ms for 470,000 nodes), a second thread with its run
/// about 0.1 ms: from this size the split saves more than ten times what it costs.
const PARALLEL_CAPABILITY_NODES: usize = 12_000;

/// Where to split `capabilities` into two halves of about the same number of YAML nodes (the
/// work of reading them); `None` when they are too few to be worth a second thread.
fn split_point(capabilities: &[(&FileRef<'_>, NodeId)]) -> Option<usize> {
    // Nodes are numbered in document order, so a capability's size is the distance to the
    // next one (the last one's, to the end of its document).
    let sizes: Vec<usize> = capabilities
        .iter()
        .enumerate()
        .map(|(i, (file, node))| {
            let end = match capabilities.get(i + 1) {
                Some((next, next_node)) if next.index == file.index => next_node.position(),
                _ => file.doc.node_count(),
            };
            end.saturating_sub(node.position())
        })
        .collect();
    let total: usize = sizes.iter().sum();
    if total < PARALLEL_CAPABILITY_NODES {
        return None;
    }
    let mut sum = 0;
    let split = sizes.iter().position(|size| {
        sum += size;
        sum * 2 >= total
    })? + 1;
    (split < capabilities.len()).then_some(split)
}

/// Distinct unknown technique references that get "did you mean" hints (each costs a scan of
/// the bundle's techniques): enough for any real inventory, bounded for garbage input.
const SUGGESTION_BUDGET: usize = 500;

/// Sub-techniques a `parent-counts-for-no-subtechnique` hint names before counting the rest.
const NAMED_SUBTECHNIQUES: usize = 12;

/// Entries listing more techniques than this find repeats with a set rather than a scan.
const SCAN_TECHNIQUES_UP_TO: usize = 16;

/// Longest capability id accepted. Ids repeat per covered technique in every output; real
/// imports make ids of at most 97 characters (all the shared corpora, `import auto`).
const MAX_CAPABILITY_ID_CHARS: usize = 200;

impl<'a> Run<'a> {
    fn new(attack: &'a Attack, context: &'a ValidationContext<'a>) -> Run<'a> {
        Run {
            attack,
            context,
            platforms: attack.platforms(),
            technique_ids: HashMap::default(),
            listed: Vec::new(),
            suggestions: HashMap::new(),
            lower_names: None,
            subtechniques: Subtechniques::new(attack),
            scope_platforms: Vec::new(),
            diagnostics: Vec::new(),
            diagnostic_files: Vec::new(),
            messages: Interner::default(),
        }
    }

    fn push(&mut self, file: &FileRef<'_>, diagnostic: Diagnostic) {
        self.push_in(file.index, diagnostic);
    }

    /// Adds a finding of the file at `index`.
    fn push_in(&mut self, index: usize, mut diagnostic: Diagnostic) {
        self.messages.intern(&mut diagnostic);
        self.diagnostics.push(diagnostic);
        self.diagnostic_files.push(index);
    }

    /// The findings ordered by file, line and column; findings at the same place keep the
    /// order they were found in.
    fn ordered_diagnostics(self) -> Vec<Diagnostic> {
        let Run {
            diagnostics,
            diagnostic_files,
            ..
        } = self;
        let key = |i: usize| {
            let location = diagnostics
                .get(i)
                .map(|d| (d.location.line, d.location.column));
            (diagnostic_files.get(i), location)
        };
        if (1..diagnostics.len()).all(|i| key(i - 1) <= key(i)) {
            return diagnostics;
        }
        let mut order: Vec<usize> = (0..diagnostics.len()).collect();
        order.sort_by_key(|&i| key(i));
        let mut diagnostics = diagnostics;
        permute_in_place(&mut diagnostics, &mut order);
        diagnostics
    }

    /// "enterprise ATT&CK 18.1"
    fn bundle_name(&self) -> String {
        match self.attack.version() {
            Some(v) => format!("{} ATT&CK {v}", domain_label(self.attack.domain_short())),
            None => format!("{} ATT&CK", domain_label(self.attack.domain_short())),
        }
    }

    /// [`Attack::lookup`], memoised for technique IDs.
    fn lookup(&mut self, text: &str) -> Option<ObjectRef> {
        let Some(key) = technique_key(text) else {
            return self.attack.lookup(text);
        };
        if let Some(found) = self.technique_ids.get(&key) {
            return *found;
        }
        let found = self.attack.lookup(text);
        self.technique_ids.insert(key, found);
        found
    }

    // -----------------------------------------------------------------------------------------
    // Reading with findings

    fn unknown_keys(&mut self, file: &FileRef<'_>, unknown: &[UnknownKey]) {
        for u in unknown {
            let name = file.doc.scalar(u.key).unwrap_or_default().to_string();
            let d = file.error(u.key, Code::UnknownKey, format!("unknown key `{name}`"));
            let d = with_key_hints(d, &name, u.expected);
            self.push(file, d);
        }
    }

    /// Reports a deserialization error; `at` is where to point when the error names no node.
    fn de_error(&mut self, file: &FileRef<'_>, error: &DeError, at: NodeId) {
        let node = error.node.unwrap_or(at);
        let doc = file.doc;
        let d = match &error.kind {
            DeErrorKind::InvalidType { expected } | DeErrorKind::InvalidValue { expected } => {
                let what = doc.what(node);
                let found = doc.describe(node);
                let d = file.error(
                    node,
                    Code::InvalidValue,
                    format!("{what} must be {expected}, found {found}"),
                );
                match expected.as_str() {
                    // `cost: 3600`: a cost has two keys; name them.
                    "a mapping of keys" | "a mapping" if what == "`cost`" => d.hint(
                        "a cost has two keys, `annual` (the yearly amount) and `currency` (ISO 4217): `cost: {annual: 3600, currency: EUR}`",
                    ),
                    "a list" => d.hint("write a list: `[A, B]`, or one `- item` per line"),
                    "a mapping of keys" | "a mapping" => {
                        d.hint("write `key: value` lines, indented under this one")
                    }
                    "text" => d.hint("write text, quoted if it contains `:` or `#`"),
                    "a number" | "a whole number" => {
                        d.hint("write a number without quotes, e.g. `0.5` or `12000`")
                    }
                    "`true` or `false`" => d.hint("write `true` or `false`"),
                    _ => d,
                }
            }
            DeErrorKind::UnknownVariant { found, expected } => {
                let what = doc.what(node);
                let d = file.error(
                    node,
                    Code::InvalidValue,
                    format!("`{found}` is not a valid value for {what}"),
                );
                let d = match synonym(found, expected)
                    .or_else(|| closest(found, expected.iter().copied()))
                {
                    Some(best) => d.hint(format!("did you mean `{best}`?")),
                    None => d,
                };
                d.hint(format!("valid values: {}", expected.join(", ")))
            }
            DeErrorKind::UnknownField { found, expected } => {
                let d = file.error(node, Code::UnknownKey, format!("unknown key `{found}`"));
                with_key_hints(d, found, expected)
            }
            DeErrorKind::MissingField(field) => file
                .error(
                    node,
                    Code::MissingKey,
                    format!("missing key `{field}` in {}", describe_map(doc, node)),
                )
                .hint(missing_hint(field)),
            DeErrorKind::Custom(message) => {
                let what = doc.what(node);
                file.error(node, Code::InvalidValue, format!("{what}: {message}"))
            }
        };
        self.push(file, d);
    }

    /// Reads a node as `T`, reporting unknown keys and the error, if any.
    fn read<'d, T: serde::Deserialize<'d>>(
        &mut self,
        file: &FileRef<'d>,
        node: NodeId,
    ) -> Option<T> {
        let read = file.doc.read::<T>(node);
        self.unknown_keys(file, &read.unknown);
        match read.value {
            Ok(value) => Some(value),
            Err(e) => {
                self.de_error(file, &e, node);
                None
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Settings: everything but the capabilities

    fn read_settings(&mut self, file: &FileRef<'_>) -> Option<Settings> {
        let Some(root) = file.doc.root() else {
            let d = Diagnostic::new(
                Severity::Error,
                Code::UnsupportedVersion,
                Location {
                    path: Arc::clone(file.path),
                    line: 1,
                    column: 1,
                },
                "the file is empty: it has no `covmap:` format version",
            )
            .hint("start the file with `covmap: 1`");
            self.push(file, d);
            return None;
        };
        let raw: RawInventory<'_> = self.read(file, root)?;
        match &raw.covmap {
            None => {
                let d = file
                    .error(
                        root,
                        Code::UnsupportedVersion,
                        "missing `covmap:` format version".to_string(),
                    )
                    .hint("add `covmap: 1` at the top of the file");
                self.push(file, d);
            }
            Some(Spanned {
                value: FormatVersion::Int(1),
                ..
            }) => {}
            Some(Spanned { node, .. }) => {
                let found = file.doc.describe(*node);
                let d = file
                    .error(
                        *node,
                        Code::UnsupportedVersion,
                        format!("inventory format version {found} is not supported"),
                    )
                    .hint("this covmap reads `covmap: 1`: write the file in format 1, or use a newer covmap");
                self.push(file, d);
            }
        }
        let mut settings = Settings {
            organization: None,
            domain: None,
            version: None,
            platforms: None,
            scoring: None,
            plan: None,
            exclusions: Vec::new(),
            threats: Threats::default(),
            capabilities: Vec::new(),
            telemetry: Vec::new(),
        };
        if let Some(d) = raw.organization
            && let Some(name) = self.read::<&str>(file, d.node)
        {
            settings.organization = Some((name.trim().to_string(), d.node));
        }
        if let Some(d) = raw.attack
            && let Some(target) = self.read::<RawAttack<'_>>(file, d.node)
        {
            self.attack_target(file, target, &mut settings);
        }
        if let Some(d) = raw.scope
            && let Some(scope) = self.read::<RawScope<'_>>(file, d.node)
        {
            self.scope(file, &scope, &mut settings);
        }
        if let Some(d) = raw.scoring
            && let Some(params) = self.read::<ScoringParams>(file, d.node)
            && self.check_scoring(file, d.node, &params)
        {
            settings.scoring = Some((params, d.node));
        }
        if let Some(d) = raw.plan
            && let Some(plan) = self.read::<RawPlan<'_>>(file, d.node)
            && let Some(params) = self.plan(file, &plan)
        {
            settings.plan = Some((params, d.node));
        }
        if let Some(d) = raw.capabilities
            && let Some(list) = self.read::<Vec<yaml::Deferred<RawCapability<'_>>>>(file, d.node)
        {
            settings.capabilities = list.into_iter().map(|c| c.node).collect();
        }
        if let Some(d) = raw.telemetry
            && let Some(list) = self.read::<Vec<yaml::Deferred<RawTelemetry<'_>>>>(file, d.node)
        {
            settings.telemetry = list.into_iter().map(|t| t.node).collect();
        }
        Some(settings)
    }

    fn attack_target(&mut self, file: &FileRef<'_>, raw: RawAttack<'_>, settings: &mut Settings) {
        if let Some(domain) = raw.domain {
            let written = domain.value.trim().to_ascii_lowercase();
            let short = written
                .strip_suffix("-attack")
                .unwrap_or(&written)
                .to_string();
            if !["enterprise", "mobile", "ics"].contains(&short.as_str()) {
                let mut d = file.error(
                    domain.node,
                    Code::InvalidValue,
                    format!("`{}` is not an ATT&CK domain", domain.value.trim()),
                );
                if let Some(best) = closest(&short, ["enterprise", "mobile", "ics"]) {
                    d = d.hint(format!("did you mean `{best}`?"));
                }
                let d = d.hint("valid values: enterprise, mobile, ics");
                self.push(file, d);
            } else if short != self.attack.domain_short() {
                let d = file
                    .error(
                        domain.node,
                        Code::AttackDomainMismatch,
                        format!(
                            "the inventory is written for {short} ATT&CK, but the loaded bundle is {}",
                            self.bundle_name()
                        ),
                    )
                    .hint(format!(
                        "load a {short} bundle (`--domain {short}` or `--attack PATH`), or correct `attack.domain`"
                    ));
                self.push(file, d);
            } else {
                settings.domain = Some((short, domain.node));
            }
        }
        if let Some(version) = raw.version {
            let written = version.value.trim();
            let written = written
                .strip_prefix(['v', 'V'])
                .unwrap_or(written)
                .to_string();
            if let Some(loaded) = self.attack.version()
                && written != loaded
            {
                let d = file
                        .warning(
                            version.node,
                            Code::AttackVersionMismatch,
                            format!(
                                "the inventory names ATT&CK {written}, but the loaded bundle is ATT&CK {loaded}"
                            ),
                        )
                        .hint(format!(
                            "IDs were checked against {loaded}: review what changed (`covmap attack diff {written} {loaded}`), then set `version: \"{loaded}\"`"
                        ));
                self.push(file, d);
            }
            settings.version = Some((written, version.node));
        }
    }

    fn scope(&mut self, file: &FileRef<'_>, raw: &RawScope<'_>, settings: &mut Settings) {
        if let Some(d) = raw.platforms
            && let Some(list) = self.read::<Vec<Spanned<&str>>>(file, d.node)
        {
            if list.is_empty() {
                let diag = file
                    .error(
                        d.node,
                        Code::InvalidValue,
                        "`scope.platforms` is empty: nothing would be in scope".to_string(),
                    )
                    .hint("list the platforms to assess, or remove the key to assess them all");
                self.push(file, diag);
            } else {
                let platforms = self.platform_list(file, &list);
                if !platforms.is_empty() {
                    settings.platforms = Some((platforms, d.node));
                }
            }
        }
        if let Some(d) = raw.exclude {
            let list = self
                .read::<Vec<yaml::Deferred<RawExclusion<'_>>>>(file, d.node)
                .unwrap_or_default();
            for item in list {
                let Some(exclusion) = self.read::<RawExclusion<'_>>(file, item.node) else {
                    continue;
                };
                let reason = exclusion.reason.value.trim().to_string();
                if reason.is_empty() {
                    let diag = file
                        .error(
                            exclusion.reason.node,
                            Code::InvalidValue,
                            "`reason` is empty".to_string(),
                        )
                        .hint("say why the technique is out of scope: reports show it");
                    self.push(file, diag);
                }
                if let Resolved::Technique(technique) = self.technique(file, &exclusion.technique) {
                    settings.exclusions.push(Exclusion {
                        technique,
                        reason,
                        location: file.start(item.node),
                    });
                }
            }
        }
        if let Some(d) = raw.threats
            && let Some(threats) = self.read::<RawThreats<'_>>(file, d.node)
        {
            settings.threats = self.threats(file, &threats);
        }
    }

    /// The `plan:` section: mitigation IDs and log-source names of the bundle with finite,
    /// non-negative costs, and levels in [0, 1]. `None` (with findings) when anything is wrong.
    fn plan(&mut self, file: &FileRef<'_>, raw: &RawPlan<'_>) -> Option<PlanParams> {
        let mut params = PlanParams::default();
        let mut ok = true;
        if let Some(d) = &raw.mitigation_level {
            match self.level(file, d) {
                Some(level) => params.mitigation_level = level,
                None => ok = false,
            }
        }
        if let Some(d) = &raw.analytic_level {
            match self.level(file, d) {
                Some(level) => params.analytic_level = level,
                None => ok = false,
            }
        }
        // Log-source names the analytics of the bundle use, by matching key (the first
        // spelling in bundle order).
        let mut sources: std::collections::BTreeMap<String, &str> =
            std::collections::BTreeMap::new();
        for analytic in self.attack.analytics() {
            for s in &analytic.log_sources {
                sources
                    .entry(crate::telemetry::source_key(&s.name))
                    .or_insert(s.name.as_str());
            }
        }
        if let Some(d) = raw.costs
            && let Some(costs) =
                self.read::<std::collections::BTreeMap<&str, Spanned<f64>>>(file, d.node)
        {
            for (key, cost) in costs {
                let mitigation = key.trim().to_ascii_uppercase();
                let known = self
                    .attack
                    .lookup(&mitigation)
                    .is_some_and(|r| r.kind == Kind::Mitigation && self.attack.meta(r).is_active());
                let source = sources.get(&crate::telemetry::source_key(key)).copied();
                let id = if known {
                    Some(mitigation)
                } else {
                    source.map(str::to_string)
                };
                let Some(id) = id else {
                    let at = file.doc.key_node(d.node, key).unwrap_or(cost.node);
                    let mut d = file.error(
                        at,
                        Code::UnknownMitigation,
                        format!(
                            "`plan.costs` names `{key}`, which is neither an active ATT&CK mitigation nor a log-source name of the loaded bundle's analytics"
                        ),
                    );
                    if let Some(best) = closest(key, sources.values().copied()) {
                        d = d.hint(format!("did you mean `{best}`?"));
                    }
                    let d = d.hint("use a mitigation ID such as `M1026` (`covmap attack show M1026` shows one) or a log-source name such as `WinEventLog:Sysmon`");
                    self.push(file, d);
                    ok = false;
                    continue;
                };
                if cost.value.is_finite() && cost.value >= 0.0 {
                    params.costs.insert(id, cost.value);
                } else {
                    let d = file
                        .error(
                            cost.node,
                            Code::InvalidValue,
                            format!(
                                "`plan.costs.{key}` is {}: a cost must be a number from 0 up",
                                cost.value
                            ),
                        )
                        .hint("write the yearly cost, e.g. `M1026: 20000`");
                    self.push(file, d);
                    ok = false;
                }
            }
        }
        ok.then_some(params)
    }

    fn check_scoring(&mut self, file: &FileRef<'_>, node: NodeId, p: &ScoringParams) -> bool {
        let doc = file.doc;
        let at = |path: &[&str]| doc.lookup(node, path).unwrap_or(node);
        let mut ok = true;
        let mut bad =
            |run: &mut Run<'_>, path: &[&str], code: Code, message: String, hint: &'static str| {
                let d = file.error(at(path), code, message).hint(hint);
                run.push(file, d);
                ok = false;
            };
        for (name, value) in [
            ("minimal", p.levels.minimal),
            ("partial", p.levels.partial),
            ("significant", p.levels.significant),
        ] {
            if !(0.0..=1.0).contains(&value) {
                bad(
                    self,
                    &["levels", name],
                    Code::LevelOutOfRange,
                    format!("`scoring.levels.{name}` is {value}, outside [0, 1]"),
                    "level values are numbers from 0 to 1",
                );
            }
        }
        for (name, value) in [
            ("claimed", p.confidence.claimed),
            ("configured", p.confidence.configured),
            ("tested", p.confidence.tested),
        ] {
            if !(0.0..=1.0).contains(&value) {
                bad(
                    self,
                    &["confidence", name],
                    Code::InvalidValue,
                    format!("`scoring.confidence.{name}` is {value}, outside [0, 1]"),
                    "confidence factors are numbers from 0 to 1",
                );
            }
        }
        let factor = p.threat_software_factor;
        if !(0.0..=1.0).contains(&factor) {
            bad(
                self,
                &["threat_software_factor"],
                Code::InvalidValue,
                format!("`scoring.threat_software_factor` is {factor}, outside [0, 1]"),
                "it is what a threat's use through software counts next to a direct use (1); the default is 0.5",
            );
        }
        if let Some(factor) = p.filtered_telemetry
            && !(0.0..=1.0).contains(&factor)
        {
            bad(
                self,
                &["filtered_telemetry"],
                Code::InvalidValue,
                format!("`scoring.filtered_telemetry` is {factor}, outside [0, 1]"),
                "it is what a log source collected only through an include filter counts next to one collected whole (1); the default is 0.5",
            );
        }
        let t = p.thresholds;
        if !(t.medium > 0.0 && t.medium <= t.high && t.high <= 1.0) {
            bad(
                self,
                &["thresholds"],
                Code::InvalidValue,
                format!(
                    "`scoring.thresholds` must satisfy 0 < medium <= high <= 1, found medium {} and high {}",
                    t.medium, t.high
                ),
                "the defaults are medium 0.33 and high 0.66",
            );
        }
        if p.headline.functions.is_empty() {
            bad(
                self,
                &["headline", "functions"],
                Code::InvalidValue,
                "`scoring.headline.functions` is empty".to_string(),
                "list the functions the headline score combines; the default is [detect, protect]",
            );
        }
        ok
    }

    // -----------------------------------------------------------------------------------------
    // Merging

    #[allow(clippy::too_many_lines)] // one block per merged setting
    fn merge(&mut self, files: &[(FileRef<'_>, Settings)], inventory: &mut Inventory) {
        fn first_and_conflicts<T: PartialEq + Clone>(
            run: &mut Run<'_>,
            files: &[(FileRef<'_>, Settings)],
            key: &str,
            get: impl Fn(&Settings) -> Option<&(T, NodeId)>,
            show: impl Fn(&T) -> String,
        ) -> Option<T> {
            let mut first: Option<(&FileRef<'_>, &(T, NodeId))> = None;
            for (file, settings) in files {
                let Some(this) = get(settings) else { continue };
                match first {
                    None => first = Some((file, this)),
                    Some((first_file, (value, node))) if *value != this.0 => {
                        let (location, _) = first_file.location(*node);
                        let d = file
                            .error(
                                this.1,
                                Code::ConflictingSetting,
                                format!(
                                    "`{key}` is {} here, but {} in {}",
                                    show(&this.0),
                                    show(value),
                                    first_file.path.display()
                                ),
                            )
                            .hint(format!(
                                "set `{key}` in one file only, or to the same value in every file"
                            ))
                            .related(location, format!("`{key}` is first set here"));
                        run.push(file, d);
                    }
                    Some(_) => {}
                }
            }
            first.map(|(_, (value, _))| value.clone())
        }

        inventory.organization = first_and_conflicts(
            self,
            files,
            "organization",
            |s| s.organization.as_ref(),
            |v| format!("`{v}`"),
        );
        inventory.attack = AttackTarget {
            domain: first_and_conflicts(
                self,
                files,
                "attack.domain",
                |s| s.domain.as_ref(),
                |v| format!("`{v}`"),
            ),
            version: first_and_conflicts(
                self,
                files,
                "attack.version",
                |s| s.version.as_ref(),
                |v| format!("`{v}`"),
            ),
        };
        let platforms = first_and_conflicts(
            self,
            files,
            "scope.platforms",
            |s| s.platforms.as_ref(),
            |v| format!("[{}]", v.join(", ")),
        );
        inventory.scope.platforms = platforms.unwrap_or_else(|| self.platforms.clone());
        inventory.scoring = first_and_conflicts(
            self,
            files,
            "scoring",
            |s| s.scoring.as_ref(),
            |_| "set differently".to_string(),
        )
        .unwrap_or_default();
        inventory.plan = first_and_conflicts(
            self,
            files,
            "plan",
            |s| s.plan.as_ref(),
            |_| "set differently".to_string(),
        )
        .unwrap_or_default();

        let mut threats = Threats::default();
        for (_, settings) in files {
            inventory
                .scope
                .exclusions
                .extend(settings.exclusions.iter().cloned());
            threats.groups.extend(&settings.threats.groups);
            threats.campaigns.extend(&settings.threats.campaigns);
            threats.software.extend(&settings.threats.software);
        }
        threats.profiles = self.merged_profiles(files);
        let attack = self.attack;
        let by_id = |kind: Kind, list: &mut Vec<u32>| {
            list.sort_by(|a, b| {
                let ida = attack.meta(ObjectRef { kind, index: *a }).id();
                let idb = attack.meta(ObjectRef { kind, index: *b }).id();
                ida.cmp(idb).then(a.cmp(b))
            });
            list.dedup();
        };
        by_id(Kind::Group, &mut threats.groups);
        by_id(Kind::Campaign, &mut threats.campaigns);
        by_id(Kind::Software, &mut threats.software);
        inventory.scope.threats = threats;
    }

    /// The threat profiles of every file, sorted by name. Two profiles of one name could not
    /// be told apart in reports: an error at the second, pointing at the first.
    fn merged_profiles(&mut self, files: &[(FileRef<'_>, Settings)]) -> Vec<ThreatProfile> {
        let mut profiles: Vec<ThreatProfile> = files
            .iter()
            .flat_map(|(_, s)| s.threats.profiles.iter().cloned())
            .collect();
        profiles.sort_by(|a, b| a.name.cmp(&b.name).then(a.location.cmp(&b.location)));
        let mut kept: Vec<ThreatProfile> = Vec::with_capacity(profiles.len());
        for profile in profiles {
            if let Some(first) = kept.last().filter(|k| k.name == profile.name) {
                let d = Diagnostic::new(
                    Severity::Error,
                    Code::InvalidValue,
                    profile.location.clone(),
                    format!("two threat profiles are named `{}`", profile.name),
                )
                .hint("give each profile its own `name`")
                .related(first.location.clone(), "the first profile of that name");
                // Findings are kept per file index: find this one's.
                let index = files
                    .iter()
                    .find(|(f, _)| **f.path == *profile.location.path)
                    .map_or(0, |(f, _)| f.index);
                self.push_in(index, d);
                continue;
            }
            kept.push(profile);
        }
        kept
    }

    // -----------------------------------------------------------------------------------------
    // Capabilities

    /// Reads every capability, in order, into `inventory.capabilities`.
    ///
    /// With a `split`, the list is read in two halves at once, the second by a run of its own on another
    /// thread, and the halves are joined as if read in one pass: the same capabilities and the
    /// same findings in the same order. Two things make a capability depend on the ones before
    /// it: the ids taken, and the budget of "did you mean" suggestions. When the second half
    /// reuses an id of the first, or the halves together want more suggestions than the budget,
    /// its result is dropped and it is read again after the first half, on this run.
    fn capabilities(
        &mut self,
        capabilities: &[(&FileRef<'_>, NodeId)],
        split: Option<usize>,
        inventory: &mut Inventory,
    ) {
        let scope = &inventory.scope;
        let mut ids: Ids = HashMap::with_capacity(capabilities.len());
        let Some(split) = split.filter(|at| *at <= capabilities.len()) else {
            for (file, node) in capabilities {
                if let Some(c) = self.capability(file, *node, scope, &mut ids) {
                    inventory.capabilities.push(c);
                }
            }
            return;
        };
        let (first, second) = capabilities.split_at(split);
        let (attack, context) = (self.attack, self.context);
        let scope_platforms = self.scope_platforms.clone();
        let other = std::thread::scope(|threads| {
            let other = threads.spawn(|| {
                let mut run = Run::new(attack, context);
                run.scope_platforms = scope_platforms;
                let mut ids: Ids = HashMap::with_capacity(second.len());
                let read: Vec<Capability> = second
                    .iter()
                    .filter_map(|(file, node)| run.capability(file, *node, scope, &mut ids))
                    .collect();
                (run, ids, read)
            });
            for (file, node) in first {
                if let Some(c) = self.capability(file, *node, scope, &mut ids) {
                    inventory.capabilities.push(c);
                }
            }
            other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        let (other, other_ids, read) = other;
        if !self.independent_of(&other, &ids, &other_ids) {
            for (file, node) in second {
                if let Some(c) = self.capability(file, *node, scope, &mut ids) {
                    inventory.capabilities.push(c);
                }
            }
            return;
        }
        inventory.capabilities.extend(read);
        self.join(other);
    }

    /// Whether the second half, read by `other` with the ids `other_ids`, reads as it would
    /// after this run's half (with the ids `ids`): no id of the first half reused, and the
    /// halves' "did you mean" suggestions together within the budget.
    fn independent_of(&self, other: &Run<'_>, ids: &Ids, other_ids: &Ids) -> bool {
        let suggested = self.suggestions.len()
            + other
                .suggestions
                .keys()
                .filter(|k| !self.suggestions.contains_key(*k))
                .count();
        suggested <= SUGGESTION_BUDGET && other_ids.keys().all(|id| !ids.contains_key(id))
    }

    /// Takes the findings and suggestions of `other`, which read the half after this run's.
    fn join(&mut self, other: Run<'_>) {
        self.diagnostics.extend(other.diagnostics);
        self.diagnostic_files.extend(other.diagnostic_files);
        // Later steps (telemetry) count suggestions against the same budget. A key both runs
        // looked up has the same suggestions in both.
        self.suggestions.extend(other.suggestions);
    }

    /// Reads the capabilities of a file read in pieces ([`yaml::Pieces`]): the head's items,
    /// then each piece's, each piece parsed, read and dropped in turn, so that no more than a
    /// piece's tree (one a thread) is held beside what has been read. With two threads, the
    /// pieces from the middle of the text on are read by a run of their own and joined as
    /// [`Run::capabilities`] joins its halves. `false` when a piece cannot be read alone: the
    /// caller then reads the whole text, and what was read here is dropped.
    fn capabilities_in_pieces(
        &mut self,
        head: &FileRef<'_>,
        head_items: &[NodeId],
        pieces: &yaml::Pieces,
        inventory: &mut Inventory,
    ) -> bool {
        let scope = &inventory.scope;
        let mut ids: Ids = HashMap::new();
        let count = pieces.len();
        let middle = head.doc.text().len() / 2;
        let half = if crate::threads::parallel() {
            (0..count)
                .find(|&i| pieces.start(i) >= middle)
                .unwrap_or(count)
        } else {
            count
        };
        let (attack, context) = (self.attack, self.context);
        let scope_platforms = self.scope_platforms.clone();
        let (first_read, other) = std::thread::scope(|threads| {
            let other = (half < count).then(|| {
                threads.spawn(|| {
                    let mut run = Run::new(attack, context);
                    run.scope_platforms = scope_platforms;
                    let (mut ids, mut read) = (HashMap::new(), Vec::new());
                    let all =
                        run.read_pieces(head, pieces, half..count, scope, &mut ids, &mut read);
                    (all, run, ids, read)
                })
            });
            for node in head_items {
                if let Some(c) = self.capability(head, *node, scope, &mut ids) {
                    inventory.capabilities.push(c);
                }
            }
            let all = self.read_pieces(
                head,
                pieces,
                0..half,
                scope,
                &mut ids,
                &mut inventory.capabilities,
            );
            let other = other.map(|o| {
                o.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            });
            (all, other)
        });
        if !first_read {
            return false;
        }
        let Some((all, other, other_ids, read)) = other else {
            return true;
        };
        if !(all && self.independent_of(&other, &ids, &other_ids)) {
            // Read again after the first half, on this run (a piece that cannot be read alone
            // is refused here again).
            return self.read_pieces(
                head,
                pieces,
                half..count,
                scope,
                &mut ids,
                &mut inventory.capabilities,
            );
        }
        inventory.capabilities.extend(read);
        self.join(other);
        true
    }

    /// Parses, reads and drops the pieces `range` in turn, their capabilities into `out`;
    /// `false` at the first piece that cannot be read alone.
    fn read_pieces(
        &mut self,
        head: &FileRef<'_>,
        pieces: &yaml::Pieces,
        range: std::ops::Range<usize>,
        scope: &Scope,
        ids: &mut Ids,
        out: &mut Vec<Capability>,
    ) -> bool {
        for index in range {
            let Some(doc) = pieces.parse(index, head.doc) else {
                return false;
            };
            let file = FileRef { doc: &doc, ..*head };
            let Some(list) = doc
                .root()
                .and_then(|root| self.read::<Vec<yaml::Deferred<RawCapability<'_>>>>(&file, root))
            else {
                return false;
            };
            for item in list {
                if let Some(c) = self.capability(&file, item.node, scope, ids) {
                    out.push(c);
                }
            }
        }
        true
    }

    fn capability<'d>(
        &mut self,
        file: &FileRef<'d>,
        node: NodeId,
        scope: &Scope,
        ids: &mut Ids,
    ) -> Option<Capability> {
        let read = file.doc.read::<RawCapability<'d>>(node);
        self.unknown_keys(file, &read.unknown);
        let raw = match read.value {
            Ok(raw) => raw,
            Err(e) => {
                self.de_error(file, &e, node);
                self.capability_fallback(file, node, scope, ids);
                return None;
            }
        };
        let id = raw.id.value.trim().to_string();
        let mut keep = true;
        if id.is_empty() {
            let d = file
                .error(
                    raw.id.node,
                    Code::InvalidValue,
                    "capability `id` is empty".to_string(),
                )
                .hint("give the capability a short unique id, e.g. `edr`");
            self.push(file, d);
            keep = false;
        } else if id.chars().count() > MAX_CAPABILITY_ID_CHARS {
            // The id names the capability in every technique it covers (assessment.json,
            // tooltips, layers): an unbounded id would make outputs grow with their product.
            let d = file
                .error(
                    raw.id.node,
                    Code::InvalidValue,
                    format!(
                        "capability `id` is {} characters long; at most {MAX_CAPABILITY_ID_CHARS}",
                        id.chars().count()
                    ),
                )
                .hint("give the capability a short unique id, e.g. `edr`, and put the long text in `name`");
            self.push(file, d);
            keep = false;
        } else if !self.register_id(file, &raw.id, ids) {
            keep = false;
        }

        let system = raw.system.and_then(|system| {
            let name = system.value.trim();
            if name.is_empty() {
                let d = file
                    .error(
                        system.node,
                        Code::InvalidValue,
                        format!("capability `{id}` has an empty `system`"),
                    )
                    .hint("name the system it belongs to (e.g. `siem`), or remove the key: it is then its own system");
                self.push(file, d);
                None
            } else {
                Some(name.to_string())
            }
        });

        let platforms = self.capability_platforms(file, raw.platforms, &id, scope);

        let cost = raw.cost.and_then(|d| {
            let cost = self.read::<RawCost<'_>>(file, d.node)?;
            self.cost(file, &cost)
        });

        let imports = self.capability_imports(file, raw.import);
        let coverage = self.capability_coverage(
            file,
            raw.coverage,
            raw.id.node,
            &id,
            &platforms,
            !imports.is_empty(),
        );

        keep.then(|| Capability {
            name: raw
                .name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map_or_else(|| id.clone(), str::to_string),
            id,
            vendor: raw.vendor,
            status: raw.status.map_or(Status::Deployed, |s| s.value),
            system,
            platforms,
            cost,
            owner: raw.owner,
            tags: raw.tags.unwrap_or_default(),
            coverage,
            imports,
            location: file.start(node),
        })
    }

    /// A capability's `import:` entries, checked (paths resolved against the file's folder;
    /// whether they exist is for the importer to say).
    fn capability_imports(
        &mut self,
        file: &FileRef<'_>,
        import: Option<yaml::Deferred<Vec<yaml::Deferred<RawImport<'_>>>>>,
    ) -> Vec<ImportSpec> {
        let Some(list) = import else {
            return Vec::new();
        };
        let Some(entries) = self.read::<Vec<yaml::Deferred<RawImport<'_>>>>(file, list.node) else {
            return Vec::new();
        };
        let folder = file.path.parent().unwrap_or(Path::new(""));
        let mut specs = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(raw) = self.read::<RawImport<'_>>(file, entry.node) else {
                continue;
            };
            let mut ok = true;
            let mut paths = Vec::with_capacity(raw.path.value.0.len());
            for path in &raw.path.value.0 {
                let written = path.value.trim();
                if written.is_empty() {
                    let d = file
                        .error(
                            path.node,
                            Code::InvalidValue,
                            "empty import `path`".to_string(),
                        )
                        .hint("name a file or folder, relative to this inventory file");
                    self.push(file, d);
                    ok = false;
                } else {
                    paths.push(folder.join(written));
                }
            }
            if raw.path.value.0.is_empty() {
                let d = file
                    .error(
                        raw.path.node,
                        Code::InvalidValue,
                        "empty import `path` list".to_string(),
                    )
                    .hint("name a file or folder, relative to this inventory file");
                self.push(file, d);
                ok = false;
            }
            let statuses = raw.status.map(|list| {
                list.value
                    .0
                    .iter()
                    .map(|s| s.value.trim().to_ascii_lowercase())
                    .collect::<Vec<_>>()
            });
            let level = raw.level.as_ref().and_then(|level| {
                let read = self.level(file, level);
                ok &= read.is_some();
                read
            });
            if ok {
                specs.push(ImportSpec {
                    format: raw.format.value,
                    paths,
                    statuses,
                    function: raw.function,
                    level,
                    confidence: raw.confidence.map(|c| c.value),
                    location: file.start(entry.node),
                });
            }
        }
        specs
    }

    /// What can be checked of a capability that cannot be read: its id (for duplicates) and
    /// its coverage entries.
    fn capability_fallback<'d>(
        &mut self,
        file: &FileRef<'d>,
        node: NodeId,
        scope: &Scope,
        ids: &mut Ids,
    ) {
        let Ok(fallback) = file.doc.read::<RawCapabilityFallback<'d>>(node).value else {
            return;
        };
        if let Some(id) = &fallback.id {
            self.register_id(file, id, ids);
        }
        if let Some(coverage) = fallback.coverage {
            let entries = file
                .doc
                .read::<Vec<yaml::Deferred<RawCoverage<'_>>>>(coverage.node)
                .value
                .unwrap_or_default();
            let mut sink = Vec::new();
            for entry in entries {
                self.entry(file, entry.node, &scope.platforms, "", &mut sink);
            }
        }
    }

    /// A capability's platforms: resolved, or the scope's by default.
    fn capability_platforms(
        &mut self,
        file: &FileRef<'_>,
        platforms: Option<yaml::Deferred<Vec<Spanned<&str>>>>,
        id: &str,
        scope: &Scope,
    ) -> Vec<String> {
        match platforms {
            None => scope.platforms.clone(),
            Some(d) => match self.read::<Vec<Spanned<&str>>>(file, d.node) {
                None => scope.platforms.clone(),
                Some(list) if list.is_empty() => {
                    let diag = file
                        .error(
                            d.node,
                            Code::InvalidValue,
                            format!("capability `{id}` has an empty `platforms` list"),
                        )
                        .hint("list the platforms it covers, or remove the key to use the scope's");
                    self.push(file, diag);
                    scope.platforms.clone()
                }
                Some(list) => {
                    let resolved = self.platform_list(file, &list);
                    if resolved.is_empty() {
                        scope.platforms.clone()
                    } else {
                        if !resolved.iter().any(|p| scope.platforms.contains(p)) {
                            let diag = file
                                .warning(
                                    d.node,
                                    Code::NoPlatformInScope,
                                    format!(
                                        "none of capability `{id}`'s platforms ({}) is in scope ({})",
                                        resolved.join(", "),
                                        scope.platforms.join(", ")
                                    ),
                                )
                                .hint("add one of its platforms to `scope.platforms`, or correct the capability's `platforms`: as it is, it covers nothing");
                            self.push(file, diag);
                        }
                        resolved
                    }
                }
            },
        }
    }

    /// A capability's coverage entries, checked and resolved.
    fn capability_coverage(
        &mut self,
        file: &FileRef<'_>,
        coverage: Option<yaml::Deferred<Vec<yaml::Deferred<RawCoverage<'_>>>>>,
        id_node: NodeId,
        id: &str,
        platforms: &[String],
        imports: bool,
    ) -> Vec<CoverageEntry> {
        let mut entries_out = Vec::new();
        let mut listed = std::mem::take(&mut self.listed);
        listed.clear();
        match coverage {
            // Imported artefacts give the coverage.
            None if imports => {}
            None => {
                let d = file
                    .warning(
                        id_node,
                        Code::EmptyCapability,
                        format!("capability `{id}` has no `coverage`"),
                    )
                    .hint("add `coverage:` entries saying which techniques it detects, protects against or responds to, or remove the capability");
                self.push(file, d);
            }
            Some(d) => {
                if let Some(entries) =
                    self.read::<Vec<yaml::Deferred<RawCoverage<'_>>>>(file, d.node)
                {
                    if entries.is_empty() && !imports {
                        let diag = file
                            .warning(
                                d.node,
                                Code::EmptyCapability,
                                format!("capability `{id}` has no coverage entries"),
                            )
                            .hint("add entries under `coverage:`, or remove the capability");
                        self.push(file, diag);
                    }
                    entries_out.reserve(entries.len());
                    for entry in entries {
                        if let Some(e) = self.entry(file, entry.node, platforms, id, &mut listed) {
                            entries_out.push(e);
                        }
                    }
                }
            }
        }
        self.redundant_subtechniques(file, &listed);
        self.listed = listed;
        entries_out
    }

    /// Records a capability id; `false` (and an error naming both places) when it is taken.
    fn register_id<'d>(
        &mut self,
        file: &FileRef<'d>,
        id: &Spanned<&'d str>,
        ids: &mut Ids,
    ) -> bool {
        let key = id.value.trim();
        if key.is_empty() {
            return false;
        }
        if let Some(first) = ids.get(key) {
            let d = file
                .error(
                    id.node,
                    Code::DuplicateCapabilityId,
                    format!("capability id `{key}` is already used at {first}"),
                )
                .hint(
                    "capability ids must be unique across all inventory files: rename one of them",
                )
                .related(first.clone(), format!("`{key}` is first used here"));
            self.push(file, d);
            return false;
        }
        ids.insert(key.to_string(), file.start(id.node));
        true
    }

    fn cost(&mut self, file: &FileRef<'_>, raw: &RawCost<'_>) -> Option<Cost> {
        let mut ok = true;
        if !raw.annual.value.is_finite() || raw.annual.value < 0.0 {
            let d = file
                .error(
                    raw.annual.node,
                    Code::InvalidValue,
                    format!(
                        "`annual` cost must be a number of 0 or more, found {}",
                        raw.annual.value
                    ),
                )
                .hint("write the yearly cost, e.g. `annual: 120000`");
            self.push(file, d);
            ok = false;
        }
        let currency = raw.currency.value.trim();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
            let d = file
                .error(
                    raw.currency.node,
                    Code::InvalidValue,
                    format!("`{currency}` is not an ISO 4217 currency code"),
                )
                .hint("write a three-letter code such as `EUR`, `USD` or `GBP`");
            self.push(file, d);
            ok = false;
        }
        ok.then(|| Cost {
            annual: raw.annual.value,
            currency: currency.to_ascii_uppercase(),
        })
    }

    /// Checks and resolves one coverage entry. `platforms` are the capability's.
    fn entry(
        &mut self,
        file: &FileRef<'_>,
        node: NodeId,
        platforms: &[String],
        capability: &str,
        listed: &mut Vec<Listed>,
    ) -> Option<CoverageEntry> {
        let read = file.doc.read::<RawCoverage<'_>>(node);
        self.unknown_keys(file, &read.unknown);
        let raw = match read.value {
            Ok(raw) => raw,
            Err(e) => {
                self.de_error(file, &e, node);
                // The techniques are still worth checking.
                if let Ok(RawCoverageFallback {
                    techniques: Some(list),
                }) = file.doc.read::<RawCoverageFallback<'_>>(node).value
                {
                    for t in &list.value.0 {
                        self.technique(file, t);
                    }
                }
                return None;
            }
        };
        let mut ok = true;

        let include = raw.include_subtechniques.unwrap_or(false);
        let first_listed = listed.len();
        let techniques =
            self.entry_techniques(file, &raw.techniques, raw.function, include, listed);
        let level = self.level(file, &raw.level);
        ok &= level.is_some();
        let level = level.unwrap_or(Level::Value(0.0));

        let evidence = raw
            .evidence
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string);
        if let Some(Spanned {
            value: Confidence::Tested,
            node: at,
        }) = raw.confidence
            && evidence.is_none()
        {
            let d = file
                    .warning(
                        at,
                        Code::TestedWithoutEvidence,
                        "`confidence: tested` without `evidence`".to_string(),
                    )
                    .hint("add `evidence:` saying how it was tested (exercise, report, ticket), and `tested_on:`");
            self.push(file, d);
        }

        let tested_on = raw.tested_on.and_then(|date| {
            let text = date.value.trim();
            if valid_date(text) {
                Some(text.to_string())
            } else {
                let d = file
                    .error(
                        date.node,
                        Code::InvalidValue,
                        format!("`tested_on` must be a date written YYYY-MM-DD, found `{text}`"),
                    )
                    .hint("write the date of the last test, e.g. `tested_on: 2026-03-12`");
                self.push(file, d);
                ok = false;
                None
            }
        });

        let entry_platforms = match raw.platforms {
            None => None,
            Some(d) => {
                let narrowed = self.entry_platforms(file, d.node, platforms, capability);
                ok &= narrowed.is_some();
                narrowed
            }
        };

        if !ok || techniques.is_empty() {
            return None;
        }
        let entry = CoverageEntry {
            techniques,
            function: raw.function,
            level,
            confidence: raw.confidence.map(|c| c.value),
            evidence,
            tested_on,
            include_subtechniques: include,
            parent_level_by_choice: raw.include_subtechniques == Some(false),
            platforms: entry_platforms,
            location: file.start(node),
        };
        let mine = listed.get(first_listed..).unwrap_or_default();
        let before = self.diagnostics.len();
        self.parent_only(file, &entry, mine);
        self.platform_mismatch(file, &entry, raw.platforms.map(|d| d.node), platforms, mine);
        // Each check goes through the entry's techniques in turn; sorted here by place (stably,
        // as the final sort would), their findings keep the run's in order, and the final sort
        // of a large inventory's findings (one an entry in the generated ones) has nothing to do.
        if let Some(added) = self.diagnostics.get_mut(before..)
            && added.len() > 1
        {
            added.sort_by_key(|d| (d.location.line, d.location.column));
        }
        Some(entry)
    }

    /// Warns once about an entry on parent techniques that scores none of their
    /// sub-techniques (no `include_subtechniques`), at the first such technique.
    fn parent_only(&mut self, file: &FileRef<'_>, entry: &CoverageEntry, listed: &[Listed]) {
        let parents = self.subtechniques.parent_only(entry);
        let Some(&(first, _)) = parents.first() else {
            return;
        };
        let Some(at) = listed.iter().find(|l| l.technique == first).map(|l| l.node) else {
            return;
        };
        let attack = self.attack;
        let total: usize = parents.iter().map(|(_, n)| n).sum();
        let message = if let [(t, n)] = parents.as_slice() {
            format!(
                "`{}` has {}, and this entry counts for none of them: without `include_subtechniques`, a claim on a parent technique is evidence at parent level only and scores nothing",
                technique_id(attack, *t),
                plural(*n, "sub-technique")
            )
        } else {
            let named: Vec<String> = parents
                .iter()
                .map(|&(t, n)| format!("`{}` ({n})", technique_id(attack, t)))
                .collect();
            format!(
                "{} have {} in all, and this entry counts for none of them: without `include_subtechniques`, a claim on a parent technique is evidence at parent level only and scores nothing",
                named.join(", "),
                plural(total, "sub-technique")
            )
        };
        let mut listing = Vec::new();
        for &(t, _) in &parents {
            listing.extend(
                self.subtechniques
                    .list(t)
                    .iter()
                    .map(|&s| technique_id(attack, s)),
            );
        }
        let mut shown = listing
            .iter()
            .take(NAMED_SUBTECHNIQUES)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if listing.len() > NAMED_SUBTECHNIQUES {
            let _ = write!(shown, " and {} more", listing.len() - NAMED_SUBTECHNIQUES);
        }
        let d = file
            .warning(at, Code::ParentCountsForNoSubtechnique, message)
            .hint("if the capability covers every sub-technique as well, add `include_subtechniques: true` to the entry")
            .hint(format!("otherwise list the sub-techniques it covers ({shown}) instead of the parent"))
            .hint("to keep the claim as parent-level evidence on purpose, write `include_subtechniques: false`");
        self.push(file, d);
    }

    /// Warns about an entry that applies on no platform in scope, or about each technique
    /// that runs on none of the platforms the entry applies on: such claims count for nothing.
    fn platform_mismatch(
        &mut self,
        file: &FileRef<'_>,
        entry: &CoverageEntry,
        platforms_node: Option<NodeId>,
        capability_platforms: &[String],
        listed: &[Listed],
    ) {
        // Taken for the call (findings are pushed meanwhile), put back at the end.
        let scope = std::mem::take(&mut self.scope_platforms);
        self.platform_mismatch_in(
            file,
            entry,
            platforms_node,
            capability_platforms,
            listed,
            &scope,
        );
        self.scope_platforms = scope;
    }

    fn platform_mismatch_in(
        &mut self,
        file: &FileRef<'_>,
        entry: &CoverageEntry,
        platforms_node: Option<NodeId>,
        capability_platforms: &[String],
        listed: &[Listed],
        scope: &[String],
    ) {
        let applies: Vec<&String> = entry
            .platforms
            .as_deref()
            .unwrap_or(capability_platforms)
            .iter()
            .filter(|p| scope.contains(p))
            .collect();
        if applies.is_empty() {
            // A capability with no platform in scope has its own warning.
            if let (Some(node), Some(own)) = (platforms_node, &entry.platforms)
                && capability_platforms.iter().any(|p| scope.contains(p))
            {
                let d = file
                    .warning(
                        node,
                        Code::PlatformMismatch,
                        format!(
                            "none of this entry's platforms ({}) is in scope ({}): the entry counts for nothing",
                            own.join(", "),
                            scope.join(", ")
                        ),
                    )
                    .hint("add one of its platforms to `scope.platforms`, or correct the entry's `platforms`");
                self.push(file, d);
            }
            return;
        }
        let attack = self.attack;
        let mut warned: Vec<u32> = Vec::new();
        for l in listed {
            let Some(technique) = attack.techniques().get(l.technique as usize) else {
                continue;
            };
            let subs = self.subtechniques.list(l.technique);
            if !subs.is_empty() && !entry.include_subtechniques {
                // Parent-level evidence: `parent-counts-for-no-subtechnique` speaks for it.
                continue;
            }
            // A parent with `include_subtechniques` scores on its sub-techniques only.
            let subs: Vec<&covmap_core::Technique> = subs
                .iter()
                .filter_map(|&s| attack.techniques().get(s as usize))
                .collect();
            let alone = [technique];
            let sources: &[&covmap_core::Technique] = if subs.is_empty() { &alone } else { &subs };
            let platforms = || sources.iter().flat_map(|t| &t.platforms);
            // Most claims apply on a platform the technique runs on: decided before sorting.
            if !platforms().any(|p| scope.contains(p))
                || platforms().any(|p| scope.contains(p) && applies.contains(&p))
                || warned.contains(&l.technique)
            {
                continue;
            }
            let mut runs_on: Vec<&String> = platforms().filter(|p| scope.contains(p)).collect();
            runs_on.sort();
            runs_on.dedup();
            warned.push(l.technique);
            let runs_on: Vec<&str> = runs_on.iter().map(|p| p.as_str()).collect();
            let applies: Vec<&str> = applies.iter().map(|p| p.as_str()).collect();
            let d = file
                .warning(
                    l.node,
                    Code::PlatformMismatch,
                    format!(
                        "{} runs on {} in scope, none of the platforms this entry applies on ({}): the claim counts for nothing",
                        technique_label(attack, l.technique),
                        runs_on.join(", "),
                        applies.join(", ")
                    ),
                )
                .hint("remove the technique from this entry, or correct the capability's (or the entry's) `platforms`");
            self.push(file, d);
        }
    }

    /// An entry's techniques, resolved without repeats; adds them as listed, with their nodes,
    /// to `listed`.
    fn entry_techniques(
        &mut self,
        file: &FileRef<'_>,
        list: &Spanned<OneOrMany<Spanned<&str>>>,
        function: Function,
        include_subtechniques: bool,
        listed: &mut Vec<Listed>,
    ) -> Vec<u32> {
        if list.value.0.is_empty() {
            let d = file
                .error(
                    list.node,
                    Code::InvalidValue,
                    "`techniques` is empty".to_string(),
                )
                .hint("list at least one technique ID, e.g. `techniques: [T1059.001]`, or remove the entry");
            self.push(file, d);
        }
        let count = list.value.0.len();
        let mut techniques = Vec::with_capacity(count);
        let mut seen = (count > SCAN_TECHNIQUES_UP_TO).then(|| HashSet::with_capacity(count));
        for t in &list.value.0 {
            if let Resolved::Technique(index) = self.technique(file, t) {
                listed.push(Listed {
                    function,
                    include_subtechniques,
                    technique: index,
                    node: t.node,
                });
                let new = match &mut seen {
                    Some(seen) => seen.insert(index),
                    None => !techniques.contains(&index),
                };
                if new {
                    techniques.push(index);
                }
            }
        }
        techniques
    }

    /// A level, checked to be in [0, 1] when it is a number.
    fn level(&mut self, file: &FileRef<'_>, level: &Spanned<RawLevel>) -> Option<Level> {
        match level.value {
            RawLevel::Named(named) => Some(Level::Named(named)),
            RawLevel::Value(v) => {
                if !(0.0..=1.0).contains(&v) {
                    let d = file
                        .error(
                            level.node,
                            Code::LevelOutOfRange,
                            format!(
                                "level {v} is out of range: a number level must be from 0 to 1"
                            ),
                        )
                        .hint("use a number from 0 to 1, or `minimal`, `partial` or `significant`");
                    self.push(file, d);
                    return None;
                }
                Some(Level::Value(v))
            }
        }
    }

    /// An entry's `platforms`: resolved and sorted; `None` (with findings) when any is wrong.
    fn entry_platforms(
        &mut self,
        file: &FileRef<'_>,
        node: NodeId,
        platforms: &[String],
        capability: &str,
    ) -> Option<Vec<String>> {
        let list = self.read::<Vec<Spanned<&str>>>(file, node);
        match list {
            None => None,
            Some(list) if list.is_empty() => {
                let diag = file
                    .error(node, Code::InvalidValue, "`platforms` is empty".to_string())
                    .hint("list some of the capability's platforms, or remove the key");
                self.push(file, diag);
                None
            }
            Some(list) => {
                let mut ok = true;
                let mut resolved = Vec::with_capacity(list.len());
                for p in &list {
                    let mut names = self.platform(file, p);
                    if names.is_empty() {
                        ok = false;
                        continue;
                    }
                    // A name ATT&CK split in two (`Google Workspace`) narrows to the halves
                    // the capability has, when it has one.
                    if names.len() > 1 && names.iter().any(|n| platforms.contains(n)) {
                        names.retain(|n| platforms.contains(n));
                    }
                    for name in names {
                        if !platforms.contains(&name) {
                            let owner = if capability.is_empty() {
                                "the capability's".to_string()
                            } else {
                                format!("capability `{capability}`'s")
                            };
                            let message = format!(
                                "`{name}` is not one of {owner} platforms ({})",
                                platforms.join(", ")
                            );
                            let diag = file
                            .error(p.node, Code::InvalidValue, message)
                            .hint(format!(
                                "an entry only narrows the capability's platforms: add `{name}` there, or remove it here"
                            ));
                            self.push(file, diag);
                            ok = false;
                        } else if !resolved.contains(&name) {
                            resolved.push(name);
                        }
                    }
                }
                self.sort_platforms(&mut resolved);
                ok.then_some(resolved)
            }
        }
    }

    /// Warns about sub-techniques listed where their parent already covers them.
    fn redundant_subtechniques(&mut self, file: &FileRef<'_>, listed: &[Listed]) {
        let techniques = self.attack.techniques();
        let mut parents: HashMap<(Function, u32), NodeId> = HashMap::new();
        for l in listed.iter().filter(|l| l.include_subtechniques) {
            parents.entry((l.function, l.technique)).or_insert(l.node);
        }
        if parents.is_empty() {
            return;
        }
        for l in listed {
            let Some(parent) = techniques.get(l.technique as usize).and_then(|t| t.parent) else {
                continue;
            };
            let Some(parent_node) = parents.get(&(l.function, parent)) else {
                continue;
            };
            let sub_id = technique_id(self.attack, l.technique);
            let parent_id = technique_id(self.attack, parent);
            let (location, _) = file.location(*parent_node);
            let function = l.function.as_str();
            let d = file
                .warning(
                    l.node,
                    Code::RedundantSubtechnique,
                    format!(
                        "`{sub_id}` is already covered by `{parent_id}` with `include_subtechniques: true` in this capability's `{function}` entries"
                    ),
                )
                .hint(format!(
                    "remove `{sub_id}` here, or set `include_subtechniques: false` on `{parent_id}` and list its sub-techniques one by one"
                ))
                .related(location, format!("`{parent_id}` covers its sub-techniques here"));
            self.push(file, d);
        }
    }

    // -----------------------------------------------------------------------------------------
    // ATT&CK references

    /// Resolves a platform name (any case) to the bundle's spelling, reporting unknown ones.
    fn platform(&mut self, file: &FileRef<'_>, raw: &Spanned<&str>) -> Vec<String> {
        let name = raw.value.trim();
        if let Some(p) = self.platforms.iter().find(|p| p.eq_ignore_ascii_case(name)) {
            return vec![p.clone()];
        }
        // A retired name (`Azure AD`) reads as what replaced it, visibly: the scope or the
        // capability then means what the user meant, and the finding says how to write it.
        let renamed: Vec<String> = covmap_core::renamed_platform(name)
            .unwrap_or_default()
            .iter()
            .filter_map(|new| self.platforms.iter().find(|p| p.as_str() == *new))
            .cloned()
            .collect();
        if !renamed.is_empty() {
            let list: Vec<String> = renamed.iter().map(|p| format!("`{p}`")).collect();
            let d = file
                .warning(
                    raw.node,
                    Code::RenamedPlatform,
                    format!(
                        "`{name}` is a former ATT&CK platform name; read as {}",
                        list.join(" and ")
                    ),
                )
                .hint(if list.len() == 1 {
                    format!(
                        "ATT&CK renamed it; write {} (the name {} uses)",
                        list.join(""),
                        self.bundle_name()
                    )
                } else {
                    format!(
                        "ATT&CK split it; write {}, or only the one you mean (the names {} uses)",
                        list.join(" and "),
                        self.bundle_name()
                    )
                });
            self.push(file, d);
            return renamed;
        }
        let mut d = file.error(
            raw.node,
            Code::UnknownPlatform,
            format!("`{name}` is not a platform of {}", self.bundle_name()),
        );
        if let Some(best) = closest(name, self.platforms.iter().map(String::as_str)) {
            d = d.hint(format!("did you mean `{best}`?"));
        }
        let d = d.hint(format!("valid platforms: {}", self.platforms.join(", ")));
        self.push(file, d);
        Vec::new()
    }

    /// Sorts platform names (bundle spelling) in the order of [`Attack::platforms`].
    fn sort_platforms(&self, list: &mut [String]) {
        list.sort_by_key(|p| self.platforms.iter().position(|q| q == p));
    }

    /// Resolves a list of platforms, sorted and without repeats.
    fn platform_list(&mut self, file: &FileRef<'_>, list: &[Spanned<&str>]) -> Vec<String> {
        let mut resolved: Vec<String> = list.iter().flat_map(|p| self.platform(file, p)).collect();
        self.sort_platforms(&mut resolved);
        resolved.dedup();
        resolved
    }

    /// Resolves a technique reference, reporting what is wrong with it.
    fn technique(&mut self, file: &FileRef<'_>, raw: &Spanned<&str>) -> Resolved {
        let attack = self.attack;
        let text = raw.value.trim();
        let node = raw.node;
        if text.is_empty() {
            let d = file
                .error(node, Code::InvalidValue, "empty technique ID".to_string())
                .hint("write a technique ID such as `T1059.001`");
            self.push(file, d);
            return Resolved::Dropped;
        }
        let techniques = attack.techniques();
        match self.lookup(text) {
            Some(r) if r.kind == Kind::Technique => {
                let Some(t) = techniques.get(r.index as usize) else {
                    return Resolved::Dropped;
                };
                if t.meta.is_active() {
                    return Resolved::Technique(r.index);
                }
                let (d, resolved) = self.inactive_technique(file, node, r);
                self.push(file, d);
                resolved
            }
            Some(r) => {
                let d = self.not_a_technique(file, node, r);
                self.push(file, d);
                Resolved::Dropped
            }
            None => {
                let d = self.unknown_technique(file, node, text);
                self.push(file, d);
                Resolved::Dropped
            }
        }
    }

    /// A revoked or deprecated technique: its finding, and what is scored instead.
    fn inactive_technique(
        &self,
        file: &FileRef<'_>,
        node: NodeId,
        r: ObjectRef,
    ) -> (Diagnostic, Resolved) {
        let attack = self.attack;
        let techniques = attack.techniques();
        let label = technique_label(attack, r.index);
        let old_id = technique_id(attack, r.index);
        if attack.meta(r).revoked {
            let replacement = attack.replacement(r).filter(|n| {
                n.kind == Kind::Technique
                    && techniques
                        .get(n.index as usize)
                        .is_some_and(|t| t.meta.is_active())
            });
            if let Some(n) = replacement {
                let new_id = technique_id(attack, n.index);
                let message = format!(
                    "{label} is revoked in {}: scored as its replacement {}",
                    self.bundle_name(),
                    technique_label(attack, n.index)
                );
                let d = file
                    .warning(node, Code::RevokedTechnique, message)
                    .hint(format!("replace `{old_id}` with `{new_id}`"));
                return (d, Resolved::Technique(n.index));
            }
            let message = format!(
                "{label} is revoked in {} and has no active replacement: not scored",
                self.bundle_name()
            );
            let d = file
                .warning(node, Code::DeprecatedTechnique, message)
                .hint("remove it, or map this coverage to a current technique");
            return (d, Resolved::Dropped);
        }
        let message = format!(
            "{label} is deprecated in {}: not scored",
            self.bundle_name()
        );
        let d = file
            .warning(node, Code::DeprecatedTechnique, message)
            .hint("remove it, or map this coverage to a current technique");
        (d, Resolved::Dropped)
    }

    /// An ATT&CK ID of a group, mitigation, tactic... where a technique belongs.
    fn not_a_technique(&self, file: &FileRef<'_>, node: NodeId, r: ObjectRef) -> Diagnostic {
        let meta = self.attack.meta(r);
        let message = format!(
            "`{}` is {} ({}), not a technique",
            meta.id(),
            with_article(r.kind.label()),
            meta.name
        );
        let d = file.error(node, Code::NotATechnique, message);
        let d = match r.kind {
            Kind::Group => d.hint("groups that matter go under `scope.threats.groups`"),
            Kind::Software => d.hint("software that matters goes under `scope.threats.software`"),
            Kind::Campaign => d.hint("campaigns that matter go under `scope.threats.campaigns`"),
            Kind::Mitigation => d.hint(format!(
                "list the techniques the mitigation addresses instead (`covmap attack show {}`)",
                meta.id()
            )),
            _ => d,
        };
        d.hint("list technique IDs here, such as `T1059` or `T1059.001`")
    }

    fn unknown_technique(&mut self, file: &FileRef<'_>, node: NodeId, text: &str) -> Diagnostic {
        let attack = self.attack;
        let here = attack.domain_short().to_string();
        let here_label = domain_label(&here).to_string();
        for other in &self.context.other_domains {
            if other.domain() == attack.domain() {
                continue;
            }
            if let Some(r) = other.lookup(text) {
                let meta = other.meta(r);
                let kind = r.kind.label();
                let there = other.domain_short();
                let what = with_article(&format!("{} ATT&CK {kind}", domain_label(there)));
                return file
                    .error(
                        node,
                        Code::WrongDomain,
                        format!(
                            "`{}` is {what} ({}), not part of {}",
                            meta.id(),
                            meta.name,
                            self.bundle_name()
                        ),
                    )
                    .hint(format!(
                        "this inventory is checked against {here_label} ATT&CK: remove it, or keep {} coverage in a separate inventory", domain_label(there)
                    ));
            }
        }
        if is_technique_id(text) {
            let ics_like = text.get(1..2) == Some("0");
            let guess = match (ics_like, here.as_str()) {
                (true, "ics") | (false, "enterprise" | "mobile") => None,
                (true, _) => Some("an ICS"),
                (false, _) => Some("an enterprise or mobile"),
            };
            if let Some(guess) = guess {
                return file
                    .error(
                        node,
                        Code::WrongDomain,
                        format!(
                            "`{text}` looks like {guess} ATT&CK technique ID, not one of {}",
                            self.bundle_name()
                        ),
                    )
                    .hint(format!(
                        "this inventory is checked against {here_label} ATT&CK: remove it, or keep that coverage in a separate inventory"
                    ));
            }
        }
        let mut d = file.error(
            node,
            Code::UnknownTechnique,
            format!("`{text}` is not a technique of {}", self.bundle_name()),
        );
        let suggestions = self.suggest_techniques(text);
        if suggestions.is_empty() {
            d = d.hint("look the ID up on attack.mitre.org, or with `covmap attack techniques`");
        } else {
            let labels: Vec<String> = suggestions
                .iter()
                .map(|i| technique_label(attack, *i))
                .collect();
            d = d.hint(format!("did you mean {}?", labels.join(", ")));
            if !is_technique_id(text) {
                d = d.hint("list techniques by ID, such as `T1059.001`");
            }
        }
        d
    }

    /// Up to 3 active techniques whose ID or name is close to `query`, best first.
    ///
    /// IDs: those one edit away (`T1095` for `T1059`); for an unknown sub-technique of a known
    /// parent, its sub-techniques at most two edits away, else the parent. Names: Jaro-Winkler.
    fn suggest_techniques(&mut self, query: &str) -> Vec<u32> {
        let key = query.to_ascii_uppercase();
        if let Some(hit) = self.suggestions.get(&key) {
            return hit.clone();
        }
        if self.suggestions.len() >= SUGGESTION_BUDGET {
            return Vec::new();
        }
        let attack = self.attack;
        let techniques = attack.techniques();
        let mut scored: Vec<(u32, &str, u32)> = Vec::new();
        if is_technique_id(&key) {
            let parent = key
                .split_once('.')
                .and_then(|(parent, _)| attack.technique(parent))
                .filter(|p| p.meta.is_active());
            if let Some(parent) = parent {
                for sub in attack.subtechniques(parent) {
                    let distance = strsim::damerau_levenshtein(&key, sub.meta.id());
                    if distance <= 2 {
                        scored.push((distance as u32, sub.meta.id(), sub.meta.key.index));
                    }
                }
                if scored.is_empty() {
                    scored.push((0, parent.meta.id(), parent.meta.key.index));
                }
            } else {
                for t in techniques.iter().filter(|t| t.meta.is_active()) {
                    let distance = strsim::damerau_levenshtein(&key, t.meta.id());
                    if distance <= 1 {
                        scored.push((distance as u32, t.meta.id(), t.meta.key.index));
                    }
                }
            }
        } else {
            let lower = query.to_lowercase();
            let names = self.lower_names.get_or_insert_with(|| {
                techniques
                    .iter()
                    .map(|t| t.meta.name.to_lowercase())
                    .collect()
            });
            for (t, name) in techniques.iter().zip(names.iter()) {
                if !t.meta.is_active() {
                    continue;
                }
                let score = strsim::jaro_winkler(&lower, name);
                if score >= 0.85 {
                    // Rank in thousandths: `score` is in [0.85, 1].
                    #[allow(clippy::cast_sign_loss)]
                    let rank = (1000.0 * (1.0 - score)).round() as u32;
                    scored.push((rank, t.meta.id(), t.meta.key.index));
                }
            }
        }
        scored.sort_unstable();
        let best: Vec<u32> = scored.into_iter().take(3).map(|(_, _, i)| i).collect();
        self.suggestions.insert(key, best.clone());
        best
    }

    fn threats(&mut self, file: &FileRef<'_>, raw: &RawThreats<'_>) -> Threats {
        let mut threats = Threats::default();
        for (list, kind, out) in [
            (&raw.groups, Kind::Group, &mut threats.groups),
            (&raw.campaigns, Kind::Campaign, &mut threats.campaigns),
            (&raw.software, Kind::Software, &mut threats.software),
        ] {
            for item in list.iter().flatten() {
                if let Some(index) = self.threat(file, item, kind) {
                    out.push(index);
                }
            }
        }
        threats.profiles = self.profiles(file, raw.profiles);
        threats
    }

    /// `scope.threats.profiles`, checked (paths resolved against the file's folder; reading
    /// the files, and whether they exist, is covmap-import's `profile` at load time).
    fn profiles(
        &mut self,
        file: &FileRef<'_>,
        list: Option<yaml::Deferred<Vec<yaml::Deferred<RawProfile<'_>>>>>,
    ) -> Vec<ThreatProfile> {
        let Some(list) = list else {
            return Vec::new();
        };
        let Some(entries) = self.read::<Vec<yaml::Deferred<RawProfile<'_>>>>(file, list.node)
        else {
            return Vec::new();
        };
        let folder = file.path.parent().unwrap_or(Path::new(""));
        let mut profiles = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(raw) = self.read::<RawProfile<'_>>(file, entry.node) else {
                continue;
            };
            let mut ok = true;
            let written = raw.path.value.trim();
            if written.is_empty() {
                let d = file
                    .error(
                        raw.path.node,
                        Code::InvalidValue,
                        "empty threat profile `path`".to_string(),
                    )
                    .hint("name the profile file, relative to this inventory file");
                self.push(file, d);
                ok = false;
            }
            let weight = match raw.weight {
                None => 1.0,
                Some(w) if w.value.is_finite() && w.value > 0.0 => w.value,
                Some(w) => {
                    let d = file
                        .error(
                            w.node,
                            Code::InvalidValue,
                            format!(
                                "threat profile `weight` is {}: it must be a number above 0",
                                file.doc.describe(w.node)
                            ),
                        )
                        .hint("1 weighs the profile as much as one selected group (the default); remove the profile to leave it out");
                    self.push(file, d);
                    ok = false;
                    1.0
                }
            };
            let name = match raw.name {
                Some(n) if n.value.trim().is_empty() => {
                    let d = file
                        .error(
                            n.node,
                            Code::InvalidValue,
                            "empty threat profile `name`".to_string(),
                        )
                        .hint("name the profile as reports should show it, or remove the key to use the file name");
                    self.push(file, d);
                    ok = false;
                    String::new()
                }
                Some(n) => n.value.trim().to_string(),
                None => Path::new(written)
                    .file_name()
                    .map_or_else(|| written.to_string(), |n| n.to_string_lossy().into_owned()),
            };
            if ok {
                profiles.push(ThreatProfile {
                    name,
                    path: folder.join(written),
                    format: raw.format.map_or(ProfileFormat::Auto, |f| f.value),
                    weight,
                    uses: Vec::new(),
                    location: file.start(entry.node),
                });
            }
        }
        profiles
    }

    /// A revoked or deprecated group, campaign or software: its finding, and what is weighted
    /// instead.
    fn inactive_threat(
        &self,
        file: &FileRef<'_>,
        raw: &Spanned<&str>,
        r: ObjectRef,
        key: &str,
    ) -> (Diagnostic, Option<u32>) {
        let attack = self.attack;
        let query = raw.value.trim();
        let meta = attack.meta(r);
        let kind = r.kind;
        let label = kind.label();
        let name = if query.eq_ignore_ascii_case(meta.id()) {
            format!("`{query}` ({})", meta.name)
        } else {
            format!("`{query}` ({})", meta.id())
        };
        let replacement = if meta.revoked {
            attack
                .replacement(r)
                .filter(|n| n.kind == kind && attack.meta(*n).is_active())
        } else {
            None
        };
        if let Some(n) = replacement {
            let new = attack.meta(n);
            let d = file
                .warning(
                    raw.node,
                    Code::InactiveThreat,
                    format!(
                        "{label} {name} is revoked: weighted as its replacement `{}` ({})",
                        new.id(),
                        new.name
                    ),
                )
                .hint(format!("replace `{query}` with `{}`", new.id()));
            return (d, Some(n.index));
        }
        let state = if meta.revoked {
            "revoked without an active replacement"
        } else {
            "deprecated"
        };
        let d = file
            .warning(
                raw.node,
                Code::InactiveThreat,
                format!("{label} {name} is {state}: ignored"),
            )
            .hint(format!("remove it from `scope.threats.{key}`"));
        (d, None)
    }

    /// A name or alias naming several objects of the kind asked for: an error listing them.
    fn ambiguous_threat(
        &self,
        file: &FileRef<'_>,
        raw: &Spanned<&str>,
        candidates: &[ObjectRef],
        key: &str,
    ) -> Diagnostic {
        let attack = self.attack;
        let query = raw.value.trim();
        let listed: Vec<String> = candidates
            .iter()
            .map(|r| {
                let meta = attack.meta(*r);
                let how = if meta.name.trim().to_lowercase() == query.to_lowercase() {
                    ""
                } else {
                    ", by alias"
                };
                let state = if meta.revoked {
                    ", revoked"
                } else if meta.deprecated {
                    ", deprecated"
                } else {
                    ""
                };
                format!("`{}` ({}{how}{state})", meta.id(), meta.name)
            })
            .collect();
        let first = candidates
            .first()
            .map(|r| attack.meta(*r).id().to_string())
            .unwrap_or_default();
        file.error(
            raw.node,
            Code::AmbiguousName,
            format!(
                "`{query}` names {} {}: {}",
                candidates.len(),
                key,
                listed.join(", ")
            ),
        )
        .hint(format!(
            "write the ATT&CK ID of the one you mean in `scope.threats.{key}` (e.g. `{first}`): covmap never picks one"
        ))
    }

    /// Resolves a group, campaign or software by ATT&CK ID, STIX id, name or alias.
    fn threat(&mut self, file: &FileRef<'_>, raw: &Spanned<&str>, kind: Kind) -> Option<u32> {
        let attack = self.attack;
        let query = raw.value.trim();
        let key = match kind {
            Kind::Group => "groups",
            Kind::Campaign => "campaigns",
            _ => "software",
        };
        let label = kind.label();
        // IDs first, then names of this kind only: a group's own name wins over another
        // group's alias, and a software name never competes with a group of the same name.
        let other = match attack.resolve_query(query, &[kind]) {
            NameMatch::One(r) if r.kind == kind => {
                if attack.meta(r).is_active() {
                    return Some(r.index);
                }
                let (d, index) = self.inactive_threat(file, raw, r, key);
                self.push(file, d);
                return index;
            }
            NameMatch::One(r) => NameMatch::One(r),
            NameMatch::Ambiguous(candidates) => {
                let d = self.ambiguous_threat(file, raw, &candidates, key);
                self.push(file, d);
                return None;
            }
            // Not a name of this kind: is it one of another kind?
            NameMatch::None => attack.resolve_name(query, &Kind::NAMED),
        };
        if let NameMatch::One(r) = other {
            let meta = attack.meta(r);
            let other = r.kind.label();
            let mut d = file.error(
                raw.node,
                Code::UnknownThreat,
                format!(
                    "`{query}` is {} ({}), not {}",
                    with_article(other),
                    meta.id(),
                    with_article(label)
                ),
            );
            d = match r.kind {
                Kind::Group => d.hint("list it under `scope.threats.groups`"),
                Kind::Campaign => d.hint("list it under `scope.threats.campaigns`"),
                Kind::Software => d.hint("list it under `scope.threats.software`"),
                _ => d.hint(format!(
                    "`scope.threats.{key}` lists {key} by ATT&CK ID, name or alias"
                )),
            };
            self.push(file, d);
            return None;
        }
        let mut d = file.error(
            raw.node,
            Code::UnknownThreat,
            format!(
                "`{query}` is not {} of {}",
                with_article(label),
                self.bundle_name()
            ),
        );
        let suggestions: Vec<String> = attack
            .suggest(query, 25)
            .into_iter()
            .filter(|s| {
                let id = s.split(" (").next().unwrap_or_default();
                attack.lookup(id).is_some_and(|r| r.kind == kind)
            })
            .take(3)
            .map(|s| match s.split_once(" (") {
                Some((id, rest)) => format!("`{id}` ({rest}"),
                None => format!("`{s}`"),
            })
            .collect();
        d = if suggestions.is_empty() {
            d.hint(format!(
                "list {key} by ATT&CK ID, name or alias, as attack.mitre.org shows them"
            ))
        } else {
            d.hint(format!("did you mean {}?", suggestions.join(", ")))
        };
        self.push(file, d);
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn with_article(word: &str) -> String {
    if word == "software" {
        return "software".to_string();
    }
    let article = if word.starts_with(['a', 'e', 'i', 'o', 'u', 'I']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {word}")
}

/// How messages name a domain: `enterprise`, `mobile`, `ICS`.
fn domain_label(short: &str) -> &str {
    if short == "ics" { "ICS" } else { short }
}

/// `T1059.001`, `t1059`: the shape of a technique ID.
fn is_technique_id(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b {
        [t, rest @ ..] if t.eq_ignore_ascii_case(&b'T') => match rest {
            [_, _, _, _] => digits(rest),
            [parent @ .., b'.', _, _, _] if parent.len() == 4 => {
                digits(parent) && digits(rest.get(5..).unwrap_or_default())
            }
            _ => false,
        },
        _ => false,
    }
}

/// A number for a technique-shaped ID (`T1059`, `t1059.001`): the same for IDs that differ
/// only in the case of the `T`, different for any others.
fn technique_key(text: &str) -> Option<u32> {
    if !is_technique_id(text) {
        return None;
    }
    let number = |digits: &str| digits.bytes().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    let parent = number(text.get(1..5)?);
    let sub = text.get(6..).map_or(0, |sub| number(sub) + 1);
    Some(parent << 10 | sub)
}

fn technique_id(attack: &Attack, index: u32) -> String {
    attack
        .techniques()
        .get(index as usize)
        .map_or_else(String::new, |t| t.meta.id().to_string())
}

/// `` `T1574.001` (Hijack Execution Flow: DLL) ``
fn technique_label(attack: &Attack, index: u32) -> String {
    let Some(t) = attack.techniques().get(index as usize) else {
        return String::new();
    };
    match attack.parent(t) {
        Some(parent) if t.is_subtechnique => {
            format!("`{}` ({}: {})", t.meta.id(), parent.meta.name, t.meta.name)
        }
        _ => format!("`{}` ({})", t.meta.id(), t.meta.name),
    }
}

/// `1 sub-technique`, `8 sub-techniques`.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The valid value a common other word for it means (`high` -> `significant`), when
/// `expected` is the list of levels or of confidences: these words are no typos, so
/// `closest` cannot find them. Public for the CLI's `import --level`.
pub fn synonym(found: &str, expected: &[&'static str]) -> Option<&'static str> {
    const SYNONYMS: &[(&[&str], &str)] = &[
        (
            &["high", "full", "strong", "good", "complete"],
            "significant",
        ),
        (&["medium", "moderate", "some", "partly", "mid"], "partial"),
        (&["low", "weak", "limited", "basic", "little"], "minimal"),
        (&["verified", "validated", "proven", "exercised"], "tested"),
        (&["vendor", "unverified", "assumed"], "claimed"),
        (&["enabled", "deployed", "set-up", "setup"], "configured"),
    ];
    let word = found.trim().to_lowercase();
    SYNONYMS
        .iter()
        .find(|(words, valid)| words.contains(&word.as_str()) && expected.contains(valid))
        .and_then(|(_, valid)| expected.iter().copied().find(|e| e == valid))
}

/// The closest of `candidates` to `word`, if close enough to be a typo.
fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&word, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

fn with_key_hints(d: Diagnostic, found: &str, expected: &[&str]) -> Diagnostic {
    if expected.is_empty() {
        return d;
    }
    let d = match closest(found, expected.iter().copied()) {
        Some(best) => d.hint(format!("did you mean `{best}`?")),
        None => d,
    };
    d.hint(format!("valid keys here: {}", expected.join(", ")))
}

/// "a capability", "a coverage entry", ... for missing-key messages.
fn describe_map(doc: &Document<'_>, node: NodeId) -> String {
    let what = doc.what(node);
    match what.as_str() {
        "an item of `capabilities`" => "this capability".to_string(),
        "an item of `coverage`" => "this coverage entry".to_string(),
        "an item of `exclude`" => "this exclusion".to_string(),
        "`cost`" => "`cost`".to_string(),
        "the file" => "the file".to_string(),
        _ => what,
    }
}

fn missing_hint(field: &str) -> String {
    match field {
        "id" => "add `id:` with a short unique id, e.g. `id: edr`".to_string(),
        "techniques" => {
            "add `techniques:` with technique IDs, e.g. `techniques: [T1059.001]`".to_string()
        }
        "function" => "add `function:` detect, protect, respond or visibility".to_string(),
        "level" => {
            "add `level:` minimal, partial, significant, or a number from 0 to 1".to_string()
        }
        "technique" => {
            "add `technique:` with the technique ID to exclude, e.g. `technique: T1200`".to_string()
        }
        "reason" => "add `reason:` saying why the technique is out of scope".to_string(),
        "annual" => "add `annual:` with the yearly cost, e.g. `annual: 120000`".to_string(),
        "currency" => "add `currency:` with an ISO 4217 code, e.g. `currency: EUR`".to_string(),
        other => format!("add `{other}:`"),
    }
}

/// `YYYY-MM-DD`, a real calendar date.
fn valid_date(text: &str) -> bool {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return false;
    }
    let num = |range: std::ops::Range<usize>| text.get(range).and_then(|s| s.parse::<u32>().ok());
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use covmap_core::Attack;

    use super::{
        SourceFile, ValidationContext, is_technique_id, load_documents, parse_inventories, resolve,
        technique_key, valid_date,
    };

    /// A large file's line index is built beside its parse, from the same text: after a byte
    /// order mark, with lines of other characters than ASCII. (Built from the bytes with the
    /// mark, every position would move by one.)
    #[test]
    fn a_large_file_gets_the_line_index_of_its_text() {
        use std::fmt::Write as _;
        let mut text = String::from("\u{feff}covmap: 1\nname: Générée\ncapabilities:\n");
        let mut n = 0;
        while text.len() < super::HASH_ASIDE_FROM + 1000 {
            let _ = write!(text, "  - id: cap-{n}\n    name: Fähigkeit {n}\n");
            n += 1;
        }
        let source = SourceFile::new("large.yaml", text.into_bytes());
        let loaded = super::load_file(&source, true);
        let doc = loaded.doc.as_ref().expect("the text parses");
        assert!(crate::threads::parallel(), "tests run with threads allowed");
        assert!(doc.has_line_index_of_its_text());
    }

    #[test]
    fn two_phases_give_what_one_gives_and_documents_cross_threads() {
        fn send_and_sync<T: Send + Sync>(_: &T) {}
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let attack = Attack::load(&root.join("fixtures/attack/mini-attack-2.1.json"))
            .expect("the mini bundle loads");
        let sources: Vec<SourceFile> = [
            "good/full.yaml",
            "bad/several-problems.yaml",
            "bad/yaml-syntax.yaml",
            "bad/unreadable-file.yaml",
            "bad/duplicate-capability-id.yaml",
        ]
        .iter()
        .map(|rel| {
            let bytes = std::fs::read(root.join("fixtures/inventory").join(rel));
            SourceFile::new(*rel, bytes.expect("the fixture is readable"))
        })
        .collect();
        let context = ValidationContext::default();
        // Built on another thread, resolved on this one.
        let documents = std::thread::scope(|s| {
            s.spawn(|| load_documents(&sources))
                .join()
                .expect("loading does not panic")
        });
        send_and_sync(&documents);
        let one = parse_inventories(&sources, &attack, &context);
        assert!(one.has_errors());
        for _ in 0..2 {
            let two = resolve(&documents, &attack, &context);
            assert_eq!(two.inventory, one.inventory);
            assert_eq!(two.diagnostics, one.diagnostics);
        }
    }

    fn mini_attack() -> Attack {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        Attack::load(&root.join("fixtures/attack/mini-attack-2.1.json"))
            .expect("the mini bundle loads")
    }

    /// Resolves `sources` in one pass, then with the capabilities split at every position, and
    /// asserts the same result each time; returns the one-pass result.
    fn same_at_every_split(sources: &[SourceFile], attack: &Attack) -> super::Parsed {
        let context = ValidationContext::default();
        let documents = load_documents(sources);
        let one = super::resolve_split(&documents, attack, &context, |_| None);
        let count = one.inventory.capabilities.len() + 8;
        for at in 0..=count {
            let two = super::resolve_split(&documents, attack, &context, |_| Some(at));
            assert_eq!(two.inventory, one.inventory, "split at {at}");
            assert_eq!(two.diagnostics, one.diagnostics, "split at {at}");
        }
        one
    }

    /// A capability of the generated inventories: `id`, one entry listing `techniques`.
    fn capability(id: &str, techniques: &str) -> String {
        format!(
            "  - id: {id}\n    platforms: [Windows]\n    coverage:\n      - {{techniques: [{techniques}], function: detect, level: partial}}\n"
        )
    }

    /// Documents of `sources` with their large-file reading forced: pieces of `piece_bytes`.
    fn in_pieces(sources: &[SourceFile], piece_bytes: usize) -> super::Documents<'_> {
        let files = sources
            .iter()
            .map(|source| {
                let text = super::text_of(&source.bytes).expect("UTF-8");
                let path: std::sync::Arc<Path> = source.path.as_path().into();
                let (doc, pieces, diagnostics) = super::parse_text(&path, text, Some(piece_bytes));
                super::LoadedFile {
                    path,
                    sha256: super::sha256_hex(&source.bytes),
                    doc,
                    pieces,
                    diagnostics,
                }
            })
            .collect();
        super::Documents { files }
    }

    #[test]
    fn capabilities_read_in_pieces_give_what_the_whole_text_gives() {
        let attack = mini_attack();
        let context = ValidationContext::default();
        let text = troublesome_capabilities(
            "covmap: 1\nattack: {domain: enterprise}\nscope:\n  platforms: [Windows]\ncapabilities:\n",
        );
        // Then what no piece can read alone: the whole text is read instead.
        for (extra, read_in_pieces) in [
            ("", true),
            ("  - id: broken\n    coverage: [\n", false),
            ("  - id: twice\n    id: again\n", false),
            ("  - id: anchored\n    tags: &t [a]\n", false),
            ("telemetry: []\n", false),
            // A later list at the items' column: a cut in it must not make its items
            // capabilities.
            ("telemetry:\n  - id: t1\n  - id: t2\n", false),
        ] {
            let text = format!("{text}{extra}");
            let sources = [SourceFile::new("inventory.yaml", text.clone())];
            let whole = resolve(&load_documents(&sources), &attack, &context);
            assert!(!whole.diagnostics.is_empty());
            let mut pieced = 0;
            for piece_bytes in 1..text.len() {
                let documents = in_pieces(&sources, piece_bytes);
                if documents.files.iter().any(|f| f.pieces.is_some()) {
                    pieced += 1;
                }
                let parsed = resolve(&documents, &attack, &context);
                assert_eq!(
                    parsed.inventory, whole.inventory,
                    "{extra:?}, pieces of {piece_bytes}"
                );
                assert_eq!(
                    parsed.diagnostics, whole.diagnostics,
                    "{extra:?}, pieces of {piece_bytes}"
                );
            }
            assert!(pieced > 100, "{extra:?}: {pieced} runs in pieces");
            assert_eq!(pieces_read(&text) > 0, read_in_pieces, "{extra:?}");
        }
    }

    /// How many pieces of 40 bytes the text is read in; 0 when it cannot be read in pieces
    /// (no head to cut, or a piece that cannot be read alone).
    fn pieces_read(text: &str) -> usize {
        let Some((head, pieces)) = crate::yaml::load_in_pieces(text, 40) else {
            return 0;
        };
        if (0..pieces.len()).all(|i| pieces.parse(i, &head).is_some()) {
            pieces.len()
        } else {
            0
        }
    }

    /// `header`, then capabilities with something to say about each: duplicate ids (within a
    /// half or a piece, and across), unknown, revoked and deprecated IDs, a name for an ID, an
    /// empty id, an invalid key and one that cannot be read at all.
    fn troublesome_capabilities(header: &str) -> String {
        let mut text = String::from(header);
        for (id, techniques) in [
            ("edr", "T1059.001, T1003.001"),
            ("mail", "T1566, T9999"),     // a parent alone; an unknown ID
            ("edr", "T1059.004"),         // duplicate id
            ("ids", "Powershell, T1000"), // a name; a revoked ID
            ("", "T1003"),                // empty id
            ("siem", "T1002, T1059.005"), // deprecated; unknown sub-technique
            ("mail", "T1078"),            // duplicate again
        ] {
            text.push_str(&capability(id, techniques));
        }
        text.push_str("  - id: proxy\n    coverage: 3\n  - [not, a, mapping]\n");
        text.push_str(&capability("last", "T1053"));
        text
    }

    #[test]
    fn capabilities_read_in_halves_give_what_one_pass_gives() {
        let attack = mini_attack();
        let first =
            troublesome_capabilities("covmap: 1\nattack: {domain: enterprise}\ncapabilities:\n");
        let mut second = String::from("covmap: 1\ncapabilities:\n");
        for (id, techniques) in [("proxy", "T1059"), ("waf", "T1190"), ("edr2", "T1566.001")] {
            second.push_str(&capability(id, techniques));
        }
        let sources = [
            SourceFile::new("first.yaml", first),
            SourceFile::new("second.yaml", second),
        ];
        let one = same_at_every_split(&sources, &attack);
        assert_eq!(one.inventory.capabilities.len(), 8);
        let duplicates = one
            .diagnostics
            .iter()
            .filter(|d| d.code == super::Code::DuplicateCapabilityId)
            .count();
        assert_eq!(duplicates, 3, "edr, mail, proxy");
    }

    #[test]
    fn halves_that_want_more_suggestions_than_the_budget_are_read_again_in_one_pass() {
        let attack = mini_attack();
        // Unknown names close to `Phishing`, each of which gets "did you mean" until the budget
        // is spent: each half alone stays within it, both together do not.
        let mut text = String::from("covmap: 1\ncapabilities:\n");
        let unknown = super::SUGGESTION_BUDGET + 50;
        for i in 0..unknown {
            text.push_str(&capability(&format!("c{i}"), &format!("Phishing {i}")));
        }
        let one = same_at_every_split(&[SourceFile::new("many.yaml", text)], &attack);
        let hinted = one
            .diagnostics
            .iter()
            .filter(|d| d.hints.iter().any(|h| h.contains("did you mean")))
            .count();
        assert_eq!(hinted, super::SUGGESTION_BUDGET);
    }

    use proptest::prelude::*;

    proptest! {
        /// Reordering in place gives what picking each item by its new position gives, for
        /// any permutation (cycles of every length, fixed points, the identity).
        #[test]
        fn permuting_in_place_picks_each_item_by_its_new_position(
            order in (0usize..40).prop_flat_map(|n| Just((0..n).collect::<Vec<usize>>()).prop_shuffle())
        ) {
            let items: Vec<String> = (0..order.len()).map(|i| format!("item {i}")).collect();
            let picked: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let (mut permuted, mut order) = (items, order);
            super::permute_in_place(&mut permuted, &mut order);
            prop_assert_eq!(permuted, picked);
            prop_assert!(order.iter().enumerate().all(|(i, &o)| i == o));
        }
    }

    #[test]
    fn technique_keys() {
        assert_eq!(technique_key("T1059"), technique_key("t1059"));
        assert_eq!(technique_key("T1059.001"), technique_key("t1059.001"));
        let keys = ["T1059", "T1059.000", "T1059.001", "T1095", "T0059"].map(technique_key);
        for (i, a) in keys.iter().enumerate() {
            assert!(a.is_some());
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        for not_an_id in ["T105", "G0016", " T1059", "T1059.1", "attack-pattern--x"] {
            assert_eq!(technique_key(not_an_id), None, "{not_an_id}");
        }
    }

    #[test]
    fn declared_attack_reads_only_the_attack_block() {
        let file = |text: &str| super::SourceFile::new("x.yaml", text.as_bytes().to_vec());
        let target = super::declared_attack(&[
            file("covmap: 1\ncapabilities: []\n"),
            file(
                "covmap: 1\nattack:\n  # comment\n  domain: ICS\n  version: \"18.1\"\nscope: {}\n",
            ),
            file("attack: {domain: mobile, version: '17.0'}\n"),
        ]);
        assert_eq!(target.domain.as_deref(), Some("ics"));
        assert_eq!(target.version.as_deref(), Some("18.1"));
        let flow = super::declared_attack(&[file("attack: {domain: mobile}\n")]);
        assert_eq!(flow.domain.as_deref(), Some("mobile"));
        assert_eq!(flow.version, None);
    }

    #[test]
    fn technique_id_shapes() {
        for ok in ["T1059", "t1059", "T1059.001", "T0819"] {
            assert!(is_technique_id(ok), "{ok}");
        }
        for bad in ["T105", "T1059.01", "G0016", "T1059.0011", "", "T", "1059"] {
            assert!(!is_technique_id(bad), "{bad}");
        }
    }

    #[test]
    fn dates() {
        for ok in ["2026-09-14", "2024-02-29", "2000-02-29", "1999-12-31"] {
            assert!(valid_date(ok), "{ok}");
        }
        for bad in [
            "2026-9-14",
            "14/09/2026",
            "2026-02-30",
            "2023-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "+026-01-01",
            "2026-01-1x",
            "",
        ] {
            assert!(!valid_date(bad), "{bad}");
        }
    }
}
