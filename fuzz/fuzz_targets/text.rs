//! Fuzz the text-file reader path: one `.txt` file of arbitrary bytes, then preparation
//! (HTML stripping, checks) and classification with the shipped default model.
#![no_main]

use std::sync::OnceLock;

use framelens::classify::classify_article;
use framelens::corpus::{read_folder_with, strip_html, Limits};
use framelens::FramingModel;
use libfuzzer_sys::fuzz_target;

fn model() -> &'static FramingModel {
    static M: OnceLock<FramingModel> = OnceLock::new();
    M.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/default");
        FramingModel::load(&dir).expect("the default model loads").0
    })
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_doc_bytes: 1 << 16,
        max_paragraph_bytes: 4096,
    };
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some((t, n)) = strip_html(s) {
            assert!(n > 0);
            assert!(t.len() <= s.len() * 4 + 16);
        }
    }
    let dir = tempfile_dir();
    let path = dir.join("doc.txt");
    std::fs::write(&path, data).expect("temp file");
    for item in read_folder_with(&dir, limits) {
        if let Ok(a) = item {
            assert_eq!(a.id, "doc.txt");
            if let Ok(p) = a.prepare(&limits) {
                let r = classify_article(model(), &p).expect("a prepared article classifies");
                assert_eq!(r.paragraphs.len(), p.paragraphs().len());
                let sum: f64 = r.shares.iter().sum();
                assert!(r.framed_fraction == 0.0 || (sum - 1.0).abs() < 1e-3, "{sum}");
            }
        }
    }
});

/// One scratch folder per fuzzing process.
fn tempfile_dir() -> std::path::PathBuf {
    static D: OnceLock<std::path::PathBuf> = OnceLock::new();
    D.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("framelens-fuzz-text-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    })
    .clone()
}
