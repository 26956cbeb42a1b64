use lambda_runtime::{run, service_fn, Error};
use on_ticket_change::Deps;
use tickets_domain::reports::{self, Tz};
use tickets_dynamodb::DynamoStore;
use tickets_events::EventBus;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let store = DynamoStore::from_config(&aws, &settings)?;
    let deps = Deps {
        history: store.clone(),
        publisher: EventBus::from_config(&aws, &settings)?,
        reports: store,
        zone: settings.parsed(reports::ZONE_SETTING, Tz::UTC, reports::ZONE_EXPECTED)?,
    };
    run(service_fn(|event| on_ticket_change::handle(&deps, event))).await
}
