//! Writing the report: `metrics.json`, `report.md`, the SVG charts, `predictions.jsonl`, `folds.csv`.

use super::*;

pub(super) fn r4(x: f32) -> f64 {
    (x as f64 * 1e4).round() / 1e4
}

/// One line of `predictions.jsonl` (no text: only ids, labels and scores), keyed by the names
/// of codebook `cb`.
pub fn prediction_json(d: &DocPrediction, cb: &Codebook) -> serde_json::Value {
    let a = &d.aggregate;
    let name = |l: Label| cb.name(l).to_string();
    serde_json::json!({
        "id": d.id,
        "fold": d.fold,
        "dominant": a.dominant.or(cb.none()).map(name),
        "present": a.present.iter().map(|&l| name(l)).collect::<Vec<_>>(),
        "framed_fraction": (a.framed_fraction * 1e6).round() / 1e6,
        "shares": cb.frames().iter().zip(&a.shares).map(|(&l, s)| (name(l), serde_json::json!((s * 1e6).round() / 1e6))).collect::<serde_json::Map<_, _>>(),
        "paragraphs": d.paragraphs.iter().map(|p| serde_json::json!({
            "index": p.index,
            "gold": p.gold.map(name),
            "predicted": name(p.predicted()),
            "weight": p.weight,
            "probs": p.probs.iter().map(|&x| r4(x)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

pub(super) fn f3(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |v| format!("{v:.3}"))
}

pub(super) fn fi(x: Option<Interval>) -> String {
    x.map_or_else(|| "–".into(), |i| format!("[{:.3}, {:.3}]", i.lo, i.hi))
}

pub(super) fn metrics_markdown(s: &mut String, m: &Metrics, heading: &str, labels: &[String]) {
    let n_frames = m.document.present.len();
    let p = &m.paragraph;
    let _ = writeln!(s, "{heading} Paragraphs\n");
    let _ = writeln!(
        s,
        "{} documents, {} coded paragraphs.\n\n| metric | value | 95% interval |\n|---|---:|---:|",
        m.n_documents, p.n
    );
    let _ = writeln!(
        s,
        "| macro F1, {n_frames} frames | {} | {} |",
        f3(p.macro_f1_frames),
        fi(p.intervals.macro_f1_frames)
    );
    let _ = writeln!(
        s,
        "| micro F1, {n_frames} frames | {} | |",
        f3(p.micro_f1_frames)
    );
    let _ = writeln!(
        s,
        "| macro F1, {} labels | {} | {} |",
        labels.len(),
        f3(p.macro_f1_all),
        fi(p.intervals.macro_f1_all)
    );
    let _ = writeln!(
        s,
        "| accuracy (= micro F1, {} labels) | {} | {} |",
        labels.len(),
        f3(p.accuracy),
        fi(p.intervals.accuracy)
    );
    let _ = writeln!(
        s,
        "| Krippendorff's alpha, model vs coders | {} | |\n",
        f3(p.krippendorff_alpha)
    );
    let _ = writeln!(
        s,
        "| label | precision | recall | F1 | support | predicted |\n|---|---:|---:|---:|---:|---:|"
    );
    for l in &p.per_label {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            l.label,
            f3(l.precision),
            f3(l.recall),
            f3(l.f1),
            l.support,
            l.predicted
        );
    }
    let _ = writeln!(
        s,
        "\nConfusion matrix (rows: coders, columns: model):\n\n| | {} |\n|---|{}",
        labels.join(" | "),
        "---:|".repeat(labels.len())
    );
    for (l, r) in labels.iter().zip(&p.confusion.0) {
        let row = r
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(" | ");
        let _ = writeln!(s, "| **{l}** | {row} |");
    }
    let c = &m.calibration;
    let _ = writeln!(
        s,
        "\n{heading} Calibration\n\nBrier score {} (0 is perfect, {} labels), log loss {}, expected calibration error {}.\n\n| confidence | paragraphs | mean confidence | accuracy |\n|---|---:|---:|---:|",
        f3(c.brier),
        labels.len(),
        f3(c.log_loss),
        f3(c.ece)
    );
    for b in &c.bins {
        let _ = writeln!(
            s,
            "| {:.1}–{:.1} | {} | {} | {} |",
            b.lo,
            b.hi,
            b.n,
            f3(b.confidence),
            f3(b.accuracy)
        );
    }
    let d = &m.document;
    let _ = writeln!(
        s,
        "\n{heading} Documents\n\n{} documents with document labels. Dominant-frame accuracy against `primary`: {} {}.\nPresent frames: micro F1 {}, macro F1 {}.\n",
        d.n,
        f3(d.dominant_accuracy),
        fi(d.dominant_accuracy_interval),
        f3(d.present_micro_f1),
        f3(d.present_macro_f1)
    );
    let _ = writeln!(
        s,
        "| frame | present precision | recall | F1 | coded present | predicted present | share MAE |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for (i, pm) in d.present.iter().enumerate() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            pm.frame,
            f3(pm.precision),
            f3(pm.recall),
            f3(pm.f1),
            pm.support,
            pm.predicted,
            f3(d.shares.mae_per_frame[i])
        );
    }
    let _ = writeln!(
        s,
        "\nFrame shares against shares of the coded paragraphs (same length weights): mean absolute error {} over {} documents; framed fraction MAE {} over {}.\n",
        f3(d.shares.mae),
        d.shares.n,
        f3(d.shares.framed_fraction_mae),
        d.shares.n_framed_fraction
    );
}

impl EvalReport {
    /// The human-readable report (`report.md`).
    pub fn to_markdown(&self) -> String {
        let mut s = String::from("# framelens evaluation\n\n");
        let st = &self.setup;
        let _ = writeln!(s, "- command: `{}`", st.command);
        let _ = writeln!(s, "- labels: {}", st.labels.join(", "));
        let _ = writeln!(s, "- codebook: {}", self.codebook);
        if let Some(a) = &st.articles {
            let _ = writeln!(s, "- articles: {a}");
        }
        if !st.extra_train.is_empty() {
            let _ = writeln!(
                s,
                "- added to every training fold: {}",
                st.extra_train.join(", ")
            );
        }
        if let Some(m) = &st.model {
            let _ = writeln!(
                s,
                "- model: {m} (`{}`)",
                st.model_hash.as_deref().unwrap_or("?")
            );
        }
        if let Some(f) = &st.folds {
            let _ = writeln!(
                s,
                "- folds: {} grouped by {}{} ({} groups, seed {}), assignment in `{}`",
                f.k,
                f.group_by,
                if f.stratify {
                    ", stratified by label"
                } else {
                    ""
                },
                f.groups,
                f.seed,
                f.file
            );
        }
        if let Some(e) = &st.eval_params {
            let _ = writeln!(
                s,
                "- bootstrap: {} replicates over documents, seed {}",
                e.bootstrap, e.seed
            );
        }
        s.push_str(
            "\nUndefined values (a label never predicted or never coded) are shown as –.\n\n",
        );
        metrics_markdown(&mut s, &self.all, "##", &self.labels);
        s.push_str(
            "![confusion matrix](confusion.svg) ![reliability diagram](reliability.svg)\n\n",
        );
        if !self.by_fold.is_empty() {
            s.push_str("## Folds\n\n| fold | documents | coded paragraphs | accuracy | macro F1 (frames) | dominant accuracy |\n|---:|---:|---:|---:|---:|---:|\n");
            for f in &self.by_fold {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} |",
                    f.fold,
                    f.n_documents,
                    f.n_paragraphs,
                    f3(f.accuracy),
                    f3(f.macro_f1_frames),
                    f3(f.dominant_accuracy)
                );
            }
            s.push('\n');
        }
        for (k, m) in &self.by_sample {
            let _ = writeln!(s, "## Sample `{k}`\n");
            metrics_markdown(&mut s, m, "###", &self.labels);
        }
        s
    }
}

/// Write `metrics.json`, `report.md`, `confusion.svg`, `reliability.svg`,
/// `predictions.jsonl` and, when given, `folds.csv` into `dir`.
///
/// # Errors
/// [`Error::Io`] when the folder or a file cannot be written.
pub fn write_outputs(
    dir: &Path,
    report: &EvalReport,
    preds: &[DocPrediction],
    folds: Option<(&Folds, &[DocId])>,
    cb: &Codebook,
) -> Result<Vec<PathBuf>> {
    use crate::fsio::write_atomic;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<()> {
        let p = dir.join(name);
        write_atomic(&p, bytes)?;
        written.push(p);
        Ok(())
    };
    let json = serde_json::to_string_pretty(report).map_err(|e| Error::Json {
        path: dir.join("metrics.json"),
        source: e,
    })?;
    put("metrics.json", format!("{json}\n").as_bytes())?;
    put("report.md", report.to_markdown().as_bytes())?;
    put(
        "confusion.svg",
        svg::confusion_matrix(
            &report.all.paragraph.confusion.0,
            &cb.names(),
            "Paragraph labels: coders (rows) vs model (columns)",
        )
        .as_bytes(),
    )?;
    put(
        "reliability.svg",
        svg::reliability_diagram(&report.all.calibration).as_bytes(),
    )?;
    let mut lines = String::new();
    for d in preds {
        lines.push_str(&prediction_json(d, cb).to_string());
        lines.push('\n');
    }
    put("predictions.jsonl", lines.as_bytes())?;
    if let Some((f, extra)) = folds {
        put("folds.csv", f.to_csv(extra).as_bytes())?;
    }
    Ok(written)
}
