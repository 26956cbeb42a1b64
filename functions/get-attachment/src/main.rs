use lambda_http::{run, service_fn, Error};
use tickets_dynamodb::DynamoStore;
use tickets_http::{Api, Auth};
use tickets_s3::S3Files;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tickets_lambda::init_logging();
    let shared = tickets_lambda::aws_config()?;
    let api = Api::with_files(
        DynamoStore::from_config(&shared)?,
        S3Files::from_config(&shared)?,
        Auth::from_env(),
    );
    run(service_fn(|req| get_attachment::handle(&api, req))).await
}
