/// Words of news prose that carry no frame although they are not function words.
const NEWS_STOPWORDS: &[&str] = &[
    "according",
    "added",
    "asked",
    "percent",
    "reported",
    "said",
    "say",
    "saying",
    "says",
    "told",
];

/// Whether a token can be shown as an explanation term: a content word of at least two
/// characters, made of letters (digits, `-` and `'` inside are fine, e.g. `h-1b`), not a
/// stopword ([`is_stopword`] and a few reporting verbs), not a bare number or
/// punctuation, not a word piece (`##…`) or special token.
pub fn is_content_word(w: &str) -> bool {
    let mut chars = w.chars();
    let (Some(first), Some(last)) = (chars.next(), w.chars().next_back()) else {
        return false;
    };
    w.chars().count() >= 2
        && first.is_alphanumeric()
        && last.is_alphanumeric()
        && w.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '\'' || c == '\u{2019}')
        && w.chars().any(char::is_alphabetic)
        && !is_stopword(&w.to_lowercase())
        && !NEWS_STOPWORDS.contains(&w.to_lowercase().as_str())
}

/// A few hundred English function words, never reported as evidence terms.
pub fn is_stopword(w: &str) -> bool {
    STOPWORDS.binary_search(&w).is_ok()
}

/// Sorted.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "even",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "last",
    "many",
    "may",
    "me",
    "might",
    "more",
    "most",
    "mr",
    "mrs",
    "ms",
    "much",
    "must",
    "my",
    "myself",
    "new",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "per",
    "s",
    "said",
    "same",
    "say",
    "says",
    "she",
    "should",
    "since",
    "so",
    "some",
    "such",
    "t",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "two",
    "under",
    "until",
    "up",
    "us",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "year",
    "years",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopwords_are_sorted() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_stopword("the") && !is_stopword("border"));
    }
}
