use lambda_http::{run, service_fn, Error};
use tickets_dynamodb::DynamoStore;
use tickets_http::{Api, Auth};
use tickets_sqs::SqsJobQueue;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    // The jobs' queue stands where the attachment routes keep their files.
    let api = Api::with_files(
        DynamoStore::from_config(&aws, &settings)?,
        SqsJobQueue::from_config(&aws, &settings)?,
        Auth::from_settings(&settings)?,
    );
    run(service_fn(|req| export_client::handle(&api, req))).await
}
