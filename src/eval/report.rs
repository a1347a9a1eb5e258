//! The evaluation report: [`EvalParams`] validated, then [`EvalValidParams::evaluate`].

use super::*;

/// Evaluation parameters.
///
/// | Name | Default | Purpose | Range |
/// |------|---------|---------|-------|
/// | `bootstrap` | 1000 | bootstrap replicates (0: no intervals) | 0 ..= 100 000 |
/// | `seed` | 42 | seed of the bootstrap | any |
/// | `bins` | 10 | bins of the reliability table | 2 ..= 100 |
///
/// # Errors
/// [`EvalParams::check`] returns [`Error::InvalidParam`] naming the bad value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalParams {
    /// Bootstrap replicates.
    pub bootstrap: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Reliability bins.
    pub bins: usize,
}

impl Default for EvalParams {
    fn default() -> Self {
        EvalParams {
            bootstrap: 1000,
            seed: 42,
            bins: 10,
        }
    }
}

/// Evaluation parameters that passed [`EvalParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct EvalValidParams(EvalParams);

impl EvalParams {
    /// Set `bootstrap`.
    pub fn bootstrap(mut self, v: usize) -> Self {
        self.bootstrap = v;
        self
    }
    /// Set `seed`.
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = v;
        self
    }
    /// Set `bins`.
    pub fn bins(mut self, v: usize) -> Self {
        self.bins = v;
        self
    }

    /// Validate.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] naming the first bad value.
    pub fn check(self) -> Result<EvalValidParams> {
        if self.bootstrap > 100_000 {
            return Err(Error::InvalidParam {
                name: "bootstrap",
                value: self.bootstrap.to_string(),
                reason: "must be in 0..=100000",
            });
        }
        if !(2..=100).contains(&self.bins) {
            return Err(Error::InvalidParam {
                name: "bins",
                value: self.bins.to_string(),
                reason: "must be in 2..=100",
            });
        }
        Ok(EvalValidParams(self))
    }
}

/// Metrics of one set of documents (all of them, or one sampling stratum).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Documents evaluated.
    pub n_documents: u64,
    /// Paragraph metrics.
    pub paragraph: ParagraphMetrics,
    /// Calibration of paragraph probabilities.
    pub calibration: Calibration,
    /// Document metrics.
    pub document: DocumentMetrics,
}

/// Accuracy and macro F1 of one cross-validation fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldMetrics {
    /// Fold number (0-based).
    pub fold: usize,
    /// Documents held out.
    pub n_documents: u64,
    /// Coded paragraphs held out.
    pub n_paragraphs: u64,
    /// Paragraph accuracy.
    pub accuracy: Option<f64>,
    /// Paragraph macro F1 over the frames.
    pub macro_f1_frames: Option<f64>,
    /// Dominant-frame accuracy (documents with document labels).
    pub dominant_accuracy: Option<f64>,
}

/// How an evaluation was run (recorded in `metrics.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Setup {
    /// `eval` or `cv`.
    pub command: String,
    /// Label files and folders, as given.
    pub labels: Vec<String>,
    /// Articles file, when given.
    pub articles: Option<String>,
    /// Labeled samples added to every training fold (CV).
    pub extra_train: Vec<String>,
    /// Model folder (eval).
    pub model: Option<String>,
    /// Model hash (eval).
    pub model_hash: Option<String>,
    /// Training parameters (CV).
    pub train_params: Option<serde_json::Value>,
    /// Fold assignment (CV).
    pub folds: Option<FoldsInfo>,
    /// Document thresholds used for dominant and present frames.
    pub thresholds: Option<Thresholds>,
    /// Evaluation parameters.
    pub eval_params: Option<EvalParams>,
}

/// Summary of a fold assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldsInfo {
    /// Number of folds.
    pub k: usize,
    /// Grouping.
    pub group_by: GroupBy,
    /// Seed.
    pub seed: u64,
    /// Whether the folds were stratified by label.
    #[serde(default)]
    pub stratify: bool,
    /// Number of groups.
    pub groups: usize,
    /// The file holding the assignment (relative to the output folder).
    pub file: String,
}

