//! The codebook: the frame set a model scores, as data.
//!
//! Input: a TOML file (`codebook.toml`) or the built-in [`Codebook::migration`]. Output: a
//! validated [`Codebook`] that every stage receives with the model: names of the score columns
//! in order, descriptions and colours for reports and charts, which label (if any) means "no
//! frame", and the default document thresholds. A [`Label`] is an index into it; nothing
//! downstream matches on label names.
//!
//! ```toml
//! scheme = "migration"
//! version = "1"
//! none = "none"          # optional: the label that means "no frame"
//!
//! [thresholds]           # optional, these are the defaults
//! framed_min = 0.25
//! present_share = 0.15   # one number, or one per frame in order
//! present_mass = 0.1
//!
//! [[labels]]
//! name = "humanitarian"
//! description = "People facing hardship, danger or persecution."
//! colour = "#009E73"     # optional
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A paragraph label: the index of a score column in the model's [`Codebook`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Label(pub u16);

impl Label {
    /// Column index of this label in score vectors.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The label at a column index.
    pub fn from_index(i: usize) -> Label {
        Label(i as u16)
    }
}

/// One label of a codebook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelDef {
    /// The name used in label files and outputs.
    pub name: String,
    /// What coders should code with it (one paragraph).
    #[serde(default)]
    pub description: String,
    /// Chart colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "color")]
    pub colour: Option<String>,
}

/// `present_share` in a codebook: one number for every frame, or one per frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ShareThreshold {
    /// The same threshold for every frame.
    All(f64),
    /// One threshold per frame, in frame order.
    PerFrame(Vec<f64>),
}

/// Default document thresholds of a codebook (see [`crate::model::Thresholds`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodebookThresholds {
    /// Minimum framed fraction for a dominant frame.
    #[serde(default = "default_framed_min")]
    pub framed_min: f64,
    /// Minimum share for a present frame.
    #[serde(default = "default_present_share")]
    pub present_share: ShareThreshold,
    /// Minimum `share × framed_fraction` for a present frame.
    #[serde(default = "default_present_mass")]
    pub present_mass: f64,
}

fn default_framed_min() -> f64 {
    0.25
}
fn default_present_share() -> ShareThreshold {
    ShareThreshold::All(0.15)
}
fn default_present_mass() -> f64 {
    0.1
}

impl Default for CodebookThresholds {
    fn default() -> Self {
        CodebookThresholds {
            framed_min: default_framed_min(),
            present_share: default_present_share(),
            present_mass: default_present_mass(),
        }
    }
}

/// The TOML layout of a codebook file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodebookFile {
    scheme: String,
    #[serde(default)]
    version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    none: Option<String>,
    #[serde(default)]
    thresholds: CodebookThresholds,
    labels: Vec<LabelDef>,
}

/// A validated codebook: the labels in score-column order and what they mean.
#[derive(Debug, Clone, PartialEq)]
pub struct Codebook {
    /// Scheme name, e.g. `migration` or `gvfc`.
    pub scheme: String,
    /// Scheme version.
    pub version: String,
    labels: Vec<LabelDef>,
    none: Option<Label>,
    frames: Vec<Label>,
    /// Default document thresholds for models trained with this codebook.
    pub thresholds: CodebookThresholds,
}

/// The built-in codebook of format-1 models: the four migration frames and `none`.
const MIGRATION_TOML: &str = include_str!("migration-codebook.toml");

/// Colours used after a codebook's own: distinguishable up to 15 frames (Okabe–Ito, then
/// Tol's muted and light schemes).
pub const PALETTE: [&str; 15] = [
    "#009E73", "#0072B2", "#D55E00", "#7B3294", "#E69F00", "#56B4E9", "#CC79A7", "#000000",
    "#882255", "#44AA99", "#999933", "#332288", "#AA4499", "#117733", "#DDCC77",
];

impl Codebook {
    /// The codebook of format-1 model folders (which carry none): humanitarian, economic,
    /// security, enforcement and `none`, in that column order.
    pub fn migration() -> Codebook {
        Codebook::from_toml(MIGRATION_TOML, Path::new("<built-in migration codebook>"))
            .expect("the built-in codebook is valid")
    }

