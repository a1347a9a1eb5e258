//! Grouped folds for cross-validation: [`FoldParams`], [`Folds`], [`cross_validate`].

use super::*;

/// What cross-validation folds are grouped by, so that related paragraphs never sit on both
/// sides of a split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// The article: its paragraphs stay together.
    Article,
    /// The outlet (`source`).
    Source,
    /// The publication year (`date[..4]`).
    Year,
    /// The publication month (`date[..7]`).
    Month,
}

impl std::str::FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "article" | "document" | "id" => Ok(GroupBy::Article),
            "source" | "outlet" => Ok(GroupBy::Source),
            "year" | "date" => Ok(GroupBy::Year),
            "month" => Ok(GroupBy::Month),
            o => Err(format!(
                "unknown grouping {o:?} (expected article, source, year or month)"
            )),
        }
    }
}

impl std::fmt::Display for GroupBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GroupBy::Article => "article",
            GroupBy::Source => "source",
            GroupBy::Year => "year",
            GroupBy::Month => "month",
        })
    }
}

impl GroupBy {
    /// The group of a document.
    pub fn key(self, d: &LabeledDoc) -> String {
        let date = |n: usize| {
            d.date
                .as_deref()
                .map(str::trim)
                .filter(|s| {
                    s.len() >= n
                        && s.is_char_boundary(n)
                        && s[..4].bytes().all(|b| b.is_ascii_digit())
                })
                .map(|s| s[..n].to_string())
                .unwrap_or_else(|| "(no date)".into())
        };
        match self {
            GroupBy::Article => d.id.clone(),
            GroupBy::Source => d
                .source
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or("(no source)")
                .to_string(),
            GroupBy::Year => date(4),
            GroupBy::Month => date(7),
        }
    }
}

/// Fold-assignment parameters.
///
/// | Name | Default | Purpose | Range |
/// |------|---------|---------|-------|
/// | `k` | 5 | number of folds | 2 ..= 100 |
/// | `group_by` | article | what must not be split across folds | article, source, year, month |
/// | `seed` | 42 | breaks ties between groups of equal size | any |
/// | `stratify` | false | deal the groups of each majority label round the folds, so every fold has about the same label mix | |
///
/// # Errors
/// [`FoldParams::check`] returns [`Error::InvalidParam`] for a bad `k`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldParams {
    /// Number of folds.
    pub k: usize,
    /// Grouping.
    pub group_by: GroupBy,
    /// Seed.
    pub seed: u64,
    /// Stratify by each group's most frequent coded label.
    #[serde(default)]
    pub stratify: bool,
}

impl Default for FoldParams {
    fn default() -> Self {
        FoldParams {
            k: 5,
            group_by: GroupBy::Article,
            seed: 42,
            stratify: false,
        }
    }
}

/// Fold parameters that passed [`FoldParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct FoldValidParams(FoldParams);

impl FoldParams {
    /// Set `k`.
    pub fn k(mut self, v: usize) -> Self {
        self.k = v;
        self
    }
    /// Set `group_by`.
    pub fn group_by(mut self, v: GroupBy) -> Self {
        self.group_by = v;
        self
    }
    /// Set `seed`.
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = v;
        self
    }
    /// Set `stratify`.
    pub fn stratify(mut self, v: bool) -> Self {
        self.stratify = v;
        self
    }
    /// Validate.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when `k` is out of range.
    pub fn check(self) -> Result<FoldValidParams> {
        if !(2..=100).contains(&self.k) {
            return Err(Error::InvalidParam {
                name: "folds",
                value: self.k.to_string(),
                reason: "must be in 2..=100",
            });
        }
        Ok(FoldValidParams(self))
    }
}

/// One document's fold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldEntry {
    /// Document id.
    pub id: DocId,
    /// Its group.
    pub group: String,
    /// Its fold (0-based).
    pub fold: usize,
}

/// A fold assignment: every document in exactly one fold, every group in one fold.
#[derive(Debug, Clone, PartialEq)]
pub struct Folds {
    /// Parameters used.
    pub params: FoldParams,
    /// Entries sorted by id.
    pub entries: Vec<FoldEntry>,
    /// Number of groups.
    pub groups: usize,
}

