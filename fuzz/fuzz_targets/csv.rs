//! Fuzz the CSV article reader and article preparation on arbitrary bytes.
#![no_main]

use framelens::corpus::{read_csv_from, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_doc_bytes: 4096,
        max_paragraph_bytes: 512,
    };
    for item in read_csv_from(std::io::Cursor::new(data.to_vec()), "fuzz.csv".into(), limits) {
        match item {
            Ok(a) => {
                assert!(!a.id.is_empty(), "every article has an id");
                let _ = a.prepare(&limits);
            }
            Err(e) => assert!(!e.reason.is_empty()),
        }
    }
});
