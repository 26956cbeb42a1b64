//! What every function sets up at init, before it serves its first event: logging
//! ([`init_logging`]) and the AWS configuration its clients share ([`aws_config`]).
//!
//! Both are on the cold-start path, so both do as little as Lambda allows; see
//! docs/PERFORMANCE.md for what each choice saves.

mod config;
mod logging;

pub use config::{aws_config, MissingEnv};
pub use logging::init_logging;
