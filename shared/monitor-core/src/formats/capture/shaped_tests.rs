//! The shaped envelope scan ([`json::scan_envelope`]) against the general scan and lookups by
//! name: every line, of the usual shape or not, well formed or not, gives the same rows,
//! metadata and error either way (issue 16 item 2).

use proptest::prelude::*;

use super::*;

/// Everything a parse gives: the result (metadata or error), the rows' cells, and the
/// metadata kept for an error.
fn outcome(p: &mut CaptureParser, line: &[u8]) -> String {
    let mut rows = RowBatch::new();
    let r = p.parse_line_multi(line, &mut rows);
    let cells: Vec<Vec<Option<&str>>> = rows.iter().map(|row| row.iter().collect()).collect();
    format!("{r:?} | {cells:?} | {:?}", p.last_error_meta())
}

fn parsers(mapping: &CaptureMapping, window: bool) -> (CaptureParser, CaptureParser) {
    let mut shaped = CaptureParser::new(mapping).unwrap();
    if window {
        let hour = chrono::DateTime::parse_from_rfc3339("2024-03-01T23:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        shaped = shaped.inference_window(InferenceWindow::around_object_hour(hour));
    }
    let mut general = shaped.clone();
    general.shaped = false;
    (shaped, general)
}

/// A JSON string literal, escaped as a writer would (quotes, backslashes, controls).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// One member `"key":value` of an object, the key sometimes spelt with an escape.
fn member(key: &str, value: &str, escape_key: bool) -> String {
    let k = if escape_key && !key.is_empty() {
        // the same name, its first letter as a \u escape
        let mut chars = key.chars();
        let first = chars.next().unwrap();
        format!("\"\\u{:04x}{}\"", u32::from(first), chars.as_str())
    } else {
        quoted(key)
    };
    format!("{k}:{value}")
}

/// Values a member may hold: strings of every kind the envelope has, and the other JSON kinds.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(quoted("CSV")),
        2 => Just(quoted("1.5,2,x")),
        1 => Just(quoted("1.5,\"2\",x")),
        1 => Just(quoted("{\"a\":[1,2]}")),
        1 => Just(quoted("text/csv")),
        1 => Just(quoted("application/json")),
        1 => Just(quoted("2024-03-01T23:06:59Z")),
        1 => Just(quoted("ShadowExperiment")),
        1 => Just(quoted("MQ==")),
        1 => Just(quoted("BASE64")),
        1 => Just(quoted("JSON")),
        1 => Just(quoted("")),
        1 => Just("12".to_owned()),
        1 => Just("null".to_owned()),
        1 => Just("[\"a\"]".to_owned()),
        1 => Just("{}".to_owned()),
    ]
}

/// An object of members drawn from `names` (and a few others), in any order, some repeated.
fn object(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    let key = prop_oneof![
        6 => prop::sample::select(names.to_vec()),
        1 => Just("other"),
        1 => Just(""),
    ];
    prop::collection::vec((key, value(), prop::bool::weighted(0.05)), 0..6).prop_map(|ms| {
        let inner: Vec<String> = ms.iter().map(|(k, v, e)| member(k, v, *e)).collect();
        format!("{{{}}}", inner.join(","))
    })
}

const SIDE: &[&str] = &["data", "encoding", "observedContentType", "mode"];
const META: &[&str] = &[
    "eventId",
    "inferenceTime",
    "inferenceId",
    "invocationSource",
];

/// A capture line: usually the usual members with the usual kinds, sometimes not.
fn line() -> impl Strategy<Value = String> {
    let side = || {
        prop_oneof![
            12 => (prop::sample::select(vec!["1.5,2,x", "3,4,y", "1.5,\"2\",x", "a\tb,1,2"]),
                  prop::sample::select(vec!["CSV", "csv", "JSON", "BASE64", "XML"]),
                  prop::sample::select(vec!["text/csv", "application/json", "application/jsonlines"]))
                .prop_map(|(d, e, t)| format!(
                    "{{\"observedContentType\":{},\"mode\":\"INPUT\",\"data\":{},\"encoding\":{}}}",
                    quoted(t), quoted(d), quoted(e))),
            2 => object(SIDE),
            1 => value(),
        ]
    };
    let output = prop_oneof![
        4 => Just("{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"0.5\",\"encoding\":\"CSV\"}".to_owned()),
        1 => object(SIDE),
    ];
    let meta = prop_oneof![
        10 => prop::sample::select(vec![
            "{\"eventId\":\"e1\",\"inferenceTime\":\"2024-03-01T23:06:59Z\"}",
            "{\"eventId\":\"e2\",\"inferenceId\":\"i\",\"inferenceTime\":\"2024-03-01T23:59:59Z\"}",
            "{\"inferenceTime\":\"2024-03-02T03:00:00Z\",\"eventId\":\"e3\"}",
            "{\"eventId\":\"e4\",\"inferenceTime\":\"not a time\"}",
            "{\"eventId\":\"e5\",\"invocationSource\":\"ShadowExperiment\",\"inferenceTime\":\"2024-03-01T23:06:59Z\"}",
            "{\"eventId\":\"e6\"}",
            "{}",
        ]).prop_map(str::to_owned),
        2 => object(META),
        1 => value(),
    ];
    let extra = || prop::collection::vec((0usize..4, value()), 0..2);
    let capture = (side(), output, extra(), 0usize..6).prop_map(|(input, output, extra, order)| {
        let mut ms = vec![
            member("endpointInput", &input, false),
            member("endpointOutput", &output, false),
        ];
        for (i, v) in extra {
            ms.push(member(
                [
                    "endpointInput",
                    "batchTransformOutput",
                    "other",
                    "endpointOutput",
                ][i],
                &v,
                false,
            ));
        }
        let n = ms.len();
        ms.rotate_left(order % n);
        format!("{{{}}}", ms.join(","))
    });
    let capture = prop_oneof![12 => capture, 1 => value()];
    (
        capture,
        meta,
        extra(),
        0usize..6,
        prop::bool::weighted(0.05),
    )
        .prop_map(|(capture, meta, extra, order, escape)| {
            let mut ms = vec![
                member("captureData", &capture, escape),
                member("eventMetadata", &meta, false),
                member("eventVersion", "\"0\"", false),
            ];
            for (i, v) in extra {
                ms.push(member(
                    ["captureData", "eventMetadata", "eventVersion", "x"][i],
                    &v,
                    false,
                ));
            }
            let n = ms.len();
            ms.rotate_left(order % n);
            format!("{{{}}}", ms.join(","))
        })
}

