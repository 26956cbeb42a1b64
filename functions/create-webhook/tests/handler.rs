//! `create-webhook` in-process, against the local DynamoDB API, as deployed (no loopback
//! receivers, the system's resolver): every URL that leads inside is refused with a clear
//! error and stores nothing; only admins register; the secret is answered once.

use create_webhook::{handle, Routes};
use serde_json::{json, Value};
use tickets_domain::store::WebhookStore;
use tickets_domain::webhook::Reach;
use tickets_dynamodb::testing::fresh_store;
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};
use tickets_webhooks::SystemResolver;

async fn routes() -> Routes<DynamoStore, SystemResolver> {
    let (store, _) = fresh_store().await;
    Routes {
        api: Api::new(store, Auth::default()),
        resolver: SystemResolver,
        reach: Reach::default(),
    }
}

async fn register(
    routes: &Routes<DynamoStore, SystemResolver>,
    role: &str,
    body: Value,
) -> (u16, Value) {
    let req = TestRequest::new("POST", "/v2/webhooks")
        .caller("someone-1", role)
        .json(&body);
    read(handle(routes, req.build()).await.unwrap())
}

#[tokio::test]
async fn urls_that_lead_inside_are_refused_and_store_nothing() {
    let routes = routes().await;
    for url in [
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/hook",
        "https://[::ffff:10.0.0.1]/hook",
        // A name: resolved here, to the loopback address.
        "https://localhost/hook",
        "https://localhost./hook",
        "https://api.LOCALHOST/hook",
        // Plain http, deployed: never.
        "http://hooks.example.com/hook",
        "http://127.0.0.1:8080/hook",
    ] {
        let (status, reply) =
            register(&routes, "admin", json!({"url": url, "events": ["*"]})).await;
        assert_eq!(status, 422, "{url}: {reply}");
        assert_eq!(reply["code"], "VALIDATION_FAILED");
        assert_eq!(reply["details"][0]["field"], "url", "{url}");
        let message = reply["details"][0]["message"].as_str().unwrap();
        assert!(
            message == "must use https"
                || message == "must not lead to this machine or a private network",
            "{url}: {message}"
        );
    }
    assert!(routes.api.store.subscriptions().await.unwrap().is_empty());
}

#[tokio::test]
async fn only_admins_register_and_the_secret_is_answered_once() {
    let routes = routes().await;
    // An address literal that is public needs no resolving (no network here).
    let body = json!({"url": "https://93.184.215.14/hooks", "events": ["SupportTicket.Created"]});
    for role in ["client", "agent"] {
        let (status, reply) = register(&routes, role, body.clone()).await;
        assert_eq!((status, reply["code"].as_str()), (403, Some("FORBIDDEN")));
    }
    assert!(routes.api.store.subscriptions().await.unwrap().is_empty());
    let (status, reply) = register(&routes, "admin", body).await;
    assert_eq!(status, 201, "{reply}");
    let secret = reply["data"]["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(reply["data"]["status"], "active");
    let [stored] = &routes.api.store.subscriptions().await.unwrap()[..] else {
        panic!("one subscription");
    };
    assert_eq!(stored.signing.current.to_text(), secret);
    assert_eq!(stored.subscription.created_by, "someone-1");
    let (status, reply) = register(
        &routes,
        "admin",
        json!({"url": "https://93.184.215.14/", "events": ["*"], "secret": "mine"}),
    )
    .await;
    assert_eq!(
        (status, reply["code"].as_str()),
        (400, Some("INVALID_BODY"))
    );
}
