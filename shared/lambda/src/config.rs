//! The AWS configuration a function builds once, at init.

use std::time::Duration;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;

use crate::settings::{SettingError, Settings};

/// The roots that AWS service endpoints chain to (Amazon Root CA 1-4, and Starfield Services
/// Root CA G2, which cross-signs them).
const AWS_ROOTS: &str = include_str!("aws-roots.pem");

const MISSING: &str =
    "is not set: a function reads its region and credentials from the environment, as Lambda sets them";

/// The shared AWS configuration (region, credentials, endpoint, HTTPS client) for the clients of
/// a function, from the environment that Lambda gives every function: `AWS_REGION`, and the
/// role's credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`.
///
/// - Credentials come from the environment provider, which the SDK's default chain would pick
///   too in Lambda; the chain itself (shared config and credentials files, profiles, web
///   identity, SSO, ECS, IMDS, and the STS client behind some of them) is neither run at init
///   nor linked into the binaries (about 0.3 MB of each).
/// - The HTTPS client trusts the AWS roots only, compiled in, instead of loading and parsing the
///   system's certificate store (about 3 ms of a cold start, see docs/PERFORMANCE.md).
/// - `AWS_ENDPOINT_URL` is honoured (the local stack points it at its DynamoDB/S3 server).
///
/// To run a function binary outside Lambda against a real account, export the variables first,
/// e.g. `eval "$(aws configure export-credentials --format env)"` and `AWS_REGION`.
pub fn aws_config(settings: &Settings) -> Result<SdkConfig, SettingError> {
    let region = settings
        .get("AWS_REGION")
        .or_else(|| settings.get("AWS_DEFAULT_REGION"))
        .ok_or_else(|| SettingError::new("AWS_REGION", MISSING))?;
    for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        settings
            .get(name)
            .ok_or_else(|| SettingError::new(name, MISSING))?;
    }
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .timeout_config(client_timeouts(settings.storage_attempt_timeout()?))
        .retry_config(client_retries())
        .region(Region::new(region.to_string()))
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .http_client(https_client());
    if let Some(endpoint) = settings.get("AWS_ENDPOINT_URL") {
        config = config.endpoint_url(endpoint.to_string());
    }
    Ok(config.build())
}

/// Every AWS call must answer well within the function's own timeout: a hung connection
/// becomes a retry, and a service that stays away a 503, not a Lambda timeout. `attempt` is one
/// try ([`Settings::storage_attempt_timeout`]); the whole call, retries included, gets 3.5 ×.
pub fn client_timeouts(attempt: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(attempt)
        .operation_timeout(attempt * 7 / 2)
        .build()
}

/// The SDK's standard retry (throttling, 5xx, dropped connections, timeouts: 3 attempts), with
/// backoffs sized for an API answering within seconds rather than the SDK's default of up to
/// 20 s.
pub fn client_retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_millis(800))
}

/// The SDK's default HTTPS client (hyper, rustls with aws-lc), trusting the AWS roots.
fn https_client() -> SharedHttpClient {
    NoConnectorAtValidation(roots_client()).into_shared()
}

/// The client as it is, except that building an SDK client does not build (and throw away) a
/// TLS connector to check the configuration: the default client does that so that a slow
/// system certificate store is read at init rather than on the first request. With the roots
/// compiled in there is nothing to read, and the connector that requests use is built, once,
/// by the first request either way; this saves that throwaway build (about 0.2 ms) per client.
#[derive(Debug)]
struct NoConnectorAtValidation(SharedHttpClient);

impl HttpClient for NoConnectorAtValidation {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

fn roots_client() -> SharedHttpClient {
    let roots = TrustStore::empty().with_pem_certificate(AWS_ROOTS.as_bytes());
    let context = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .expect("the AWS roots are valid certificates");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_from(vars: &[(&str, &str)]) -> Result<SdkConfig, SettingError> {
        aws_config(&Settings::from_pairs(vars.iter().copied()))
    }

    const LAMBDA: &[(&str, &str)] = &[
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];

    #[test]
    fn the_lambda_environment_gives_region_credentials_and_client() {
        let config = config_from(LAMBDA).unwrap();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert!(config.credentials_provider().is_some());
        assert!(config.http_client().is_some());
        assert_eq!(config.endpoint_url(), None);
    }

    #[test]
    fn a_local_endpoint_is_honoured() {
        let vars = [LAMBDA, &[("AWS_ENDPOINT_URL", "http://127.0.0.1:5105")]].concat();
        let config = config_from(&vars).unwrap();
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:5105"));
    }

    #[test]
    fn a_missing_variable_is_named() {
        for missing in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            let vars: Vec<_> = LAMBDA
                .iter()
                .filter(|(n, _)| *n != missing)
                .copied()
                .collect();
            let err = config_from(&vars).unwrap_err();
            assert!(err.to_string().starts_with(missing), "{err}");
        }
        let empty = [("AWS_REGION", ""), LAMBDA[1], LAMBDA[2]];
        assert!(
            config_from(&empty).is_err(),
            "an empty region counts as missing"
        );
    }
}
