//! The passage quoted as a narrative's evidence: the sentence (or sentences) of a paragraph
//! that hold the match, not the whole paragraph.
//!
//! Input: a paragraph and the byte span of a match in it. Output: the byte range of the
//! passage to quote. A sentence ends at `.`, `!` or `?` (and any closing quotes or brackets
//! right after) followed by white space, except after a common abbreviation ("Mr.", "Sen.")
//! or a single capital letter ("U.S.", "J. Smith"). A passage longer than [`MAX_PASSAGE`]
//! bytes (a paragraph without sentence ends) is cut to the words around the match.

/// Longest passage quoted whole; longer ones are cut to about [`CONTEXT`] bytes either side
/// of the match.
pub const MAX_PASSAGE: usize = 600;

/// Bytes of context kept either side of the match when a passage is cut.
pub const CONTEXT: usize = 200;

/// Words after which a period does not end a sentence (compared case-insensitively).
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "sen", "rep", "gov", "gen", "lt", "col", "sgt", "capt", "st", "jr",
    "sr", "prof", "rev", "hon", "pres", "sec", "dept", "inc", "co", "corp", "ltd", "no", "vs",
    "etc", "approx", "jan", "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec",
];

/// Whether a sentence ends with the terminator at byte `i` of `text` (`text[i]` is `.`, `!`
/// or `?`); `Some(end)` gives the byte after the terminator and its closing marks.
fn sentence_end(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut end = i + 1;
    // closing quotes and brackets belong to the sentence
    while let Some(c) = text[end..].chars().next() {
        if matches!(c, '"' | '\'' | ')' | ']' | '”' | '’' | '»') {
            end += c.len_utf8();
        } else {
            break;
        }
    }
    let next = text[end..].chars().next()?;
    if !next.is_whitespace() {
        return None;
    }
    if b[i] == b'.' {
        // the word before the period
        let word_start = text[..i]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric())
            .last()
            .map_or(i, |(k, _)| k);
        let word = &text[word_start..i];
        let one_capital = word.chars().count() == 1 && word.chars().all(char::is_uppercase);
        if one_capital || ABBREVIATIONS.iter().any(|a| a.eq_ignore_ascii_case(word)) {
            return None;
        }
    }
    Some(end)
}

/// The byte range of the passage of `text` to quote for a match at `span`: the sentences
/// that overlap the span, cut to about [`CONTEXT`] bytes either side of the span (at white
/// space) when longer than [`MAX_PASSAGE`]. The range holds `span` and starts and ends at
/// character boundaries, with no white space at either end.
pub fn passage(text: &str, span: [usize; 2]) -> [usize; 2] {
    let [a, b] = span;
    let bytes = text.as_bytes();
    let rfind_end = |to: usize| memchr::memrchr3(b'.', b'!', b'?', &bytes[..to]);
    let find_end = |from: usize| memchr::memchr3(b'.', b'!', b'?', &bytes[from..]);
    // the terminators are ASCII, so never part of a multi-byte character; the passage
    // starts after the last sentence end before the span and ends at the first one at or
    // after its end (one inside the span joins two sentences)
    let mut start = 0;
    let mut i = a;
    while let Some(k) = rfind_end(i) {
        if let Some(e) = sentence_end(text, k).filter(|&e| e <= a) {
            start = e;
            break;
        }
        i = k;
    }
    let mut end = text.len();
    let mut i = b;
    while let Some(k) = find_end(i) {
        if let Some(e) = sentence_end(text, i + k) {
            end = e;
            break;
        }
        i += k + 1;
    }
    if end - start > MAX_PASSAGE {
        if a - start > CONTEXT {
            let from = floor_boundary(text, a - CONTEXT);
            start = text[from..a]
                .find(char::is_whitespace)
                .map_or(from, |k| from + k);
        }
        if end - b > CONTEXT {
            let to = floor_boundary(text, b + CONTEXT);
            end = text[b..to].rfind(char::is_whitespace).map_or(to, |k| b + k);
        }
    }
    // no white space at either end (but never into the span)
    start = a - text[start..a].trim_start().len();
    end = b + text[b..end].trim_end().len();
    [start, end]
}

