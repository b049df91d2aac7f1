//! One module per subcommand.

pub mod baseline;
pub mod progress;
pub mod scenario;
