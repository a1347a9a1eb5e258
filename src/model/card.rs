//! The model card (`MODEL.md`, [`model_card`]).

use super::*;

/// The model card (`MODEL.md`): data, command, parameters, seed. Deterministic.
///
/// `articles` is the articles file joined to label files, and `notes` (e.g. development
/// metrics measured with `framelens cv`/`eval`) is appended verbatim.
pub fn model_card(
    model: &FramingModel,
    manifest: &Manifest,
    labels: &[PathBuf],
    articles: Option<&Path>,
    notes: Option<&str>,
) -> String {
    let f = model.file();
    let p = &f.train_params;
    let mut s = String::from("# framelens model card\n\n");
    s.push_str(&format!(
        "- model hash: `{}`\n- format version: {}\n- framelens version: {}\n- seed: {}\n\n",
        manifest.model_hash, manifest.format_version, manifest.framelens_version, manifest.seed
    ));
    s.push_str(&format!(
        "Codebook: {} (`codebook.toml`).\n\n",
        model.codebook().describe()
    ));
    s.push_str("## Training data\n\n");
    for l in labels {
        s.push_str(&format!("- `{}`\n", l.display()));
    }
    s.push_str(&format!(
        "\n{} documents; labeled paragraphs per label:\n\n| label | paragraphs |\n|---|---:|\n",
        f.training_documents
    ));
    for (l, c) in &f.training_counts {
        s.push_str(&format!("| {l} | {c} |\n"));
    }
    s.push_str("\n## Reproduce\n\n```\nframelens train");
    for l in labels {
        s.push_str(&format!(" --labels {}", l.display()));
    }
    if let Some(a) = articles {
        s.push_str(&format!(" --articles {}", a.display()));
    }
    if let Some(e) = &p.embeddings {
        s.push_str(&format!(
            " --embeddings {} --embed-pooling {} --embed-para-weight {} --embed-context-weight {} --embed-doc-weight {} --embed-keys {}",
            e.table.display(),
            match e.pooling {
                embed::Pooling::Mean => "mean",
                embed::Pooling::SqrtN => "sqrt_n",
            },
            e.para_weight,
            e.context_weight,
            e.doc_weight,
            match e.keys {
                embed::Keys::Words => "words",
                embed::Keys::Pieces => "pieces",
            }
        ));
    }
    s.push_str(&format!(" --seed {} --out <folder>\n```\n\n", p.seed));
    s.push_str("## Parameters\n\n```json\n");
    s.push_str(&serde_json::to_string_pretty(p).expect("params serialise"));
    s.push_str("\n```\n\n");
    s.push_str(&format!(
        "Vocabulary: {} words (tokenizer), {} features. Classifier: linfa-logistic multinomial logistic regression over {:?}.\n",
        model.tokenizer().vocab_size(),
        model.featurizer().n_features(),
        model.codebook().names()
    ));
    if let (Some(e), Some(sha)) = (&p.embeddings, &manifest.embeddings_sha256) {
        let keyed = match e.keys {
            embed::Keys::Pieces => {
                "keyed by the table's own word pieces (the tokenizer is the table's)"
            }
            embed::Keys::Words => {
                "keyed by the words of the model's tokenizer (each word's vector the mean of its \
                 pieces' under the table's tokenizer)"
            }
        };
        let blocks: Vec<&str> = [
            (e.para_weight, "the paragraph"),
            (e.context_weight, "its neighbours"),
            (e.doc_weight, "the whole document"),
        ]
        .iter()
        .filter(|(w, _)| *w != 0.0)
        .map(|(_, name)| *name)
        .collect();
        s.push_str(&format!(
            "Embedding table: `{}` (SHA-256 `{sha}`), {} rows, {keyed}. Per paragraph the \
             pooled ({:?}) table vectors of {} are dense blocks beside the TF-IDF features.\n",
            embed::TABLE_FILE,
            model.tokenizer().vocab_size(),
            e.pooling,
            if blocks.is_empty() {
                "no block (all weights 0)".to_string()
            } else {
                blocks.join(", ")
            }
        ));
    }
    if let Some(n) = notes {
        s.push('\n');
        s.push_str(n.trim_end());
        s.push('\n');
    }
    s
}
