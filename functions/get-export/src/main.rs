use lambda_http::{run, service_fn, Error};
use tickets_dynamodb::DynamoStore;
use tickets_http::{Api, Auth};
use tickets_s3::S3Files;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let api = Api::with_files(
        DynamoStore::from_config(&aws, &settings)?,
        S3Files::from_config(&aws, &settings)?,
        Auth::from_settings(&settings)?,
    );
    run(service_fn(|req| get_export::handle(&api, req))).await
}
