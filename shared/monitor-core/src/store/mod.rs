//! The object-store port and its local adapters.
//!
//! One key layout serves every adapter (see the architecture): `config/monitors/{m}.json`,
//! `baselines/{m}/…`, `data-capture/…`, `ground-truth/…`, `state/…`, `reports/…`. The local
//! directory adapter is the embedded default (CLI, demo, tests); the S3 adapter lives in the
//! `monitor-aws` crate so that this crate stays free of the AWS SDK.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::CoreError;

/// One of our state files: a JSON document that names its format (and, for most kinds, a
/// layout version). Decoding checks both; encoding is compact JSON, so the same state always
/// gives the same bytes and a replayed event rewrites an identical object.
pub trait StateFile: serde::Serialize + serde::de::DeserializeOwned {
    /// The format tag every file of this kind carries.
    const FORMAT: &'static str;
    /// The layout version it must carry; `None` when the format tag alone identifies it.
    const VERSION: Option<u32>;

    /// The format tag and layout version the decoded file carries.
    fn tag(&self) -> (&str, u32);

    /// What the state was built from (the key named when encoding fails).
    fn source(&self) -> &str;

    /// Decodes a state file, checking its format tag and layout version.
    ///
    /// # Errors
    /// [`CoreError::State`] naming `key`, for malformed JSON or a foreign format or version.
    fn from_json(key: &str, bytes: &[u8]) -> Result<Self, CoreError> {
        let value: Self = serde_json::from_slice(bytes).map_err(|e| CoreError::State {
            key: key.into(),
            message: e.to_string(),
        })?;
        let (found, found_version) = value.tag();
        if found != Self::FORMAT || Self::VERSION.is_some_and(|v| v != found_version) {
            let expected = Self::VERSION.map_or_else(
                || Self::FORMAT.to_owned(),
                |v| format!("{} {v}", Self::FORMAT),
            );
            return Err(CoreError::State {
                key: key.into(),
                message: format!("format {found} version {found_version} (expected {expected})"),
            });
        }
        Ok(value)
    }

    /// Encodes it (compact JSON; the same bytes for the same state).
    ///
    /// Nothing non-finite is ever persisted: serde_json would write `NaN` or `±inf` as
    /// `null`, and the file would then fail to decode on every later read (issue 11), so the
    /// state is checked first and refused whole.
    ///
    /// # Errors
    /// [`CoreError::NonFiniteState`] naming the state's source and the field path of the
    /// first non-finite float; [`CoreError::State`] if serialisation fails.
    fn to_json(&self) -> Result<Vec<u8>, CoreError> {
        check_finite(self)?;
        serde_json::to_vec(self).map_err(|e| CoreError::State {
            key: self.source().to_owned(),
            message: e.to_string(),
        })
    }

    /// [`StateFile::to_json`]'s bytes as a [`Body`]: in memory up to
    /// [`spill::SPILL_AFTER_BYTES`], else streamed into a temporary file, so a large state
    /// (an object's minute profiles over an hour) is never held twice, as its structure and
    /// as its encoding (issue 16 item 3).
    ///
    /// # Errors
    /// As [`StateFile::to_json`]; [`CoreError::Io`] if the temporary file cannot be written.
    fn to_body(&self) -> Result<Body, CoreError> {
        encode_body(self, self.source())
    }
}

/// [`StateFile::to_body`] of any serialisable form of a state (e.g. one that streams parts
/// of it from disk while it is written: [`crate::data_quality::minute_spill`]); `source`
/// is named when encoding fails.
///
/// # Errors
/// As [`StateFile::to_body`].
pub fn encode_body<T: serde::Serialize + ?Sized>(
    value: &T,
    source: &str,
) -> Result<Body, CoreError> {
    check_finite_at(value, source)?;
    let mut out = spill::SpillWriter::new(spill::SPILL_AFTER_BYTES);
    serde_json::to_writer(&mut out, value).map_err(|e| CoreError::State {
        key: source.to_owned(),
        message: e.to_string(),
    })?;
    out.finish().map_err(|e| io_err(source, e))
}

/// Whether every float of `value` is finite (so its JSON reads back as the same value).
pub fn is_finite_state<T: serde::Serialize + ?Sized>(value: &T) -> bool {
    finite::check(value).is_ok()
}

