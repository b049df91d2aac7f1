//! Logging of every Lambda: `tracing` events to stdout, one line each, in JSON when the
//! function's log format is JSON (`AWS_LAMBDA_LOG_FORMAT`), at the level Lambda's advanced
//! logging controls set (`AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO).
//!
//! This is what `lambda_runtime::tracing::init_default_subscriber` does, less one thing: the
//! level is a single level (`DEBUG`, `info`, …), not an `EnvFilter` directive list such as
//! `monitor_core=debug`. An `EnvFilter` links a regular-expression engine (0.17 MB of
//! each bootstrap), and the template only ever sets a level. A value that is not a level
//! falls back to INFO, as the runtime's own parsing does.

use std::str::FromStr;

use tracing_subscriber::filter::LevelFilter;

/// The level a level variable's value names; INFO when absent or not a level.
#[must_use]
pub fn level_from(value: Option<&str>) -> LevelFilter {
    value
        .and_then(|v| LevelFilter::from_str(v.trim()).ok())
        .unwrap_or(LevelFilter::INFO)
}

/// Installs the global subscriber; call once, first thing in `main`.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level_from(level.as_deref()))
        .with_writer(std::io::stdout);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_level_names_its_filter_and_anything_else_is_info() {
        assert_eq!(level_from(Some("DEBUG")), LevelFilter::DEBUG);
        assert_eq!(level_from(Some(" warn ")), LevelFilter::WARN);
        assert_eq!(level_from(Some("off")), LevelFilter::OFF);
        assert_eq!(level_from(Some("monitor_core=debug")), LevelFilter::INFO);
        assert_eq!(level_from(None), LevelFilter::INFO);
    }
}
