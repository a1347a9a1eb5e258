//! Merging the sorted run files of a batch by document id.

use super::*;

/// Read buffer per run file while merging: bounded, since up to [`MERGE_FAN_IN`] are open at
/// once (8 MB in all) and memory must not grow with the batch; larger than most documents'
/// lines, so a line is mostly read in one call.
const MERGE_READ_BUFFER: usize = 64 << 10;

/// K-way merge of sorted run files (lines `"<id json>\t<row>\t<doc>"`) by id, calling `emit`
/// with each full line (without its newline) in id order.
pub(super) fn merge_runs(
    runs: &[PathBuf],
    mut emit: impl FnMut(String) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut readers = Vec::with_capacity(runs.len());
    for p in runs {
        let f = File::open(p).map_err(|e| with_path(p, e))?;
        readers.push(BufReader::with_capacity(MERGE_READ_BUFFER, f).lines());
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
    let mut heads = Vec::with_capacity(runs.len());
    for (r, p) in readers.iter_mut().zip(runs) {
        heads.push(next(r, p)?);
    }
    loop {
        let best = heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|h| (i, h.id())))
            .min_by(|a, b| a.1.cmp(b.1))
            .map(|x| x.0);
        let Some(i) = best else { break };
        let head = heads[i].take().expect("head present");
        emit(head.line)?;
        heads[i] = next(&mut readers[i], &runs[i])?;
    }
    Ok(())
}

/// A line of a run file and the id it is sorted by.
struct RunLine {
    line: String,
    key: RunKey,
}

/// Where a [`RunLine`]'s id is.
enum RunKey {
    /// The JSON string holds no escape: the id is its content, `line[1..end]`.
    InPlace(usize),
    /// The id, decoded from a JSON string with escapes.
    Decoded(String),
}

impl RunLine {
    fn new(line: String) -> serde_json::Result<Self> {
        let key = line.split('\t').next().unwrap_or("");
        let plain = key.len() >= 2
            && key.starts_with('"')
            && key.ends_with('"')
            && !key[1..key.len() - 1].contains(['\\', '"']);
        let key = if plain {
            RunKey::InPlace(key.len() - 1)
        } else {
            RunKey::Decoded(serde_json::from_str::<String>(key)?)
        };
        Ok(RunLine { line, key })
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
            let l = RunLine::new(format!("{key}\t[]\t{{}}\t\t")).unwrap();
            assert_eq!(l.id(), id);
            assert_eq!(
                matches!(l.key, RunKey::Decoded(_)),
                key.contains('\\'),
                "{key}"
            );
        }
        assert!(RunLine::new("not json\t[]".into()).is_err());
    }
}
