use lambda_http::{run, service_fn, Error};
use tickets_domain::mail::MailKey;
use tickets_dynamodb::DynamoStore;
use tickets_lambda::SettingError;
use unsubscribe::Deps;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, aws } = tickets_lambda::init()?;
    let deps = Deps {
        store: DynamoStore::from_config(&aws, &settings)?,
        key: MailKey::new(settings.required("MAIL_SIGNING_KEY")?)
            .map_err(|reason| SettingError::new("MAIL_SIGNING_KEY", reason))?,
    };
    run(service_fn(|req| unsubscribe::handle(&deps, req))).await
}