/// Refuses a state with a non-finite float ([`StateFile::to_json`]).
fn check_finite<T: StateFile>(state: &T) -> Result<(), CoreError> {
    check_finite_at(state, state.source())
}

/// [`check_finite`] of any serialisable value, naming `source`.
fn check_finite_at<T: serde::Serialize + ?Sized>(state: &T, source: &str) -> Result<(), CoreError> {
    let Err(found) = finite::check(state) else {
        return Ok(());
    };
    if found.path.is_empty() {
        return Err(CoreError::State {
            key: source.to_owned(),
            message: found.to_string(),
        });
    }
    Err(CoreError::NonFiniteState {
        key: source.to_owned(),
        field: found.path,
        value: found.value,
    })
}

/// A streaming body: bytes arrive in bounded chunks, never the whole object at once.
pub type ByteReader = Pin<Box<dyn AsyncRead + Send>>;

/// Capability: read, write and list objects by key.
///
/// Keys use `/` as separator on every adapter. `list` returns every key under a prefix in
/// ascending byte order, whatever the adapter's page size. `put` of the same bytes twice is
/// a no-op in effect (replays are safe).
pub trait ObjectStore: Send + Sync {
    /// Reads a whole (small) object: configs, baselines, state files.
    fn get(&self, key: &str) -> impl Future<Output = Result<Vec<u8>, CoreError>> + Send;
    /// Opens an object for streaming reads (capture files, datasets).
    fn reader(&self, key: &str) -> impl Future<Output = Result<ByteReader, CoreError>> + Send;
    /// Writes an object, replacing any previous version.
    fn put(&self, key: &str, body: Vec<u8>) -> impl Future<Output = Result<(), CoreError>> + Send;
    /// Lists every key under `prefix`, sorted ascending.
    fn list(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, CoreError>> + Send;
    /// Writes an object from the file at `path` (large state spilled to disk), replacing
    /// any previous version. The default reads the file into memory and calls
    /// [`ObjectStore::put`]; adapters that can stream a file override it.
    fn put_file(
        &self,
        key: &str,
        path: &Path,
    ) -> impl Future<Output = Result<(), CoreError>> + Send {
        async move {
            let body = tokio::fs::read(path).await.map_err(|e| io_err(key, e))?;
            self.put(key, body).await
        }
    }
    /// Writes a [`Body`]: bytes by [`ObjectStore::put`], a file by
    /// [`ObjectStore::put_file`].
    fn put_body(
        &self,
        key: &str,
        body: Body,
    ) -> impl Future<Output = Result<(), CoreError>> + Send {
        async move {
            match body {
                Body::Bytes(bytes) => self.put(key, bytes).await,
                Body::File(file) => self.put_file(key, file.path()).await,
            }
        }
    }
}

/// An object body to write: bytes in memory, or a temporary file holding them (state too
/// large to hold, deleted when the body is dropped).
#[derive(Debug)]
pub enum Body {
    /// the bytes
    Bytes(Vec<u8>),
    /// a file with the bytes
    File(tempfile::NamedTempFile),
}

/// Reads an object if it exists: `Ok(None)` on NotFound.
pub async fn get_optional<S: ObjectStore>(
    store: &S,
    key: &str,
) -> Result<Option<Vec<u8>>, CoreError> {
    match store.get(key).await {
        Ok(bytes) => Ok(Some(bytes)),
        Err(CoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A directory on the local file system used as an object store.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file path of `key`; rejects keys that would escape the root.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, CoreError> {
        let rel = Path::new(key);
        let safe = !key.is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_)));
        if !safe {
            return Err(CoreError::Config {
                field: "key".into(),
                value: key.into(),
                message: "store keys are relative paths without `..`".into(),
            });
        }
        Ok(self.root.join(rel))
    }
}

/// A unique temp name next to `path`: pid plus a process-wide counter, so two concurrent
/// writes of one key in one process never write into the same temp file.
fn temp_sibling(path: &Path) -> PathBuf {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    path.with_extension(format!(
        "{}.tmp-{}-{n}",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ))
}

fn io_err(key: &str, e: std::io::Error) -> CoreError {
    if e.kind() == std::io::ErrorKind::NotFound {
        CoreError::NotFound { key: key.into() }
    } else {
        CoreError::Io {
            key: key.into(),
            source: e,
        }
    }
}

