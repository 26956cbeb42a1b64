use lambda_runtime::{run, service_fn, Error};
use tickets_dynamodb::DynamoStore;
use tickets_events::EventBus;
use tickets_webhooks::{settings, HttpCourier, SqsDeliveries};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let courier = HttpCourier::new(settings::reach(&settings), settings::timeout(&settings)?);
    let deliverer = deliver_webhooks::Deliverer {
        store: DynamoStore::from_config(&aws, &settings)?,
        queue: SqsDeliveries::from_config(&aws, &settings)?,
        courier,
        events: EventBus::from_config(&aws, &settings)?,
        schedule: settings::schedule(&settings)?,
    };
    run(service_fn(|event| {
        deliver_webhooks::handle(&deliverer, event)
    }))
    .await
}
