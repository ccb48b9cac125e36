//! A deterministic xorshift generator shared by the benchmarks (`#[path]`-included), so
//! their inputs are the same on every run.

/// xorshift64 state.
pub struct Rng(pub u64);

impl Rng {
    /// A float in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}
