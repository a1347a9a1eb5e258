//! Writing a batch's outputs in bounded memory: [`ReportWriter`] and its [`WriterOptions`].

use super::*;
use std::fs::OpenOptions;
use std::io::Seek;

use crate::fsio::AtomicFile;

/// Name of the checkpoint folder inside `--out`: sorted run files of the chunks written so
/// far and the journal of a resumable run (see [`crate::checkpoint`]).
pub const CHECKPOINT_DIR: &str = ".framelens-checkpoint";

/// Parts a chunk is cut into for serialising its documents in parallel (each into a buffer
/// of its own): a few per core, so that parts of unequal cost still balance.
const ENCODE_PARTS: usize = 16;

/// Most run files merged at once; more are merged in passes.
const MERGE_FAN_IN: usize = 128;

/// Name of `report.html` in progress inside the checkpoint folder: its head and the document
/// blocks of the chunks written so far ([`PageMark`]); renamed to `report.html` at the end.
pub const PAGE_FILE: &str = "page.html";

/// How far `report.html` in progress ([`PAGE_FILE`]) is written: its length and the number of
/// document blocks it holds. A resumed run cuts the page back to the mark of the last chunk
/// in the journal and goes on from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageMark {
    /// Bytes written.
    pub bytes: u64,
    /// Document blocks written.
    pub docs: u64,
}

/// The page in progress, its file positioned at its end (`mark.bytes`).
#[derive(Debug)]
struct Page {
    path: PathBuf,
    file: File,
    mark: PageMark,
}

impl Page {
    /// Start the page at `path` (replacing any file there) with its head.
    fn create(path: PathBuf) -> Result<Page> {
        let mut file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let head = html::page_head("framelens report");
        file.write_all(head.as_bytes())
            .map_err(|e| Error::io(&path, e))?;
        let mark = PageMark {
            bytes: head.len() as u64,
            docs: 0,
        };
        Ok(Page { path, file, mark })
    }

