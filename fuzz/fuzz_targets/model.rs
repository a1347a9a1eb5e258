//! Fuzz the model loader. Half the inputs are a fuzzed `manifest.json` (with placeholder
//! files); the other half are `model.json` and `tokenizer.json` separated by a NUL byte, with
//! a manifest carrying their correct checksums, so the fuzzer gets past the checksum check and
//! into parsing and validating the model itself. A model that loads must score a document.
#![no_main]

use std::path::Path;

use framelens::hash::sha256_hex;
use framelens::model::{model_hash, FramingModel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let dir = Path::new("fuzz-model");
    let loaded = if mode & 1 == 0 {
        FramingModel::from_bytes(dir, data, b"{}", b"{}", None)
    } else {
        let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
        let (model, tok) = (&data[..split], data.get(split + 1..).unwrap_or(&[]));
        let (ms, ts) = (sha256_hex(model), sha256_hex(tok));
        let manifest = format!(
            // format 1: no codebook file, the built-in migration codebook
            "{{\"format_version\":1,\"framelens_version\":\"0\",\"model_hash\":\"{}\",\"model_sha256\":\"{ms}\",\"tokenizer_sha256\":\"{ts}\",\"seed\":1}}",
            model_hash(&ms, &ts, None)
        );
        FramingModel::from_bytes(dir, manifest.as_bytes(), model, tok, None)
    };
    match loaded {
        Ok((m, _)) => {
            let s = m
                .score_document(&["Border agents detained families.", "Wages rose."])
                .expect("a loaded model scores");
            for p in &s.paragraphs {
                assert!(p.iter().all(|x| x.is_finite()));
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