/// Everything `metrics.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// The tool that produced the predictions (`framelens`).
    pub tool: String,
    /// Its version.
    pub version: String,
    /// The codebook: scheme, version and labels.
    pub codebook: String,
    /// Label names in codebook column order (rows and columns of the confusion matrices).
    pub labels: Vec<String>,
    /// How the evaluation was run.
    pub setup: Setup,
    /// Metrics over every document.
    #[serde(flatten)]
    pub all: Metrics,
    /// Metrics per sampling stratum (the `sample` field of document labels).
    pub by_sample: BTreeMap<String, Metrics>,
    /// Per cross-validation fold (empty outside CV).
    pub by_fold: Vec<FoldMetrics>,
}

impl EvalValidParams {
    /// The validated parameters.
    pub fn params(&self) -> &EvalParams {
        &self.0
    }

    /// Metrics of a set of predictions.
    pub fn metrics(
        &self,
        preds: &[&DocPrediction],
        labels: &HashMap<&str, &DocumentLabel>,
        t: &Thresholds,
        cb: &Codebook,
    ) -> Metrics {
        let p = &self.0;
        let k = cb.len();
        let conf = Confusion::of(preds.iter().flat_map(|d| &d.paragraphs), k);
        let mut paragraph = paragraph_metrics(&conf, cb);
        let mut document = document_metrics(preds, labels, t, cb);
        let units: Vec<(Confusion, Option<bool>)> = preds
            .iter()
            .map(|d| {
                (
                    Confusion::of(&d.paragraphs, k),
                    labels
                        .get(d.id.as_str())
                        .map(|l| l.primary == dominant_slot(d.aggregate.dominant, cb)),
                )
            })
            .filter(|u| u.0.total() > 0 || u.1.is_some())
            .collect();
        let (pi, di) = bootstrap(&units, p.bootstrap, p.seed, cb);
        paragraph.intervals = pi;
        document.dominant_accuracy_interval = di;
        Metrics {
            n_documents: preds.len() as u64,
            paragraph,
            calibration: calibration(preds.iter().flat_map(|d| &d.paragraphs), p.bins),
            document,
        }
    }

    /// Evaluate predictions against annotations (labels of codebook `cb`): overall, per
    /// sampling stratum and per fold.
    pub fn evaluate(
        &self,
        preds: &[DocPrediction],
        annotations: &Annotations,
        t: &Thresholds,
        cb: &Codebook,
        setup: Setup,
    ) -> EvalReport {
        let labels: HashMap<&str, &DocumentLabel> = annotations
            .documents
            .iter()
            .map(|d| (d.id.as_str(), d))
            .collect();
        let all: Vec<&DocPrediction> = preds.iter().collect();
        let mut strata: BTreeMap<String, Vec<&DocPrediction>> = BTreeMap::new();
        for d in preds {
            if let Some(s) = labels.get(d.id.as_str()).and_then(|l| l.sample.as_ref()) {
                strata.entry(s.clone()).or_default().push(d);
            }
        }
        let by_sample = strata
            .into_iter()
            .map(|(k, v)| (k, self.metrics(&v, &labels, t, cb)))
            .collect();
        let mut folds: BTreeMap<usize, Vec<&DocPrediction>> = BTreeMap::new();
        for d in preds {
            if let Some(f) = d.fold {
                folds.entry(f).or_default().push(d);
            }
        }
        let quick = EvalValidParams(EvalParams {
            bootstrap: 0,
            ..self.0.clone()
        });
        let by_fold = folds
            .into_iter()
            .map(|(fold, v)| {
                let m = quick.metrics(&v, &labels, t, cb);
                FoldMetrics {
                    fold,
                    n_documents: m.n_documents,
                    n_paragraphs: m.paragraph.n,
                    accuracy: m.paragraph.accuracy,
                    macro_f1_frames: m.paragraph.macro_f1_frames,
                    dominant_accuracy: m.document.dominant_accuracy,
                }
            })
            .collect();
        EvalReport {
            tool: "framelens".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            codebook: cb.describe(),
            labels: cb.names().iter().map(|s| s.to_string()).collect(),
            setup,
            all: self.metrics(&all, &labels, t, cb),
            by_sample,
            by_fold,
        }
    }
}
