//! How many threads covmap may use (`--jobs`). covmap splits a few large steps in two (scoring
//! the leaves of a large inventory, writing assessment.json, reading inventories while ATT&CK
//! loads); `1` does every step on the calling thread. The outputs are the same bytes either
//! way: the CLI tests compare them.

use std::sync::atomic::{AtomicUsize, Ordering};

/// 0: not set (the default, two threads where a step splits).
static JOBS: AtomicUsize = AtomicUsize::new(0);

/// Sets the number of threads for the rest of the process (`0` restores the default).
pub fn set_jobs(jobs: usize) {
    JOBS.store(jobs, Ordering::Relaxed);
}

/// Whether a step may split across threads.
pub fn parallel() -> bool {
    JOBS.load(Ordering::Relaxed) != 1
}
