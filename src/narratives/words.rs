//! Words of a paragraph, case-folded and accent-folded, with their byte spans.
//!
//! Input: paragraph text. Output: [`Words`], the folded words in order with the byte range of
//! each in the original text. Rules and paragraphs are split by the same function, so a term
//! matches whatever the paragraph spells the same way after folding.
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

/// The words of one text: folded forms in one buffer, and the byte span of each word in the
/// text it came from. Reuse one value across paragraphs ([`Words::split`] clears it).
#[derive(Debug, Default, Clone)]
pub struct Words {
    buf: String,
    /// `(start, end)` of each folded word in `buf`.
    folded: Vec<(u32, u32)>,
    /// `(start, end)` of each word in the original text, in bytes.
    spans: Vec<(u32, u32)>,
}

impl Words {
    /// Split `text` into folded words, replacing the previous contents.
    pub fn split(&mut self, text: &str) {
        self.buf.clear();
        self.folded.clear();
        self.spans.clear();
        let bytes = text.as_bytes();
        let mut start: Option<(usize, usize)> = None; // (text start, buf start)
        if text.is_ascii() {
            for (i, &b) in bytes.iter().enumerate() {
                if b.is_ascii_alphanumeric() {
                    if start.is_none() {
                        start = Some((i, self.buf.len()));
                    }
                    self.buf.push(b.to_ascii_lowercase() as char);
                } else if let Some((ts, bs)) = start.take() {
                    self.push(ts, i, bs);
                }
            }
            if let Some((ts, bs)) = start {
                self.push(ts, bytes.len(), bs);
            }
            return;
        }
        for (i, c) in text.char_indices() {
            if is_word_char(c) {
                if start.is_none() {
                    start = Some((i, self.buf.len()));
                }
                fold_char(c, &mut self.buf);
            } else if let Some((ts, bs)) = start.take() {
                self.push(ts, i, bs);
            }
        }
        if let Some((ts, bs)) = start {
            self.push(ts, text.len(), bs);
        }
    }

    /// Empty the list (before [`Words::push_span`]).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.folded.clear();
        self.spans.clear();
    }

    /// Append a word known only by its span in the text (its folded form is not kept:
    /// [`Words::word`] is empty for it). Used by a caller that folds ASCII words itself.
    pub fn push_span(&mut self, text_start: usize, text_end: usize) {
        let b = self.buf.len() as u32;
        self.folded.push((b, b));
        self.spans.push((text_start as u32, text_end as u32));
    }

    fn push(&mut self, text_start: usize, text_end: usize, buf_start: usize) {
        if self.buf.len() == buf_start {
            return; // only combining marks
        }
        self.folded.push((buf_start as u32, self.buf.len() as u32));
        self.spans.push((text_start as u32, text_end as u32));
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.folded.len()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.folded.is_empty()
    }

    /// The folded form of word `i`.
    pub fn word(&self, i: usize) -> &str {
        let (s, e) = self.folded[i];
        &self.buf[s as usize..e as usize]
    }

    /// The byte span of word `i` in the original text.
    pub fn span(&self, i: usize) -> (usize, usize) {
        let (s, e) = self.spans[i];
        (s as usize, e as usize)
    }

    /// The folded words, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.word(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<String> {
        let mut w = Words::default();
        w.split(s);
        w.iter().map(str::to_string).collect()
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
    fn spans_point_into_the_original_text() {
        let t = "Le «Darién» est là";
        let mut w = Words::default();
        w.split(t);
        let (s, e) = w.span(1);
        assert_eq!(&t[s..e], "Darién");
        assert_eq!(w.word(3), "la");
        assert_eq!(fold("ÀÉÎ"), "aei");
    }
}
