use lambda_runtime::{run, service_fn, Error};
use tickets_dynamodb::DynamoStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let store = DynamoStore::from_config(&aws, &settings)?;
    run(service_fn(|event| ingest_tickets::handle(&store, event))).await
}
