use lambda_runtime::{run, service_fn, Error};
use on_ticket_change::Deps;
use tickets_dynamodb::DynamoStore;
use tickets_events::EventBus;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let deps = Deps {
        history: DynamoStore::from_config(&aws, &settings)?,
        publisher: EventBus::from_config(&aws, &settings)?,
    };
    run(service_fn(|event| on_ticket_change::handle(&deps, event))).await
}
