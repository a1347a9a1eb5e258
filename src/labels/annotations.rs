//! Label files and folders of both kinds, joined to their articles: [`Annotations`], [`label_files`], [`label_names`].

use super::*;

/// The label files behind label paths, each with the articles file its rows join to.
///
/// A folder in corpus layout (`articles.jsonl` and `labels/`) gives every label file in
/// `labels/`, joined to its own `articles.jsonl`; any other folder gives every `.jsonl`,
/// `.json` and `.csv` file in it (sorted), joined to `articles`; a file is itself.
///
/// # Errors
/// [`Error::Io`] for a path that does not exist or a folder that cannot be listed;
/// [`Error::Labels`] for a folder without label files.
pub fn label_files(
    paths: &[PathBuf],
    articles: Option<&Path>,
) -> Result<Vec<(PathBuf, Option<PathBuf>)>> {
    let mut files: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    for p in paths {
        if p.is_dir() {
            let (dir, arts) = if p.join("labels").is_dir() && p.join("articles.jsonl").is_file() {
                (p.join("labels"), Some(p.join("articles.jsonl")))
            } else {
                (p.clone(), articles.map(Path::to_path_buf))
            };
            let found = label_files_in(&dir)?;
            if found.is_empty() {
                return Err(label_err(
                    &dir,
                    0,
                    "no label files (.jsonl, .json, .csv) here",
                ));
            }
            files.extend(found.into_iter().map(|f| (f, arts.clone())));
        } else if p.is_file() {
            files.push((p.clone(), articles.map(Path::to_path_buf)));
        } else {
            return Err(Error::io(
                p,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            ));
        }
    }
    Ok(files)
}

/// The label files of a folder (`.jsonl`, `.json`, `.csv`, any case), sorted.
fn label_files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| {
            f.is_file()
                && f.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                    ["jsonl", "json", "csv"].contains(&x.to_ascii_lowercase().as_str())
                })
        })
        .collect();
    found.sort();
    Ok(found)
}

/// Paragraph and document labels that join to the same articles file.
type RowsToJoin = (Vec<Sourced<ParagraphLabel>>, Vec<Sourced<DocumentLabel>>);

/// Every label name used in label files or folders (a corpus folder's `labels/`, or the
/// `.jsonl`, `.json` and `.csv` files of a folder), in order of first appearance: the draft of
/// a codebook.
///
/// # Errors
/// [`Error::Labels`] for malformed rows; [`Error::Io`] for unreadable paths.
pub fn label_names(paths: &[PathBuf]) -> Result<Vec<String>> {
    let names = crate::codebook::NameCollector::default();
    for p in paths {
        let files: Vec<PathBuf> = if p.is_dir() {
            let dir = if p.join("labels").is_dir() {
                p.join("labels")
            } else {
                p.clone()
            };
            label_files_in(&dir)?
        } else {
            vec![p.clone()]
        };
        for f in files {
            read_label_file(&f, &names)?;
        }
    }
    Ok(names.names())
}

/// Hand-coded labels of both kinds, joined to their articles: the input of evaluation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Annotations {
    /// Every document that has a paragraph or document label, with all its known paragraphs
    /// (labeled or not), sorted by id.
    pub set: LabeledSet,
    /// Document labels, sorted by id; each id is in `set`.
    pub documents: Vec<DocumentLabel>,
    /// The label files read.
    pub files: Vec<PathBuf>,
}