/// The largest character boundary of `text` at or before `i`.
fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(text: &str, m: &str) -> String {
        let a = text.find(m).unwrap();
        let [s, e] = passage(text, [a, a + m.len()]);
        text[s..e].to_string()
    }

    #[test]
    fn the_sentence_holding_the_match() {
        let t = "The caravan left. Trump wants to build a wall! Will he? Nobody knows.";
        assert_eq!(quote(t, "build a wall"), "Trump wants to build a wall!");
        assert_eq!(quote(t, "caravan"), "The caravan left.");
        assert_eq!(quote(t, "knows"), "Nobody knows.");
        assert_eq!(quote(t, "Will he"), "Will he?");
    }

    #[test]
    fn a_match_across_sentences_quotes_both() {
        let t = "First one. They built a wall. Then the border was shut. Last.";
        assert_eq!(
            quote(t, "wall. Then the border"),
            "They built a wall. Then the border was shut."
        );
    }

    #[test]
    fn abbreviations_initials_and_quotes() {
        let t = "Sen. Smith said the U.S. border is “open.” He is wrong.";
        assert_eq!(
            quote(t, "border"),
            "Sen. Smith said the U.S. border is “open.”"
        );
        let t = "Mr. J. Doe said (that it was a wall.) Then he left.";
        assert_eq!(quote(t, "wall"), "Mr. J. Doe said (that it was a wall.)");
    }

    #[test]
    fn decimals_and_no_space_do_not_end_sentences() {
        let t = "It cost 2.5 billion dollars.Really. Yes.";
        assert_eq!(quote(t, "billion"), "It cost 2.5 billion dollars.Really.");
    }

    #[test]
    fn long_passages_are_cut_around_the_match_at_spaces() {
        let words: Vec<String> = (0..400).map(|i| format!("w{i}")).collect();
        let t = words.join(" ");
        let m = "w200";
        let a = t.find(m).unwrap();
        let [s, e] = passage(&t, [a, a + m.len()]);
        assert!(s > 0 && e < t.len());
        assert!(a - s <= CONTEXT && e - (a + m.len()) <= CONTEXT);
        assert!(t[s..e].starts_with('w') && t[s..e].contains(m));
        assert_eq!(&t[s - 1..s], " ");
        assert_eq!(&t[e..e + 1], " ");
    }

    /// The definition: every terminator of the paragraph considered in order.
    fn reference_bounds(text: &str, [a, b]: [usize; 2]) -> [usize; 2] {
        let (mut start, mut end) = (0, text.len());
        for (i, c) in text.bytes().enumerate() {
            if !matches!(c, b'.' | b'!' | b'?') {
                continue;
            }
            match sentence_end(text, i) {
                Some(e) if i >= b => {
                    end = e;
                    break;
                }
                Some(e) if i < a && e <= a => start = e,
                _ => {}
            }
        }
        [start, end]
    }

    #[test]
    fn the_scan_from_the_span_finds_the_sentences_the_definition_does() {
        let texts = [
            "The caravan left. Trump wants to build a wall! Will he? Nobody knows.",
            "Sen. Smith said the U.S. border is “open.” He is wrong.",
            "It cost 2.5 billion dollars.Really. Yes. \"No!\" (Maybe.) ...",
            "no terminator at all",
        ];
        for t in texts {
            for a in 0..=t.len() {
                for b in a..=t.len() {
                    if !t.is_char_boundary(a) || !t.is_char_boundary(b) {
                        continue;
                    }
                    let [s, e] = reference_bounds(t, [a, b]);
                    if e - s > MAX_PASSAGE {
                        continue;
                    }
                    let trimmed = [
                        s + t[s..a].len() - t[s..a].trim_start().len(),
                        e - (t[b..e].len() - t[b..e].trim_end().len()),
                    ];
                    assert_eq!(passage(t, [a, b]), trimmed, "{t:?} {a} {b}");
                }
            }
        }
    }

    #[test]
    fn every_passage_holds_its_span_on_real_like_text() {
        let t = "  Él dijo: «no». ¿Por qué? “Déportez-les!” — 3.4 million… U.S.A. is big.  ";
        for a in 0..=t.len() {
            for b in a..=t.len() {
                if !t.is_char_boundary(a) || !t.is_char_boundary(b) {
                    continue;
                }
                let [s, e] = passage(t, [a, b]);
                assert!(s <= a && b <= e && e <= t.len(), "{a} {b} -> {s} {e}");
                assert!(t.is_char_boundary(s) && t.is_char_boundary(e));
            }
        }
    }
}
