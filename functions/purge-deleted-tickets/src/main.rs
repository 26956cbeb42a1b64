use lambda_runtime::{run, service_fn, Error};
use purge_deleted_tickets::{after_days, Deps};
use tickets_domain::Timestamp;
use tickets_dynamodb::DynamoStore;
use tickets_s3::S3Files;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let deps = Deps {
        store: DynamoStore::from_config(&aws, &settings)?,
        files: S3Files::from_config(&aws, &settings)?,
        after_days: after_days(&settings)?,
        clock: Timestamp::now,
    };
    run(service_fn(|event| {
        purge_deleted_tickets::handle(&deps, event)
    }))
    .await
}