impl ObjectStore for LocalStore {
    async fn get(&self, key: &str) -> Result<Vec<u8>, CoreError> {
        let path = self.path_of(key)?;
        tokio::fs::read(&path).await.map_err(|e| io_err(key, e))
    }

    async fn reader(&self, key: &str) -> Result<ByteReader, CoreError> {
        let path = self.path_of(key)?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| io_err(key, e))?;
        Ok(Box::pin(file))
    }

    async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), CoreError> {
        let path = self.path_of(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| io_err(key, e))?;
        }
        // Write to a sibling temp file then rename: readers never see half an object. The
        // name is unique per write (pid + a process-wide counter), so two concurrent puts
        // of one key in one process never write into the same temp file.
        let tmp = temp_sibling(&path);
        tokio::fs::write(&tmp, &body)
            .await
            .map_err(|e| io_err(key, e))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| io_err(key, e))
    }

    async fn put_file(&self, key: &str, source: &Path) -> Result<(), CoreError> {
        let path = self.path_of(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| io_err(key, e))?;
        }
        // streamed copy to a unique sibling temp file, then rename (as `put`)
        let tmp = temp_sibling(&path);
        tokio::fs::copy(source, &tmp)
            .await
            .map_err(|e| io_err(key, e))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| io_err(key, e))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, CoreError> {
        let root = self.root.clone();
        let prefix = prefix.to_string();
        let walk = tokio::task::spawn_blocking(move || list_dir(&root, &prefix));
        walk.await.map_err(|e| CoreError::Io {
            key: self.root.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?
    }
}

/// Walks the directory that holds `prefix` and returns matching keys, sorted.
fn list_dir(root: &Path, prefix: &str) -> Result<Vec<String>, CoreError> {
    // Start at the deepest directory fully named by the prefix, to avoid walking the tree.
    let dir_part = match prefix.rfind('/') {
        Some(i) => &prefix[..i],
        None => "",
    };
    let start = if dir_part.is_empty() {
        root.to_path_buf()
    } else {
        root.join(dir_part)
    };
    let mut out = Vec::new();
    let mut stack = vec![start];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(&dir.display().to_string(), e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| io_err(&dir.display().to_string(), e))?;
            let path = entry.path();
            let file_type = entry
                .file_type()
                .map_err(|e| io_err(&path.display().to_string(), e))?;
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let key = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if file_type.is_dir() {
                let with_slash = format!("{key}/");
                if with_slash.starts_with(prefix) || prefix.starts_with(&with_slash) {
                    stack.push(path);
                }
            } else if key.starts_with(prefix) {
                if !key.contains(".tmp-") {
                    out.push(key);
                } else if is_temp_name(&key) {
                    // an unfinished write (never listed); one that outlived any write is removed
                    remove_if_stale(&path, &entry);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Age after which a temp file of [`LocalStore::put`] is an orphan: its writer died between
/// write and rename (a crash, a killed process). No put takes this long, so
/// [`LocalStore::list`] removes older temp files under the prefix it lists.
pub const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Whether a key is a temp file of [`LocalStore::put`]: it ends in `.tmp-{pid}-{n}` (or
/// `.tmp-{pid}`, the older form).
fn is_temp_name(key: &str) -> bool {
    key.rsplit_once(".tmp-").is_some_and(|(_, tail)| {
        !tail.is_empty()
            && tail.split('-').count() <= 2
            && tail
                .split('-')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Removes the temp file at `path` when it is older than [`STALE_TEMP_AGE`]. Best effort:
/// a file another lister removed first, or any error, leaves it for the next listing.
fn remove_if_stale(path: &Path, entry: &std::fs::DirEntry) {
    let stale = entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > STALE_TEMP_AGE);
    if stale {
        let _ = std::fs::remove_file(path);
    }
}

/// An in-memory store for tests and for callers that want no file system.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    objects: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every object whose key starts with `prefix`, with its bytes, in key order: what a test
    /// compares between two runs.
    pub fn objects(&self, prefix: &str) -> Vec<(String, Vec<u8>)> {
        self.lock()
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        // A poisoned lock only means another test thread panicked; the map is still valid.
        self.objects.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ObjectStore for MemoryStore {
    async fn get(&self, key: &str) -> Result<Vec<u8>, CoreError> {
        self.lock()
            .get(key)
            .cloned()
            .ok_or_else(|| CoreError::NotFound { key: key.into() })
    }

    async fn reader(&self, key: &str) -> Result<ByteReader, CoreError> {
        let bytes = self.get(key).await?;
        Ok(Box::pin(std::io::Cursor::new(bytes)))
    }

    async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), CoreError> {
        self.lock().insert(key.to_string(), body);
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, CoreError> {
        Ok(self
            .lock()
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect())
    }
}

/// One line handed out by [`LineReader`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A complete line without its `\n` (and without a trailing `\r`).
    Ok(&'a [u8]),
    /// A line longer than the reader's limit; its bytes were skipped.
    TooLong {
        /// how many bytes the line had
        len: u64,
    },
}

/// Splits a byte stream into lines with bounded memory.
///
/// Memory is `chunk + max_line` bytes whatever the object size. Lines longer than
/// `max_line` are skipped and reported as [`Line::TooLong`], so one bad line never stops
/// the good ones after it.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    max_line: usize,
    line_no: u64,
    bytes_read: u64,
    started: bool,
}

/// The UTF-8 byte order mark some Windows tools write at the start of a text file.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// The first two bytes of every gzip member (RFC 1952 §2.3.1, ID1 ID2).
const GZIP_MAGIC: &[u8] = b"\x1F\x8B";

/// The error inside the [`std::io::Error`] (kind `InvalidData`) that [`LineReader`] returns
/// for an object that is not text: a gzip object would otherwise show as a few `non_utf8`
/// lines with no hint. Never retryable ([`CoreError::is_retryable`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the object is gzip-compressed (it starts with the gzip magic bytes 1f 8b); capture and ground-truth objects must be uncompressed JSON Lines")]
pub struct GzipObject;

/// Default limit on one line: 16 MiB (a capture record with a large JSON payload fits).
pub const DEFAULT_MAX_LINE: usize = 16 << 20;
const CHUNK: usize = 256 << 10;

impl<R: AsyncRead + Unpin> LineReader<R> {
    /// A reader with the default line limit.
    pub fn new(inner: R) -> Self {
        Self::with_max_line(inner, DEFAULT_MAX_LINE)
    }

    /// A reader that skips lines longer than `max_line` bytes.
    pub fn with_max_line(inner: R, max_line: usize) -> Self {
        Self {
            inner,
            buf: vec![0; CHUNK.max(1024)],
            start: 0,
            end: 0,
            eof: false,
            max_line: max_line.max(1),
            line_no: 0,
            bytes_read: 0,
            started: false,
        }
    }

    /// Looks at the first bytes once: skips a UTF-8 byte order mark (otherwise the first
    /// line would not parse and be lost) and refuses a gzip object with [`GzipObject`].
    async fn check_start(&mut self) -> std::io::Result<()> {
        self.started = true;
        while self.end - self.start < UTF8_BOM.len() && !self.eof {
            self.fill().await?;
        }
        let head = &self.buf[self.start..self.end];
        if head.starts_with(UTF8_BOM) {
            self.start += UTF8_BOM.len();
        } else if head.starts_with(GZIP_MAGIC) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                GzipObject,
            ));
        }
        Ok(())
    }

    /// 1-based number of the line last returned.
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    /// Bytes consumed from the stream so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    async fn fill(&mut self) -> std::io::Result<usize> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let grow = (self.buf.len() * 2).min(self.max_line + CHUNK);
            self.buf.resize(grow.max(self.buf.len() + 1), 0);
        }
        let n = self.inner.read(&mut self.buf[self.end..]).await?;
        if n == 0 {
            self.eof = true;
        }
        self.end += n;
        self.bytes_read += n as u64;
        Ok(n)
    }

    /// The next line, or `None` at the end of the stream. A final line without `\n` is
    /// returned too; empty lines are returned as empty slices. A UTF-8 byte order mark at
    /// the start of the stream is skipped.
    ///
    /// # Errors
    /// The stream's errors; an `InvalidData` error holding [`GzipObject`] when the stream
    /// starts with gzip's magic bytes.
    pub async fn next_line(&mut self) -> std::io::Result<Option<Line<'_>>> {
        if !self.started {
            self.check_start().await?;
        }
        let mut skipped: u64 = 0; // bytes of an over-long line already thrown away
        let mut scanned = 0usize; // bytes of the current window already searched for '\n'
        loop {
            let window = &self.buf[self.start + scanned..self.end];
            if let Some(pos) = memchr::memchr(b'\n', window) {
                let line_end = self.start + scanned + pos;
                let line_start = self.start;
                self.start = line_end + 1;
                self.line_no += 1;
                let len = (line_end - line_start) as u64 + skipped;
                if skipped > 0 || len as usize > self.max_line {
                    return Ok(Some(Line::TooLong { len }));
                }
                let mut line = &self.buf[line_start..line_end];
                if line.last() == Some(&b'\r') {
                    line = &line[..line.len() - 1];
                }
                return Ok(Some(Line::Ok(line)));
            }
            scanned = self.end - self.start;
            if scanned > self.max_line {
                // Too long: drop what we have and keep scanning for the end of this line.
                skipped += scanned as u64;
                self.start = self.end;
                scanned = 0;
            }
            if self.eof {
                if self.start == self.end && skipped == 0 {
                    return Ok(None);
                }
                let line_start = self.start;
                let line_end = self.end;
                self.start = self.end;
                self.line_no += 1;
                let len = (line_end - line_start) as u64 + skipped;
                if skipped > 0 || len as usize > self.max_line {
                    return Ok(Some(Line::TooLong { len }));
                }
                return Ok(Some(Line::Ok(&self.buf[line_start..line_end])));
            }
            self.fill().await?;
        }
    }
}

/// Whether `e` is [`LineReader`]'s refusal of a gzip object.
pub fn is_gzip_error(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<GzipObject>())
}

