//! `framelens._framelens`: the native half of the `framelens` Python package.
//!
//! Input: Arrow string columns (text, id, optional title) as C Data Interface capsules, one
//! pair per chunk ([`arrow`]). Output: plain byte buffers (little-endian `f64` values, Arrow
//! validity bitmaps, `int32` offsets and UTF-8 data) that `framelens/_arrow.py` wraps with
//! `pyarrow.Array.from_buffers` into the result table. Each row goes through
//! [`framelens::classify::classify_record`], the function the `classify` command runs on each
//! record, so the numbers are those of `documents.jsonl`, bit for bit.
//!
//! Scoring releases the GIL. Threads: one (the calling thread, no pool) or a rayon pool built
//! for the call and dropped after it, so nothing is left to deadlock in a forked child.

mod arrow;

use std::path::PathBuf;
use std::sync::Arc;

use framelens::classify::classify_record;
use framelens::corpus::{Article, Limits, Origin};
use framelens::narratives::NarrativeSet;
use framelens::report::DocReport;
use framelens::FramingModel;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use rayon::prelude::*;

/// Rows scored per step: bounds the reports held in memory at once.
const STEP: usize = 4096;

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A loaded framelens model (native part; see `framelens.Model`).
#[pyclass(frozen, module = "framelens._framelens", name = "NativeModel")]
struct NativeModel {
    model: Arc<FramingModel>,
    hash: String,
    path: String,
}

/// A compiled narrative set, checked against a model's labels.
#[pyclass(frozen, module = "framelens._framelens", name = "NativeNarratives")]
struct NativeNarratives {
    set: Arc<NarrativeSet>,
    path: String,
}

#[pymethods]
impl NativeNarratives {
    /// Read and compile a narrative file; its `frames` must be labels of `model`.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf, model: &NativeModel) -> PyResult<Self> {
        let set = py.detach(|| -> Result<NarrativeSet, String> {
            let f = framelens::narratives::NarrativeFile::from_file(&path)
                .map_err(|e| e.to_string())?;
            let labels: Vec<String> = model
                .model
                .codebook()
                .names()
                .into_iter()
                .map(str::to_string)
                .collect();
            f.check_frames(&labels).map_err(|e| e.to_string())?;
            Ok(NarrativeSet::new(f))
        });
        Ok(NativeNarratives {
            set: Arc::new(set.map_err(value_error)?),
            path: path.display().to_string(),
        })
    }

    /// The narrative ids, in file order.
    #[getter]
    fn ids(&self) -> Vec<String> {
        self.set.ids()
    }

    /// The file the set was read from.
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// The SHA-256 of the narrative file.
    #[getter]
    fn sha256(&self) -> String {
        self.set.file().sha256.clone()
    }
}

/// An Arrow `string` column being built: validity bitmap, `int32` offsets, UTF-8 data.
#[derive(Default)]
struct Strings {
    valid: Vec<u8>,
    offsets: Vec<i32>,
    data: Vec<u8>,
    len: usize,
}

impl Strings {
    fn push(&mut self, s: Option<&str>) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        push_bit(&mut self.valid, self.len, s.is_some());
        if let Some(s) = s {
            self.data.extend_from_slice(s.as_bytes());
        }
        self.offsets.push(self.data.len() as i32);
        self.len += 1;
    }

    fn into_py<'py>(mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        let d = PyDict::new(py);
        d.set_item("len", self.len)?;
        d.set_item("valid", PyBytes::new(py, &self.valid))?;
        d.set_item("offsets", bytes_of_i32(py, &self.offsets))?;
        d.set_item("data", PyBytes::new(py, &self.data))?;
        Ok(d)
    }
}

/// An Arrow `list<string>` column being built.
#[derive(Default)]
struct StringLists {
    valid: Vec<u8>,
    offsets: Vec<i32>,
    values: Strings,
    len: usize,
}

