use lambda_runtime::{run, service_fn, Error};
use on_attachment_uploaded::Deps;
use tickets_domain::UploadRules;
use tickets_dynamodb::DynamoStore;
use tickets_s3::S3Files;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let shared = tickets_dynamodb::aws_config().await;
    let deps = Deps {
        store: DynamoStore::from_config(&shared)?,
        files: S3Files::from_config(&shared)?,
        rules: UploadRules::from_env()?,
    };
    run(service_fn(|event| {
        on_attachment_uploaded::handle(&deps, event)
    }))
    .await
}
