//! Bin statistics: mean and presence shares, percentile-bootstrap intervals seeded per bin.

use super::*;

/// The seed of one bin: the run seed mixed with the bin's labels (FNV-1a), so a bin's
/// interval does not depend on which other bins exist.
pub(super) fn bin_seed(seed: u64, period: &str, group: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in period.bytes().chain([0x1f]).chain(group.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    SplitMix64::new(seed ^ h).next_u64()
}

/// Means, presence shares and percentile-bootstrap intervals over the bin's documents.
pub(super) fn bin_stats(
    docs: &[&TrendDoc],
    frames: &[Label],
    b: usize,
    confidence: f64,
    seed: u64,
) -> Vec<FrameStat> {
    let nf = frames.len();
    let rows: Vec<&[f64]> = docs.iter().map(|d| d.shares.as_slice()).collect();
    let n = rows.len();
    let mean_of = |idx: &mut dyn Iterator<Item = usize>| {
        let mut s = vec![0.0; nf];
        for i in idx {
            for f in 0..nf {
                s[f] += rows[i][f];
            }
        }
        s.into_iter().map(|x| x / n as f64).collect::<Vec<f64>>()
    };
    let mean = mean_of(&mut (0..n));
    let mut rng = SplitMix64::new(seed);
    let mut boot: Vec<Vec<f64>> = (0..nf).map(|_| Vec::with_capacity(b)).collect();
    for _ in 0..b {
        let m = mean_of(&mut (0..n).map(|_| rng.below(n)));
        for f in 0..nf {
            boot[f].push(m[f]);
        }
    }
    let alpha = (1.0 - confidence) / 2.0;
    (0..nf)
        .map(|f| {
            boot[f].sort_by(f64::total_cmp);
            let present = docs.iter().filter(|d| d.is_present(frames[f])).count();
            FrameStat {
                mean_share: mean[f],
                present_share: present as f64 / n as f64,
                low: quantile(&boot[f], alpha).expect("at least 100 replicates"),
                high: quantile(&boot[f], 1.0 - alpha).expect("at least 100 replicates"),
            }
        })
        .collect()
}
