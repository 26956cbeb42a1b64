use lambda_runtime::{run, service_fn, Error};
use on_ticket_change::Deps;
use tickets_dynamodb::DynamoStore;
use tickets_events::EventBus;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tickets_lambda::init_logging();
    let shared = tickets_lambda::aws_config()?;
    let deps = Deps {
        history: DynamoStore::from_config(&shared)?,
        publisher: EventBus::from_config(&shared)?,
    };
    run(service_fn(|event| on_ticket_change::handle(&deps, event))).await
}