/// Reads every remaining byte of a reader (for small objects only).
pub async fn read_all(mut reader: ByteReader) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    reader.read_to_end(&mut out).await?;
    Ok(out)
}

/// Streams `reader` line by line into `push` (bounded memory); returns the line count.
///
/// # Errors
/// [`CoreError::BadObject`] naming `source` for a gzip object (nothing is pushed);
/// [`CoreError::Io`] naming `source` when the stream fails.
pub async fn for_each_line<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    source: &str,
    mut push: impl FnMut(u64, &Line<'_>),
) -> Result<u64, CoreError> {
    let mut lines = LineReader::new(reader);
    let mut line_no = 0u64;
    while let Some(line) = lines.next_line().await.map_err(|e| {
        if is_gzip_error(&e) {
            CoreError::BadObject {
                key: source.into(),
                message: GzipObject.to_string(),
            }
        } else {
            CoreError::Io {
                key: source.into(),
                source: e,
            }
        }
    })? {
        line_no += 1;
        push(line_no, &line);
    }
    Ok(line_no)
}

/// The guard of [`StateFile::to_json`]: walks a value through serde and stops at the first
/// non-finite float, naming its path (`minutes[0].profile.features[3].moments.sum`).
/// serde_json would write such a float as `null`, which no state file can be read back from.
mod finite;
pub mod spill;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Probe {
        format: String,
        source: String,
        minutes: Vec<ProbeMinute>,
        by_name: BTreeMap<String, Option<f32>>,
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    struct ProbeMinute {
        sum: f64,
    }

