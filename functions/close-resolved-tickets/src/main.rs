use close_resolved_tickets::{after_days_from_env, Deps};
use lambda_runtime::{run, service_fn, Error};
use tickets_domain::Timestamp;
use tickets_dynamodb::DynamoStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tickets_lambda::init_logging();
    let deps = Deps {
        store: DynamoStore::from_env()?,
        after_days: after_days_from_env()?,
        clock: Timestamp::now,
    };
    run(service_fn(|event| {
        close_resolved_tickets::handle(&deps, event)
    }))
    .await
}
