//! The [`Article`] type, its size [`Limits`] and readiness checks, paragraphs and derived ids.

use super::*;

/// Where an article came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// The input file (`-` for stdin).
    pub file: String,
    /// 1-based line or record number, for line-oriented formats.
    pub line: Option<u64>,
}

/// One article to classify.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Article {
    /// Unique id.
    pub id: DocId,
    /// Headline.
    pub title: Option<String>,
    /// Publication date as given (not parsed here).
    pub date: Option<String>,
    /// Outlet.
    pub source: Option<String>,
    /// Address.
    pub url: Option<String>,
    /// Body text, paragraphs separated by newlines.
    pub text: String,
    /// Any other fields of the input record, carried into reports.
    pub extra: Map<String, Value>,
    /// Where the article was read from.
    pub origin: Origin,
    /// Repairs made while reading (derived id, a field of the wrong type moved to `extra`,
    /// HTML stripped …); each is reported as a warning.
    pub warnings: Vec<InputError>,
}

/// Size limits applied while reading and preparing articles.
///
/// | Name | Default | Purpose | Range |
/// |------|---------|---------|-------|
/// | `max_doc_bytes` | 10 000 000 | a record (JSONL line, CSV row, text file) larger than this is rejected without being held in memory | ≥ 1 |
/// | `max_paragraph_bytes` | 100 000 | a document with a longer paragraph (line) is rejected: that is not prose | ≥ 1 |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest record, in bytes.
    pub max_doc_bytes: usize,
    /// Longest paragraph, in bytes.
    pub max_paragraph_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_doc_bytes: 10_000_000,
            max_paragraph_bytes: 100_000,
        }
    }
}

impl Limits {
    /// Check the limits.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when a limit is zero.
    pub fn check(self) -> Result<Self> {
        for (name, v) in [
            ("max_doc_bytes", self.max_doc_bytes),
            ("max_paragraph_bytes", self.max_paragraph_bytes),
        ] {
            if v == 0 {
                return Err(Error::InvalidParam {
                    name,
                    value: "0".into(),
                    reason: "must be at least 1",
                });
            }
        }
        Ok(self)
    }
}

impl Article {
    /// The article's paragraphs (non-blank lines, trimmed), in order.
    pub fn paragraphs(&self) -> Vec<&str> {
        paragraphs(&self.text)
    }

    fn input_error(&self, kind: InputProblem, reason: impl Into<String>) -> InputError {
        InputError::new(
            kind,
            self.origin.file.clone(),
            self.origin.line,
            Some(self.id.clone()),
            reason,
        )
    }

    /// Check that the article has something to classify.
    ///
    /// # Errors
    /// An [`InputError`] when the text is empty or whitespace-only.
    pub fn validate(&self) -> std::result::Result<(), InputError> {
        if self.text.trim().is_empty() {
            return Err(
                self.input_error(InputProblem::EmptyText, "empty text: nothing to classify")
            );
        }
        Ok(())
    }

    /// Make the article ready to classify: strip HTML markup from the text and title (with a
    /// warning), then check that something classifiable is left and that it is within `limits`.
    ///
    /// # Errors
    /// An [`InputError`] when the text is empty or whitespace-only (also after stripping
    /// markup), has no letters or digits, is larger than `max_doc_bytes`, or has a paragraph
    /// longer than `max_paragraph_bytes`.
    pub fn prepare(mut self, limits: &Limits) -> std::result::Result<Article, InputError> {
        if self.text.len() > limits.max_doc_bytes {
            return Err(self.input_error(
                InputProblem::TooLarge,
                format!(
                    "text is {} bytes, over the limit of {} bytes (--max-doc-bytes)",
                    self.text.len(),
                    limits.max_doc_bytes
                ),
            ));
        }
        self.validate()?;
        let mut stripped = 0;
        if let Some((t, n)) = strip_html(&self.text) {
            self.text = t;
            stripped += n;
        }
        if let Some((t, n)) = self.title.as_deref().and_then(strip_html) {
            self.title = Some(t.split_whitespace().collect::<Vec<_>>().join(" "));
            stripped += n;
        }
        if stripped > 0 {
            let w = self.input_error(
                InputProblem::HtmlStripped,
                format!("HTML markup stripped ({stripped} tags removed); the rest was classified"),
            );
            self.warnings.push(w);
            if self.text.trim().is_empty() {
                return Err(self.input_error(
                    InputProblem::EmptyText,
                    "no text left after stripping HTML markup: nothing to classify",
                ));
            }
        }
        if !self.text.chars().any(char::is_alphanumeric) {
            return Err(self.input_error(
                InputProblem::NoWords,
                "no letters or digits (only punctuation, symbols or emoji): nothing to classify",
            ));
        }
        if let Some((i, p)) = paragraphs(&self.text)
            .iter()
            .enumerate()
            .find(|(_, p)| p.len() > limits.max_paragraph_bytes)
        {
            return Err(self.input_error(
                InputProblem::LineTooLong,
                format!(
                    "paragraph {i} is one line of {} bytes, over the limit of {} bytes \
                     (--max-paragraph-bytes): text without line breaks is not prose; split it \
                     into paragraphs",
                    p.len(),
                    limits.max_paragraph_bytes
                ),
            ));
        }
        Ok(self)
    }
}

/// Split text into paragraphs: non-blank lines, trimmed, in order.
pub fn paragraphs(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// The id given to a document without one: `sha256-` and the first 16 hex digits of the
/// SHA-256 of its text. The same text always gets the same id.
pub fn derived_id(text: &str) -> DocId {
    format!("sha256-{}", &crate::hash::sha256_hex(text.as_bytes())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_are_trimmed_non_blank_lines() {
        let p = paragraphs("  a \n\n\t\nb\r\n  c");
        assert_eq!(p, vec!["a", "b", "c"]);
    }

    #[test]
    fn prepare_rejects_what_cannot_be_classified() {
        let art = |t: &str| Article {
            id: "x".into(),
            text: t.into(),
            ..Default::default()
        };
        let l = Limits::default();
        let kind = |t: &str| art(t).prepare(&l).unwrap_err().kind;
        assert_eq!(kind(" \n\t "), InputProblem::EmptyText);
        assert_eq!(kind("!!! ... ??? 🎉🎉 — “” ★"), InputProblem::NoWords);
        assert_eq!(kind("<p> </p><br/>"), InputProblem::EmptyText);
        let long = "word ".repeat(30_000);
        let e = art(&long).prepare(&l).unwrap_err();
        assert_eq!(e.kind, InputProblem::LineTooLong);
        assert!(e.reason.contains("paragraph 0"), "{}", e.reason);
        let small = Limits {
            max_doc_bytes: 10,
            ..l
        };
        assert_eq!(
            art("eleven chars").prepare(&small).unwrap_err().kind,
            InputProblem::TooLarge
        );
        let ok = art("<p>Migrants &amp; families</p><p>crossed.</p>")
            .prepare(&l)
            .unwrap();
        assert_eq!(ok.paragraphs(), ["Migrants & families", "crossed."]);
        assert_eq!(ok.warnings[0].kind, InputProblem::HtmlStripped);
        let plain = art("Rates < 5% and > 2% & rising").prepare(&l).unwrap();
        assert_eq!(plain.text, "Rates < 5% and > 2% & rising");
        assert!(plain.warnings.is_empty());
    }

    #[test]
    fn empty_text_is_invalid() {
        let a = Article {
            id: "x".into(),
            text: " \n ".into(),
            ..Default::default()
        };
        assert!(a.validate().is_err());
    }
}
