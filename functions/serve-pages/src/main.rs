use lambda_http::{run, service_fn, Error};
use serve_pages::Pages;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let tickets_lambda::Init { settings, .. } = tickets_lambda::init()?;
    let pages = Pages::from_settings(&settings);
    run(service_fn(|req| serve_pages::handle(&pages, req))).await
}
