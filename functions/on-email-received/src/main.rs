use lambda_runtime::{run, service_fn, Error};
use on_email_received::Deps;
use tickets_dynamodb::DynamoStore;
use tickets_s3::S3Files;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let deps = Deps {
        store: DynamoStore::from_config(&aws, &settings)?,
        files: S3Files::from_config(&aws, &settings)?,
        inbound: on_email_received::settings(&settings)?,
    };
    run(service_fn(|event| on_email_received::handle(&deps, event))).await
}
