//! Helpers shared by the end-to-end tests: the workspace's test support (fixtures, the moto
//! emulator, temporary directories), under the names the tests use.

pub use test_support::{fixture, moto, read_fixture, temp_dir};
