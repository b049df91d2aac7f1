//! SageMaker Model Monitor file formats, read and written byte-compatibly.
//!
//! `jackson` renders JSON the way the analyzer's Jackson `DefaultPrettyPrinter` does
//! (`"key" : value`, arrays on one line, Java `Double.toString` numbers).

pub mod capture;
pub mod clarify;
pub mod constraints;
pub mod jackson;
pub mod model_quality;
pub mod number;
pub mod statistics;
pub mod versioned;
pub mod violations;
