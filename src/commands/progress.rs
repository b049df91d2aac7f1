//! Progress bars for long steps (shown only on a terminal, and only for large inputs).

use indicatif::{ProgressBar, ProgressStyle};
use monitor_core::data_quality::dataset::Progress;

/// Inputs smaller than this finish before a bar is worth drawing.
const MIN_BYTES_FOR_BAR: u64 = 8 << 20;

/// A byte-progress bar for reading `total` bytes, hidden for small inputs.
pub struct BytesBar(ProgressBar);

impl BytesBar {
    /// A bar for `total` bytes labelled `what`.
    pub fn new(total: u64, what: &str) -> Self {
        let bar = if total >= MIN_BYTES_FOR_BAR {
            ProgressBar::new(total)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        Self(bar)
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Progress for BytesBar {
    fn bytes(&mut self, total: u64) {
        self.0.set_position(total);
    }
}
