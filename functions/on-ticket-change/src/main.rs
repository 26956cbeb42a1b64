use lambda_runtime::{run, service_fn, Error};
use on_ticket_change::Deps;
use tickets_dynamodb::DynamoStore;
use tickets_events::EventBus;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let shared = tickets_dynamodb::aws_config().await;
    let deps = Deps {
        history: DynamoStore::from_config(&shared)?,
        publisher: EventBus::from_config(&shared)?,
    };
    run(service_fn(|event| on_ticket_change::handle(&deps, event))).await
}
