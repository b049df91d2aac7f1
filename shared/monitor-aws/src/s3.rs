//! [`S3Store`]: the S3 adapter of monitor-core's [`ObjectStore`] port.
//!
//! | port call | S3 API | notes |
//! | --- | --- | --- |
//! | [`ObjectStore::get`] | `GetObject` | body collected; for small objects (configs, baselines, state) |
//! | [`ObjectStore::reader`] | `GetObject` | body **streamed** chunk by chunk (`ByteStream::into_async_read`) |
//! | [`ObjectStore::put`] | `PutObject` | whole body in one request |
//! | [`ObjectStore::put_file`] | `PutObject` | body **streamed** from the file (`ByteStream::from_path`); up to 5 GiB, PutObject's limit (larger files are refused with an error naming the size, not sent as multipart) |
//! | [`ObjectStore::list`] | `ListObjectsV2` | every page (continuation tokens), keys sorted |
//!
//! Errors ([`CoreError`], after the SDK's retries of [`crate::retry_config`]):
//!
//! - `NoSuchKey`, `NotFound` or a bare HTTP 404 → [`CoreError::NotFound`] with the key;
//! - throttling (`SlowDown`, `Throttling…`, HTTP 429), HTTP 5xx, timeouts and connection
//!   failures → [`CoreError::Transient`];
//! - anything else (`NoSuchBucket`, `AccessDenied`, …) → [`CoreError::Io`] whose message
//!   names the operation, `s3://bucket/key` and the service's code and message
//!   (`PermissionDenied` kind for access errors).
//!
//! A body that ends before its `Content-Length`, or whose stream fails mid-way (connection
//! reset, stalled download, checksum mismatch), is an I/O error from the reader, never
//! silently short data.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use aws_config::SdkConfig;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use monitor_core::store::{ByteReader, ObjectStore};
use monitor_core::CoreError;
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

use crate::error::{classify, Class};

/// The S3 client configuration used by [`s3_client`]: `conf` (region, credentials,
/// endpoint, …), the retry policy of [`crate::retry_config`] and path-style addressing
/// when `force_path_style` is true (needed for emulators such as moto; see
/// [`crate::config`]). Tests add a mock HTTP client to it before building.
#[must_use]
pub fn s3_config(conf: &SdkConfig, force_path_style: bool) -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::from(conf)
        .retry_config(crate::config::retry_config())
        .force_path_style(force_path_style)
}

/// An S3 client with the crate's retry policy ([`s3_config`]).
#[must_use]
pub fn s3_client(conf: &SdkConfig, force_path_style: bool) -> Client {
    Client::from_conf(s3_config(conf, force_path_style).build())
}

/// An [`ObjectStore`] over one S3 bucket; store keys are the object keys.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
}

impl S3Store {
    /// A store over `bucket`, using `client` (build it once per process, e.g. with
    /// [`s3_client`]).
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The S3 client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn uri(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, key)
    }

    /// Maps an SDK error of `operation` on `key` to a [`CoreError`] (module docs);
    /// `modeled` is the class of the operation's modeled error variant, if it has one.
    fn error<E>(
        &self,
        operation: &str,
        key: &str,
        err: &SdkError<E, HttpResponse>,
        modeled: Option<Class>,
    ) -> CoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let failure = classify(err, modeled);
        let message = format!("{operation} {}: {}", self.uri(key), failure.message);
        match failure.class {
            Class::NotFound => CoreError::NotFound { key: key.into() },
            Class::Transient => {
                tracing::warn!(%message, "S3 request failed after retries");
                CoreError::Transient {
                    key: key.into(),
                    message: format!("{message} (after the SDK's retries)"),
                }
            }
            Class::Invalid | Class::Denied | Class::Other => CoreError::Io {
                key: key.into(),
                source: io::Error::new(failure.io_kind(), message),
            },
        }
    }

    /// `GetObject`, returning the body as a length-checked stream.
    async fn open(&self, key: &str) -> Result<CheckedBody, CoreError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                let modeled = e
                    .as_service_error()
                    .filter(|s| s.is_no_such_key())
                    .map(|_| Class::NotFound);
                self.error("GetObject", key, &e, modeled)
            })?;
        let expected = out.content_length().and_then(|n| u64::try_from(n).ok());
        Ok(CheckedBody {
            inner: Box::pin(out.body.into_async_read()),
            expected,
            read: 0,
            uri: self.uri(key),
        })
    }
}