    /// Read and validate a codebook file.
    ///
    /// # Errors
    /// [`Error::Codebook`] naming the file and the field for unreadable TOML, a duplicate or
    /// empty label name, a `none` label not in the list, or a threshold outside 0..=1.
    pub fn from_file(path: &Path) -> Result<Codebook> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Codebook::from_toml(&text, path)
    }

    /// Parse and validate codebook TOML; `path` names the source in errors.
    ///
    /// # Errors
    /// As [`Codebook::from_file`].
    pub fn from_toml(text: &str, path: &Path) -> Result<Codebook> {
        let err = |field: &str, message: String| Error::Codebook {
            path: path.to_path_buf(),
            field: field.to_string(),
            message,
        };
        let file: CodebookFile = toml::from_str(text).map_err(|e| {
            let field = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}")
                })
                .unwrap_or_else(|| "file".into());
            err(&field, e.message().to_string())
        })?;
        Codebook::from_parts(file, path)
    }

    fn from_parts(file: CodebookFile, path: &Path) -> Result<Codebook> {
        let err = |field: String, message: String| Error::Codebook {
            path: path.to_path_buf(),
            field,
            message,
        };
        if file.scheme.trim().is_empty() {
            return Err(err("scheme".into(), "must not be empty".into()));
        }
        if file.labels.is_empty() {
            return Err(err("labels".into(), "lists no label".into()));
        }
        if file.labels.len() > u16::MAX as usize {
            return Err(err("labels".into(), "too many labels".into()));
        }
        for (i, l) in file.labels.iter().enumerate() {
            let field = format!("labels[{i}].name");
            if l.name.trim().is_empty() {
                return Err(err(field, "label name is empty".into()));
            }
            if l.name.trim() != l.name || l.name.chars().any(|c| c.is_control()) {
                return Err(err(
                    field,
                    format!(
                        "label name {:?} has surrounding spaces or control characters",
                        l.name
                    ),
                ));
            }
            if l.name.contains([',', ';', '|']) {
                return Err(err(
                    field,
                    format!("label name {:?} contains a list separator (, ; |)", l.name),
                ));
            }
            if let Some(j) = file.labels[..i]
                .iter()
                .position(|o| o.name.eq_ignore_ascii_case(&l.name))
            {
                return Err(err(
                    field,
                    format!("duplicate label {:?} (also labels[{j}])", l.name),
                ));
            }
            if let Some(c) = &l.colour {
                if parse_colour(c).is_none() {
                    return Err(err(
                        format!("labels[{i}].colour"),
                        format!("{c:?} is not a #rrggbb colour"),
                    ));
                }
            }
        }
        let none = match &file.none {
            None => None,
            Some(n) => match file
                .labels
                .iter()
                .position(|l| l.name.eq_ignore_ascii_case(n))
            {
                Some(i) => Some(Label::from_index(i)),
                None => {
                    return Err(err(
                        "none".into(),
                        format!("the none label {n:?} is not in the label list"),
                    ))
                }
            },
        };
        let frames: Vec<Label> = (0..file.labels.len())
            .map(Label::from_index)
            .filter(|&l| Some(l) != none)
            .collect();
        if frames.is_empty() {
            return Err(err(
                "labels".into(),
                "lists no frame besides the none label".into(),
            ));
        }
        let t = &file.thresholds;
        let unit = |field: &str, x: f64| {
            if (0.0..=1.0).contains(&x) {
                Ok(())
            } else {
                Err(err(
                    format!("thresholds.{field}"),
                    format!("{x} is outside 0..=1"),
                ))
            }
        };
        unit("framed_min", t.framed_min)?;
        unit("present_mass", t.present_mass)?;
        match &t.present_share {
            ShareThreshold::All(x) => unit("present_share", *x)?,
            ShareThreshold::PerFrame(v) => {
                if v.len() != frames.len() {
                    return Err(err(
                        "thresholds.present_share".into(),
                        format!(
                            "has {} values; the codebook has {} frames",
                            v.len(),
                            frames.len()
                        ),
                    ));
                }
                for &x in v {
                    unit("present_share", x)?;
                }
            }
        }
        Ok(Codebook {
            scheme: file.scheme,
            version: file.version,
            labels: file.labels,
            none,
            frames,
            thresholds: file.thresholds,
        })
    }

    /// A codebook from label names (no descriptions), e.g. as drafted by `codebook init`.
    ///
    /// # Errors
    /// As [`Codebook::from_file`].
    pub fn from_names(scheme: &str, names: &[String], none: Option<&str>) -> Result<Codebook> {
        let file = CodebookFile {
            scheme: scheme.to_string(),
            version: "1".into(),
            none: none.map(str::to_string),
            thresholds: CodebookThresholds::default(),
            labels: names
                .iter()
                .map(|n| LabelDef {
                    name: n.clone(),
                    description: String::new(),
                    colour: None,
                })
                .collect(),
        };
        Codebook::from_parts(file, Path::new("<labels>"))
    }

    /// A codebook of the given labels (all frames, no none label): the series labels of
    /// charts and tables that are not model frames, such as narratives.
    ///
    /// # Errors
    /// As [`Codebook::from_file`].
    pub fn from_labels(scheme: &str, labels: Vec<LabelDef>) -> Result<Codebook> {
        let file = CodebookFile {
            scheme: scheme.to_string(),
            version: "1".into(),
            none: None,
            thresholds: CodebookThresholds::default(),
            labels,
        };
        Codebook::from_parts(file, Path::new("<series labels>"))
    }

    /// The codebook as TOML (the bytes saved in a model folder).
    pub fn to_toml(&self) -> String {
        let file = CodebookFile {
            scheme: self.scheme.clone(),
            version: self.version.clone(),
            none: self.none.map(|l| self.name(l).to_string()),
            thresholds: self.thresholds.clone(),
            labels: self.labels.clone(),
        };
        toml::to_string(&file).expect("a codebook serialises")
    }

    /// Number of labels (score columns).
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the codebook has no labels (never true for a validated codebook).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Every label, in column order.
    pub fn labels(&self) -> impl ExactSizeIterator<Item = Label> + Clone {
        (0..self.labels.len()).map(Label::from_index)
    }

    /// The frames (every label but the none label), in column order.
    pub fn frames(&self) -> &[Label] {
        &self.frames
    }

    /// Number of frames.
    pub fn n_frames(&self) -> usize {
        self.frames.len()
    }

    /// The label that means "no frame", if the codebook has one.
    pub fn none(&self) -> Option<Label> {
        self.none
    }

    /// Whether `l` is a frame (not the none label).
    pub fn is_frame(&self, l: Label) -> bool {
        Some(l) != self.none
    }

    /// Position of frame `l` among [`Codebook::frames`].
    pub fn frame_pos(&self, l: Label) -> Option<usize> {
        self.frames.iter().position(|&f| f == l)
    }

    /// The definition of a label.
    pub fn def(&self, l: Label) -> &LabelDef {
        &self.labels[l.index()]
    }

    /// The name of a label.
    pub fn name(&self, l: Label) -> &str {
        &self.labels[l.index()].name
    }

    /// Label names in column order.
    pub fn names(&self) -> Vec<&str> {
        self.labels.iter().map(|l| l.name.as_str()).collect()
    }

    /// Frame names in frame order.
    pub fn frame_names(&self) -> Vec<&str> {
        self.frames.iter().map(|&l| self.name(l)).collect()
    }

    /// The name written where a document has no dominant frame: the none label's name, or
    /// `none` when the codebook has no none label.
    pub fn no_frame_name(&self) -> &str {
        self.none.map_or("none", |l| self.name(l))
    }

    /// The label called `name` (case and surrounding spaces ignored).
    ///
    /// # Errors
    /// A message listing the codebook's labels.
    pub fn parse(&self, name: &str) -> std::result::Result<Label, String> {
        let n = name.trim();
        self.labels
            .iter()
            .position(|l| l.name.eq_ignore_ascii_case(n))
            .map(Label::from_index)
            .ok_or_else(|| {
                format!(
                    "unknown label {n:?} (the codebook {:?} has {})",
                    self.scheme,
                    self.names().join(", ")
                )
            })
    }

    /// Chart colour of frame position `k`: the codebook's colour, else the palette's.
    pub fn frame_colour(&self, k: usize) -> (u8, u8, u8) {
        self.def(self.frames[k])
            .colour
            .as_deref()
            .and_then(parse_colour)
            .unwrap_or_else(|| parse_colour(PALETTE[k % PALETTE.len()]).expect("palette"))
    }

    /// Default per-frame document thresholds.
    pub fn present_shares(&self) -> Vec<f64> {
        match &self.thresholds.present_share {
            ShareThreshold::All(x) => vec![*x; self.frames.len()],
            ShareThreshold::PerFrame(v) => v.clone(),
        }
    }

    /// SHA-256 of [`Codebook::to_toml`]: two codebooks with the same hash are the same scheme.
    pub fn hash(&self) -> String {
        crate::hash::sha256_hex(self.to_toml().as_bytes())
    }

    /// A one-line description: scheme, version and labels.
    pub fn describe(&self) -> String {
        format!(
            "{} v{} ({})",
            self.scheme,
            self.version,
            self.names().join(", ")
        )
    }

    /// A Markdown rendering for `codebook show`.
    pub fn render(&self) -> String {
        let mut s = format!("# Codebook {} (version {})\n\n", self.scheme, self.version);
        s.push_str(&format!(
            "{} labels; none label: {}; thresholds: framed_min {}, present_share {:?}, present_mass {}\n",
            self.len(),
            self.none.map_or("(none)", |l| self.name(l)),
            self.thresholds.framed_min,
            self.present_shares(),
            self.thresholds.present_mass
        ));
        for (i, d) in self.labels.iter().enumerate() {
            s.push_str(&format!("\n## {}. {}", i, d.name));
            if let Some(c) = &d.colour {
                s.push_str(&format!(" ({c})"));
            }
            s.push_str("\n\n");
            if !d.description.trim().is_empty() {
                s.push_str(d.description.trim());
                s.push('\n');
            }
        }
        s
    }
}

