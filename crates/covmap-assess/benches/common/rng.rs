//! A deterministic random generator shared by the benchmarks that generate inventories.

// Each benchmark uses a subset of these methods.
#![allow(dead_code)]

/// SplitMix64: small, fast and the same on every machine.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }

    /// `k` distinct items of `list` (all of them when it has fewer), in random order.
    pub(crate) fn sample<'l>(&mut self, list: &'l [String], k: usize) -> Vec<&'l str> {
        let mut pool: Vec<&str> = list.iter().map(String::as_str).collect();
        let mut out = Vec::with_capacity(k);
        while out.len() < k && !pool.is_empty() {
            out.push(pool.swap_remove(self.below(pool.len())));
        }
        out
    }

    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}
