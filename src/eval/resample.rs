//! Bootstrap intervals that resample documents (percentile method).

use super::*;

pub(super) fn interval(mut v: Vec<f64>) -> Option<Interval> {
    v.sort_by(f64::total_cmp);
    Some(Interval {
        lo: quantile(&v, 0.025)?,
        hi: quantile(&v, 0.975)?,
    })
}

/// Percentile bootstrap over documents: `units[i]` is document `i`'s paragraph confusion
/// matrix and (when it has a document label) whether its dominant frame was right.
pub(super) fn bootstrap(
    units: &[(Confusion, Option<bool>)],
    replicates: usize,
    seed: u64,
    cb: &Codebook,
) -> (ParagraphIntervals, Option<Interval>) {
    if units.is_empty() || replicates == 0 {
        return (ParagraphIntervals::default(), None);
    }
    let mut rng = SplitMix64::new(seed);
    let (mut mf, mut ma, mut acc, mut dom) = (vec![], vec![], vec![], vec![]);
    for _ in 0..replicates {
        let mut c = Confusion::new(cb.len());
        let (mut right, mut n) = (0u64, 0u64);
        for _ in 0..units.len() {
            let u = &units[rng.below(units.len())];
            c.merge(&u.0);
            if let Some(ok) = u.1 {
                n += 1;
                right += u64::from(ok);
            }
        }
        let m = paragraph_metrics(&c, cb);
        mf.extend(m.macro_f1_frames);
        ma.extend(m.macro_f1_all);
        acc.extend(m.accuracy);
        dom.extend(ratio(right, n));
    }
    (
        ParagraphIntervals {
            macro_f1_frames: interval(mf),
            macro_f1_all: interval(ma),
            accuracy: interval(acc),
        },
        interval(dom),
    )
}
