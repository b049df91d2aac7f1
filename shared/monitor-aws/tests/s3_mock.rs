//! S3Store against mocked S3 responses (aws-smithy-mocks) and, for the truncated-body case,
//! a loopback HTTP server that closes the connection mid-body.

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use aws_sdk_s3::operation::put_object::PutObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::error::NoSuchKey;
use aws_sdk_s3::types::Object;
use aws_sdk_s3::Client;
use aws_smithy_mocks::{mock, RuleMode};
use common::{http, mocked_s3, s3_error_xml, test_sdk_config};
use monitor_aws::{s3_client, S3Store, MAX_ATTEMPTS};
use monitor_core::store::ObjectStore;
use monitor_core::CoreError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BUCKET: &str = "test-bucket";

fn store(client: Client) -> S3Store {
    S3Store::new(client, BUCKET)
}

#[tokio::test]
async fn get_returns_the_body_of_the_requested_key() {
    let rule = mock!(Client::get_object)
        .match_requests(|r| r.bucket() == Some(BUCKET) && r.key() == Some("config/monitors/m.json"))
        .then_output(|| {
            GetObjectOutput::builder()
                .content_length(13)
                .body(ByteStream::from_static(b"{\"name\":\"m\"}\n"))
                .build()
        });
    let s3 = store(mocked_s3(RuleMode::Sequential, &[&rule]));
    let bytes = s3.get("config/monitors/m.json").await.unwrap();
    assert_eq!(bytes, b"{\"name\":\"m\"}\n");
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn reader_streams_a_multi_chunk_body() {
    // A file-backed ByteStream yields 4 KiB chunks: the reader must hand them out one by one
    // (a first read of a large buffer sees at most one chunk), and all bytes in order.
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let path = std::env::temp_dir().join(format!("monitor-aws-chunks-{}.bin", std::process::id()));
    std::fs::write(&path, &data).unwrap();
    let body = ByteStream::read_from()
        .path(&path)
        .buffer_size(4096)
        .build()
        .await
        .unwrap();
    let slot = Arc::new(Mutex::new(Some(body)));
    let rule = mock!(Client::get_object).then_output(move || {
        GetObjectOutput::builder()
            .content_length(100_000)
            .body(slot.lock().unwrap().take().expect("one call"))
            .build()
    });
    let s3 = store(mocked_s3(RuleMode::Sequential, &[&rule]));
    let mut reader = s3.reader("data-capture/ep/big.jsonl").await.unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let first = reader.read(&mut buf).await.unwrap();
    assert!(
        first > 0 && first <= 4096,
        "first read returned {first} bytes"
    );
    let mut got = buf[..first].to_vec();
    let mut reads = 1;
    loop {
        let n = reader.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        reads += 1;
    }
    assert_eq!(got, data);
    assert!(reads >= 100_000 / 4096, "only {reads} reads");
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn no_such_key_is_not_found() {
    let modeled = mock!(Client::get_object)
        .then_error(|| GetObjectError::NoSuchKey(NoSuchKey::builder().message("gone").build()));
    let s3 = store(mocked_s3(RuleMode::Sequential, &[&modeled]));
    match s3.get("state/m.json").await {
        Err(CoreError::NotFound { key }) => assert_eq!(key, "state/m.json"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(modeled.num_calls(), 1, "NotFound must not be retried");

    // The same from the wire: S3's XML error, and a bare 404 as HeadObject-like responses have.
    let wire = mock!(Client::get_object)
        .sequence()
        .http_response(|| {
            http(
                404,
                &s3_error_xml("NoSuchKey", "The specified key does not exist."),
            )
        })
        .http_response(|| http(404, ""))
        .build();
    let s3 = store(mocked_s3(RuleMode::Sequential, &[&wire]));
    assert!(matches!(s3.get("a").await, Err(CoreError::NotFound { key }) if key == "a"));
    assert!(matches!(s3.reader("b").await, Err(CoreError::NotFound { key }) if key == "b"));
}

#[tokio::test]
async fn missing_bucket_and_access_denied_are_io_errors_with_the_service_message() {
    let rule = mock!(Client::get_object)
        .sequence()
        .http_response(|| {
            http(
                404,
                &s3_error_xml("NoSuchBucket", "The specified bucket does not exist"),
            )
        })
        .http_response(|| http(403, &s3_error_xml("AccessDenied", "Access Denied")))
        .build();
    let s3 = store(mocked_s3(RuleMode::Sequential, &[&rule]));
    match s3.get("k").await {
        Err(CoreError::Io { key, source }) => {
            assert_eq!(key, "k");
            let msg = source.to_string();
            assert!(
                msg.contains("NoSuchBucket") && msg.contains("s3://test-bucket/k"),
                "{msg}"
            );
        }
        other => panic!("expected Io, got {other:?}"),
    }
    match s3.get("k").await {
        Err(CoreError::Io { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::PermissionDenied);
            assert!(
                source.to_string().contains("AccessDenied: Access Denied"),
                "{source}"
            );
        }
        other => panic!("expected Io, got {other:?}"),
    }
}

#[tokio::test]
async fn throttling_is_retried_then_succeeds() {
    let rule = mock!(Client::get_object)
        .sequence()
        .http_response(|| {
            http(
                503,
                &s3_error_xml("SlowDown", "Please reduce your request rate."),
            )
        })
        .output(|| {
            GetObjectOutput::builder()
                .body(ByteStream::from_static(b"ok"))
                .build()
        })
        .build();
    let s3 = store(mocked_s3(RuleMode::Sequential, &[&rule]));
    assert_eq!(s3.get("k").await.unwrap(), b"ok");
    assert_eq!(rule.num_calls(), 2, "one SlowDown, one retry");
}

#[tokio::test]
async fn persistent_throttling_is_transient_after_all_attempts() {
    let attempts = MAX_ATTEMPTS as usize;
    let rule = mock!(Client::put_object)
        .sequence()
        .http_response(|| {
            http(
                503,
                &s3_error_xml("SlowDown", "Please reduce your request rate."),
            )
        })
        .times(attempts)
        .build();
    let s3 = store(mocked_s3(RuleMode::Sequential, &[&rule]));
    match s3.put("reports/x.json", b"{}".to_vec()).await {
        Err(CoreError::Transient { key, message }) => {
            assert_eq!(key, "reports/x.json");
            assert!(
                message.contains("SlowDown") && message.contains("PutObject"),
                "{message}"
            );
        }
        other => panic!("expected Transient, got {other:?}"),
    }
    assert_eq!(rule.num_calls(), attempts);

    // A 500 without a code is transient too.
    let rule = mock!(Client::get_object)
        .sequence()
        .http_response(|| http(500, ""))
        .times(attempts)
        .build();
    let s3 = store(mocked_s3(RuleMode::Sequential, &[&rule]));
    assert!(matches!(
        s3.get("k").await,
        Err(CoreError::Transient { .. })
    ));
    assert_eq!(rule.num_calls(), attempts);
}

#[tokio::test]
async fn body_shorter_than_content_length_is_a_reader_error() {
    let rule = mock!(Client::get_object).then_output(|| {
        GetObjectOutput::builder()
            .content_length(100)
            .body(ByteStream::from_static(b"0123456789"))
            .build()
    });
    let s3 = store(mocked_s3(RuleMode::MatchAny, &[&rule]));
    let mut reader = s3.reader("data-capture/f.jsonl").await.unwrap();
    let mut got = Vec::new();
    let err = reader.read_to_end(&mut got).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    assert!(
        err.to_string()
            .contains("s3://test-bucket/data-capture/f.jsonl")
            && err.to_string().contains("10 of 100"),
        "{err}"
    );
    // `get` reports the same as an Io error on the key.
    match s3.get("data-capture/f.jsonl").await {
        Err(CoreError::Io { key, source }) => {
            assert_eq!(key, "data-capture/f.jsonl");
            assert_eq!(source.kind(), std::io::ErrorKind::UnexpectedEof);
        }
        other => panic!("expected Io, got {other:?}"),
    }
}

#[tokio::test]
async fn connection_closed_mid_body_is_a_reader_error() {
    // A loopback "S3" that promises 1000 bytes, sends 100 and closes the connection: the real
    // HTTP client (not a mock) sees the stream fail mid-body.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = sock.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        sock.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: application/octet-stream\r\n\r\n",
        )
        .await
        .unwrap();
        sock.write_all(&[b'x'; 100]).await.unwrap();
        sock.shutdown().await.unwrap();
        String::from_utf8_lossy(&request).into_owned()
    });

    let conf = test_sdk_config(Some(&format!("http://{addr}")));
    let s3 = store(s3_client(&conf, true));
    let mut reader = s3.reader("dir/file.jsonl").await.unwrap();
    let mut got = Vec::new();
    let err = reader.read_to_end(&mut got).await.unwrap_err();
    assert!(got.len() <= 100, "{} bytes", got.len());
    let text = err.to_string();
    assert!(text.contains("s3://test-bucket/dir/file.jsonl"), "{text}");
    assert!(
        text.contains(&format!("failed after {} bytes", got.len())),
        "{text}"
    );

    let request = server.await.unwrap();
    assert!(
        request.starts_with("GET /test-bucket/dir/file.jsonl"),
        "path-style request expected: {request}"
    );
}

#[tokio::test]
async fn list_collects_every_page_sorted() {
    // 1000 + 1000 + 500 keys; the pages come back out of order to show the final sort.
    fn page(range: std::ops::Range<u32>, next: Option<&str>) -> ListObjectsV2Output {
        let objects = range
            .map(|i| Object::builder().key(format!("data/{i:05}.jsonl")).build())
            .collect();
        ListObjectsV2Output::builder()
            .set_contents(Some(objects))
            .is_truncated(next.is_some())
            .set_next_continuation_token(next.map(str::to_string))
            .build()
    }
    let prefix_ok = |r: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Input| {
        r.bucket() == Some(BUCKET) && r.prefix() == Some("data/")
    };
    let first = mock!(Client::list_objects_v2)
        .match_requests(move |r| prefix_ok(r) && r.continuation_token().is_none())
        .then_output(|| page(1500..2500, Some("t1")));
    let second = mock!(Client::list_objects_v2)
        .match_requests(move |r| prefix_ok(r) && r.continuation_token() == Some("t1"))
        .then_output(|| page(0..1000, Some("t2")));
    let third = mock!(Client::list_objects_v2)
        .match_requests(move |r| prefix_ok(r) && r.continuation_token() == Some("t2"))
        .then_output(|| page(1000..1500, None));
    let s3 = store(mocked_s3(RuleMode::MatchAny, &[&first, &second, &third]));
    let keys = s3.list("data/").await.unwrap();
    let expected: Vec<String> = (0..2500).map(|i| format!("data/{i:05}.jsonl")).collect();
    assert_eq!(keys.len(), 2500);
    assert_eq!(keys, expected);
    assert_eq!(
        (first.num_calls(), second.num_calls(), third.num_calls()),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn list_rejects_a_truncated_page_without_token() {
    let rule = mock!(Client::list_objects_v2).then_output(|| {
        ListObjectsV2Output::builder()
            .set_contents(Some(vec![Object::builder().key("a").build()]))
            .is_truncated(true)
            .build()
    });
    let s3 = store(mocked_s3(RuleMode::MatchAny, &[&rule]));
    match s3.list("").await {
        Err(CoreError::Io { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::InvalidData);
            assert!(
                source.to_string().contains("continuation token"),
                "{source}"
            );
        }
        other => panic!("expected Io, got {other:?}"),
    }
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn put_sends_key_and_body() {
    /// bucket, key, body, Content-Length of one PutObject
    type Sent = (String, String, Vec<u8>, Option<i64>);
    let seen: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let record = Arc::clone(&seen);
    let rule = mock!(Client::put_object).then_compute_output(move |r| {
        record.lock().unwrap().push((
            r.bucket().unwrap_or_default().to_string(),
            r.key().unwrap_or_default().to_string(),
            r.body().bytes().unwrap_or_default().to_vec(),
            r.content_length(),
        ));
        PutObjectOutput::builder().build()
    });
    let s3 = store(mocked_s3(RuleMode::MatchAny, &[&rule]));
    s3.put("baselines/m/statistics.json", b"{\"version\":0.0}".to_vec())
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(
        *seen,
        vec![(
            BUCKET.to_string(),
            "baselines/m/statistics.json".to_string(),
            b"{\"version\":0.0}".to_vec(),
            Some(15)
        )]
    );
}

/// Issue 11: large state (the prediction index) is uploaded from its spill file, streamed:
/// the request carries the file's length and a body that is not held in memory.
#[tokio::test]
async fn put_file_streams_the_file_with_its_length() {
    /// key, Content-Length, whether the body was in memory
    type Sent = (String, Option<i64>, bool);
    let seen: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let record = Arc::clone(&seen);
    let rule = mock!(Client::put_object).then_compute_output(move |r| {
        record.lock().unwrap().push((
            r.key().unwrap_or_default().to_string(),
            r.content_length(),
            r.body().bytes().is_some(),
        ));
        PutObjectOutput::builder().build()
    });
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let path =
        std::env::temp_dir().join(format!("monitor-aws-put-file-{}.bin", std::process::id()));
    std::fs::write(&path, &data).unwrap();
    let s3 = store(mocked_s3(RuleMode::MatchAny, &[&rule]));
    s3.put_file("state/predictions/m/x.json", &path)
        .await
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(
        *seen,
        vec![(
            "state/predictions/m/x.json".to_string(),
            Some(data.len() as i64),
            false
        )]
    );
}
