use lambda_runtime::{run, service_fn, Error};
use on_attachment_uploaded::Deps;
use tickets_domain::UploadRules;
use tickets_dynamodb::DynamoStore;
use tickets_s3::S3Files;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tickets_lambda::init_logging();
    let shared = tickets_lambda::aws_config()?;
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
