//! Recomputes the reports' figures from the tickets (`DynamoStore::rebuild_reports`): for
//! tickets stored before the reports existed, and after a change of `REPORT_TIME_ZONE` (the
//! figures move to the days of the new zone). Each stored figure is corrected by the
//! difference, so changes counted meanwhile are kept. It reads the whole table: run it when
//! the desk is quiet, and again if tickets changed while it ran (a second run corrects what
//! the first could not see, and otherwise changes nothing).
//!
//! Reads, as the functions do: `TABLE_NAME`, `REPORT_TIME_ZONE` (the deployment's),
//! `AWS_ENDPOINT_URL` (none in AWS), `AWS_REGION` and the credentials. Locally:
//! `TABLE_NAME=support-tickets AWS_ENDPOINT_URL=http://127.0.0.1:5005 cargo run -p
//! tickets-recount --bin rebuild-reports`.

use std::error::Error;

use tickets_domain::reports::{self, Tz};
use tickets_dynamodb::DynamoStore;
use tickets_lambda::Settings;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let settings = Settings::from_env();
    let zone: Tz = settings.parsed(reports::ZONE_SETTING, Tz::UTC, reports::ZONE_EXPECTED)?;
    let aws = tickets_lambda::aws_config(&settings)?;
    let store = DynamoStore::from_config(&aws, &settings)?;
    let rebuild = store.rebuild_reports(zone).await?;
    println!(
        "==> '{}': {} tickets counted into {} report items (days in {}); {} items corrected",
        store.table(),
        rebuild.tickets,
        rebuild.items,
        zone.name(),
        rebuild.corrected_items
    );
    Ok(())
}
