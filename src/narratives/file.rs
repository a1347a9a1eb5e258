//! The narrative file (TOML): narratives with their rules, read and checked.
//!
//! Input: a TOML file. Output: [`NarrativeFile`], every rule parsed, or a
//! [`NarrativeError`] naming the file, the narrative and the line and column of the problem.
//!
//! ```toml
//! name = "US immigration coverage, 2012-2020"      # optional
//!
//! [stance]                                         # optional
//! enabled = false                                  # mark matches asserted/rebutted
//! rebutted = "false OR myth*"                      # cue rule (default: stance::DEFAULT_REBUTTAL_CUES)
//!
//! [[narrative]]
//! id = "caravan"                                   # [a-z0-9_-], unique
//! label = "The migrant caravan"
//! description = "Large groups travelling together through Mexico to the US border."
//! rule = '"migrant caravan" OR caravan* NEAR/10 (migrant* OR honduras)'
//! frames = ["security", "enforcement"]             # optional: count only paragraphs with these labels
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::query::Query;
use super::stance::DEFAULT_REBUTTAL_CUES;
pub use crate::error::NarrativeError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    stance: Option<RawStance>,
    #[serde(default, rename = "narrative")]
    narratives: Vec<RawNarrative>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStance {
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    rebutted: Option<toml::Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNarrative {
    id: toml::Spanned<String>,
    label: String,
    #[serde(default)]
    description: String,
    rule: toml::Spanned<String>,
    #[serde(default)]
    frames: Vec<String>,
}

/// One narrative: a storyline and the rule that detects it.
#[derive(Debug, Clone, PartialEq)]
pub struct Narrative {
    /// Stable id (`[a-z0-9_-]+`), used in reports and columns.
    pub id: String,
    /// Short human-readable name.
    pub label: String,
    /// What the storyline says.
    pub description: String,
    /// The rule as written.
    pub rule: String,
    /// The rule, parsed.
    pub query: Query,
    /// Count a match only in paragraphs labelled with one of these frames (empty: any).
    pub frames: Vec<String>,
    /// 1-based line of the id in the file (for later errors).
    pub line: usize,
}

/// Stance settings of a narrative file.
#[derive(Debug, Clone, PartialEq)]
pub struct StanceConfig {
    /// Report `asserted`/`rebutted` for each match.
    pub enabled: bool,
    /// The rebuttal cue rule as written.
    pub rule: String,
    /// The cue rule, parsed.
    pub query: Query,
}

/// A parsed narrative file.
#[derive(Debug, Clone, PartialEq)]
pub struct NarrativeFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Optional name of the set.
    pub name: Option<String>,
    /// Optional description of the set.
    pub description: Option<String>,
    /// The narratives, in file order.
    pub narratives: Vec<Narrative>,
    /// Stance settings.
    pub stance: StanceConfig,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
}

