use lambda_http::{run, service_fn, Error};
use tickets_dynamodb::DynamoStore;
use tickets_http::{Api, Auth};
use tickets_sqs::SqsJobQueue;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    // The data jobs' queue: a person who wrote by e-mail first and signs in is moved by a job.
    let api = Api::new(
        DynamoStore::from_config(&aws, &settings)?,
        Auth::from_settings(&settings)?,
    )
    .with_jobs(SqsJobQueue::from_config(&aws, &settings)?);
    run(service_fn(|req| {
        get_notification_settings::handle(&api, req)
    }))
    .await
}
