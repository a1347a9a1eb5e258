//! Merging the sorted runs of a batch by document id.
//!
//! A run is the pair of files written for one chunk, both in id order: its index
//! (`run-NNNNNN.tsv`, lines `"<id json>\t<document line bytes>\t<summary row json>\t<page
//! row>"`) and its documents' `documents.jsonl` lines ([`run_docs_path`]). Merging reads the
//! small index files line by line; the document lines, nearly all the bytes, are copied on a
//! thread of their own, a stretch of consecutive lines of one run at a time, read straight
//! into a buffer that is written out when full (no parsing, one copy in this process).

use super::*;
use std::io::Read;

/// Read buffer per index file while merging: small, since up to [`MERGE_FAN_IN`] are open at
/// once (2 MB in all) and memory must not grow with the batch; an index line is a few hundred
/// bytes.
const MERGE_READ_BUFFER: usize = 16 << 10;

/// Stretches of document lines handed to the copying thread at once, and batches it may have
/// queued: the merge runs ahead of the copies by a bounded amount.
const COPY_BATCH: usize = 64;
const COPY_QUEUE: usize = 4;

/// The copying thread's buffer: document lines are read into it and written out when full.
const COPY_BUFFER: usize = 256 << 10;

/// The file of a run's document lines, beside its index file `index`.
pub fn run_docs_path(index: &Path) -> PathBuf {
    index.with_extension("jsonl")
}

/// K-way merge of sorted runs by id: calls `emit` with each index line (without its newline)
/// in id order, and appends the run's document line of each to `docs`, in the same order.
/// Equal ids keep run order.
///
/// # Errors
/// The first I/O error, naming the run file it concerns; an index line that does not parse,
/// or a documents file shorter than its index says, is an error naming the file.
pub(super) fn merge_runs(
    runs: &[PathBuf],
    docs: &File,
    mut emit: impl FnMut(&str) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut readers = Vec::with_capacity(runs.len());
    let mut sources = Vec::with_capacity(runs.len());
    for p in runs {
        let f = File::open(p).map_err(|e| with_path(p, e))?;
        readers.push(BufReader::with_capacity(MERGE_READ_BUFFER, f).lines());
        let d = run_docs_path(p);
        let f = File::open(&d).map_err(|e| with_path(&d, e))?;
        sources.push((d, f));
    }
    let next =
        |r: &mut std::io::Lines<BufReader<File>>, p: &Path| -> std::io::Result<Option<RunLine>> {
            match r.next() {
                None => Ok(None),
                Some(l) => RunLine::new(l.map_err(|e| with_path(p, e))?)
                    .map(Some)
                    .map_err(|e| with_path(p, std::io::Error::other(e))),
            }
        };
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(usize, u64)>>(COPY_QUEUE);
    std::thread::scope(|scope| {
        let sources = &sources;
        let copier = scope.spawn(move || -> std::io::Result<()> {
            // Each run's lines are taken in order, so each documents file is read straight
            // through: one read per stretch into a buffer written out when full.
            let mut buf = vec![0u8; COPY_BUFFER];
            let mut filled = 0;
            let mut out = docs;
            for batch in rx {
                for (k, mut len) in batch {
                    let (path, mut src) = (&sources[k].0, &sources[k].1);
                    while len > 0 {
                        if filled == buf.len() {
                            out.write_all(&buf)?;
                            filled = 0;
                        }
                        let n = (buf.len() - filled).min(len.try_into().unwrap_or(usize::MAX));
                        src.read_exact(&mut buf[filled..filled + n]).map_err(|e| {
                            let short = e.kind() == std::io::ErrorKind::UnexpectedEof;
                            let e = if short {
                                std::io::Error::other("shorter than its index says")
                            } else {
                                e
                            };
                            with_path(path, e)
                        })?;
                        filled += n;
                        len -= n as u64;
                    }
                }
            }
            out.write_all(&buf[..filled])
        });
        let mut merge = || -> std::io::Result<()> {
            let mut heads = Vec::with_capacity(runs.len());
            for (r, p) in readers.iter_mut().zip(runs) {
                heads.push(next(r, p)?);
            }
            // the stretch of consecutive lines of one run to copy next, and the batch
            let mut stretch: Option<(usize, u64)> = None;
            let mut batch = Vec::with_capacity(COPY_BATCH);
            loop {
                let best = heads
                    .iter()
                    .enumerate()
                    .filter_map(|(i, h)| h.as_ref().map(|h| (i, h.id())))
                    .min_by(|a, b| a.1.cmp(b.1))
                    .map(|x| x.0);
                let Some(i) = best else { break };
                let head = heads[i].take().expect("head present");
                emit(&head.line)?;
                match &mut stretch {
                    Some((k, len)) if *k == i => *len += head.doc_len,
                    _ => {
                        if let Some(s) = stretch.replace((i, head.doc_len)) {
                            batch.push(s);
                        }
                    }
                }
                if batch.len() == COPY_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(COPY_BATCH));
                    if tx.send(full).is_err() {
                        return Ok(()); // the copier failed: its error is returned
                    }
                }
                heads[i] = next(&mut readers[i], &runs[i])?;
            }
            batch.extend(stretch);
            let _ = tx.send(batch);
            Ok(())
        };
        let merged = merge();
        drop(tx);
        let copied = copier
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        merged.and(copied)
    })
}

/// An index line of a run, the id it is sorted by and the length of its document line.
struct RunLine {
    line: String,
    key: RunKey,
    doc_len: u64,
}

/// Where a [`RunLine`]'s id is.
enum RunKey {
    /// The JSON string holds no escape: the id is its content, `line[1..end]`.
    InPlace(usize),
    /// The id, decoded from a JSON string with escapes.
    Decoded(String),
}

impl RunLine {
    fn new(line: String) -> std::result::Result<Self, String> {
        let mut fields = line.split('\t');
        let key = fields.next().unwrap_or("");
        let doc_len = fields
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| format!("index line without a document length: {:.80}", line))?;
        let plain = key.len() >= 2
            && key.starts_with('"')
            && key.ends_with('"')
            && !key[1..key.len() - 1].contains(['\\', '"']);
        let key = if plain {
            RunKey::InPlace(key.len() - 1)
        } else {
            RunKey::Decoded(serde_json::from_str::<String>(key).map_err(|e| e.to_string())?)
        };
        Ok(RunLine { line, key, doc_len })
    }

    fn id(&self) -> &str {
        match &self.key {
            RunKey::InPlace(end) => &self.line[1..*end],
            RunKey::Decoded(id) => id,
        }
    }
}

fn with_path(p: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_lines_are_keyed_by_their_decoded_id() {
        for id in [
            "plain",
            "",
            "tab\there",
            "quote\"d",
            "back\\slash",
            "line\nbreak",
            "é-ü",
        ] {
            let key = serde_json::to_string(id).unwrap();
            let l = RunLine::new(format!("{key}\t12\t[]\t")).unwrap();
            assert_eq!(l.id(), id);
            assert_eq!(l.doc_len, 12);
            assert_eq!(
                matches!(l.key, RunKey::Decoded(_)),
                key.contains('\\'),
                "{key}"
            );
        }
        assert!(RunLine::new("not json\t1\t[]".into()).is_err());
        assert!(RunLine::new("\"id\"\t[]\t[]".into()).is_err());
    }
}
