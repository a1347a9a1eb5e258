//! Reading documents: report folders and the store, one model at a time ([`collect`]).

use super::*;

/// A model found among the sources, and whether it was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelChoice {
    /// The model hash (`unknown` for report folders without `run.json`).
    pub model_hash: String,
    /// When the model was first used (the earliest `finished` time of its runs).
    pub first_used: String,
    /// Documents classified with it.
    pub documents: usize,
    /// Whether these are the documents the trends use.
    pub chosen: bool,
}

/// Documents of one model, gathered from a store and report folders.
#[derive(Debug, Clone)]
pub struct Collection {
    /// The model the documents come from.
    pub model_hash: String,
    /// The codebook of that model.
    pub codebook: Arc<Codebook>,
    /// The documents, sorted by id.
    pub docs: Vec<TrendDoc>,
    /// Every model seen, sorted by first use, newest last.
    pub models: Vec<ModelChoice>,
    /// Where documents were read: the store path and the report folders, as given.
    pub sources: Vec<String>,
    /// Older copies dropped: the same id, source, date and title seen again in an older run.
    pub duplicates: usize,
    /// The narrative sets the documents were checked with, in the order first met.
    pub narrative_sets: Vec<NarrativeSetInfo>,
}

/// The model hash recorded for report folders that have no `run.json`.
pub const UNKNOWN_MODEL: &str = "unknown";

/// Gather the documents of one model from a store and report folders.
///
/// Without `model`, the newest model is used: the one whose first run is the most recent
/// (a model introduced later is a newer version). `model` may be a unique prefix of a hash.
/// A document seen more than once (the same id, source, date and title, e.g. a report folder
/// that was also stored, or a text corrected and classified again) is kept once, from its
/// newest run.
///
/// # Errors
/// [`Error::InvalidParam`] when no source was given, when `model` matches no model or several,
/// and [`Error::Other`] when the sources hold no documents or the chosen documents were
/// classified with different codebooks (naming both); read errors of the sources.
pub fn collect(
    store: Option<(&Store, &Path)>,
    reports: &[PathBuf],
    model: Option<&str>,
) -> Result<Collection> {
    if store.is_none() && reports.is_empty() {
        return Err(Error::InvalidParam {
            name: "sources",
            value: "none".into(),
            reason: "give a database (--db) or report folders (--reports)",
        });
    }
    let mut sources = Vec::new();
    // model hash → (first used, documents)
    let mut models: BTreeMap<String, (String, usize)> = BTreeMap::new();
    let mut note = |hash: &str, when: &str, n: usize| {
        let e = models
            .entry(hash.to_string())
            .or_insert_with(|| (when.to_string(), 0));
        if cmp_timestamps(when, &e.0).is_lt() {
            e.0 = when.to_string();
        }
        e.1 += n;
    };
    if let Some((s, path)) = store {
        sources.push(path.display().to_string());
        for m in s.models()? {
            note(&m.model_hash, &m.first_used, m.documents as usize);
        }
    }
    let mut folders = Vec::new();
    for r in reports {
        sources.push(r.display().to_string());
        let f = read_report_folder(r)?;
        let (hash, when) = folder_model(&f);
        note(&hash, &when, f.docs.len());
        folders.push(f);
    }
    if models.is_empty() {
        return Err(Error::Other(format!(
            "no documents in {}",
            sources.join(", ")
        )));
    }
    let chosen = match model {
        Some(want) => {
            let want = want.trim().to_ascii_lowercase();
            let hits: Vec<&String> = models.keys().filter(|h| h.starts_with(&want)).collect();
            match hits.as_slice() {
                [one] if !want.is_empty() => (*one).clone(),
                _ => {
                    return Err(Error::InvalidParam {
                        name: "model_hash",
                        value: format!(
                            "{want} (models present: {})",
                            models.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                        reason: if hits.is_empty() {
                            "matches no model in the sources"
                        } else {
                            "matches several models: give more characters"
                        },
                    })
                }
            }
        }
        None => models
            .iter()
            .max_by(|a, b| cmp_timestamps(&a.1 .0, &b.1 .0).then(a.0.cmp(b.0)))
            .map(|(h, _)| h.clone())
            .expect("not empty"),
    };
    // (run finished time, document), newest runs first.
    let mut items: Vec<(String, TrendDoc)> = Vec::new();
    // the codebook of the chosen documents, and where it was found
    let mut codebook: Option<(Codebook, String)> = None;
    let mut agree = |cb: Codebook, from: String| -> Result<()> {
        match &codebook {
            None => codebook = Some((cb, from)),
            Some((c, first)) if *c != cb => {
                return Err(Error::Other(format!(
                    "the documents use two codebooks: {} in {first} and {} in {from}; trends \
                     compare documents of one codebook only (give --model-hash or fewer sources)",
                    c.describe(),
                    cb.describe()
                )))
            }
            Some(_) => {}
        }
        Ok(())
    };
    let mut sets: Vec<NarrativeSetInfo> = Vec::new();
    if let Some((s, path)) = store {
        let docs = s.documents(&chosen)?;
        sets.extend(s.narrative_sets(&chosen)?);
        if !docs.is_empty() {
            agree(
                s.codebook(&chosen)?,
                format!("{} (model {})", path.display(), short(&chosen)),
            )?;
        }
        items.extend(docs);
    }
    for f in folders {
        let (hash, when) = folder_model(&f);
        if hash == chosen {
            agree(f.codebook, f.dir.display().to_string())?;
            sets.extend(f.narratives);
            items.extend(f.docs.into_iter().map(|d| (when.clone(), d)));
        }
    }
    let codebook = Arc::new(codebook.map_or_else(Codebook::migration, |c| c.0));
    // Newest first; the sort is stable, so among equals the store comes first, then the
    // folders in the order given.
    items.sort_by(|a, b| cmp_timestamps(&b.0, &a.0));
    let mut seen = std::collections::HashSet::new();
    let mut docs = Vec::with_capacity(items.len());
    let mut duplicates = 0;
    for (_, d) in items {
        let key = (
            d.id.clone(),
            d.source.clone(),
            d.date.clone(),
            d.title.clone(),
        );
        if seen.insert(key) {
            docs.push(d);
        } else {
            duplicates += 1;
        }
    }
    docs.sort_by(|a, b| a.id.cmp(&b.id));
    // the sets of the documents kept, each once
    let used: BTreeSet<&str> = docs
        .iter()
        .filter_map(|d| d.narratives.as_ref().map(|n| n.set.as_str()))
        .collect();
    let mut narrative_sets: Vec<NarrativeSetInfo> = Vec::new();
    for s in sets {
        if used.contains(s.sha256.as_str()) && !narrative_sets.iter().any(|x| x.sha256 == s.sha256)
        {
            narrative_sets.push(s);
        }
    }
    let mut models: Vec<ModelChoice> = models
        .into_iter()
        .map(|(h, (first_used, documents))| ModelChoice {
            chosen: h == chosen,
            model_hash: h,
            first_used,
            documents,
        })
        .collect();
    models.sort_by(|a, b| {
        cmp_timestamps(&a.first_used, &b.first_used).then(a.model_hash.cmp(&b.model_hash))
    });
    Ok(Collection {
        model_hash: chosen,
        codebook,
        docs,
        models,
        sources,
        duplicates,
        narrative_sets,
    })
}

fn folder_model(f: &ReportFolder) -> (String, String) {
    match &f.run {
        Some(r) => (r.model_hash.clone(), r.finished.clone()),
        None => (UNKNOWN_MODEL.to_string(), String::new()),
    }
}
