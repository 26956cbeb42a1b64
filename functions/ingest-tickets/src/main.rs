use lambda_runtime::{run, service_fn, Error};
use tickets_dynamodb::DynamoStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let store = DynamoStore::from_env().await?;
    run(service_fn(|event| ingest_tickets::handle(&store, event))).await
}