    impl StateFile for Probe {
        const FORMAT: &'static str = "probe";
        const VERSION: Option<u32> = None;
        fn tag(&self) -> (&str, u32) {
            (&self.format, 0)
        }
        fn source(&self) -> &str {
            &self.source
        }
    }

    fn probe(sum: f64, named: Option<f32>) -> Probe {
        Probe {
            format: "probe".into(),
            source: "data-capture/x.jsonl".into(),
            minutes: vec![ProbeMinute { sum: 1.0 }, ProbeMinute { sum }],
            by_name: [("age".to_owned(), named)].into_iter().collect(),
        }
    }

    /// Issue 11: serde_json writes a non-finite float as `null` and the state then never
    /// decodes again. The guard refuses it, naming the source and the field path.
    #[test]
    fn state_files_refuse_non_finite_floats_with_the_field_path() {
        assert!(probe(2.5, Some(1.0)).to_json().is_ok());
        assert!(probe(2.5, None).to_json().is_ok(), "a None is not a NaN");
        let e = probe(f64::INFINITY, None).to_json().unwrap_err();
        assert!(
            matches!(&e, CoreError::NonFiniteState { key, field, value }
                if key == "data-capture/x.jsonl" && field == "minutes[1].sum" && value.is_infinite()),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "refusing to write state of data-capture/x.jsonl: field minutes[1].sum is inf, not a finite number"
        );
        let e = probe(0.0, Some(f32::NAN)).to_json().unwrap_err();
        assert!(
            matches!(&e, CoreError::NonFiniteState { field, .. } if field == "by_name.age"),
            "{e:?}"
        );
    }

