//! A writer that keeps small encodings in memory and moves large ones to a temporary file
//! ([`crate::store::StateFile::to_body`]): ingest's peak memory is then the state itself, not
//! the state plus its JSON (which a growing `Vec` may hold twice over while it reallocates).
//! An object whose records span an hour holds one profile per minute; at a million records its
//! partial profile is tens of MB of JSON (issue 16 item 3: ingest of any object in flat memory).

use std::io::{BufWriter, Write};

use crate::store::Body;

/// Encodings up to this size stay in memory (a capture object of a minute gives a partial
/// profile of a few hundred KB); larger ones go to a temporary file.
pub const SPILL_AFTER_BYTES: usize = 1 << 20;

/// Buffer of the temporary file's writer.
const FILE_BUFFER_BYTES: usize = 64 << 10;

/// [`Write`] into memory up to a limit, then into a temporary file (deleted on drop).
#[derive(Debug)]
pub struct SpillWriter {
    limit: usize,
    bytes: Vec<u8>,
    file: Option<BufWriter<tempfile::NamedTempFile>>,
}

impl SpillWriter {
    /// A writer that keeps up to `limit` bytes in memory.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            bytes: Vec::new(),
            file: None,
        }
    }

    /// Everything written: [`Body::Bytes`] within the limit, else [`Body::File`].
    ///
    /// # Errors
    /// The temporary file's write errors.
    pub fn finish(self) -> std::io::Result<Body> {
        match self.file {
            None => Ok(Body::Bytes(self.bytes)),
            Some(file) => Ok(Body::File(file.into_inner().map_err(|e| e.into_error())?)),
        }
    }
}

impl Write for SpillWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(file) = self.file.as_mut() {
            return file.write(buf);
        }
        if self.bytes.len() + buf.len() <= self.limit {
            self.bytes.extend_from_slice(buf);
            return Ok(buf.len());
        }
        let mut file = BufWriter::with_capacity(FILE_BUFFER_BYTES, tempfile::NamedTempFile::new()?);
        file.write_all(&std::mem::take(&mut self.bytes))?;
        file.write_all(buf)?;
        self.file = Some(file);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StateFile;

    fn body_bytes(body: Body) -> (bool, Vec<u8>) {
        match body {
            Body::Bytes(b) => (false, b),
            Body::File(f) => (true, std::fs::read(f.path()).unwrap()),
        }
    }

    #[test]
    fn small_writes_stay_in_memory_and_large_ones_spill_with_the_same_bytes() {
        let mut w = SpillWriter::new(10);
        w.write_all(b"0123").unwrap();
        w.write_all(b"456789").unwrap(); // exactly the limit: still in memory
        assert_eq!(
            body_bytes(w.finish().unwrap()),
            (false, b"0123456789".to_vec())
        );

        let mut w = SpillWriter::new(10);
        w.write_all(b"0123456").unwrap();
        w.write_all(b"789A").unwrap(); // passes the limit: everything moves to the file
        w.write_all(b"BC").unwrap();
        assert_eq!(
            body_bytes(w.finish().unwrap()),
            (true, b"0123456789ABC".to_vec())
        );
    }

    #[test]
    fn to_body_is_to_json_in_memory_or_in_a_file() {
        use crate::data_quality::consume::{
            PartialProfile, PARTIAL_PROFILE_FORMAT, PARTIAL_PROFILE_VERSION,
        };
        let small = PartialProfile {
            format: PARTIAL_PROFILE_FORMAT.into(),
            version: PARTIAL_PROFILE_VERSION,
            monitor: "m".into(),
            source: "s".into(),
            lines: 3,
            minutes: Vec::new(),
        };
        let json = small.to_json().unwrap();
        assert_eq!(body_bytes(small.to_body().unwrap()), (false, json.clone()));
        // the same state past the limit (a source name longer than SPILL_AFTER_BYTES)
        let large = PartialProfile {
            source: "x".repeat(SPILL_AFTER_BYTES + 1),
            ..small
        };
        let (spilled, bytes) = body_bytes(large.to_body().unwrap());
        assert!(spilled);
        assert_eq!(bytes, large.to_json().unwrap());
    }
}
