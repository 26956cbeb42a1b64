//! What every function sets up at init, before it serves its first event: its settings, read
//! once from the environment ([`Settings`], the one module that reads it), logging
//! ([`init_logging`]) and the AWS configuration its clients share ([`aws_config`]); [`init`]
//! does all three.
//!
//! All of it is on the cold-start path, so it does as little as Lambda allows; see
//! docs/PERFORMANCE.md for what each choice saves.

mod batch;
mod config;
mod errors;
mod logging;
pub mod metrics;
mod settings;
#[cfg(feature = "testing")]
pub mod testing;
mod xray;

pub use batch::batch_response;
pub use config::{aws_config, client_retries, client_timeouts};
pub use errors::{classify, AwsFailure};
pub use logging::init_logging;
pub use settings::{SettingError, Settings, STORAGE_ATTEMPT_TIMEOUT};

/// What a function's `main` starts from.
pub struct Init {
    pub settings: Settings,
    pub aws: aws_config::SdkConfig,
}

/// Reads the settings, sets up logging and builds the shared AWS configuration.
pub fn init() -> Result<Init, SettingError> {
    let settings = Settings::from_env();
    init_logging(&settings);
    metrics::set_service(
        settings
            .get("POWERTOOLS_SERVICE_NAME")
            .unwrap_or(logging::SERVICE),
    );
    let aws = aws_config(&settings)?;
    Ok(Init { settings, aws })
}
