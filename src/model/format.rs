//! The model folder: format versions, [`ModelFile`], [`Manifest`], save/load with checksums.

use super::*;

/// Version of the model folder format written by this framelens; bumped on incompatible changes.
///
/// 1: `model.json`, `tokenizer.json`, `manifest.json`, labels fixed to the migration codebook.
/// 2: adds `codebook.toml` (checksummed in the manifest); the labels are the codebook's.
/// 3: adds the optional embedding table `embeddings.safetensors` (checksummed in the manifest).
/// Every version from [`OLDEST_FORMAT_VERSION`] to this one loads.
pub const FORMAT_VERSION: u32 = 3;

/// The oldest model folder format this framelens still loads.
pub const OLDEST_FORMAT_VERSION: u32 = 1;

/// Whether a model folder of format `v` loads.
pub fn format_supported(v: u32) -> bool {
    (OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&v)
}

/// The serialised content of `model.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelFile {
    /// [`FORMAT_VERSION`] at training time.
    pub format_version: u32,
    /// Label names in score-column order (the codebook's).
    pub labels: Vec<String>,
    /// SHA-256 of the `tokenizer.json` this model was trained with.
    pub tokenizer_sha256: String,
    /// The parameters used.
    pub train_params: TrainParams,
    /// Labeled paragraphs per label.
    pub training_counts: Vec<(String, usize)>,
    /// Labeled documents.
    pub training_documents: usize,
    /// Document thresholds.
    pub thresholds: Thresholds,
    /// Added to the logits (prior correction), one per label.
    pub intercept_adjust: Vec<f32>,
    /// Vocabulary and IDF.
    pub featurizer: Featurizer,
    /// The fitted linfa classifier (its weight rows: the sparse features, then the dense
    /// embedding blocks when there is a table).
    pub classifier: MultiFittedLogisticRegression<f32, usize>,
    /// SHA-256 of the `embeddings.safetensors` this model was trained with (format 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeddings_sha256: Option<String>,
    /// The per-dimension standardisation of the table fitted at training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeddings_standardizer: Option<embed::Standardizer>,
}

/// `manifest.json`: format version, checksums and the model hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Model folder format.
    pub format_version: u32,
    /// framelens version that wrote it.
    pub framelens_version: String,
    /// Content hash of the model (SHA-256 over the model.json, tokenizer.json and, from
    /// format 2, codebook.toml checksums).
    pub model_hash: String,
    /// SHA-256 of `model.json`.
    pub model_sha256: String,
    /// SHA-256 of `tokenizer.json`.
    pub tokenizer_sha256: String,
    /// The seed recorded at training.
    pub seed: u64,
    /// SHA-256 of `codebook.toml` (format 2 on; format 1 has no codebook file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codebook_sha256: Option<String>,
    /// SHA-256 of `embeddings.safetensors`, when the model has an embedding table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeddings_sha256: Option<String>,
}