impl StringLists {
    fn push<'s>(&mut self, items: Option<impl IntoIterator<Item = &'s str>>) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        push_bit(&mut self.valid, self.len, items.is_some());
        if let Some(items) = items {
            for s in items {
                self.values.push(Some(s));
            }
        }
        self.offsets.push(self.values.len as i32);
        self.len += 1;
    }

    fn into_py<'py>(mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        let d = PyDict::new(py);
        d.set_item("len", self.len)?;
        d.set_item("valid", PyBytes::new(py, &self.valid))?;
        d.set_item("offsets", bytes_of_i32(py, &self.offsets))?;
        d.set_item("values", self.values.into_py(py)?)?;
        Ok(d)
    }
}

fn push_bit(bits: &mut Vec<u8>, i: usize, on: bool) {
    if i / 8 >= bits.len() {
        bits.push(0);
    }
    if on {
        bits[i / 8] |= 1 << (i % 8);
    }
}

fn bytes_of_f64<'py>(py: Python<'py>, v: &[f64]) -> Bound<'py, PyBytes> {
    let mut b = Vec::with_capacity(v.len() * 8);
    for x in v {
        b.extend_from_slice(&x.to_le_bytes());
    }
    PyBytes::new(py, &b)
}

fn bytes_of_i32<'py>(py: Python<'py>, v: &[i32]) -> Bound<'py, PyBytes> {
    let mut b = Vec::with_capacity(v.len() * 4);
    for x in v {
        b.extend_from_slice(&x.to_le_bytes());
    }
    PyBytes::new(py, &b)
}

/// The outcome of one row.
type RowResult = Result<DocReport, String>;

/// Every output column, filled row by row.
struct Output {
    n_frames: usize,
    n_labels: usize,
    /// Rows classified (the validity of the numeric columns).
    ok: Vec<u8>,
    shares: Vec<Vec<f64>>,
    framed: Vec<f64>,
    dominant: Strings,
    present: StringLists,
    error: Strings,
    narratives: Option<StringLists>,
    paragraphs: Option<Paragraphs>,
    len: usize,
}

/// The `paragraphs` list column: per document offsets into flat paragraph columns.
#[derive(Default)]
struct Paragraphs {
    valid: Vec<u8>,
    offsets: Vec<i32>,
    index: Vec<i32>,
    label: Strings,
    scores: Vec<Vec<f64>>,
    narratives: Option<StringLists>,
    count: usize,
}

impl Output {
    fn new(n_frames: usize, n_labels: usize, paragraphs: bool, narratives: bool) -> Self {
        Output {
            n_frames,
            n_labels,
            ok: Vec::new(),
            shares: vec![Vec::new(); n_frames],
            framed: Vec::new(),
            dominant: Strings::default(),
            present: StringLists::default(),
            error: Strings::default(),
            narratives: narratives.then(StringLists::default),
            paragraphs: paragraphs.then(|| Paragraphs {
                offsets: vec![0],
                scores: vec![Vec::new(); n_labels],
                narratives: narratives.then(StringLists::default),
                ..Paragraphs::default()
            }),
            len: 0,
        }
    }

