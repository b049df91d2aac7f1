//! Issue 11 item 7: the capture, ground-truth and monitor-config parsers on arbitrary bytes
//! and on mutated valid input. Bounded (a few hundred cases each, well under 20 s in a debug
//! build) so it runs with every `cargo test`; the same invariants
//! ([`monitor_core::robustness`]) are what the cargo-fuzz targets in `fuzz/` check for hours.

use monitor_core::robustness::seeds::{CAPTURE_CSV, CAPTURE_JSON, CONFIG, LABEL, SPLICES};
use monitor_core::robustness::{capture_object, ground_truth_object, monitor_config};
use proptest::prelude::*;

/// A valid text with a few edits: byte replacements, token splices and deletions.
fn mutated(base: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let edit = prop_oneof![
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| (i, 0u8, b)),
        (any::<prop::sample::Index>(), 0..SPLICES.len()).prop_map(|(i, s)| (i, 1u8, s as u8)),
        any::<prop::sample::Index>().prop_map(|i| (i, 2u8, 0)),
    ];
    proptest::collection::vec(edit, 0..5).prop_map(move |edits| {
        let mut b = base.as_bytes().to_vec();
        for (at, op, arg) in edits {
            if b.is_empty() {
                break;
            }
            let i = at.index(b.len());
            match op {
                0 => b[i] = arg,
                1 => {
                    let s = SPLICES[arg as usize].as_bytes();
                    b.splice(i..i, s.iter().copied());
                }
                _ => {
                    b.remove(i);
                }
            }
        }
        b
    })
}

/// An object of several lines, each valid or mutated, optionally behind a BOM.
fn object(base: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        prop::sample::select(base).prop_map(|s| s.as_bytes().to_vec()),
        prop::sample::select(base).prop_flat_map(mutated),
        proptest::collection::vec(any::<u8>(), 0..80),
    ];
    (any::<bool>(), proptest::collection::vec(line, 0..8)).prop_map(|(bom, lines)| {
        let mut out = if bom {
            b"\xEF\xBB\xBF".to_vec()
        } else {
            Vec::new()
        };
        for l in lines {
            out.extend_from_slice(&l);
            out.push(b'\n');
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn capture_objects_never_panic_and_every_line_is_counted(
        bytes in object(&[CAPTURE_CSV, CAPTURE_JSON])
    ) {
        let acc = capture_object(&bytes);
        prop_assert!(!acc.refused, "a text object is never refused whole");
    }

    #[test]
    fn capture_parser_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        capture_object(&bytes);
    }

    #[test]
    fn ground_truth_objects_never_panic_and_every_line_is_counted(bytes in object(&[LABEL])) {
        ground_truth_object(&bytes);
    }

    #[test]
    fn ground_truth_parser_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        ground_truth_object(&bytes);
    }

    #[test]
    fn monitor_configs_never_panic_and_round_trip(bytes in mutated(CONFIG)) {
        monitor_config(&bytes);
    }

    #[test]
    fn monitor_config_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        monitor_config(&bytes);
    }
}

/// The valid inputs are accepted (so the mutations above start from something that parses),
/// and the poison values of issue 11 are counted, not parsed.
#[test]
fn the_seeds_parse_and_poison_is_counted() {
    let two = format!("{CAPTURE_CSV}\n\n{CAPTURE_JSON}\n");
    let acc = capture_object(two.as_bytes());
    assert_eq!(
        (acc.lines, acc.parsed, acc.blank, acc.bad.total()),
        (3, 2, 1, 0)
    );
    assert!(monitor_config(CONFIG.as_bytes()));
    let poisoned = LABEL.replace("\"1\"", "\"1e200\"");
    let acc = ground_truth_object(format!("{LABEL}\n{poisoned}\n").as_bytes());
    assert_eq!(acc.parsed, 1);
    assert_eq!(acc.bad.by_kind["out_of_range"].first_lines, [2]);
    let gz = capture_object(b"\x1f\x8b\x08\x00");
    assert!(gz.refused);
}
