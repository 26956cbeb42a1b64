//! After upgrading a desk, or after any repair: rewrites the ticket items an older version (or
//! another `LIST_SHARDS`) laid out differently (`DynamoStore::relayout_tickets`), then counts
//! every visible ticket into every counter item again and corrects the counters by the
//! difference (`DynamoStore::recount_counters`). It reads the whole table twice; run it when the
//! desk is quiet, and again if tickets changed while it ran.
//!
//! Reads, as the functions do: `TABLE_NAME`, `LIST_SHARDS` (the deployment's), `AWS_ENDPOINT_URL`
//! (none in AWS), `AWS_REGION` and the credentials. Locally: `TABLE_NAME=support-tickets AWS_ENDPOINT_URL=http://127.0.0.1:5005
//! cargo run -p tickets-recount`.

use std::error::Error;

use tickets_dynamodb::DynamoStore;
use tickets_lambda::Settings;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let settings = Settings::from_env();
    let aws = tickets_lambda::aws_config(&settings)?;
    let store = DynamoStore::from_config(&aws, &settings)?;
    let relayout = store.relayout_tickets().await?;
    println!(
        "==> '{}': {} tickets read; {} rewritten to this layout, {} changed meanwhile (run again)",
        store.table(),
        relayout.tickets,
        relayout.rewritten,
        relayout.skipped
    );
    let report = store.recount_counters().await?;
    println!(
        "==> '{}': {} tickets counted into {} counter items; {} items corrected ({} counters)",
        store.table(),
        report.tickets,
        report.counter_items,
        report.corrected_items,
        report.corrected_facets
    );
    Ok(())
}
