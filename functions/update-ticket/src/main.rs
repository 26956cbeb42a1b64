use lambda_http::{run, service_fn, Error};
use tickets_dynamodb::DynamoStore;
use tickets_http::{Api, Auth};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tickets_lambda::init_logging();
    let api = Api::new(DynamoStore::from_env()?, Auth::from_env());
    run(service_fn(|req| update_ticket::handle(&api, req))).await
}
