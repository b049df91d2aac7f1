//! One monitor config file through MonitorConfig::from_json; panics when an invariant of
//! `monitor_core::robustness` fails.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = monitor_core::robustness::monitor_config(data);
});
