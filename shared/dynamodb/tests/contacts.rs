//! Contacts against the local DynamoDB: an address is stored once (whatever its case) and
//! belongs to one person; a person keeps its first address; notifications switch off and on.

use tickets_domain::store::{Contact, ContactRemembered, ContactSource, ContactStore};
use tickets_domain::Timestamp;
use tickets_dynamodb::testing::fresh_store;

fn contact(principal: &str, address: &str) -> Contact {
    Contact {
        principal: principal.into(),
        address: address.to_lowercase(),
        source: ContactSource::Token,
        notifications: true,
        staff: false,
        created_at: Timestamp::now(),
        former: Vec::new(),
    }
}

#[tokio::test]
async fn an_address_is_one_persons_and_a_person_keeps_its_first() {
    let (store, _) = fresh_store().await;
    let alice = contact("alice", "Alice@Example.com");
    assert_eq!(
        store.remember_contact(&alice).await.unwrap(),
        ContactRemembered::New
    );
    assert_eq!(
        store.remember_contact(&alice).await.unwrap(),
        ContactRemembered::Known(alice.clone())
    );
    // Someone else with the same address, in another case.
    let mallory = contact("mallory", "ALICE@example.COM");
    assert_eq!(
        store.remember_contact(&mallory).await.unwrap(),
        ContactRemembered::Taken(alice.clone())
    );
    assert_eq!(store.contact_of("mallory").await.unwrap(), None);
    // Alice with another address keeps the first.
    let moved = contact("alice", "alice@new.example");
    assert_eq!(
        store.remember_contact(&moved).await.unwrap(),
        ContactRemembered::Known(alice.clone())
    );
    assert_eq!(
        store.contact_by_address("alice@new.example").await.unwrap(),
        None
    );
    assert_eq!(
        store.contact_by_address("aLiCe@example.com").await.unwrap(),
        Some(alice)
    );
}

#[tokio::test]
async fn notifications_switch_off_and_on_for_known_people_only() {
    let (store, _) = fresh_store().await;
    store
        .remember_contact(&contact("bob", "bob@example.com"))
        .await
        .unwrap();
    assert!(store.set_notifications("bob", false).await.unwrap());
    assert!(
        !store
            .contact_of("bob")
            .await
            .unwrap()
            .unwrap()
            .notifications
    );
    assert!(store.set_notifications("bob", true).await.unwrap());
    assert!(
        store
            .contact_of("bob")
            .await
            .unwrap()
            .unwrap()
            .notifications
    );
    assert!(!store.set_notifications("nobody", false).await.unwrap());
    assert_eq!(store.contact_of("nobody").await.unwrap(), None);
}
