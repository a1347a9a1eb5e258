//! Files written whole or not at all: a temporary file in the same folder, optionally
//! fsynced, renamed over the target; and folder syncs that make such renames durable.
//!
//! A leaf of the crate (it imports only [`crate::error`]): every stage that writes a file
//! (reports, checkpoints, models, trends) uses it, none through another stage.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Write a file atomically: temporary file in the same folder, fsync, rename.
///
/// # Errors
/// [`Error::Io`] naming the file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, true, |w| w.write_all(bytes))
}

/// Atomically write a file through a closure; `sync` adds an fsync before the rename.
///
/// # Errors
/// [`Error::Io`] naming the file.
pub fn write_atomic_with(
    path: &Path,
    sync: bool,
    f: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<()> {
    let file = AtomicFile::create(path)?;
    let res = (|| {
        let mut w = BufWriter::with_capacity(1 << 16, file.file().try_clone()?);
        f(&mut w)?;
        w.flush()
    })();
    res.map_err(|e| Error::io(path, e))?;
    file.commit(sync)
}

/// A file written whole or not at all: a temporary file beside its path until
/// [`AtomicFile::commit`] renames it over the path; dropped uncommitted, the temporary file is
/// removed.
#[derive(Debug)]
pub struct AtomicFile {
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Create the temporary file of `path` (`.<name>.tmp<pid>` in the same folder).
    ///
    /// # Errors
    /// [`Error::Io`] naming `path`.
    pub fn create(path: &Path) -> Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
        let file = File::create(&tmp).map_err(|e| Error::io(path, e))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            file: Some(file),
        })
    }

    /// The file to write (writes through `&File` need no `mut`).
    pub fn file(&self) -> &File {
        self.file.as_ref().expect("open until committed")
    }

    /// Close the file, fsynced first with `sync`, and rename it over its path.
    ///
    /// # Errors
    /// [`Error::Io`] naming the path; the temporary file is removed.
    pub fn commit(mut self, sync: bool) -> Result<()> {
        let file = self.file.take().expect("open until committed");
        let res = if sync { file.sync_all() } else { Ok(()) };
        drop(file);
        let res = res.and_then(|_| std::fs::rename(&self.tmp, &self.path));
        if res.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        res.map_err(|e| Error::io(&self.path, e))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// fsync a folder, so that renames into it are durable (a no-op where unsupported).
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
