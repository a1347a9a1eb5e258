//! The per-thread buffers of the transforms: dense feature counts and built blocks.

use super::*;

/// Dense feature counts of the block being built.
///
/// `counts[f]` is the count of feature `f`, bit `f` of `bits` is set when that count is not
/// zero, and bit `w` of `words` when `bits[w]` is not zero. Draining walks the set bits in
/// increasing order (the sorted order, with no sort) and resets them with their counts, so
/// everything is zero between blocks, whatever featurizer used it.
#[derive(Debug, Default)]
pub(super) struct Counts {
    counts: Vec<f32>,
    bits: Vec<u64>,
    words: Vec<u64>,
}

impl Counts {
    /// Make room for features `0..n`.
    pub(super) fn reserve(&mut self, n: usize) {
        if self.counts.len() < n {
            self.counts.resize(n, 0.0);
            self.bits.resize(n.div_ceil(64), 0);
            self.words.resize(self.bits.len().div_ceil(64), 0);
        }
    }

    /// (The bits are set whether or not the count was zero: a branch on it is taken or not
    /// as unpredictably as words repeat, and setting a set bit changes nothing.)
    #[inline]
    pub(super) fn count(&mut self, f: u32) {
        let w = f as usize >> 6;
        self.bits[w] |= 1 << (f & 63);
        self.words[w >> 6] |= 1 << (w & 63);
        self.counts[f as usize] += 1.0;
    }

    /// Call `f` with each counted feature and its count, in increasing feature order, and
    /// reset them.
    #[inline]
    pub(super) fn drain(&mut self, mut f: impl FnMut(u32, f32)) {
        for (j, summary) in self.words.iter_mut().enumerate() {
            let mut sw = std::mem::take(summary);
            while sw != 0 {
                let w = j * 64 + sw.trailing_zeros() as usize;
                sw &= sw - 1;
                let mut b = std::mem::take(&mut self.bits[w]);
                while b != 0 {
                    let i = w * 64 + b.trailing_zeros() as usize;
                    b &= b - 1;
                    f(i as u32, std::mem::take(&mut self.counts[i]));
                }
            }
        }
    }
}

/// Per-thread buffers of [`Featurizer::transform`], [`Featurizer::transform_document`] and
/// [`Featurizer::doc_row`]: the counts of the block being built and the blocks built so far.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    pub(super) counts: Counts,
    pub(super) blocks: SparseRow,
    /// [`Featurizer::visit_document`]'s neighbour counts of each paragraph, and where each
    /// paragraph's list ends in it.
    pub(super) ctx: Vec<(u32, f32)>,
    pub(super) ctx_at: Vec<usize>,
}

thread_local! {
    pub(super) static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// `1 + ln tf` for small counts, computed once (the same `f32` values as computing it each
/// time): most features occur a few times in a paragraph.
pub(super) fn log_tf(tf: f32) -> f32 {
    static TABLE: std::sync::OnceLock<[f32; 64]> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = [0f32; 64];
        for (k, v) in t.iter_mut().enumerate().skip(1) {
            *v = 1.0 + (k as f32).ln();
        }
        t
    });
    let k = tf as usize;
    if k < 64 && k as f32 == tf {
        t[k]
    } else {
        1.0 + tf.ln()
    }
}
