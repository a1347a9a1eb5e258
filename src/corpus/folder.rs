//! Folder input: every file of a supported format below a folder, and the files skipped ([`SkippedFile`]).

use super::*;

/// A file in an input folder that framelens does not read (not a supported format), or a
/// hidden folder it does not enter.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SkippedFile {
    /// The path, as found below the input folder.
    pub path: String,
    /// The extension (`.pdf`, `.json.bz2` …), `(none)` or `(hidden folder)`.
    pub ext: String,
}

impl SkippedFile {
    fn new(path: &Path, hidden_dir: bool) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = if hidden_dir {
            "(hidden folder)".to_string()
        } else {
            // `.tar.gz`, `.json.bz2`: the last two extensions when the last one is short
            let trimmed = name.trim_start_matches('.');
            let parts: Vec<&str> = trimmed.split('.').collect();
            match parts.len() {
                0 | 1 => "(none)".to_string(),
                2 => format!(".{}", parts[1].to_ascii_lowercase()),
                n => {
                    let last = parts[n - 1].to_ascii_lowercase();
                    if matches!(last.as_str(), "gz" | "zst" | "bz2" | "xz" | "zip" | "7z") {
                        format!(".{}.{last}", parts[n - 2].to_ascii_lowercase())
                    } else {
                        format!(".{last}")
                    }
                }
            }
        };
        SkippedFile {
            path: path.display().to_string(),
            ext,
        }
    }
}

/// Where the readers record the files they skip; shared by the reader and the caller.
pub type SkipLog = std::sync::Arc<std::sync::Mutex<Vec<SkippedFile>>>;

/// Counts of skipped files by extension, most frequent first (ties by extension), e.g.
/// `3 .pdf, 1 (none)`.
pub fn skipped_by_ext(files: &[SkippedFile]) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in files {
        *counts.entry(f.ext.as_str()).or_default() += 1;
    }
    let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(e, n)| format!("{n} {e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Read a folder with the default [`Limits`] (see [`read_folder_with`]).
pub fn read_folder(dir: &Path) -> impl Iterator<Item = ArticleResult> + Send {
    read_folder_with(dir, Limits::default())
}

/// Read a folder (see [`read_folder_logged`]); skipped files are logged at debug level only.
pub fn read_folder_with(dir: &Path, limits: Limits) -> impl Iterator<Item = ArticleResult> + Send {
    read_folder_logged(dir, limits, SkipLog::default())
}

/// Read every file of a supported format below a folder ([`file_format`]: JSONL, CSV, `.txt`,
/// `.md`, each plain, gzip or zstd), recursively and sorted by path. A text file is one
/// article whose id is its path relative to the folder (`/` separators) and whose title is
/// its first paragraph; JSONL and CSV files give their records. Links are followed; a link
/// back to an ancestor folder (a loop) is reported and not followed, as are broken links,
/// unreadable entries and binary, corrupt or non-UTF-8 files. Any other file, and any hidden
/// folder (not entered), is recorded in `skipped`.
pub fn read_folder_logged(
    dir: &Path,
    limits: Limits,
    skipped: SkipLog,
) -> impl Iterator<Item = ArticleResult> + Send {
    let root = dir.to_path_buf();
    let hidden = |e: &walkdir::DirEntry| {
        e.depth() > 0 && e.file_type().is_dir() && e.file_name().to_string_lossy().starts_with('.')
    };
    let skipped2 = skipped.clone();
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(move |e| {
            if hidden(e) {
                if let Ok(mut s) = skipped2.lock() {
                    s.push(SkippedFile::new(e.path(), true));
                }
                false
            } else {
                true
            }
        })
        .flat_map(move |entry| -> ArticleStream {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => return Box::new(std::iter::once(Err(walk_error(&root, &e)))),
            };
            if !entry.file_type().is_file() {
                return Box::new(std::iter::empty());
            }
            let path = entry.path();
            let Some((kind, _)) = file_format(path) else {
                log::debug!("{}: skipped (not a format framelens reads)", path.display());
                if let Ok(mut s) = skipped.lock() {
                    s.push(SkippedFile::new(path, false));
                }
                return Box::new(std::iter::empty());
            };
            let rel = path.strip_prefix(&root).unwrap_or(path);
            let id = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            read_file(path, kind, id, limits)
        })
}

fn walk_error(root: &Path, e: &walkdir::Error) -> InputError {
    let file = e
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| root.display().to_string());
    if let Some(anc) = e.loop_ancestor() {
        return InputError::new(
            InputProblem::DirectoryLoop,
            file,
            None,
            None,
            format!(
                "directory loop: this link points back to {}, which is already being read; not followed",
                anc.display()
            ),
        );
    }
    let why = e
        .io_error()
        .map(|io| io.to_string())
        .unwrap_or_else(|| e.to_string());
    let broken = e
        .path()
        .is_some_and(|p| p.symlink_metadata().is_ok() && std::fs::metadata(p).is_err());
    InputError::new(
        InputProblem::Unreadable,
        file,
        None,
        None,
        if broken {
            format!("cannot read: {why} (a broken link)")
        } else {
            format!("cannot read: {why}")
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_reports_binary_broken_links_and_loops() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("a.txt"), "# Title\n\nBody text.\n").unwrap();
        std::fs::write(root.join("bin.txt"), b"PNG\x00\x01\x02").unwrap();
        std::fs::write(root.join("skip.jpg"), b"\xff\xd8").unwrap();
        std::fs::write(root.join("sub/b.md"), "Other text.\n").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("nowhere.txt"), root.join("broken.txt")).unwrap();
            std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();
        }
        let items: Vec<_> = read_folder(root).collect();
        let ok: Vec<&str> = items
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(ok, ["a.txt", "sub/b.md"]);
        assert_eq!(items[0].as_ref().unwrap().title.as_deref(), Some("Title"));
        let kinds: Vec<InputProblem> = items
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| e.kind)
            .collect();
        assert!(kinds.contains(&InputProblem::BinaryFile), "{kinds:?}");
        #[cfg(unix)]
        {
            assert!(kinds.contains(&InputProblem::Unreadable), "{items:?}");
            assert!(kinds.contains(&InputProblem::DirectoryLoop), "{items:?}");
        }
    }
}
