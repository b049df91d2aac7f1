//! placeholder: capture (being written)
