//! Words of a paragraph, case-folded and accent-folded, with their byte spans.
//!
//! Input: paragraph text. Output: [`Words`], the byte range of each word in the original text,
//! and each word in order ([`Word`]: ASCII as it is, which folds by lowercasing, or folded).
//! Rule terms are folded by the same [`fold_char`] and [`is_word_char`], so a term matches
//! whatever the paragraph spells the same way after folding.
//!
//! A word is a maximal run of letters and digits (`char::is_alphanumeric`); everything else
//! (spaces, punctuation, apostrophes, hyphens) separates words, so `China's` is the two words
//! `china s` and `MS-13` is `ms 13`. Folding lowercases and strips the diacritics of the Latin
//! letters (Latin-1 Supplement and Latin Extended-A: `Darién` → `darien`, `ß` → `ss`,
//! `Œ` → `oe`); other scripts are lowercased only.

/// Append the folded form of `c` to `out`.
pub fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    for l in c.to_lowercase() {
        let s: &str = match l {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
            'ď' | 'đ' | 'ð' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
            'ĥ' | 'ħ' => "h",
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
            'ĳ' => "ij",
            'ĵ' => "j",
            'ķ' => "k",
            'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
            'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
            'œ' => "oe",
            'ŕ' | 'ŗ' | 'ř' => "r",
            'ś' | 'ŝ' | 'ş' | 'š' | 'ſ' => "s",
            'ß' => "ss",
            'ţ' | 'ť' | 'ŧ' => "t",
            'þ' => "th",
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
            'ŵ' => "w",
            'ý' | 'ÿ' | 'ŷ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            // combining diacritical marks left by decomposed input
            '\u{300}'..='\u{36f}' => "",
            other => {
                out.push(other);
                continue;
            }
        };
        out.push_str(s);
    }
}

/// Whether `c` belongs to a word.
#[inline]
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || ('\u{300}'..='\u{36f}').contains(&c)
}