impl FramingModel {
    /// Save as a model folder: `model.json`, `tokenizer.json`, `codebook.toml`, `manifest.json`
    /// (and `embeddings.safetensors` when the model has an embedding table), always in the
    /// current [`FORMAT_VERSION`].
    ///
    /// Files are written atomically; the same model always gives the same bytes.
    ///
    /// # Errors
    /// [`Error::Io`] when the folder cannot be written.
    pub fn save(&self, dir: &Path) -> Result<Manifest> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let tok = self.tokenizer.to_json()?;
        let model = serde_json::to_string(&self.file).map_err(|e| Error::Json {
            path: dir.join("model.json"),
            source: e,
        })?;
        let codebook = self.codebook.to_toml();
        let (ms, ts, cs) = (
            sha256_hex(model.as_bytes()),
            sha256_hex(tok.as_bytes()),
            sha256_hex(codebook.as_bytes()),
        );
        let table_sha = self.embed.as_ref().map(|(b, _)| sha256_hex(b));
        let mut hash = model_hash(&ms, &ts, Some(&cs));
        if let Some(t) = &table_sha {
            hash = sha256_hex(format!("{hash}\n{t}\n").as_bytes());
        }
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            framelens_version: env!("CARGO_PKG_VERSION").to_string(),
            model_hash: hash,
            model_sha256: ms,
            tokenizer_sha256: ts,
            seed: self.file.train_params.seed,
            codebook_sha256: Some(cs),
            embeddings_sha256: table_sha,
        };
        if let Some((b, _)) = &self.embed {
            crate::fsio::write_atomic(&dir.join(embed::TABLE_FILE), b)?;
        }
        crate::fsio::write_atomic(&dir.join("tokenizer.json"), tok.as_bytes())?;
        crate::fsio::write_atomic(&dir.join("model.json"), model.as_bytes())?;
        crate::fsio::write_atomic(&dir.join(CODEBOOK_FILE), codebook.as_bytes())?;
        let m = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
        crate::fsio::write_atomic(&dir.join("manifest.json"), format!("{m}\n").as_bytes())?;
        Ok(manifest)
    }

    /// Load a model folder, verifying format version and checksums before use.
    ///
    /// # Errors
    /// [`Error::Model`] naming the folder or file when anything is missing, truncated,
    /// corrupted, of another format version, or when the tokenizer does not match the model.
    pub fn load(dir: &Path) -> Result<(FramingModel, Manifest)> {
        let merr = |p: &Path, m: String| Error::Model {
            path: p.to_path_buf(),
            message: m,
        };
        if !dir.is_dir() {
            return Err(merr(dir, "no such model folder".into()));
        }
        let read = |name: &str| -> Result<Vec<u8>> {
            let p = dir.join(name);
            std::fs::read(&p).map_err(|e| merr(&p, format!("cannot read: {e}")))
        };
        let manifest = read("manifest.json")?;
        let model = read("model.json")?;
        let tok = read("tokenizer.json")?;
        let codebook = if dir.join(CODEBOOK_FILE).exists() {
            Some(read(CODEBOOK_FILE)?)
        } else {
            None
        };
        // the table is read only when the manifest names it (a format 3 model with embeddings)
        let wants_table = serde_json::from_slice::<serde_json::Value>(&manifest)
            .ok()
            .is_some_and(|m| m.get("embeddings_sha256").is_some_and(|v| !v.is_null()));
        let table = if wants_table {
            Some(read(embed::TABLE_FILE)?)
        } else {
            None
        };
        FramingModel::from_bytes_with_table(
            dir,
            &manifest,
            &model,
            &tok,
            codebook.as_deref(),
            table,
        )
    }

    /// The same model with another codebook of the same labels in the same order (new
    /// descriptions, colours or scheme version), e.g. to give a format-1 model its codebook.
    ///
    /// # Errors
    /// [`Error::Model`] when the label names differ.
    pub fn with_codebook(mut self, codebook: Codebook) -> Result<FramingModel> {
        if codebook.names() != self.codebook.names() {
            return Err(Error::Model {
                path: self.path.clone(),
                message: format!(
                    "the codebook's labels ({}) differ from the model's ({})",
                    codebook.names().join(", "),
                    self.codebook.names().join(", ")
                ),
            });
        }
        if codebook.none() != self.codebook.none() {
            return Err(Error::Model {
                path: self.path.clone(),
                message: "the codebook's none label differs from the model's".into(),
            });
        }
        self.codebook = Arc::new(codebook);
        self.file.format_version = FORMAT_VERSION;
        Ok(self)
    }

    /// Load a model from the bytes of its files, verifying format version and checksums
    /// as [`FramingModel::load`] does; `dir` names the folder in errors. `codebook` is the
    /// content of `codebook.toml`, required from format 2 on (format 1 uses
    /// [`Codebook::migration`]).
    ///
    /// # Errors
    /// [`Error::Model`] as for [`FramingModel::load`].
    pub fn from_bytes(
        dir: &Path,
        manifest: &[u8],
        model: &[u8],
        tokenizer: &[u8],
        codebook: Option<&[u8]>,
    ) -> Result<(FramingModel, Manifest)> {
        FramingModel::from_bytes_with_table(dir, manifest, model, tokenizer, codebook, None)
    }

    /// [`FramingModel::from_bytes`] with the bytes of `embeddings.safetensors`, required when
    /// the manifest names a table; its checksum is verified before it is parsed.
    ///
    /// # Errors
    /// [`Error::Model`] as for [`FramingModel::load`].
    pub fn from_bytes_with_table(
        dir: &Path,
        manifest: &[u8],
        model: &[u8],
        tokenizer: &[u8],
        codebook: Option<&[u8]>,
        table: Option<Vec<u8>>,
    ) -> Result<(FramingModel, Manifest)> {
        let merr = |p: &Path, m: String| Error::Model {
            path: p.to_path_buf(),
            message: m,
        };
        let text = |name: &str, b: &[u8]| -> Result<String> {
            String::from_utf8(b.to_vec()).map_err(|e| {
                merr(
                    &dir.join(name),
                    format!(
                        "not UTF-8 (byte {}): the file is corrupted",
                        e.utf8_error().valid_up_to()
                    ),
                )
            })
        };
        let mpath = dir.join("manifest.json");
        let manifest: Manifest = serde_json::from_str(&text("manifest.json", manifest)?)
            .map_err(|e| merr(&mpath, format!("invalid manifest: {e}")))?;
        if !format_supported(manifest.format_version) {
            return Err(merr(&mpath, format!(
                "model format version {} is not supported by this framelens (reads {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}); retrain the model",
                manifest.format_version
            )));
        }
        let model = text("model.json", model)?;
        let tok = text("tokenizer.json", tokenizer)?;
        let (ms, ts) = (sha256_hex(model.as_bytes()), sha256_hex(tok.as_bytes()));
        if ms != manifest.model_sha256 {
            return Err(merr(
                &dir.join("model.json"),
                "checksum mismatch: the file is truncated or corrupted".into(),
            ));
        }
        if ts != manifest.tokenizer_sha256 {
            return Err(merr(
                &dir.join("tokenizer.json"),
                "checksum mismatch: the file is truncated, corrupted or replaced".into(),
            ));
        }
        let tpath = dir.join(embed::TABLE_FILE);
        let table = match (&manifest.embeddings_sha256, table) {
            (Some(_), Some(bytes)) => Some(Arc::new(bytes)),
            (Some(_), None) => return Err(merr(&tpath, "missing embedding table".into())),
            (None, _) => None,
        };
        // The table's checksum (16 MB) and the tokenizer's parsing run on their own threads
        // while the model file is parsed; the table is checked before anything uses it.
        std::thread::scope(|scope| {
            let table_ok = table.as_ref().map(|bytes| {
                let bytes = Arc::clone(bytes);
                scope.spawn(move || sha256_hex(&bytes))
            });
            let tok_path = dir.join("tokenizer.json");
            let parsed_tok = scope.spawn(move || DocTokenizer::from_json(&tok, &tok_path));
            let rest = Self::check_and_parse(dir, &manifest, &model, &ts, codebook, &text);
            fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
                h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
            }
            let tokenizer = join(parsed_tok);
            if let (Some(h), Some(want)) = (table_ok, &manifest.embeddings_sha256) {
                if &join(h) != want {
                    return Err(merr(
                        &tpath,
                        "checksum mismatch: the embedding table is truncated, corrupted or replaced"
                            .into(),
                    ));
                }
            }
            let (file, codebook) = rest?;
            let tokenizer = tokenizer?;
            let m = FramingModel::from_parts(
                file,
                tokenizer,
                Arc::new(codebook),
                table,
                dir.to_path_buf(),
            )?;
            Ok((m, manifest))
        })
    }

    /// The codebook and the model file of [`FramingModel::from_bytes_with_table`], checked
    /// against the manifest (`ts`: the tokenizer's checksum).
    fn check_and_parse(
        dir: &Path,
        manifest: &Manifest,
        model: &str,
        ts: &str,
        codebook: Option<&[u8]>,
        text: &dyn Fn(&str, &[u8]) -> Result<String>,
    ) -> Result<(ModelFile, Codebook)> {
        let merr = |p: &Path, m: String| Error::Model {
            path: p.to_path_buf(),
            message: m,
        };
        let mpath = dir.join("manifest.json");
        let tpath = dir.join(embed::TABLE_FILE);
        let cpath = dir.join(CODEBOOK_FILE);
        let codebook = match (&manifest.codebook_sha256, manifest.format_version) {
            (None, 1) => Codebook::migration(),
            (None, _) => {
                return Err(merr(
                    &mpath,
                    "the manifest has no codebook checksum (codebook_sha256)".into(),
                ))
            }
            (Some(want), _) => {
                let Some(bytes) = codebook else {
                    return Err(merr(&cpath, "missing: the model has no codebook".into()));
                };
                let text = text(CODEBOOK_FILE, bytes)?;
                if &sha256_hex(text.as_bytes()) != want {
                    return Err(merr(
                        &cpath,
                        "checksum mismatch: the file is truncated, corrupted or edited".into(),
                    ));
                }
                Codebook::from_toml(&text, &cpath)?
            }
        };
        let file: ModelFile = serde_json::from_str(model)
            .map_err(|e| merr(&dir.join("model.json"), format!("invalid model: {e}")))?;
        if !format_supported(file.format_version) {
            return Err(merr(
                &dir.join("model.json"),
                format!("format version {} not supported", file.format_version),
            ));
        }
        if file.tokenizer_sha256 != ts {
            return Err(merr(
                &dir.join("tokenizer.json"),
                "this tokenizer is not the one the model was trained with".into(),
            ));
        }
        if file.embeddings_sha256 != manifest.embeddings_sha256 {
            return Err(merr(
                &tpath,
                "this embedding table is not the one the model was trained with".into(),
            ));
        }
        Ok((file, codebook))
    }
}

/// The model hash from the file checksums (format 1 has no codebook file).
pub fn model_hash(model_sha: &str, tokenizer_sha: &str, codebook_sha: Option<&str>) -> String {
    match codebook_sha {
        None => sha256_hex(format!("{model_sha}\n{tokenizer_sha}\n").as_bytes()),
        Some(c) => sha256_hex(format!("{model_sha}\n{tokenizer_sha}\n{c}\n").as_bytes()),
    }
}