    /// Open the page at `path` cut back to `mark`, positioned at its end.
    ///
    /// # Errors
    /// [`Error::Io`] naming the page when it cannot be opened or is shorter than `mark`.
    fn open_at(path: PathBuf, mark: PageMark) -> Result<Page> {
        let io = |e| Error::io(&path, e);
        let mut file = OpenOptions::new().write(true).open(&path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len < mark.bytes {
            let short = format!("holds {len} bytes, the checkpoint recorded {}", mark.bytes);
            return Err(io(std::io::Error::other(short)));
        }
        file.set_len(mark.bytes).map_err(io)?;
        file.seek(std::io::SeekFrom::End(0)).map_err(io)?;
        Ok(Page { path, file, mark })
    }
}

/// Threads that render, write and, without `syncfs`, fsync the per-document Markdown files of
/// a chunk: fsync waits on the disk, not the CPU, so several run at once even on a small
/// machine; with `syncfs` the work is CPU-bound and one thread per core is enough.
fn doc_writers() -> usize {
    if CAN_SYNC_FS {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        8
    }
}

/// Writes the per-document outputs of a batch in bounded memory.
///
/// Each chunk of reports is sorted by id and spilled to a run file in the checkpoint folder
/// (`<out>/.framelens-checkpoint/`), and its document blocks of `report.html` are appended,
/// in input order, to the page in progress there ([`PAGE_FILE`]);
/// [`ReportWriter::write_outputs`] merges the runs into `documents.jsonl`, `summary.csv` and
/// the page's table rows, and writes `summary.md` and `errors.jsonl`. Every file is written
/// atomically (temporary file, fsync, rename), and a chunk's files are on disk before
/// [`ReportWriter::add_chunk`] returns, so a run file and a [`PageMark`] can serve as a
/// checkpoint.
#[derive(Debug)]
pub struct ReportWriter {
    out: PathBuf,
    tmp: PathBuf,
    runs: Vec<PathBuf>,
    doc_pool: Option<rayon::ThreadPool>,
    opts: WriterOptions,
    /// The serialisation buffers of [`ReportWriter::add_chunk`], one per part of a chunk.
    bufs: Vec<PartBufs>,
    /// `report.html` in progress (opened at the first chunk, or by
    /// [`ReportWriter::continue_page`]).
    page: Option<Page>,
}

/// Remove temporary files (`.<name>.tmp<pid>`) left in `dir` by an interrupted atomic write.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let stale = name.starts_with('.')
            && name
                .rsplit_once(".tmp")
                .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        if stale {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The serialisation buffers of one part of a chunk.
#[derive(Debug, Default)]
struct PartBufs {
    /// The documents' index lines without their document lengths (see [`DocSpans`]).
    index: Vec<u8>,
    /// The documents' `documents.jsonl` lines.
    docs: Vec<u8>,
    /// The documents' page blocks.
    blocks: Vec<u8>,
}

/// Where one document is in its part's [`PartBufs`]: its index line is
/// `index[start..id_end]`, then a tab and the length of its document line `docs[doc]`, then
/// `index[id_end..end]`.
#[derive(Debug, Clone)]
struct DocSpans {
    start: usize,
    id_end: usize,
    end: usize,
    doc: std::ops::Range<usize>,
}

/// Write a document's Markdown into `md_dir` (when given), append its index line (without the
/// document line's length: `"<id json>\t<summary row json>\t<page row>\n"`, see [`merge_runs`])
/// and its `documents.jsonl` line to `bufs`, and its page block, number `block`, to
/// `bufs.blocks` (see [`html::encode`]; the page row is empty and no block is written without
/// `html`).
///
/// With `sync`, the file is written atomically (temporary file, fsync, rename). Without it the
/// caller flushes the whole chunk at once ([`sync_fs`]), and the file is written in place: one
/// file-system operation instead of three. A file torn by a crash belongs to a chunk that was
/// not checkpointed, so `--resume` writes it again.
fn encode_doc(
    r: &DocReport,
    md_dir: Option<&Path>,
    sync: bool,
    opts: &WriterOptions,
    block: u64,
    bufs: &mut PartBufs,
) -> Result<DocSpans> {
    if let Some(dir) = md_dir {
        let p = dir.join(format!("{}.md", safe_name(&r.id)));
        let md = render_markdown(r);
        if sync {
            write_atomic_with(&p, true, |w| w.write_all(md.as_bytes()))?;
        } else {
            std::fs::write(&p, md.as_bytes()).map_err(|e| Error::io(&p, e))?;
        }
    }
    let mut row = summary_row(r);
    row.extend(crate::narratives::summary_cells(
        &r.narratives,
        &opts.narrative_ids,
    ));
    let PartBufs {
        index,
        docs,
        blocks,
    } = bufs;
    let start = index.len();
    serde_json::to_writer(&mut *index, &r.id).expect("string serialises");
    let id_end = index.len();
    index.push(b'\t');
    serde_json::to_writer(&mut *index, &row).expect("row serialises");
    index.push(b'\t');
    if opts.html {
        html::encode_into(r, block, index, blocks);
    }
    index.push(b'\n');
    let doc_start = docs.len();
    DocJson(r, opts.paragraphs).write_to(docs);
    docs.push(b'\n');
    Ok(DocSpans {
        start,
        id_end,
        end: index.len(),
        doc: doc_start..docs.len(),
    })
}

/// Keep `e` in `slot`, to be reported as the error of the file it belongs to, and return a
/// stand-in with its message that stops the merge.
fn stash(slot: &mut Option<std::io::Error>, e: std::io::Error) -> std::io::Error {
    let stand_in = std::io::Error::other(e.to_string());
    *slot = Some(e);
    stand_in
}

/// What a [`ReportWriter`] writes besides `documents.jsonl`, `summary.csv`, `summary.md` and
/// `errors.jsonl`.
#[derive(Debug, Clone, Default)]
pub struct WriterOptions {
    /// Paragraph detail in `documents.jsonl`.
    pub paragraphs: ParagraphDetail,
    /// Write `report.html`.
    pub html: bool,
    /// The model hash, shown in `report.html`.
    pub model_hash: String,
    /// Narrative ids: one `narrative:<id>` column each in `summary.csv`.
    pub narrative_ids: Vec<String>,
}

/// Whether [`sync_fs`] flushes a whole file system (Linux `syncfs`).
const CAN_SYNC_FS: bool = cfg!(target_os = "linux");

/// Flush every written file of the file system holding `dir` to the disk, in one call
/// (Linux `syncfs(2)`); a no-op where `CAN_SYNC_FS` is false.
///
/// # Errors
/// [`Error::Io`] naming `dir` when it cannot be opened or the flush fails.
pub fn sync_fs(dir: &Path) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let f = File::open(dir).map_err(|e| Error::io(dir, e))?;
        // SAFETY: `f` is an open descriptor for the duration of the call.
        if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
            return Err(Error::io(dir, std::io::Error::last_os_error()));
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = dir;
    Ok(())
}

impl ReportWriter {
    /// Prepare the output folder (created if needed) for a new batch; a checkpoint left there
    /// by an interrupted run is discarded.
    ///
    /// # Errors
    /// [`Error::Io`] when the folder cannot be created or written.
    pub fn new(out: &Path, write_docs: bool) -> Result<Self> {
        let tmp = out.join(CHECKPOINT_DIR);
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        }
        Self::resume(out, write_docs, Vec::new())
    }