/// A change to a line: none, a byte removed, replaced or inserted (a space, a quote, a
/// backslash, a control character, a comma), or the line cut short.
fn mutate(line: &str, kind: usize, at: usize, byte: u8) -> Vec<u8> {
    let mut b = line.as_bytes().to_vec();
    if b.is_empty() {
        return b;
    }
    let at = at % b.len();
    match kind {
        0 => {}
        1 => {
            b.remove(at);
        }
        2 => b[at] = byte,
        3 => b.insert(at, byte),
        _ => b.truncate(at),
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Shaped and general scans agree on generated lines and their mutations, for a mapping
    /// that reads both sides (output column count inferred, and fixed) and one that reads
    /// the input only, with and without an inference window.
    #[test]
    fn shaped_scan_gives_what_the_general_scan_gives(
        line in line(),
        kind in prop_oneof![3 => Just(0usize), 1 => 1usize..5],
        at in any::<usize>(),
        byte in prop::sample::select(vec![b' ', b'"', b'\\', 0x01, b',', b'}', b'{', b':']),
        window in any::<bool>(),
    ) {
        let text = mutate(&line, kind, at, byte);
        let both = CaptureMapping::new(["score", "a", "b", "c"]);
        let fixed = CaptureMapping { output_columns: Some(1), ..both.clone() };
        let input = CaptureMapping {
            sides: vec![CaptureSide::EndpointInput],
            ..CaptureMapping::new(["a", "b", "c"])
        };
        for mapping in [&both, &fixed, &input] {
            let (mut shaped, mut general) = parsers(mapping, window);
            prop_assert_eq!(
                outcome(&mut shaped, &text),
                outcome(&mut general, &text),
                "line {}", String::from_utf8_lossy(&text)
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// A parser reads a line through the layout of the line before when it has it ([`Layout`]):
    /// a line read again, and lines made from it by changing a byte anywhere (values longer,
    /// shorter, or holding a quote, an escape or a control character; names and punctuation
    /// broken), one after another, give what the general scan gives.
    #[test]
    fn lines_read_through_a_layout_give_what_the_general_scan_gives(
        line in line(),
        edits in prop::collection::vec(
            (
                prop_oneof![1 => Just(0usize), 4 => 1usize..5],
                any::<usize>(),
                prop::sample::select(vec![b'x', b'7', b' ', b'"', b'\\', 0x01, b',', b'}', b':']),
            ),
            1..5,
        ),
        window in any::<bool>(),
    ) {
        let both = CaptureMapping::new(["score", "a", "b", "c"]);
        let input = CaptureMapping {
            sides: vec![CaptureSide::EndpointInput],
            ..CaptureMapping::new(["a", "b", "c"])
        };
        for mapping in [&both, &input] {
            let (mut shaped, mut general) = parsers(mapping, window);
            let mut texts = vec![line.as_bytes().to_vec(), line.as_bytes().to_vec()];
            texts.extend(edits.iter().map(|&(kind, at, byte)| mutate(&line, kind, at, byte)));
            for text in &texts {
                prop_assert_eq!(
                    outcome(&mut shaped, text),
                    outcome(&mut general, text),
                    "line {} after {}", String::from_utf8_lossy(text), line
                );
            }
        }
    }
}

/// Generated lines read a second time mostly take the layout path, and lines whose values
/// changed do too (so the comparison above is not only between full scans).
#[test]
fn generated_lines_take_the_layout_path() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = line();
    let (mut shaped, mut again, mut changed) = (0, 0, 0);
    let n = 1000;
    for _ in 0..n {
        let text = strategy.new_tree(&mut runner).unwrap().current();
        let mut tape = Vec::new();
        let mut layout = json::Layout::default();
        if json::scan_envelope(&text, &mut tape, usize::MAX, &ENVELOPE_NAMES, &mut layout).is_none()
        {
            continue;
        }
        shaped += 1;
        let first = tape.clone();
        let before = layout.reads;
        if json::scan_envelope(&text, &mut tape, usize::MAX, &ENVELOPE_NAMES, &mut layout).is_some()
            && layout.reads > before
        {
            again += 1;
            assert_eq!(format!("{first:?}"), format!("{tape:?}"));
        }
        // the input's CSV values, longer
        let longer = text.replace("1.5,2,x", "1.5,2,xyz,12345");
        if longer != text {
            let before = layout.reads;
            if json::scan_envelope(&longer, &mut tape, usize::MAX, &ENVELOPE_NAMES, &mut layout)
                .is_some()
                && layout.reads > before
            {
                changed += 1;
            }
        }
    }
    assert!(
        again > shaped / 2,
        "{again} of {shaped} shaped lines read again by layout"
    );
    assert!(
        changed > shaped / 20,
        "{changed} of {shaped} lines with longer values read by layout"
    );
}

/// The line of the bench data takes the shaped path, and gives its rows.
#[test]
fn the_usual_line_is_scanned_shaped() {
    let line = r#"{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"42.0,web,3","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT","data":"0.659491","encoding":"CSV"}},"eventMetadata":{"eventId":"fb4f60d8","inferenceTime":"2024-03-01T23:06:59Z"},"eventVersion":"0"}"#;
    let mut tape = Vec::new();
    let found = json::scan_envelope(
        line,
        &mut tape,
        usize::MAX,
        &ENVELOPE_NAMES,
        &mut json::Layout::default(),
    )
    .unwrap();
    let doc = json::Doc {
        text: line,
        tape: &tape,
    };
    let raw = |t: Option<usize>| doc.raw(t.unwrap());
    assert_eq!(raw(found.metadata[0]), "2024-03-01T23:06:59Z");
    assert_eq!(raw(found.metadata[2]), "fb4f60d8");
    assert_eq!(found.metadata[1], None);
    let input = CaptureSide::EndpointInput.index();
    assert_eq!(raw(found.side[input][0]), "42.0,web,3");
    assert_eq!(raw(found.side[input][2]), "text/csv");
    // only what the parser reads is on the tape: root, metadata, time, id, capture, two sides
    // with three values each
    assert_eq!(tape.len(), 1 + 3 + 1 + 2 * 4);
    // the general scan's tape length is the cap the shaped scan honours
    let mut full = Vec::new();
    json::parse(line, &mut full, false).unwrap();
    assert!(json::scan_envelope(
        line,
        &mut tape,
        full.len(),
        &ENVELOPE_NAMES,
        &mut json::Layout::default()
    )
    .is_some());
    assert!(json::scan_envelope(
        line,
        &mut tape,
        full.len() - 1,
        &ENVELOPE_NAMES,
        &mut json::Layout::default()
    )
    .is_none());

    let (mut shaped, _) = parsers(
        &CaptureMapping::new(["score", "age", "channel", "n"]),
        false,
    );
    let mut rows = RowBatch::new();
    shaped.parse_line_multi(line.as_bytes(), &mut rows).unwrap();
    let cells: Vec<Option<&str>> = rows.iter().next().unwrap().iter().collect();
    assert_eq!(
        cells,
        [Some("0.659491"), Some("42.0"), Some("web"), Some("3")]
    );
}

/// The generated lines exercise both paths: many take the shaped scan, and among those many
/// give rows and many an error (so the comparison above is not between two fallbacks).
#[test]
fn generated_lines_take_both_paths() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = line();
    let (mut shaped, _) = parsers(&CaptureMapping::new(["score", "a", "b", "c"]), false);
    let (mut taken, mut rows_out, mut errors) = (0, 0, 0);
    let n = 2000;
    for _ in 0..n {
        let text = strategy.new_tree(&mut runner).unwrap().current();
        let mut tape = Vec::new();
        if json::scan_envelope(
            &text,
            &mut tape,
            usize::MAX,
            &ENVELOPE_NAMES,
            &mut json::Layout::default(),
        )
        .is_some()
        {
            taken += 1;
            let mut rows = RowBatch::new();
            match shaped.parse_line_multi(text.as_bytes(), &mut rows) {
                Ok(_) if !rows.is_empty() => rows_out += 1,
                Ok(_) => {}
                Err(_) => errors += 1,
            }
        }
    }
    assert!(taken > n / 5, "{taken} of {n} lines took the shaped scan");
    assert!(
        rows_out > taken / 5,
        "{rows_out} of {taken} shaped lines gave rows"
    );
    assert!(
        errors > taken / 5,
        "{errors} of {taken} shaped lines were bad records"
    );
}
