use lambda_runtime::{run, service_fn, Error};
use run_data_jobs::Jobs;
use tickets_dynamodb::DynamoStore;
use tickets_events::EventBus;
use tickets_s3::S3Files;
use tickets_sqs::SqsJobQueue;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let jobs = Jobs {
        store: DynamoStore::from_config(&aws, &settings)?,
        files: S3Files::from_config(&aws, &settings)?,
        queue: SqsJobQueue::from_config(&aws, &settings)?,
        events: EventBus::from_config(&aws, &settings)?,
        attempts: settings.parsed(
            "JOB_ATTEMPTS",
            run_data_jobs::JOB_ATTEMPTS,
            "a whole number of attempts",
        )?,
    };
    run(service_fn(|event| run_data_jobs::handle(&jobs, event))).await
}