/// Preallocation cap for [`ObjectStore::get`]: a `Content-Length` header never makes us
/// reserve more than this up front (the vector still grows to the real size).
const GET_PREALLOCATE_MAX: u64 = 8 << 20;

/// PutObject's size limit (5 GiB); larger objects need a multipart upload.
const PUT_OBJECT_MAX_BYTES: u64 = 5 << 30;

impl ObjectStore for S3Store {
    async fn get(&self, key: &str) -> Result<Vec<u8>, CoreError> {
        let mut body = self.open(key).await?;
        let capacity = body.expected.unwrap_or(0).min(GET_PREALLOCATE_MAX);
        let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        body.read_to_end(&mut bytes)
            .await
            .map_err(|source| CoreError::Io {
                key: key.into(),
                source,
            })?;
        Ok(bytes)
    }

    async fn reader(&self, key: &str) -> Result<ByteReader, CoreError> {
        Ok(Box::pin(self.open(key).await?))
    }

    async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), CoreError> {
        let len = i64::try_from(body.len()).unwrap_or(i64::MAX);
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(len)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| self.error("PutObject", key, &e, None))?;
        Ok(())
    }

    async fn put_file(&self, key: &str, path: &std::path::Path) -> Result<(), CoreError> {
        let io_err = |source: io::Error| CoreError::Io {
            key: key.into(),
            source,
        };
        let len = tokio::fs::metadata(path).await.map_err(io_err)?.len();
        if len > PUT_OBJECT_MAX_BYTES {
            return Err(io_err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "PutObject {}: {len} bytes exceed the single-request limit of {PUT_OBJECT_MAX_BYTES}",
                    self.uri(key)
                ),
            )));
        }
        // The body is read from the file as it is sent (and again on a retry), never held.
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| io_err(io::Error::other(e)))?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(i64::try_from(len).unwrap_or(i64::MAX))
            .body(body)
            .send()
            .await
            .map_err(|e| self.error("PutObject", key, &e, None))?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, CoreError> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0usize;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .set_prefix((!prefix.is_empty()).then(|| prefix.to_string()))
                .set_continuation_token(token.clone())
                .send()
                .await
                .map_err(|e| {
                    // NoSuchBucket is modeled here; it is a configuration error, not NotFound.
                    let modeled = e
                        .as_service_error()
                        .filter(|s| s.is_no_such_bucket())
                        .map(|_| Class::Other);
                    self.error("ListObjectsV2", prefix, &e, modeled)
                })?;
            pages += 1;
            keys.extend(
                out.contents()
                    .iter()
                    .filter_map(|o| o.key())
                    .map(str::to_string),
            );
            if out.is_truncated() != Some(true) {
                break;
            }
            // A truncated page must name a new token; anything else would loop forever.
            match out.next_continuation_token() {
                Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                    token = Some(next.to_string());
                }
                other => {
                    return Err(CoreError::Io {
                        key: prefix.into(),
                        source: io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "ListObjectsV2 {}: page {pages} is truncated but its \
                                 continuation token is {other:?}",
                                self.uri(prefix)
                            ),
                        ),
                    });
                }
            }
        }
        tracing::debug!(bucket = %self.bucket, prefix, pages, keys = keys.len(), "listed");
        keys.sort_unstable();
        Ok(keys)
    }
}

/// A response body that fails instead of ending early.
///
/// It counts the bytes it hands out and, when the underlying stream reports its end before
/// `Content-Length` bytes (or delivers more), returns an error. Stream errors get the
/// object's URI and the byte offset added to their message, keeping their kind.
struct CheckedBody {
    inner: Pin<Box<dyn AsyncRead + Send>>,
    expected: Option<u64>,
    read: u64,
    uri: String,
}

impl AsyncRead for CheckedBody {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match this.inner.as_mut().poll_read(cx, buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(io::Error::new(
                e.kind(),
                format!(
                    "{}: body stream failed after {} bytes: {}",
                    this.uri,
                    this.read,
                    error_chain(&e)
                ),
            ))),
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len() - before;
                this.read += n as u64;
                let at_eof = n == 0 && buf.remaining() > 0;
                match this.expected {
                    Some(expected) if this.read > expected => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "{}: body longer than its Content-Length {expected} ({} bytes read)",
                            this.uri, this.read
                        ),
                    ))),
                    Some(expected) if at_eof && this.read < expected => {
                        Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "{}: body truncated: {} of {expected} bytes (Content-Length)",
                                this.uri, this.read
                            ),
                        )))
                    }
                    _ => Poll::Ready(Ok(())),
                }
            }
        }
    }
}

