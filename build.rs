//! Embed the default model (`models/default`) in the binary: every file its `manifest.json`
//! names is included with `include_bytes!`, and `framelens::builtin` checks them against the
//! manifest's SHA-256 checksums when it loads them. Without a `models/default` folder (a
//! packaged crate without models) the binary has no built-in model.

use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&root).join("models").join("default");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", dir.display());
    for f in [
        "manifest.json",
        "model.json",
        "tokenizer.json",
        "codebook.toml",
        "embeddings.safetensors",
    ] {
        println!("cargo:rerun-if-changed={}", dir.join(f).display());
    }
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_model.rs");
    let code = match std::fs::read_to_string(dir.join("manifest.json")) {
        Err(_) => {
            "/// No model folder at build time.\npub(crate) const FILES: Option<Files> = None;\n"
                .to_string()
        }
        Ok(text) => {
            let manifest: serde_json::Value =
                serde_json::from_str(&text).expect("models/default/manifest.json is valid JSON");
            let named = |key: &str| manifest.get(key).is_some_and(|v| !v.is_null());
            let inc =
                |name: &str| format!("include_bytes!({:?})", dir.join(name).display().to_string());
            let opt = |key: &str, name: &str| {
                if named(key) {
                    format!("Some({})", inc(name))
                } else {
                    "None".to_string()
                }
            };
            format!(
                "/// The files of `models/default` at build time.\n\
                 pub(crate) const FILES: Option<Files> = Some(Files {{\n    \
                 manifest: {},\n    model: {},\n    tokenizer: {},\n    codebook: {},\n    table: {},\n}});\n",
                inc("manifest.json"),
                inc("model.json"),
                inc("tokenizer.json"),
                opt("codebook_sha256", "codebook.toml"),
                opt("embeddings_sha256", "embeddings.safetensors"),
            )
        }
    };
    std::fs::write(&out, code).expect("OUT_DIR is writable");
}