/// Fold a whole string (no splitting).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// A word as [`Words::split_with`] hands it over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word<'a> {
    /// ASCII letters and digits as they are in the text (any case): folding them is
    /// lowercasing, which a caller may do more cheaply itself.
    Ascii(&'a [u8]),
    /// Any other word, folded.
    Folded(&'a str),
}

/// The words of one text: the byte span of each word in the text it came from. Reuse one
/// value across paragraphs ([`Words::split_with`] clears it).
#[derive(Debug, Default, Clone)]
pub struct Words {
    /// The folded form of the current non-ASCII word.
    buf: String,
    /// `(start, end)` of each word in the original text, in bytes.
    spans: Vec<(u32, u32)>,
}

impl Words {
    /// Split `text` into words, replacing the previous contents, and hand each one to
    /// `on_word` in order (word `i` is the `i`-th call). A word is a maximal run of
    /// [`is_word_char`] characters that folds to something (a run of combining marks alone is
    /// no word).
    pub fn split_with(&mut self, text: &str, mut on_word: impl FnMut(Word<'_>)) {
        self.spans.clear();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 && !b.is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            let start = i;
            let mut ascii = true;
            while i < bytes.len() {
                let b = bytes[i];
                if b.is_ascii_alphanumeric() {
                    i += 1;
                } else if b >= 0x80 {
                    let c = text[i..].chars().next().expect("a char starts here");
                    if !is_word_char(c) {
                        break;
                    }
                    ascii = false;
                    i += c.len_utf8();
                } else {
                    break;
                }
            }
            if i == start {
                // a non-ASCII character that is not part of a word
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
            if ascii {
                on_word(Word::Ascii(&bytes[start..i]));
            } else {
                self.buf.clear();
                for c in text[start..i].chars() {
                    fold_char(c, &mut self.buf);
                }
                if self.buf.is_empty() {
                    continue; // only combining marks
                }
                on_word(Word::Folded(&self.buf));
            }
            self.spans.push((start as u32, i as u32));
        }
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The byte span of word `i` in the original text.
    pub fn span(&self, i: usize) -> (usize, usize) {
        let (s, e) = self.spans[i];
        (s as usize, e as usize)
    }
}

/// The bytes of `x` that are ASCII letters or digits, as the high bit of each byte (eight
/// bytes tested at once: each comparison is an addition whose carry lands in the high bit).
#[inline]
fn alnum_bytes(x: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let splat = |b: u8| u64::from(b) * 0x0101_0101_0101_0101;
    let v = x & !HIGH;
    // per byte, v + (0x80 - lo) has its high bit set when v >= lo, v + (0x7f - hi) when v > hi
    let digit = (v + splat(0x80 - b'0')) & !(v + splat(0x7f - b'9'));
    let l = v | splat(0x20);
    let letter = (l + splat(0x80 - b'a')) & !(l + splat(0x7f - b'z'));
    (digit | letter) & !x & HIGH
}

/// The byte range `[start, end)` from the start of word `first` to the end of word `last`
/// (`first <= last`), in a text whose words are its maximal runs of ASCII letters and digits,
/// found without splitting the rest of the text; `None` when it has no word `last`.
///
/// Exact for a text [`crate::tokenize::words_are_ascii_runs`] accepts (every paragraph read
/// from token ids is one): its only non-ASCII characters are spaces, quotes and dashes,
/// which are no [`is_word_char`], and no byte of them is an ASCII letter or digit, so
/// [`Words::split_with`] gives the same words with the same spans.
pub fn ascii_run_span(text: &str, first: usize, last: usize) -> Option<[usize; 2]> {
    let mut runs = AsciiRuns::new(text);
    let (start, end) = runs.nth(first)?;
    if last == first {
        return Some([start, end]);
    }
    Some([start, runs.nth(last)?.1])
}

/// The ASCII letter-digit runs of a text, visited in order and by index: the words of a text
/// [`crate::tokenize::words_are_ascii_runs`] accepts (see [`ascii_run_span`]).
#[derive(Debug, Clone, Copy)]
pub struct AsciiRuns<'a> {
    bytes: &'a [u8],
    /// Where the next run is looked for.
    at: usize,
    /// The index of the next run.
    next: usize,
}

impl<'a> AsciiRuns<'a> {
    /// The runs of `text`, from its start.
    pub fn new(text: &'a str) -> Self {
        AsciiRuns {
            bytes: text.as_bytes(),
            at: 0,
            next: 0,
        }
    }

    /// The byte range `[start, end)` of run `w` (counted from 0), or `None` past the last;
    /// `w` must not be below the index of a run already returned.
    pub fn nth(&mut self, w: usize) -> Option<(usize, usize)> {
        debug_assert!(w >= self.next, "runs are visited in order");
        let b = self.bytes;
        // eight bytes at a time: the runs that start in them are counted, and run `w` is
        // found among them by its bit. Between calls `at` is at the start of the text or at a
        // byte that is no letter or digit, so a run starting at `at` starts a new word; past
        // that, `carry` has the high bit of the last byte read when it is a letter or digit
        // (a run that goes on into the next bytes was counted where it started), without a
        // branch: where words cross the eight-byte edges is unpredictable.
        let mut carry = 0u64;
        while let Some(eight) = b.get(self.at..self.at + 8) {
            let alnum = alnum_bytes(u64::from_le_bytes(eight.try_into().expect("8 bytes")));
            let mut starts = alnum & !((alnum << 8) | carry);
            let n = starts.count_ones() as usize;
            if self.next + n > w {
                for _ in self.next..w {
                    starts &= starts - 1;
                }
                let s = self.at + starts.trailing_zeros() as usize / 8;
                self.at = s + 1;
                while self.at < b.len() && b[self.at].is_ascii_alphanumeric() {
                    self.at += 1;
                }
                self.next = w + 1;
                return Some((s, self.at));
            }
            self.next += n;
            self.at += 8;
            carry = alnum >> 56;
        }
        // the rest of a run counted in the last eight bytes
        if carry != 0 {
            while self.at < b.len() && b[self.at].is_ascii_alphanumeric() {
                self.at += 1;
            }
        }
        loop {
            while self.at < b.len() && !b[self.at].is_ascii_alphanumeric() {
                self.at += 1;
            }
            if self.at == b.len() {
                return None;
            }
            let s = self.at;
            while self.at < b.len() && b[self.at].is_ascii_alphanumeric() {
                self.at += 1;
            }
            self.next += 1;
            if self.next == w + 1 {
                return Some((s, self.at));
            }
        }
    }

    /// The bytes of run `w` ([`AsciiRuns::nth`]).
    pub fn word(&mut self, w: usize) -> Option<&'a [u8]> {
        let b = self.bytes;
        self.nth(w).map(|(s, e)| &b[s..e])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alnum_bytes_is_is_ascii_alphanumeric() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut x = [b'-'; 8];
                x[at] = b;
                x[(at + 3) % 8] = b'a';
                let want = (0..8).fold(0u64, |m, k| {
                    m | u64::from(x[k].is_ascii_alphanumeric()) << (8 * k + 7)
                });
                assert_eq!(alnum_bytes(u64::from_le_bytes(x)), want, "{b} at {at}");
            }
        }
    }

    #[test]
    fn ascii_runs_by_index_across_blocks() {
        // runs that end, start and cross at 64-byte block edges, found from every start
        let mut t = String::new();
        for i in 0..60 {
            t.push_str(&"x".repeat(i % 7 + 1));
            t.push_str(&" -".repeat(i % 3 + 1)[..i % 3 + 1]);
        }
        t.push_str(&"y".repeat(150));
        let runs: Vec<(usize, usize)> = {
            let mut w = Words::default();
            w.split_with(&t, |_| {});
            (0..w.len()).map(|i| w.span(i)).collect()
        };
        for from in 0..runs.len() {
            for to in from..runs.len() {
                let mut r = AsciiRuns::new(&t);
                if from > 0 {
                    assert_eq!(r.nth(from - 1), Some(runs[from - 1]));
                }
                assert_eq!(r.nth(to), Some(runs[to]), "{from} {to}");
            }
            let mut r = AsciiRuns::new(&t[..]);
            assert_eq!(r.nth(runs.len() + from), None);
        }
    }

    #[test]
    fn ascii_runs_by_index() {
        let mut r = AsciiRuns::new("  The [UNK]'s 2018 x-ray.");
        assert_eq!(r.word(1), Some(&b"UNK"[..]));
        assert_eq!(r.word(2), Some(&b"s"[..]));
        assert_eq!(r.nth(5), Some((21, 24)));
        assert_eq!(r.word(6), None);
        assert_eq!(AsciiRuns::new("").nth(0), None);
    }

    fn split(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        Words::default().split_with(s, |w| {
            out.push(match w {
                Word::Ascii(b) => String::from_utf8(b.to_ascii_lowercase()).unwrap(),
                Word::Folded(f) => f.to_string(),
            })
        });
        out
    }

    #[test]
    fn splits_on_punctuation_and_folds() {
        assert_eq!(
            split("China's MS-13, ok?"),
            ["china", "s", "ms", "13", "ok"]
        );
        assert_eq!(split("Darién GAP"), ["darien", "gap"]);
        assert_eq!(split("STRAßE Œuvre"), ["strasse", "oeuvre"]);
        // decomposed é (e + combining acute) folds like the composed one
        assert_eq!(split("Darie\u{301}n"), ["darien"]);
        assert_eq!(split("移民 走线"), ["移民", "走线"]);
    }

    #[test]
    fn ascii_run_spans_are_the_split_spans_of_accepted_texts() {
        for t in [
            "China's MS-13, ok?",
            "  \u{201c}Build the wall\u{201d}\u{2014}now\u{a0}\u{ab}2019\u{bb} \u{2026}x",
            "one",
            "",
            "-- ,",
        ] {
            assert!(crate::tokenize::words_are_ascii_runs(t), "{t}");
            let mut w = Words::default();
            w.split_with(t, |_| {});
            for first in 0..w.len() {
                for last in first..w.len() {
                    let want = [w.span(first).0, w.span(last).1];
                    assert_eq!(
                        ascii_run_span(t, first, last),
                        Some(want),
                        "{t} {first} {last}"
                    );
                }
            }
            assert_eq!(ascii_run_span(t, 0, w.len()), None);
        }
    }

    #[test]
    fn spans_point_into_the_original_text() {
        let t = "Le «Darién» est là";
        let mut w = Words::default();
        w.split_with(t, |_| {});
        assert_eq!(w.len(), 4);
        let (s, e) = w.span(1);
        assert_eq!(&t[s..e], "Darién");
        assert_eq!(split(t)[3], "la");
        assert_eq!(fold("ÀÉÎ"), "aei");
    }
}
