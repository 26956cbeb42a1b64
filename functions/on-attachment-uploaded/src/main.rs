use lambda_runtime::{run, service_fn, Error};
use on_attachment_uploaded::Deps;
use tickets_domain::UploadRules;
use tickets_dynamodb::DynamoStore;
use tickets_s3::S3Files;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let deps = Deps {
        store: DynamoStore::from_config(&aws, &settings)?,
        files: S3Files::from_config(&aws, &settings)?,
        rules: UploadRules::from_settings(
            settings.get("ATTACHMENT_MAX_BYTES"),
            settings.get("ATTACHMENT_TYPES"),
        )?,
    };
    run(service_fn(|event| {
        on_attachment_uploaded::handle(&deps, event)
    }))
    .await
}
