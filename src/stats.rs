//! Seeded resampling helpers shared by [`crate::eval`] (bootstrap intervals, fold assignment)
//! and [`crate::trends`] (bootstrap intervals per bin).

/// SplitMix64: a small, fast, well-tested generator whose stream never changes with a crate
/// version, so seeded folds and intervals repeat exactly.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (`n > 0`): Lemire's multiply-and-reject, unbiased.
    pub fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as usize;
            }
        }
    }
}

/// The `q` quantile of sorted values, linear interpolation (numpy's default, type 7); `None`
/// for no values.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos - pos.floor());
    let hi = sorted[(i + 1).min(sorted.len() - 1)];
    Some(sorted[i] + frac * (hi - sorted[i]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn quantile_interpolates_like_numpy() {
        // numpy.quantile([1, 2, 3, 4], 0.25) == 1.75
        assert_relative_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.25).unwrap(), 1.75);
        assert_eq!(quantile(&[5.0], 0.975), Some(5.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn below_is_in_range_and_roughly_uniform() {
        let mut r = SplitMix64::new(1);
        let mut c = [0usize; 3];
        for _ in 0..30_000 {
            c[r.below(3)] += 1;
        }
        for x in c {
            assert!((9_500..10_500).contains(&x), "{c:?}");
        }
    }
}