/// 1-based (line, column in characters) of byte `off` in `text`.
fn line_col(text: &str, off: usize) -> (usize, usize) {
    let before = &text[..off.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Byte offset in the file of the character at `rule_column` (1-based) of the rule `value`
/// whose TOML value (quotes included) spans `span`.
fn rule_offset(text: &str, span: std::ops::Range<usize>, value: &str, rule_column: usize) -> usize {
    let in_value = value
        .char_indices()
        .nth(rule_column.saturating_sub(1))
        .map_or(value.len(), |(b, _)| b);
    match text.get(span.clone()).and_then(|raw| raw.find(value)) {
        // the string is written without escapes: point at the character itself
        Some(i) if !value.is_empty() => span.start + i + in_value,
        // escapes shift the columns: point at the opening quote
        _ => span.start,
    }
}

impl NarrativeFile {
    /// Read and check a narrative file.
    ///
    /// # Errors
    /// [`NarrativeError`] naming the file (and the narrative, line and column) when it cannot
    /// be read, is not valid TOML, or has a bad id, a duplicate id or a rule that does not
    /// parse.
    pub fn from_file(path: &Path) -> Result<Self, NarrativeError> {
        let text = std::fs::read_to_string(path).map_err(|source| NarrativeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_str(&text, path)
    }

    /// Parse a narrative file's text; `path` is used in errors.
    ///
    /// # Errors
    /// As [`NarrativeFile::from_file`].
    pub fn from_str(text: &str, path: &Path) -> Result<Self, NarrativeError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| NarrativeError::Toml {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', "\n  "),
        })?;
        let rule_err = |id: &str, r: &toml::Spanned<String>, e: super::query::QueryError| {
            let off = rule_offset(text, r.span(), r.get_ref(), e.column);
            let (line, column) = line_col(text, off);
            NarrativeError::Rule {
                path: path.to_path_buf(),
                id: id.to_string(),
                line,
                column,
                rule_column: e.column,
                message: e.message,
            }
        };
        let mut narratives: Vec<Narrative> = Vec::with_capacity(raw.narratives.len());
        for n in raw.narratives {
            let id = n.id.get_ref().clone();
            let line = line_col(text, n.id.span().start).0;
            let invalid = |message: String| NarrativeError::Invalid {
                path: path.to_path_buf(),
                id: id.clone(),
                line,
                message,
            };
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
            {
                return Err(invalid(
                    "an id is one or more of a-z, 0-9, `_` and `-`".into(),
                ));
            }
            if let Some(first) = narratives.iter().find(|x| x.id == id) {
                return Err(invalid(format!(
                    "duplicate id (first used on line {})",
                    first.line
                )));
            }
            if n.label.trim().is_empty() {
                return Err(invalid("empty label".into()));
            }
            let query = Query::parse(n.rule.get_ref()).map_err(|e| rule_err(&id, &n.rule, e))?;
            narratives.push(Narrative {
                id,
                label: n.label,
                description: n.description,
                rule: n.rule.into_inner(),
                query,
                frames: n.frames,
                line,
            });
        }
        let stance = match raw.stance {
            Some(RawStance {
                enabled,
                rebutted: Some(r),
            }) => StanceConfig {
                enabled,
                query: Query::parse(r.get_ref()).map_err(|e| rule_err("stance", &r, e))?,
                rule: r.into_inner(),
            },
            other => StanceConfig {
                enabled: other.is_some_and(|s| s.enabled),
                rule: DEFAULT_REBUTTAL_CUES.into(),
                query: Query::parse(DEFAULT_REBUTTAL_CUES).expect("default cues parse"),
            },
        };
        Ok(NarrativeFile {
            path: path.to_path_buf(),
            name: raw.name,
            description: raw.description,
            narratives,
            stance,
            sha256: crate::hash::sha256_hex(text.as_bytes()),
        })
    }

    /// Check every `frames` entry against the labels a model knows.
    ///
    /// # Errors
    /// [`NarrativeError::Invalid`] for the first unknown frame.
    pub fn check_frames(&self, known: &[String]) -> Result<(), NarrativeError> {
        for n in &self.narratives {
            if let Some(f) = n.frames.iter().find(|f| !known.contains(f)) {
                return Err(NarrativeError::Invalid {
                    path: self.path.clone(),
                    id: n.id.clone(),
                    line: n.line,
                    message: format!(
                        "unknown frame {f:?} in `frames` (the model's labels: {})",
                        known.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<NarrativeFile, NarrativeError> {
        NarrativeFile::from_str(t, Path::new("n.toml"))
    }

    #[test]
    fn reads_narratives_and_defaults() {
        let f = parse(
            r#"
name = "test"
[[narrative]]
id = "wall"
label = "The wall"
description = "Build the wall."
rule = '"border wall" OR wall NEAR/3 build*'
frames = ["security"]

[[narrative]]
id = "ban"
label = "Travel ban"
rule = """
"travel ban" OR "muslim ban"
"""
"#,
        )
        .unwrap();
        assert_eq!(f.name.as_deref(), Some("test"));
        assert_eq!(f.narratives.len(), 2);
        assert_eq!(f.narratives[0].frames, ["security"]);
        assert_eq!(f.narratives[0].line, 4);
        assert_eq!(f.narratives[1].description, "");
        assert!(!f.stance.enabled);
        assert_eq!(f.stance.rule, DEFAULT_REBUTTAL_CUES);
        assert_eq!(f.sha256.len(), 64);
    }

    #[test]
    fn rule_errors_name_file_narrative_line_and_column() {
        let e =
            parse("[[narrative]]\nid = \"wall\"\nlabel = \"W\"\nrule = \"border AND (wall OR\"\n")
                .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("n.toml:4:28: narrative `wall`: rule column 20: expected a term"),
            "{msg}"
        );
        // multi-line rule: the line and column inside the file
        let e = parse(
            "[[narrative]]\nid = \"x\"\nlabel = \"X\"\nrule = '''\nwall OR\n  fence fence'''\n",
        )
        .unwrap_err();
        match e {
            NarrativeError::Rule {
                line,
                column,
                rule_column,
                ref id,
                ..
            } => assert_eq!((id.as_str(), line, column, rule_column), ("x", 6, 9, 17)),
            other => panic!("{other}"),
        }
        // the stance cue rule is checked too
        let e = parse("[stance]\nenabled = true\nrebutted = \"false OR\"\n").unwrap_err();
        assert!(e.to_string().contains("narrative `stance`"), "{e}");
    }

    #[test]
    fn bad_fields_are_reported() {
        let e =
            parse("[[narrative]]\nid = \"Wall\"\nlabel = \"W\"\nrule = \"wall\"\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("n.toml:2: narrative `Wall`: an id"),
            "{e}"
        );
        let two = "[[narrative]]\nid = \"a\"\nlabel = \"A\"\nrule = \"a\"\n";
        let e = parse(&format!("{two}{two}")).unwrap_err();
        assert!(
            e.to_string()
                .contains("duplicate id (first used on line 2)"),
            "{e}"
        );
        let e = parse("[[narrative]]\nid = \"a\"\nlabel = \"A\"\nrule = \"a\"\nfrmaes = []\n")
            .unwrap_err();
        assert!(e.to_string().starts_with("narrative file n.toml: "), "{e}");
        assert!(e.to_string().contains("frmaes"), "{e}");
        let e = parse("[[narrative]]\nid = \"a\"\nlabel = \"A\"\n").unwrap_err();
        assert!(e.to_string().contains("rule"), "{e}");
        let f = parse(
            "[[narrative]]\nid = \"a\"\nlabel = \"A\"\nrule = \"a\"\nframes = [\"securty\"]\n",
        )
        .unwrap();
        let e = f
            .check_frames(&["security".to_string(), "economic".to_string()])
            .unwrap_err();
        assert!(e.to_string().contains("unknown frame \"securty\""), "{e}");
    }
}