/// `#rrggbb` → RGB.
pub fn parse_colour(s: &str) -> Option<(u8, u8, u8)> {
    let h = s.strip_prefix('#')?;
    if h.len() != 6 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let p = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    Some((p(0)?, p(2)?, p(4)?))
}

/// Where label names are resolved while reading label files: a [`Codebook`], or a
/// [`NameCollector`] that accepts any name (for `codebook init`).
pub trait LabelResolver {
    /// The label called `name`.
    ///
    /// # Errors
    /// A message naming the unknown label.
    fn resolve(&self, name: &str) -> std::result::Result<Label, String>;
    /// Whether `l` is the none label.
    fn is_none(&self, l: Label) -> bool;
}

impl LabelResolver for Codebook {
    fn resolve(&self, name: &str) -> std::result::Result<Label, String> {
        self.parse(name)
    }
    fn is_none(&self, l: Label) -> bool {
        self.none == Some(l)
    }
}

/// Accepts every label name, numbering them in order of first appearance.
#[derive(Debug, Default)]
pub struct NameCollector {
    names: std::cell::RefCell<Vec<String>>,
}

impl NameCollector {
    /// The names seen, in order of first appearance.
    pub fn names(&self) -> Vec<String> {
        self.names.borrow().clone()
    }
}

impl LabelResolver for NameCollector {
    fn resolve(&self, name: &str) -> std::result::Result<Label, String> {
        let n = name.trim();
        let mut v = self.names.borrow_mut();
        let i = match v.iter().position(|x| x.eq_ignore_ascii_case(n)) {
            Some(i) => i,
            None => {
                v.push(n.to_string());
                v.len() - 1
            }
        };
        Ok(Label::from_index(i))
    }
    fn is_none(&self, l: Label) -> bool {
        self.names
            .borrow()
            .get(l.index())
            .is_some_and(|n| n.eq_ignore_ascii_case("none"))
    }
}

