// The service-level run nests the index read, the batch read and the conditional write of each
// ticket in one future: deeper than the compiler's default for computing its layout.
#![recursion_limit = "256"]

use check_sla::Deps;
use lambda_runtime::{run, service_fn, Error};
use tickets_domain::Timestamp;
use tickets_dynamodb::DynamoStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let deps = Deps {
        store: DynamoStore::from_config(&aws, &settings)?,
        clock: Timestamp::now,
    };
    run(service_fn(|event| check_sla::handle(&deps, event))).await
}
