use lambda_runtime::{run, service_fn, Error};
use send_notifications::Deps;
use tickets_dynamodb::DynamoStore;
use tickets_ses::SesSender;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let deps = Deps {
        store: DynamoStore::from_config(&aws, &settings)?,
        sender: SesSender::from_config(&aws, &settings)?,
        outbound: send_notifications::settings(&settings)?,
    };
    run(service_fn(|event| send_notifications::handle(&deps, event))).await
}
