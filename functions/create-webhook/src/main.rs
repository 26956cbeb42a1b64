use lambda_http::{run, service_fn, Error};
use tickets_dynamodb::DynamoStore;
use tickets_http::{Api, Auth};
use tickets_webhooks::{settings, SystemResolver};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let routes = create_webhook::Routes {
        api: Api::new(
            DynamoStore::from_config(&aws, &settings)?,
            Auth::from_settings(&settings)?,
        ),
        resolver: SystemResolver,
        reach: settings::reach(&settings),
    };
    run(service_fn(|req| create_webhook::handle(&routes, req))).await
}
