//! Test support: a fresh bucket on the local S3 API server (moto) for each test.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
pub use aws_sdk_s3::Client;

use crate::S3Files;

/// A client for the local server (`MOTO_ENDPOINT`, which the README's test command starts).
pub fn local_client() -> Client {
    let endpoint = tickets_lambda::testing::local_endpoint();
    let shared = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
            Credentials::new("test", "test", None, None, "tests"),
        ))
        .build();
    Client::from_conf(crate::config(&shared, true))
}

/// Files in a new, empty bucket of their own, and a client to look at the bucket directly.
pub async fn fresh_files() -> (S3Files, Client, String) {
    let client = local_client();
    let bucket = format!(
        "tickets-test-{}",
        tickets_domain::model::new_id().to_lowercase()
    );
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create the test bucket on the local server");
    (S3Files::new(client.clone(), &bucket), client, bucket)
}

/// Puts an object as an uploader would, with its content type.
pub async fn put(client: &Client, bucket: &str, key: &str, body: &[u8], content_type: &str) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .expect("put a test object");
}

/// Whether the bucket holds an object under `key`.
pub async fn exists(client: &Client, bucket: &str, key: &str) -> bool {
    client
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .is_ok()
}