/// `error: cause: cause …`, so the transport's reason (e.g. hyper's "end of file before
/// message length reached") is not lost behind the SDK's generic "streaming error".
fn error_chain(e: &io::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let next = c.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}

/// Decodes an object key from an S3 event notification.
///
/// S3 writes `s3.object.key` URL-encoded in the form style: a space is `+`, other reserved
/// bytes are `%XX` (UTF-8 bytes for non-ASCII), so `a b/c.jsonl` arrives as
/// `a+b%2Fc.jsonl` and `café` as `caf%C3%A9` (S3 User Guide, "Event message structure":
/// the object key is URL-encoded, `red flower.jpg` becoming `red+flower.jpg`, i.e.
/// `application/x-www-form-urlencoded`; moto encodes the same way, tooling notes §2).
/// Order: every `+` becomes a space first, then `%XX` sequences are decoded, so `%2B`
/// yields a literal `+`.
///
/// Malformed input is kept **literally** rather than rejected, because the result is
/// only used to read the object and a best-effort key produces a clear `NotFound` later:
/// a `%` not followed by two hex digits stays as typed (`100%` → `100%`, `%zz` → `%zz`),
/// and `%XX` runs that do not decode to valid UTF-8 keep their original text (`%FF` →
/// `%FF`) while the valid parts around them are decoded.
#[must_use]
pub fn decode_event_key(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        if escape_at(bytes, i).is_some() {
            // A maximal run of %XX escapes: decode it as one byte string.
            let start = i;
            let mut decoded = Vec::new();
            while let Some(b) = escape_at(bytes, i) {
                decoded.push(b);
                i += 3;
            }
            push_decoded_run(&mut out, &raw[start..i], &decoded);
        } else {
            // Copy one literal character (whole UTF-8 sequence), `+` as a space.
            let ch_len = raw[i..].chars().next().map_or(1, char::len_utf8);
            match &raw[i..i + ch_len] {
                "+" => out.push(' '),
                s => out.push_str(s),
            }
            i += ch_len;
        }
    }
    out
}

/// The byte of a `%XX` escape starting at `i`, if there is a valid one.
fn escape_at(bytes: &[u8], i: usize) -> Option<u8> {
    if bytes.get(i) != Some(&b'%') {
        return None;
    }
    let hi = hex_value(*bytes.get(i + 1)?)?;
    let lo = hex_value(*bytes.get(i + 2)?)?;
    Some(hi << 4 | lo)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Appends a decoded escape run; bytes that are not valid UTF-8 keep their escape text.
/// `original` is the run as written: 3 characters (`%XX`) per decoded byte.
fn push_decoded_run(out: &mut String, original: &str, decoded: &[u8]) {
    let mut offset = 0; // index into `decoded`
    for chunk in decoded.utf8_chunks() {
        out.push_str(chunk.valid());
        offset += chunk.valid().len();
        let invalid = chunk.invalid().len();
        out.push_str(&original[3 * offset..3 * (offset + invalid)]);
        offset += invalid;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_encoded_event_keys() {
        // Examples of S3's event key encoding (space as `+`, `/` and UTF-8 as %XX).
        assert_eq!(decode_event_key("a+b%2Fc.jsonl"), "a b/c.jsonl");
        assert_eq!(decode_event_key("caf%C3%A9"), "café");
        assert_eq!(decode_event_key("caf%c3%a9"), "café");
        assert_eq!(decode_event_key("100%25"), "100%");
        assert_eq!(decode_event_key("incoming%2Fa.csv"), "incoming/a.csv");
        assert_eq!(decode_event_key("1%2B1%3D2"), "1+1=2");
    }

    #[test]
    fn plain_keys_are_unchanged() {
        for key in [
            "",
            "data-capture/ep/AllTraffic/2024/01/02/03/file.jsonl",
            "k",
            "déjà/vu.json",
        ] {
            assert_eq!(decode_event_key(key), key);
        }
    }

    #[test]
    fn malformed_sequences_stay_literal() {
        assert_eq!(decode_event_key("100%"), "100%");
        assert_eq!(decode_event_key("a%zzb"), "a%zzb");
        assert_eq!(decode_event_key("a%4"), "a%4");
        // %FF is not UTF-8: kept as typed; the valid escapes around it are decoded.
        assert_eq!(decode_event_key("x%FFy"), "x%FFy");
        assert_eq!(decode_event_key("%C3%A9%ff%41"), "é%ffA");
        // a truncated multi-byte sequence
        assert_eq!(decode_event_key("caf%C3+x"), "caf%C3 x");
    }
}