    /// Continue writing into `out` after the chunks whose run files (in the checkpoint folder)
    /// are `runs`; any other file in the checkpoint folder is removed.
    ///
    /// # Errors
    /// [`Error::Io`] when the folder cannot be created or written.
    pub fn resume(out: &Path, write_docs: bool, runs: Vec<PathBuf>) -> Result<Self> {
        if write_docs {
            std::fs::create_dir_all(out.join("docs")).map_err(|e| Error::io(out, e))?;
        } else {
            std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
        }
        let tmp = out.join(CHECKPOINT_DIR);
        std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        remove_stale_temps(out);
        remove_stale_temps(&tmp);
        let doc_pool = if write_docs {
            Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(doc_writers())
                    .thread_name(|i| format!("framelens-docs-{i}"))
                    .build()
                    .map_err(|e| Error::Other(format!("cannot start writer threads: {e}")))?,
            )
        } else {
            None
        };
        Ok(ReportWriter {
            out: out.to_path_buf(),
            tmp,
            runs,
            doc_pool,
            opts: WriterOptions::default(),
            bufs: Vec::new(),
            page: None,
        })
    }

    /// Go on with the `report.html` in progress of an interrupted run, cut back to `mark`
    /// (that of the last chunk in the journal); with no mark, the page is started afresh at
    /// the first chunk.
    ///
    /// # Errors
    /// [`Error::Io`] naming the page when it cannot be opened or is shorter than `mark`.
    pub fn continue_page(mut self, mark: Option<PageMark>) -> Result<Self> {
        self.page = mark
            .map(|m| Page::open_at(self.tmp.join(PAGE_FILE), m))
            .transpose()?;
        Ok(self)
    }

    /// How far `report.html` in progress is written (`None` before the first chunk and
    /// without `report.html`).
    pub fn page_mark(&self) -> Option<PageMark> {
        self.page.as_ref().map(|p| p.mark)
    }

    /// Append the page blocks of the chunk just serialised (`self.bufs[..parts]`) to the page
    /// in progress, started if need be, and flush them to the disk.
    fn append_blocks(&mut self, parts: usize, docs: usize) -> Result<()> {
        let page = match &mut self.page {
            Some(p) => p,
            none => none.insert(Page::create(self.tmp.join(PAGE_FILE))?),
        };
        let io = |e| Error::io(&page.path, e);
        let mut bytes = 0;
        for b in &self.bufs[..parts] {
            page.file.write_all(&b.blocks).map_err(io)?;
            bytes += b.blocks.len() as u64;
        }
        page.file.sync_data().map_err(io)?;
        page.mark.bytes += bytes;
        page.mark.docs += docs as u64;
        Ok(())
    }

    /// Set what is written besides the default files (paragraph detail, `report.html`,
    /// narrative columns).
    pub fn options(mut self, opts: WriterOptions) -> Self {
        self.opts = opts;
        self
    }

    /// The checkpoint folder (`<out>/.framelens-checkpoint`).
    pub fn checkpoint_dir(&self) -> &Path {
        &self.tmp
    }

    /// The run files written so far, in chunk order.
    pub fn runs(&self) -> &[PathBuf] {
        &self.runs
    }

    /// Write the per-document Markdown files of a chunk and spill its sorted lines to a run
    /// file; returns the run file (`None` for an empty chunk). Everything is fsynced before
    /// this returns.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file that could not be written.
    pub fn add_chunk(&mut self, reports: &[DocReport]) -> Result<Option<PathBuf>> {
        use rayon::prelude::*;
        if reports.is_empty() {
            return Ok(None);
        }
        // Render and write each document's Markdown and serialise its run line in parallel.
        // Where the file system can be flushed at once (Linux `syncfs`), the Markdown files
        // are made durable by one flush after the chunk instead of one fsync each: the same
        // guarantee (they are on disk before this returns), a fraction of the disk waits.
        let docs = self.out.join("docs");
        let batch_sync = self.doc_pool.is_some() && CAN_SYNC_FS;
        let md_dir = self.doc_pool.as_ref().map(|_| docs.as_path());
        let opts = &self.opts;
        // Each part of the chunk is serialised into a buffer of its own, kept from chunk to
        // chunk: no allocation per document, and no fresh memory to fault in each chunk.
        let per = reports.len().div_ceil(ENCODE_PARTS);
        self.bufs.resize_with(ENCODE_PARTS, Default::default);
        // the page blocks are numbered in input order, after those already in the page
        let first_block = self.page_mark().map_or(0, |m| m.docs);
        let encode = |k: usize, bufs: &mut PartBufs, part: &[DocReport]| {
            bufs.index.clear();
            bufs.docs.clear();
            bufs.blocks.clear();
            let mut spans = Vec::with_capacity(part.len());
            for (j, r) in part.iter().enumerate() {
                let block = first_block + (k * per + j) as u64;
                spans.push(encode_doc(r, md_dir, !batch_sync, opts, block, bufs)?);
            }
            Ok::<_, Error>(spans)
        };
        let parts = reports.len().div_ceil(per);
        let bufs = &mut self.bufs[..parts];
        let mut run = || -> Result<Vec<Vec<DocSpans>>> {
            bufs.par_iter_mut()
                .zip(reports.par_chunks(per))
                .enumerate()
                .map(|(k, (buf, part))| encode(k, buf, part))
                .collect()
        };
        let spans = match &self.doc_pool {
            Some(pool) => pool.install(run),
            None => run(),
        }?;
        if self.doc_pool.is_some() {
            if batch_sync {
                sync_fs(&docs)?;
            }
            sync_dir(&docs)?;
        }
        // (id, part, spans), sorted by id; stable, so equal ids keep input order
        let mut lines: Vec<(&str, usize, &DocSpans)> = spans
            .iter()
            .enumerate()
            .flat_map(|(k, part)| part.iter().map(move |s| (k, s)))
            .zip(reports)
            .map(|((k, s), r)| (r.id.as_str(), k, s))
            .collect();
        lines.sort_by(|a, b| a.0.cmp(b.0));
        // the run: its document lines, then its index (named in the journal)
        let p = self.tmp.join(format!("run-{:06}.tsv", self.runs.len()));
        let bufs = &self.bufs;
        write_atomic_with(&run_docs_path(&p), true, |w| {
            lines
                .iter()
                .try_for_each(|&(_, k, s)| w.write_all(&bufs[k].docs[s.doc.clone()]))
        })?;
        write_atomic_with(&p, true, |w| {
            lines.iter().try_for_each(|&(_, k, s)| {
                let index = &bufs[k].index;
                w.write_all(&index[s.start..s.id_end])?;
                write!(w, "\t{}", s.doc.len())?;
                w.write_all(&index[s.id_end..s.end])
            })
        })?;
        if self.opts.html {
            self.append_blocks(parts, reports.len())?;
        }
        sync_dir(&self.tmp)?;
        self.runs.push(p.clone());
        Ok(Some(p))
    }

    /// Merge the runs into `documents.jsonl` and `summary.csv`, write `summary.md`,
    /// `errors.jsonl` and `codebook.toml`, and remove the checkpoint folder.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file that could not be written.
    pub fn finish(self, summary: &Summary, cb: &Codebook) -> Result<()> {
        self.write_outputs(summary, cb)?;
        self.remove_checkpoint()
    }

    /// Remove the checkpoint folder (the last step of a completed batch).
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be removed.
    pub fn remove_checkpoint(self) -> Result<()> {
        match std::fs::remove_dir_all(&self.tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&self.tmp, e)),
            _ => Ok(()),
        }
    }

    /// Merge the runs into `documents.jsonl` and `summary.csv`, and write `summary.md`,
    /// `errors.jsonl` and the codebook of the reports (`codebook.toml`, read back by `trends`,
    /// `store` and `merge`); the checkpoint folder is kept.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file that could not be written.
    pub fn write_outputs(&self, summary: &Summary, cb: &Codebook) -> Result<()> {
        let mut runs = self.runs.clone();
        let mut pass = 0;
        while runs.len() > MERGE_FAN_IN {
            let mut next = Vec::new();
            for (i, group) in runs.chunks(MERGE_FAN_IN).enumerate() {
                let p = self.tmp.join(format!("merge-{pass}-{i:06}.tsv"));
                let docs = AtomicFile::create(&run_docs_path(&p))?;
                write_atomic_with(&p, false, |w| {
                    merge_runs(group, docs.file(), |line| {
                        w.write_all(line.as_bytes())?;
                        w.write_all(b"\n")
                    })
                })?;
                docs.commit(false)?;
                next.push(p);
            }
            runs = next;
            pass += 1;
        }
        let docs_path = self.out.join("documents.jsonl");
        let csv_path = self.out.join("summary.csv");
        let html_path = self.out.join("report.html");
        // The page in progress holds its head and every document block; its table rows are
        // written in the same pass as documents.jsonl and summary.csv, so no document is
        // held in memory; documents.jsonl is complete (renamed) first, then the page.
        let page = match (&self.page, self.opts.html) {
            (_, false) => None,
            (Some(p), true) => Some(Page::open_at(p.path.clone(), p.mark)?),
            // no chunk had a document: the page has its head only
            (None, true) => Some(Page::create(self.tmp.join(PAGE_FILE))?),
        };
        let mut rows = match page {
            Some(Page { path, file, .. }) => {
                let w = html::RowsWriter::start(BufWriter::with_capacity(1 << 20, file))
                    .map_err(|e| Error::io(&path, e))?;
                Some((path, w))
            }
            None => None,
        };
        let docs = AtomicFile::create(&docs_path)?;
        let csv_file = AtomicFile::create(&csv_path)?;
        // an error of the page is reported as the page's, and one of summary.csv as its own
        let mut page_err: Option<std::io::Error> = None;
        let mut csv_err: Option<std::io::Error> = None;
        let merged = (|| -> std::io::Result<()> {
            let mut cw =
                csv::Writer::from_writer(BufWriter::with_capacity(1 << 16, csv_file.file()));
            let header = summary_header(cb).into_iter().chain(
                self.opts
                    .narrative_ids
                    .iter()
                    .map(|id| format!("narrative:{id}")),
            );
            cw.write_record(header)
                .map_err(|e| stash(&mut csv_err, e.into()))?;
            merge_runs(&runs, docs.file(), |line| {
                let mut it = line.splitn(4, '\t');
                let (_id, _len) = (it.next(), it.next());
                // the fields are read in place unless one holds an escape
                let row = it.next().unwrap_or("[]");
                match serde_json::from_str::<Vec<&str>>(row) {
                    Ok(fields) => cw.write_record(&fields),
                    Err(_) => {
                        let fields: Vec<String> =
                            serde_json::from_str(row).map_err(std::io::Error::other)?;
                        cw.write_record(&fields)
                    }
                }
                .map_err(|e| stash(&mut csv_err, e.into()))?;
                if let Some((_, page)) = &mut rows {
                    page.add(it.next().unwrap_or(""))
                        .map_err(|e| stash(&mut page_err, e))?;
                }
                Ok(())
            })?;
            cw.flush().map_err(|e| stash(&mut csv_err, e))
        })();
        merged.map_err(|e| match (page_err.take(), csv_err.take(), &rows) {
            (Some(pe), _, Some((path, _))) => Error::io(path, pe),
            (_, Some(ce), _) => Error::io(&csv_path, ce),
            _ => Error::io(&docs_path, e),
        })?;
        // documents.jsonl is fsynced on a thread of its own while the page is finished
        std::thread::scope(|scope| -> Result<()> {
            let docs_done = scope.spawn(move || docs.commit(true));
            let csv_done = csv_file.commit(true);
            let page_done = rows
                .map(|(path, page)| -> Result<PathBuf> {
                    let finish = || -> std::io::Result<()> {
                        let w = page.finish(summary, cb, &self.opts.model_hash)?;
                        let f = w.into_inner().map_err(|e| e.into_error())?;
                        f.sync_all()
                    };
                    finish().map_err(|e| Error::io(&html_path, e))?;
                    Ok(path)
                })
                .transpose();
            docs_done
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))?;
            csv_done?;
            if let Some(path) = page_done? {
                std::fs::rename(&path, &html_path).map_err(|e| Error::io(&html_path, e))?;
            }
            Ok(())
        })?;
        write_atomic(
            &self.out.join("summary.md"),
            render_summary(summary, cb).as_bytes(),
        )?;
        write_atomic(&self.out.join(CODEBOOK_FILE), cb.to_toml().as_bytes())?;
        write_atomic(
            &self.out.join("errors.jsonl"),
            render_errors(summary).as_bytes(),
        )?;
        sync_dir(&self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: String) -> DocReport {
        DocReport {
            codebook: Arc::new(Codebook::migration()),
            id,
            title: None,
            date: None,
            source: None,
            url: None,
            meta: Map::new(),
            shares: vec![0.0; 4],
            framed_fraction: 0.0,
            dominant: None,
            present: Vec::new(),
            paragraphs: Vec::new(),
            evidence: BTreeMap::new(),
            terms: BTreeMap::new(),
            narratives: BTreeMap::new(),
            texts: Vec::new(),
        }
    }

    #[test]
    fn a_run_whose_documents_file_is_short_is_an_error_naming_it() {
        let d = tempfile::tempdir().unwrap();
        let mut w = ReportWriter::new(d.path(), false).unwrap();
        w.add_chunk(&[report("b".into()), report("a".into())])
            .unwrap();
        let run = w.add_chunk(&[report("c".into())]).unwrap().unwrap();
        let docs = run_docs_path(&run);
        let full = std::fs::read(&docs).unwrap();
        std::fs::write(&docs, &full[..full.len() - 3]).unwrap();
        let e = w
            .write_outputs(&Summary::default(), &Codebook::migration())
            .unwrap_err()
            .to_string();
        assert!(e.contains(&docs.display().to_string()), "{e}");
        assert!(e.contains("shorter than its index says"), "{e}");
        assert!(!d.path().join("documents.jsonl").exists());
    }

    #[test]
    fn many_runs_merge_in_passes_to_one_sorted_file() {
        let d = tempfile::tempdir().unwrap();
        let mut w = ReportWriter::new(d.path(), false).unwrap();
        let n = MERGE_FAN_IN * 2 + 7;
        for i in 0..n {
            // ids in an order unlike their chunk order
            let id = format!("d{:04}", (i * 37) % n);
            let r = report(id);
            w.add_chunk(&[r]).unwrap();
        }
        w.finish(&Summary::default(), &Codebook::migration())
            .unwrap();
        let docs = std::fs::read_to_string(d.path().join("documents.jsonl")).unwrap();
        let ids: Vec<String> = docs
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let want: Vec<String> = (0..n).map(|i| format!("d{i:04}")).collect();
        assert_eq!(ids, want);
        let csv = std::fs::read_to_string(d.path().join("summary.csv")).unwrap();
        assert_eq!(csv.lines().count(), n + 1);
        assert!(!d.path().join(CHECKPOINT_DIR).exists());
        assert_eq!(
            std::fs::read_to_string(d.path().join("errors.jsonl")).unwrap(),
            ""
        );
    }
}
