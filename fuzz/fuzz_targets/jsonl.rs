//! Fuzz the JSONL article reader and article preparation on arbitrary bytes.
#![no_main]

use framelens::corpus::{read_jsonl_with, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // small limits so that the size checks are reached too
    let limits = Limits {
        max_doc_bytes: 4096,
        max_paragraph_bytes: 512,
    };
    let mut lines = 0u64;
    for item in read_jsonl_with(std::io::Cursor::new(data), "fuzz.jsonl".into(), limits) {
        lines += 1;
        match item {
            Ok(a) => {
                assert!(!a.id.is_empty(), "every article has an id");
                if let Ok(p) = a.prepare(&limits) {
                    assert!(p.text.chars().any(char::is_alphanumeric));
                    assert!(p.paragraphs().iter().all(|x| x.len() <= 512));
                }
            }
            Err(e) => {
                assert!(!e.reason.is_empty());
                assert!(e.line.is_some_and(|l| l >= 1) || e.line.is_none());
            }
        }
        assert!(lines <= data.len() as u64 + 1, "at most one item per line");
    }
});