    fn push(&mut self, r: &RowResult) {
        let i = self.len;
        self.len += 1;
        match r {
            Ok(rep) => {
                push_bit(&mut self.ok, i, true);
                for (f, col) in self.shares.iter_mut().enumerate() {
                    col.push(rep.shares[f]);
                }
                self.framed.push(rep.framed_fraction);
                self.dominant.push(rep.dominant_name());
                let cb = &rep.codebook;
                self.present
                    .push(Some(rep.present.iter().map(|l| cb.name(*l))));
                self.error.push(None);
                if let Some(n) = &mut self.narratives {
                    n.push(Some(rep.narratives.keys().map(String::as_str)));
                }
                if let Some(p) = &mut self.paragraphs {
                    push_bit(&mut p.valid, i, true);
                    for para in &rep.paragraphs {
                        p.index.push(para.index as i32);
                        p.label.push(Some(cb.name(para.label)));
                        for (l, col) in p.scores.iter_mut().enumerate() {
                            col.push(para.scores[l]);
                        }
                        if let Some(n) = &mut p.narratives {
                            n.push(Some(para.narratives.iter().map(String::as_str)));
                        }
                        p.count += 1;
                    }
                    p.offsets.push(p.count as i32);
                }
            }
            Err(e) => {
                push_bit(&mut self.ok, i, false);
                for col in self.shares.iter_mut() {
                    col.push(0.0);
                }
                self.framed.push(0.0);
                self.dominant.push(None);
                self.present.push(None::<[&str; 0]>);
                self.error.push(Some(e));
                if let Some(n) = &mut self.narratives {
                    n.push(None::<[&str; 0]>);
                }
                if let Some(p) = &mut self.paragraphs {
                    push_bit(&mut p.valid, i, false);
                    p.offsets.push(p.count as i32);
                }
            }
        }
    }

    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("len", self.len)?;
        d.set_item("ok", PyBytes::new(py, &self.ok))?;
        let shares = PyList::empty(py);
        for col in &self.shares {
            shares.append(bytes_of_f64(py, col))?;
        }
        debug_assert_eq!(self.shares.len(), self.n_frames);
        d.set_item("shares", shares)?;
        d.set_item("framed_fraction", bytes_of_f64(py, &self.framed))?;
        d.set_item("dominant", self.dominant.into_py(py)?)?;
        d.set_item("present", self.present.into_py(py)?)?;
        d.set_item("error", self.error.into_py(py)?)?;
        if let Some(n) = self.narratives {
            d.set_item("narratives", n.into_py(py)?)?;
        }
        if let Some(p) = self.paragraphs {
            let pd = PyDict::new(py);
            pd.set_item("valid", PyBytes::new(py, &p.valid))?;
            pd.set_item("offsets", bytes_of_i32(py, &p.offsets))?;
            pd.set_item("count", p.count)?;
            pd.set_item("index", bytes_of_i32(py, &p.index))?;
            pd.set_item("label", p.label.into_py(py)?)?;
            let scores = PyList::empty(py);
            for col in &p.scores {
                scores.append(bytes_of_f64(py, col))?;
            }
            debug_assert_eq!(p.scores.len(), self.n_labels);
            pd.set_item("scores", scores)?;
            if let Some(n) = p.narratives {
                pd.set_item("narratives", n.into_py(py)?)?;
            }
            d.set_item("paragraphs", pd)?;
        }
        Ok(d)
    }
}

/// Classify one row: the checks of the `classify` command's readers for the fields an Arrow
/// row can get wrong, then [`classify_record`].
fn classify_row(
    model: &FramingModel,
    narratives: Option<&NarrativeSet>,
    row: usize,
    text: arrow::Cell<'_>,
    id: arrow::Cell<'_>,
    title: arrow::Cell<'_>,
) -> RowResult {
    let id = match id.map(std::str::from_utf8) {
        Some(Ok(s)) if !s.is_empty() => s.to_string(),
        Some(Ok(_)) => return Err("missing_field: the id is empty".into()),
        Some(Err(_)) => return Err("invalid_utf8: the id is not valid UTF-8".into()),
        None => return Err("missing_field: the id is null or not a string".into()),
    };
    let text = match text.map(std::str::from_utf8) {
        Some(Ok(s)) => s.to_string(),
        Some(Err(e)) => return Err(format!("invalid_utf8: the text is not valid UTF-8 ({e})")),
        None => return Err("missing_field: the text is null or not a string".into()),
    };
    let title = match title.map(std::str::from_utf8) {
        Some(Ok(s)) => Some(s.to_string()),
        _ => None,
    };
    let article = Article {
        id,
        title,
        text,
        origin: Origin {
            file: "<arrow>".into(),
            line: Some(row as u64 + 1),
        },
        ..Article::default()
    };
    let (res, _warnings) = classify_record(model, &Limits::default(), narratives, article);
    res.map_err(|e| format!("{}: {}", e.kind, e.reason))
}

/// Read a column given as a list of `(schema, array)` capsule pairs.
///
/// # Safety
/// See [`arrow::read_strings`]: `chunks` must outlive the cells.
unsafe fn read_column<'a>(
    name: &str,
    chunks: &Bound<'_, PyList>,
) -> PyResult<Vec<arrow::Cell<'a>>> {
    let mut out = Vec::new();
    for pair in chunks.iter() {
        let (s, a): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair.extract()?;
        // SAFETY: forwarded contract.
        unsafe { arrow::read_strings(name, &s, &a, &mut out)? };
    }
    Ok(out)
}

