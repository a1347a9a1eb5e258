//! gzip and zstd input: [`Compression`] by name and by magic bytes, the decoding reader and its errors.

use super::*;

/// How an input file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain bytes.
    None,
    /// gzip (`.gz`, magic bytes `1f 8b`); concatenated members are read as one stream.
    Gzip,
    /// Zstandard (`.zst`, magic bytes `28 b5 2f fd`).
    Zstd,
}

impl Compression {
    /// The compression the first bytes of a file announce.
    pub fn from_magic(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// The compression a file name announces (`.gz`, `.zst`, `.zstd`).
    pub fn from_name(path: &Path) -> Self {
        if has_ext(path, &["gz", "gzip"]) {
            Compression::Gzip
        } else if has_ext(path, &["zst", "zstd"]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

fn has_ext(path: &Path, exts: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// An error while decompressing, carrying the compressed byte offset (wrapped in an
/// [`std::io::Error`] by the decoding reader and recognised by the record readers).
#[derive(Debug)]
struct DecompressError(String);

impl std::fmt::Display for DecompressError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecompressError {}

/// The kind and reason of a read error: a decompression failure is
/// [`InputProblem::CorruptCompressed`], anything else [`InputProblem::Unreadable`].
pub(super) fn read_problem(e: &std::io::Error) -> (InputProblem, String) {
    match e
        .get_ref()
        .and_then(|x| x.downcast_ref::<DecompressError>())
    {
        Some(d) => (InputProblem::CorruptCompressed, d.to_string()),
        None => (InputProblem::Unreadable, format!("read error: {e}")),
    }
}

/// A buffered reader that counts the bytes its consumer has consumed.
struct Counted<R> {
    inner: R,
    pos: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.pos
            .fetch_add(amt as u64, std::sync::atomic::Ordering::Relaxed);
        self.inner.consume(amt);
    }
}

/// A decompressing reader whose errors name the compressed byte offset reached.
struct Decoded {
    inner: Box<dyn Read + Send>,
    pos: std::sync::Arc<std::sync::atomic::AtomicU64>,
    size: Option<u64>,
    format: Compression,
}

impl Read for Decoded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::Interrupted {
                return e;
            }
            let at = self.pos.load(std::sync::atomic::Ordering::Relaxed);
            let of = self.size.map(|s| format!(" of {s}")).unwrap_or_default();
            let what = if self.size.is_some_and(|s| at >= s) {
                "truncated"
            } else {
                "corrupt"
            };
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                DecompressError(format!(
                    "{} data {what} at byte {at}{of} of the compressed file ({e}); the records \
                     before that point were read",
                    self.format.name()
                )),
            )
        })
    }
}

/// Wrap `raw` in a decompressor when its first bytes (or the name, `claimed`) say it is
/// compressed. A name that claims a compression the bytes do not carry is an error.
pub(super) fn decode<R: Read + Send + 'static>(
    raw: R,
    name: &str,
    claimed: Compression,
    size: Option<u64>,
) -> std::result::Result<Box<dyn BufRead + Send>, InputError> {
    let err = |kind, reason: String| InputError::new(kind, name, None, None, reason);
    let mut raw = BufReader::with_capacity(1 << 20, raw);
    let head = raw
        .fill_buf()
        .map_err(|e| err(InputProblem::Unreadable, format!("cannot read: {e}")))?;
    let magic = Compression::from_magic(head);
    if claimed != Compression::None && magic != claimed {
        return Err(err(
            InputProblem::CorruptCompressed,
            format!(
                "{} data corrupt at byte 0: the name says {} but the file does not start with \
                 its signature",
                claimed.name(),
                claimed.name()
            ),
        ));
    }
    let pos = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = Counted {
        inner: raw,
        pos: pos.clone(),
    };
    let inner: Box<dyn Read + Send> = match magic {
        Compression::None => return Ok(Box::new(counted.inner)),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(counted)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(counted).map_err(
            |e| {
                err(
                    InputProblem::CorruptCompressed,
                    format!("zstd data corrupt at byte 0: {e}"),
                )
            },
        )?),
    };
    Ok(Box::new(BufReader::with_capacity(
        1 << 20,
        Decoded {
            inner,
            pos,
            size,
            format: magic,
        },
    )))
}

/// Open an input file for reading, decompressing it when it is gzip or zstd.
pub(super) fn open_input(path: &Path) -> std::result::Result<Box<dyn BufRead + Send>, InputError> {
    let f = File::open(path).map_err(|e| unreadable(path, None, &e))?;
    let size = f.metadata().ok().map(|m| m.len());
    decode(
        f,
        &path.display().to_string(),
        Compression::from_name(path),
        size,
    )
}
