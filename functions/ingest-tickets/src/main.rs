use lambda_runtime::{run, service_fn, Error};
use tickets_dynamodb::DynamoStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tickets_lambda::init_logging();
    let store = DynamoStore::from_env()?;
    run(service_fn(|event| ingest_tickets::handle(&store, event))).await
}