#[pymethods]
impl NativeModel {
    /// Load a model folder (verifying its checksums); `None` loads the built-in default model
    /// (the one the `framelens` command uses without `--model`).
    #[staticmethod]
    #[pyo3(signature = (path=None))]
    fn load(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Self> {
        let (model, manifest, name) = py
            .detach(|| match &path {
                Some(dir) => {
                    FramingModel::load(dir).map(|(m, man)| (m, man, dir.display().to_string()))
                }
                None => framelens::builtin::load()
                    .map(|(m, man)| (m, man, framelens::builtin::NAME.to_string())),
            })
            .map_err(|e| value_error(error_chain(&e)))?;
        Ok(NativeModel {
            model: Arc::new(model),
            hash: manifest.model_hash,
            path: name,
        })
    }

    /// The model content hash (as in `run.json`).
    #[getter]
    fn hash(&self) -> &str {
        &self.hash
    }

    /// The model folder.
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// All labels, score column order.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.model
            .codebook()
            .names()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The frames (labels other than the none label), share column order.
    #[getter]
    fn frames(&self) -> Vec<String> {
        self.model
            .codebook()
            .frame_names()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The none label, if the codebook has one.
    #[getter]
    fn none_label(&self) -> Option<String> {
        let cb = self.model.codebook();
        cb.none().map(|l| cb.name(l).to_string())
    }

    /// The codebook as TOML (the `codebook.toml` of a report folder).
    #[getter]
    fn codebook_toml(&self) -> String {
        self.model.codebook().to_toml()
    }

    /// The framelens version that scores.
    #[getter]
    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// Classify Arrow string columns; see `framelens.Model.classify`.
    #[allow(clippy::too_many_arguments)] // the keyword arguments of the Python call
    #[pyo3(signature = (texts, ids, titles=None, paragraphs=false, narratives=None, threads=None))]
    fn classify_arrow<'py>(
        &self,
        py: Python<'py>,
        texts: Bound<'py, PyList>,
        ids: Bound<'py, PyList>,
        titles: Option<Bound<'py, PyList>>,
        paragraphs: bool,
        narratives: Option<&NativeNarratives>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        // SAFETY: the capsule lists are held by this frame until scoring is done.
        let (texts_c, ids_c, titles_c) = unsafe {
            (
                read_column("text", &texts)?,
                read_column("id", &ids)?,
                match &titles {
                    Some(t) => Some(read_column("title", t)?),
                    None => None,
                },
            )
        };
        let n = texts_c.len();
        if ids_c.len() != n || titles_c.as_ref().is_some_and(|t| t.len() != n) {
            return Err(PyValueError::new_err(
                "the text, id and title columns differ in length",
            ));
        }
        let threads = match threads {
            Some(0) => return Err(PyValueError::new_err("threads must be at least 1")),
            Some(t) => t,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let model = &*self.model;
        let cb = model.codebook();
        let set = narratives.map(|n| &*n.set);
        let mut out = Output::new(
            cb.frames().len(),
            cb.names().len(),
            paragraphs,
            set.is_some(),
        );
        let run = |i: usize| {
            classify_row(
                model,
                set,
                i,
                texts_c[i],
                ids_c[i],
                titles_c.as_ref().and_then(|t| t[i]),
            )
        };
        let scored: Result<(), String> = py.detach(|| {
            // A pool per call, dropped at the end: a forked child never inherits one.
            let pool = if threads > 1 && n > 1 {
                Some(
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .map_err(|e| format!("cannot start {threads} threads: {e}"))?,
                )
            } else {
                None
            };
            let mut start = 0;
            while start < n {
                let end = (start + STEP).min(n);
                let rows: Vec<RowResult> = match &pool {
                    Some(p) => p.install(|| (start..end).into_par_iter().map(run).collect()),
                    None => (start..end).map(run).collect(),
                };
                for r in &rows {
                    out.push(r);
                }
                start = end;
            }
            Ok(())
        });
        scored.map_err(pyo3::exceptions::PyRuntimeError::new_err)?;
        drop((texts, ids, titles));
        out.into_py(py)
    }
}

/// An error and its sources, one sentence.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The native module.
#[pymodule]
fn _framelens(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeModel>()?;
    m.add_class::<NativeNarratives>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
