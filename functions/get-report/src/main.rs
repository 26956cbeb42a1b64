use get_report::Deps;
use lambda_http::{run, service_fn, Error};
use tickets_domain::reports::{self, Tz};
use tickets_dynamodb::DynamoStore;
use tickets_http::{Api, Auth};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let deps = Deps {
        api: Api::new(
            DynamoStore::from_config(&aws, &settings)?,
            Auth::from_settings(&settings)?,
        ),
        zone: settings.parsed(reports::ZONE_SETTING, Tz::UTC, reports::ZONE_EXPECTED)?,
    };
    run(service_fn(|req| get_report::handle(&deps, req))).await
}
