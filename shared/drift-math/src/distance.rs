//! placeholder: distance (being written)
