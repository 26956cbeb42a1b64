use lambda_http::{run, service_fn, Error};
use rate_ticket::Window;
use tickets_dynamodb::DynamoStore;
use tickets_http::{Api, Auth};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let window = Window::from_settings(&settings)?;
    let api = Api::new(
        DynamoStore::from_config(&aws, &settings)?,
        Auth::from_settings(&settings)?,
    );
    run(service_fn(|req| rate_ticket::handle(&api, window, req))).await
}