impl Annotations {
    /// Load labels from files and folders, joined to `articles` when given.
    ///
    /// A folder in corpus layout (`articles.jsonl` and `labels/`) contributes every label file
    /// in `labels/` joined to its own `articles.jsonl`; any other folder contributes every
    /// `.jsonl`, `.json` and `.csv` file in it (sorted). Each file may hold paragraph labels,
    /// document labels or both, in any format [`read_label_file`] reads. Text comes from the
    /// articles when there are any (then every paragraph is known, labeled or not), else from
    /// the paragraph labels themselves. A document's outlet and date come from its article,
    /// else from its document label.
    ///
    /// # Errors
    /// [`Error::Labels`] naming file and line for bad rows, a paragraph or document labeled
    /// twice (in one file or across files), ids missing from the articles, document labels
    /// with no text to score, and paragraphs that do not exist.
    pub fn load(
        paths: &[PathBuf],
        articles: Option<&Path>,
        r: &dyn LabelResolver,
    ) -> Result<Annotations> {
        let files = label_files(paths, articles)?;
        // Read every file, grouping rows by the articles file they join to.
        let mut groups: BTreeMap<Option<PathBuf>, RowsToJoin> = BTreeMap::new();
        let mut seen_para: HashMap<(String, usize), (PathBuf, u64)> = HashMap::new();
        let mut seen_doc: HashMap<String, (PathBuf, u64)> = HashMap::new();
        for (f, arts) in &files {
            let lf = read_label_file(f, r)?;
            let g = groups.entry(arts.clone()).or_default();
            for (line, l) in lf.paragraphs {
                if let Some((fp, fl)) = seen_para.insert((l.id.clone(), l.para), (f.clone(), line))
                {
                    return Err(label_err(
                        f,
                        line,
                        format!(
                            "document {} paragraph {} is already labeled at {}:{fl}",
                            l.id,
                            l.para,
                            fp.display()
                        ),
                    ));
                }
                g.0.push(Sourced {
                    path: f.clone(),
                    line,
                    label: l,
                });
            }
            for (line, l) in lf.documents {
                if let Some((fp, fl)) = seen_doc.insert(l.id.clone(), (f.clone(), line)) {
                    return Err(label_err(
                        f,
                        line,
                        format!(
                            "document {} is already labeled at {}:{fl}",
                            l.id,
                            fp.display()
                        ),
                    ));
                }
                g.1.push(Sourced {
                    path: f.clone(),
                    line,
                    label: l,
                });
            }
        }
        let mut docs: BTreeMap<DocId, LabeledDoc> = BTreeMap::new();
        let mut documents = Vec::new();
        for (arts, (paras, doc_labels)) in groups {
            let articles = match &arts {
                Some(a) => Some(read_articles(a)?),
                None => None,
            };
            let joined = articles.as_ref().zip(arts.as_deref()).map(|(m, p)| (p, m));
            for d in build_docs(paras, joined)? {
                if docs.contains_key(&d.id) {
                    return Err(Error::Other(format!(
                        "document {} is labeled in two inputs joined to different articles",
                        d.id
                    )));
                }
                docs.insert(d.id.clone(), d);
            }
            for r in doc_labels {
                let l = r.label;
                if !docs.contains_key(&l.id) {
                    match joined.and_then(|(_, m)| m.get(&l.id)) {
                        Some(a) => {
                            docs.insert(l.id.clone(), article_doc(a));
                        }
                        None => {
                            let why = match joined {
                                Some((p, _)) => format!("is not in {}", p.display()),
                                None => "has no labeled paragraphs with text and no articles file (--articles) to take its text from".to_string(),
                            };
                            return Err(label_err(
                                &r.path,
                                r.line,
                                format!("document {} {why}", l.id),
                            ));
                        }
                    }
                }
                let d = docs.get_mut(&l.id).expect("inserted above");
                if d.source.is_none() {
                    d.source = l.source.clone();
                }
                if d.date.is_none() {
                    d.date = l.date.clone();
                }
                documents.push(l);
            }
        }
        documents.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Annotations {
            set: LabeledSet {
                docs: docs.into_values().collect(),
            },
            documents,
            files: files.into_iter().map(|(f, _)| f).collect(),
        })
    }

    /// The document label of `id`, if any.
    pub fn document(&self, id: &str) -> Option<&DocumentLabel> {
        self.documents
            .binary_search_by(|d| d.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.documents[i])
    }

    /// Merge another set of annotations (see [`LabeledSet::extend`] for documents in both).
    ///
    /// # Errors
    /// [`Error::Other`] naming the document when a paragraph is labeled in both, or a
    /// document carries a document label in both.
    pub fn extend(&mut self, other: Annotations) -> Result<()> {
        self.set.extend(other.set)?;
        self.documents.extend(other.documents);
        self.documents.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(w) = self.documents.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(Error::Other(format!(
                "document {} has a document label in two inputs",
                w[0].id
            )));
        }
        self.files.extend(other.files);
        Ok(())
    }
}
