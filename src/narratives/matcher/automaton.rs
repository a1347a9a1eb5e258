//! The word automaton over folded bytes and its prefilter for ASCII words.

use super::WordPat;

/// The trie of all word patterns over folded bytes, as a transition table.
#[derive(Debug, Clone)]
pub(super) struct Dfa {
    /// Byte → class (0: no pattern holds the byte). ASCII upper and lower case letters
    /// share a class.
    class: Vec<u8>,
    /// Number of classes.
    nc: usize,
    /// `next[state * nc + class]`, [`DEAD`] when no pattern continues so.
    next: Vec<u32>,
    /// The exact-word pattern ending at each state.
    exact: Vec<u32>,
    /// The prefix pattern complete at each state.
    prefix: Vec<u32>,
}

/// A quick test that lets through every ASCII word some pattern may match, and few others:
/// bit sets of the hashes of the exact words and of the prefixes, and the prefix lengths.
#[derive(Debug, Clone, Default)]
pub(super) struct Filter {
    exact: Bits,
    prefix: Bits,
    /// Bit `n` (1..64) is set when an ASCII prefix pattern has `n` bytes.
    prefix_lens: u64,
    /// Some prefix pattern has 64 bytes or more: longer words skip the filter.
    long_prefix: bool,
}

impl Filter {
    pub(super) fn new(pats: &[(&WordPat, u32)]) -> Self {
        let mut f = Filter::default();
        for (w, _) in pats {
            let b = w.text.as_bytes();
            if !b.is_ascii() || b.is_empty() {
                continue; // never part of an ASCII word (non-ASCII words skip the filter)
            }
            let h = b.iter().fold(FNV_OFFSET, |h, &c| fnv_step(h, c | 0x20));
            if !w.prefix {
                f.exact.set(h);
            } else if b.len() < 64 {
                f.prefix.set(h);
                f.prefix_lens |= 1 << b.len();
            } else {
                f.long_prefix = true;
            }
        }
        f
    }

    /// Whether the ASCII word `w` (any case) may hold a pattern: the hash of the whole word
    /// and of each prefix whose length some prefix pattern has are tested.
    #[inline]
    pub(super) fn may_match(&self, w: &[u8]) -> bool {
        let mut h = FNV_OFFSET;
        let mut hit = false;
        for (n, &b) in (1..).zip(w) {
            h = fnv_step(h, b | 0x20);
            if n < 64 && self.prefix_lens >> n & 1 == 1 {
                hit |= self.prefix.get(h);
            }
        }
        hit || self.exact.get(h) || (w.len() >= 64 && self.long_prefix)
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

#[inline]
fn fnv_step(h: u64, b: u8) -> u64 {
    (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
}

/// A set of 2^16 bits indexed by the top bits of a hash.
#[derive(Debug, Clone)]
struct Bits(Vec<u64>);

impl Default for Bits {
    fn default() -> Self {
        Bits(vec![0; 1 << 10])
    }
}

impl Bits {
    fn set(&mut self, h: u64) {
        let k = (h >> 48) as usize;
        self.0[k >> 6] |= 1 << (k & 63);
    }
    #[inline]
    fn get(&self, h: u64) -> bool {
        let k = (h >> 48) as usize;
        self.0[k >> 6] & (1 << (k & 63)) != 0
    }
}

/// No state (and no pattern).
const DEAD: u32 = u32::MAX;

impl Default for Dfa {
    fn default() -> Self {
        Dfa::new(&[])
    }
}

impl Dfa {
    pub(super) fn new(pats: &[(&WordPat, u32)]) -> Self {
        let mut class = vec![0u8; 256];
        let mut nc = 1usize;
        for (w, _) in pats {
            for &b in w.text.as_bytes() {
                let b = b.to_ascii_lowercase();
                if class[b as usize] == 0 {
                    class[b as usize] = nc as u8;
                    if b.is_ascii_lowercase() {
                        class[b.to_ascii_uppercase() as usize] = nc as u8;
                    }
                    nc += 1;
                }
            }
        }
        assert!(nc <= 256, "at most 255 distinct bytes in patterns");
        let mut d = Dfa {
            class,
            nc,
            next: vec![DEAD; nc],
            exact: vec![DEAD],
            prefix: vec![DEAD],
        };
        for &(w, id) in pats {
            let mut st = 0usize;
            for &b in w.text.as_bytes() {
                let c = d.class[b as usize] as usize;
                let n = d.next[st * nc + c];
                st = if n == DEAD {
                    let new = d.exact.len();
                    d.next[st * nc + c] = new as u32;
                    d.next.extend(std::iter::repeat_n(DEAD, nc));
                    d.exact.push(DEAD);
                    d.prefix.push(DEAD);
                    new
                } else {
                    n as usize
                };
            }
            if w.prefix {
                d.prefix[st] = id;
            } else {
                d.exact[st] = id;
            }
        }
        d
    }

    /// Run `word` (folded bytes, or ASCII in any case) through the trie, pushing the ids of
    /// the patterns it matches to `out`.
    #[inline]
    pub(super) fn word(&self, word: &[u8], out: &mut Vec<u32>) {
        let mut st = 0usize;
        for &b in word {
            let n = self.next[st * self.nc + self.class[b as usize] as usize];
            if n == DEAD {
                return;
            }
            st = n as usize;
            if self.prefix[st] != DEAD {
                out.push(self.prefix[st]);
            }
        }
        if self.exact[st] != DEAD {
            out.push(self.exact[st]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{m, matcher};
    use super::super::Scratch;

    #[test]
    fn words_are_case_insensitive_and_accent_folded() {
        assert!(m("darien", "Crossing the DARIÉN gap"));
        assert!(m("Darién", "crossing the darien gap"));
        assert!(!m("dari", "crossing the darien gap"));
        assert!(m("china", "China's deportees"));
    }

    #[test]
    fn prefix_wildcards() {
        assert!(m("deport*", "they were deported"));
        assert!(m("deport*", "deportation"));
        assert!(m("deport*", "Deport"));
        assert!(m("deport*", "deportee's"));
        assert!(!m("deport*", "redeported"));
        assert!(m("\"chain migra*\"", "so-called chain migration"));
        assert!(m("émigr*", "the emigrants"));
        // a prefix and an exact word of the same text are different patterns
        let mt = matcher(&["ban", "ban*"]);
        let f = mt.find("banned", &mut Scratch::default());
        assert_eq!(f.iter().map(|r| r.rule).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn ascii_and_folded_words_find_the_same_patterns() {
        let mt = matcher(&["deport*", "ice", "h1b", "\"zero tolerance\""]);
        let mut s = Scratch::default();
        for (text, rules) in [
            ("Deportations by ICE under Zero Tolerance", vec![0, 1, 3]),
            ("Déportations by ÏCE under Zero Tolérance", vec![0, 1, 3]),
            ("H1B visas; nice; deport", vec![0, 2]),
            ("H1B visas – nice – “deport”", vec![0, 2]),
            ("device dice icecream deplore", vec![]),
        ] {
            let f = mt.find(text, &mut s);
            assert_eq!(
                f.iter().map(|r| r.rule).collect::<Vec<_>>(),
                rules,
                "{text}"
            );
        }
    }
}
