//! One capture object (JSON Lines) through the capture parser; panics when an invariant of
//! `monitor_core::robustness` fails.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = monitor_core::robustness::capture_object(data);
});