/// The codebook file name inside a model or report folder.
pub const CODEBOOK_FILE: &str = "codebook.toml";

/// The codebook saved in a report folder by `classify`, or the migration codebook for a
/// folder written before codebooks existed.
///
/// # Errors
/// [`Error::Codebook`] when the folder's codebook is invalid.
pub fn for_report_folder(dir: &Path) -> Result<Codebook> {
    let p: PathBuf = dir.join(CODEBOOK_FILE);
    if p.is_file() {
        Codebook::from_file(&p)
    } else {
        Ok(Codebook::migration())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_codebook_matches_format_1_columns() {
        let cb = Codebook::migration();
        assert_eq!(
            cb.names(),
            [
                "humanitarian",
                "economic",
                "security",
                "enforcement",
                "none"
            ]
        );
        assert_eq!(cb.none(), Some(Label(4)));
        assert_eq!(cb.n_frames(), 4);
        assert_eq!(cb.present_shares(), vec![0.15; 4]);
        assert_eq!(cb.parse(" Security ").unwrap(), Label(2));
        assert!(cb.parse("crime").is_err());
        let back = Codebook::from_toml(&cb.to_toml(), Path::new("x")).unwrap();
        assert_eq!(back, cb);
    }

    fn bad(toml: &str) -> String {
        Codebook::from_toml(toml, Path::new("cb.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_codebooks_name_file_and_field() {
        let e = bad("scheme='s'\n[[labels]]\nname='a'\n[[labels]]\nname='A'\n");
        assert!(
            e.contains("cb.toml") && e.contains("labels[1].name") && e.contains("duplicate"),
            "{e}"
        );
        let e = bad("scheme='s'\n[[labels]]\nname=''\n");
        assert!(e.contains("labels[0].name") && e.contains("empty"), "{e}");
        let e = bad("scheme='s'\nnone='other'\n[[labels]]\nname='a'\n");
        assert!(
            e.contains("cb.toml") && e.contains("none") && e.contains("other"),
            "{e}"
        );
        let e = bad("scheme='s'\n[thresholds]\nframed_min=1.5\n[[labels]]\nname='a'\n");
        assert!(
            e.contains("thresholds.framed_min") && e.contains("1.5"),
            "{e}"
        );
        let e = bad("scheme='s'\n[thresholds]\npresent_share=[0.1,2.0]\n[[labels]]\nname='a'\n[[labels]]\nname='b'\n");
        assert!(e.contains("thresholds.present_share"), "{e}");
        let e = bad("scheme='s'\n[[labels]]\nname='a'\ncolour='red'\n");
        assert!(e.contains("labels[0].colour"), "{e}");
        let e = bad("scheme='s'\n[[labels]]\nnam='a'\n");
        assert!(e.contains("cb.toml") && e.contains("line"), "{e}");
    }
}
