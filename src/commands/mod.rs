//! One module per subcommand.

pub mod baseline;
pub mod import_sagemaker;
pub mod local;
pub mod monitor;
pub mod progress;
pub mod report;