impl FoldValidParams {
    /// Assign the documents of `set` to folds. Groups are placed largest first (by coded
    /// paragraphs, at least 1 per document) into the fold with the least weight so far, so the
    /// folds are balanced; the seed orders groups of equal size.
    ///
    /// # Errors
    /// [`Error::Other`] when there are fewer groups than folds.
    pub fn assign(&self, set: &LabeledSet) -> Result<Folds> {
        let p = &self.0;
        let mut groups: BTreeMap<String, u64> = BTreeMap::new();
        for d in &set.docs {
            let n = d.paragraphs.iter().filter(|x| x.label.is_some()).count() as u64;
            *groups.entry(p.group_by.key(d)).or_default() += n.max(1);
        }
        if groups.len() < p.k {
            return Err(Error::Other(format!(
                "{} folds need at least {} groups, but grouping by {} gives {}",
                p.k,
                p.k,
                p.group_by,
                groups.len()
            )));
        }
        let mut order: Vec<(String, u64)> = groups.into_iter().collect();
        let mut rng = SplitMix64::new(p.seed);
        for i in (1..order.len()).rev() {
            let j = rng.below(i + 1);
            order.swap(i, j);
        }
        order.sort_by_key(|g| std::cmp::Reverse(g.1));
        let mut fold_of: HashMap<String, usize> = HashMap::new();
        if p.stratify {
            // each group's stratum: its most frequent coded label (ties: lowest column)
            let mut counts: HashMap<String, BTreeMap<Label, u64>> = HashMap::new();
            for d in &set.docs {
                let c = counts.entry(p.group_by.key(d)).or_default();
                for l in d.paragraphs.iter().filter_map(|x| x.label) {
                    *c.entry(l).or_default() += 1;
                }
            }
            let stratum = |g: &str| -> Option<Label> {
                let c = counts.get(g)?;
                let best = c.values().copied().max()?;
                c.iter().find(|(_, &n)| n == best).map(|(&l, _)| l)
            };
            let mut strata: BTreeMap<Option<Label>, Vec<&(String, u64)>> = BTreeMap::new();
            for g in &order {
                strata.entry(stratum(&g.0)).or_default().push(g);
            }
            // deal each stratum's groups (largest first) to the lightest folds in turn
            let mut load = vec![0u64; p.k];
            for gs in strata.values() {
                let mut taken = vec![0u64; p.k];
                for (g, w) in gs {
                    let f = (0..p.k)
                        .min_by_key(|&f| (taken[f], load[f], f))
                        .expect("k >= 2");
                    taken[f] += 1;
                    load[f] += w;
                    fold_of.insert(g.clone(), f);
                }
            }
        } else {
            let mut load = vec![0u64; p.k];
            for (g, w) in &order {
                let f = (0..p.k).min_by_key(|&f| (load[f], f)).expect("k >= 2");
                load[f] += w;
                fold_of.insert(g.clone(), f);
            }
        }
        let mut entries: Vec<FoldEntry> = set
            .docs
            .iter()
            .map(|d| {
                let group = p.group_by.key(d);
                FoldEntry {
                    id: d.id.clone(),
                    fold: fold_of[&group],
                    group,
                }
            })
            .collect();
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Folds {
            params: p.clone(),
            entries,
            groups: order.len(),
        })
    }
}

impl Folds {
    /// The fold of a document.
    pub fn fold_of(&self, id: &str) -> Option<usize> {
        self.entries
            .binary_search_by(|e| e.id.as_str().cmp(id))
            .ok()
            .map(|i| self.entries[i].fold)
    }

    /// The assignment as CSV (`id,group,fold`), sorted by id; documents of `extra_train`
    /// (used for training in every fold, never tested) have the fold `train`.
    pub fn to_csv(&self, extra_train: &[DocId]) -> String {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        w.write_record(["id", "group", "fold"]).expect("in memory");
        for e in &self.entries {
            w.write_record([e.id.as_str(), e.group.as_str(), &e.fold.to_string()])
                .expect("in memory");
        }
        let mut extra = extra_train.to_vec();
        extra.sort();
        for id in &extra {
            w.write_record([id.as_str(), "", "train"])
                .expect("in memory");
        }
        String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8 in, UTF-8 out")
    }
}

/// Cross-validate: for each fold, fit a model on the other folds (plus `extra_train`, when
/// given) and score the held-out documents. `on_fold` is called after each fold with its
/// number and the seconds it took. The predictions come back sorted by id.
///
/// # Errors
/// Training errors (naming the fold), e.g. when a training split lacks a label.
pub fn cross_validate(
    params: &TrainValidParams,
    data: &LabeledSet,
    extra_train: Option<&LabeledSet>,
    folds: &Folds,
    cb: &Codebook,
    mut on_fold: impl FnMut(usize, f64),
) -> Result<Vec<DocPrediction>> {
    let mut out = Vec::new();
    for f in 0..folds.params.k {
        let t0 = std::time::Instant::now();
        let test = data.select(|_, d| folds.fold_of(&d.id) == Some(f));
        let mut train = data.select(|_, d| folds.fold_of(&d.id) != Some(f));
        if let Some(x) = extra_train {
            train
                .extend(x.clone())
                .map_err(|e| Error::Other(format!("extra training data: {e}")))?;
        }
        let model = params
            .fit(&train, cb)
            .map_err(|e| Error::Other(format!("fold {f}: {e}")))?;
        let mut p = predict(&model, &test)?;
        for d in &mut p {
            d.fold = Some(f);
        }
        out.extend(p);
        on_fold(f, t0.elapsed().as_secs_f64());
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}
