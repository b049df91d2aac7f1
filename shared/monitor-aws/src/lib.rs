//! placeholder: AWS adapters (being written)
