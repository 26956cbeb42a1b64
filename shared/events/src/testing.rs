//! Test support: a bus on the local EventBridge API (moto), with a rule that copies every
//! event into a queue, so tests can read back what was published.

use aws_sdk_eventbridge::config::{BehaviorVersion, Credentials, Region};

use crate::EventBus;

pub fn local_config() -> aws_config::SdkConfig {
    let endpoint = tickets_lambda::testing::local_endpoint();
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_eventbridge::config::SharedCredentialsProvider::new(
            Credentials::new("test", "test", None, None, "tests"),
        ))
        .build()
}

/// A new bus of its own (and the client, to look at it).
pub async fn fresh_bus() -> (EventBus, aws_sdk_eventbridge::Client, String) {
    let client = aws_sdk_eventbridge::Client::new(&local_config());
    let name = format!(
        "tickets-test-{}",
        tickets_domain::model::new_id().to_lowercase()
    );
    client
        .create_event_bus()
        .name(&name)
        .send()
        .await
        .expect("create the test bus on the local server");
    (EventBus::new(client.clone(), &name), client, name)
}