    /// Issue 11 item 8: the temp name was `{key}.tmp-{pid}`, so two puts of one key in one
    /// process wrote into the same temp file and could rename a torn mix. Each put now has
    /// its own temp file: whatever order they finish in, the object is one whole body.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_puts_of_one_key_never_tear() {
        let dir = std::env::temp_dir().join(format!("mw-store-tear-{}", std::process::id()));
        let store = LocalStore::new(&dir);
        let bodies: Vec<Vec<u8>> = (0..16u8).map(|i| vec![b'a' + i; 256 << 10]).collect();
        let mut tasks = Vec::new();
        for body in bodies.clone() {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.put("state/k.json", body).await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let got = store.get("state/k.json").await.unwrap();
        assert!(
            bodies.contains(&got),
            "the object is exactly one of the bodies written"
        );
        assert_eq!(store.list("state/").await.unwrap(), ["state/k.json"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Issue 11 item 8: temp files of a put whose process died before the rename were
    /// never removed. Listing now removes the ones older than [`STALE_TEMP_AGE`] under the
    /// listed prefix, and leaves a younger one (a write may be in flight) and any object
    /// that merely contains `.tmp-` in its name.
    #[tokio::test]
    async fn listing_removes_orphaned_temp_files_past_their_age() {
        let dir = std::env::temp_dir().join(format!("mw-store-orphans-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = LocalStore::new(&dir);
        store.put("state/k.json", b"{}".to_vec()).await.unwrap();
        let orphan = store.path_of("state/k.json.tmp-4242-7").unwrap();
        let old_form = store.path_of("state/j.json.tmp-4242").unwrap();
        let in_flight = store.path_of("state/k.json.tmp-4242-8").unwrap();
        let named_so = store.path_of("state/notes.tmp-draft.json").unwrap();
        let elsewhere = store.path_of("reports/r.json.tmp-4242-9").unwrap();
        std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
        let older =
            std::time::SystemTime::now() - STALE_TEMP_AGE - std::time::Duration::from_secs(60);
        for p in [&orphan, &old_form, &in_flight, &named_so, &elsewhere] {
            std::fs::write(p, b"half").unwrap();
            if p != &in_flight {
                std::fs::File::options()
                    .write(true)
                    .open(p)
                    .unwrap()
                    .set_modified(older)
                    .unwrap();
            }
        }
        assert_eq!(store.list("state/").await.unwrap(), ["state/k.json"]);
        assert!(
            !orphan.exists() && !old_form.exists(),
            "orphans past the age are removed"
        );
        assert!(
            in_flight.exists(),
            "a younger temp file may be a write in flight"
        );
        assert!(
            named_so.exists(),
            "not a temp file of put, only a name with .tmp-"
        );
        assert!(elsewhere.exists(), "outside the listed prefix");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Issue 11 item 8: a UTF-8 BOM made the first line unparsable; a gzip object showed as a
    /// few `non_utf8` lines.
    #[tokio::test]
    async fn a_bom_is_skipped_and_gzip_is_one_clear_error() {
        assert_eq!(
            lines_of(b"\xEF\xBB\xBF{\"a\":1}\n{\"b\":2}\n", 64).await,
            ["{\"a\":1}", "{\"b\":2}"]
        );
        assert_eq!(
            lines_of(b"\xEF\xBB", 64).await,
            ["\u{FFFD}"],
            "a lone half BOM is data"
        );
        // gzip of "x\n" (`printf 'x\n' | gzip -n | xxd`): starts with 1f 8b 08
        let gz: &[u8] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\xe0\x02\x00";
        let mut pushed = 0;
        let err = for_each_line(
            std::io::Cursor::new(gz.to_vec()),
            "data-capture/x.jsonl",
            |_, _| pushed += 1,
        )
        .await
        .unwrap_err();
        assert_eq!(pushed, 0);
        assert!(matches!(&err, CoreError::BadObject { key, .. } if key == "data-capture/x.jsonl"));
        assert!(err.to_string().contains("gzip"), "{err}");
        assert!(!err.is_retryable());
        let io = LineReader::new(std::io::Cursor::new(gz.to_vec()))
            .next_line()
            .await
            .map(|_| ())
            .unwrap_err();
        assert!(is_gzip_error(&io));
        let as_core = CoreError::Io {
            key: "k".into(),
            source: io,
        };
        assert!(!as_core.is_retryable(), "a gzip object is not retried");
    }

    async fn lines_of(data: &[u8], max: usize) -> Vec<String> {
        let mut r = LineReader::with_max_line(std::io::Cursor::new(data.to_vec()), max);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().await.unwrap() {
            out.push(match l {
                Line::Ok(b) => String::from_utf8_lossy(b).into_owned(),
                Line::TooLong { len } => format!("<too long {len}>"),
            });
        }
        out
    }

    #[tokio::test]
    async fn splits_lines_and_skips_over_long_ones() {
        let got = lines_of(b"a\r\nbb\n\nxxxxxxxxxx\ncc", 4).await;
        assert_eq!(got, vec!["a", "bb", "", "<too long 10>", "cc"]);
    }

    #[tokio::test]
    async fn long_line_across_many_chunks_is_one_error() {
        let mut data = vec![b'x'; 3 * CHUNK + 17];
        data.extend_from_slice(b"\nok\n");
        let got = lines_of(&data, 1000).await;
        assert_eq!(
            got,
            vec![format!("<too long {}>", 3 * CHUNK + 17), "ok".into()]
        );
    }

    #[tokio::test]
    async fn line_exactly_at_limit_is_kept() {
        let got = lines_of(b"abcd\nabcde\n", 4).await;
        assert_eq!(got, vec!["abcd", "<too long 5>"]);
    }

    #[tokio::test]
    async fn local_store_round_trip_and_list() {
        let dir = std::env::temp_dir().join(format!("mw-store-{}", std::process::id()));
        let store = LocalStore::new(&dir);
        store.put("a/b/c.json", b"1".to_vec()).await.unwrap();
        store.put("a/b/d.json", b"2".to_vec()).await.unwrap();
        store.put("a/x.json", b"3".to_vec()).await.unwrap();
        assert_eq!(store.get("a/b/c.json").await.unwrap(), b"1");
        assert_eq!(
            store.list("a/b/").await.unwrap(),
            vec!["a/b/c.json".to_string(), "a/b/d.json".into()]
        );
        assert_eq!(store.list("a/").await.unwrap().len(), 3);
        assert_eq!(
            store.list("a/b/c").await.unwrap(),
            vec!["a/b/c.json".to_string()]
        );
        assert!(matches!(
            store.get("a/none").await,
            Err(CoreError::NotFound { .. })
        ));
        assert!(store.path_of("../etc/passwd").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Bodies spilled to a file are written by every adapter with the file's exact bytes
    /// (the local store copies them to a unique temp name and renames; nothing is left).
    #[tokio::test]
    async fn file_bodies_are_written_whole_by_every_adapter() {
        let dir = std::env::temp_dir().join(format!("mw-store-file-{}", std::process::id()));
        let local = LocalStore::new(&dir);
        let memory = MemoryStore::new();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        for _ in 0..2 {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            std::io::Write::write_all(&mut file, &data).unwrap();
            local
                .put_body("s/p/x.json", Body::File(file))
                .await
                .unwrap();
        }
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, &data).unwrap();
        memory
            .put_body("s/p/x.json", Body::File(file))
            .await
            .unwrap();
        assert_eq!(local.get("s/p/x.json").await.unwrap(), data);
        assert_eq!(memory.get("s/p/x.json").await.unwrap(), data);
        let names: Vec<_> = std::fs::read_dir(dir.join("s/p")).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
        local
            .put_body("s/p/y.json", Body::Bytes(b"1".to_vec()))
            .await
            .unwrap();
        assert_eq!(local.get("s/p/y.json").await.unwrap(), b"1");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn memory_store_lists_by_prefix() {
        let store = MemoryStore::new();
        store.put("s/1", vec![1]).await.unwrap();
        store.put("s/2", vec![2]).await.unwrap();
        store.put("t/1", vec![3]).await.unwrap();
        assert_eq!(store.list("s/").await.unwrap(), vec!["s/1", "s/2"]);
        assert!(get_optional(&store, "zz").await.unwrap().is_none());
    }
}
