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
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    let res = (|| {
        let mut w = BufWriter::with_capacity(1 << 16, File::create(&tmp)?);
        f(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        if sync {
            file.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res.map_err(|e| Error::io(path, e))
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
