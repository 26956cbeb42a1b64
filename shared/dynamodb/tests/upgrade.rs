//! Upgrading a desk: ticket items of the older layout (the description inside the ticket item,
//! keys of indexes that are gone, one list shard) are rewritten to this layout, and nothing a
//! reader sees changes.

use aws_sdk_dynamodb::types::AttributeValue;
use tickets_domain::store::{
    ListFilter, ListQuery, PageStart, Scope, Sort, TicketLister, TicketReader,
};
use tickets_domain::Status;
use tickets_dynamodb::layout::Layout;
use tickets_dynamodb::testing::{all_items, fresh_store, seed_ticket};
use tickets_dynamodb::Relayout;

#[tokio::test]
async fn tickets_of_the_older_layout_are_rewritten_once_and_read_the_same() {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Written long ago").await;
    let pk = AttributeValue::S(format!("TICKET#{}", ticket.id));
    // As the older layout stored it: one item with the description and every index key.
    let mut old = all_items(&store)
        .await
        .into_iter()
        .find(|item| item["pk"] == pk && item["sk"] == AttributeValue::S("TICKET".into()))
        .unwrap();
    old.insert(
        "description".into(),
        AttributeValue::S(ticket.description.clone()),
    );
    old.insert(
        "idxCategory".into(),
        AttributeValue::S(ticket.category.to_string()),
    );
    old.insert(
        "idxPriority".into(),
        AttributeValue::S(ticket.priority.to_string()),
    );
    // And its first message with the description's text in it.
    let first = format!("TICKET#MSG#{}", ticket.threads[0].id);
    let mut message = all_items(&store)
        .await
        .into_iter()
        .find(|item| item["sk"] == AttributeValue::S(first.clone()))
        .unwrap();
    message.remove("isDescription");
    message.insert(
        "message".into(),
        AttributeValue::S(ticket.description.clone()),
    );
    let client = store.client();
    for item in [old, message] {
        client
            .put_item()
            .table_name(store.table())
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }
    client
        .delete_item()
        .table_name(store.table())
        .key("pk", pk.clone())
        .key("sk", AttributeValue::S("TICKET#BODY".into()))
        .send()
        .await
        .unwrap();
    let before = store.get_ticket(&ticket.id).await.unwrap().unwrap();
    assert_eq!(
        before.description, ticket.description,
        "read as it always was"
    );

    // The desk now runs with four list shards: the relayout also moves the keys.
    let store = store.with_layout(Layout::new(4).unwrap());
    let report = store.relayout_tickets().await.unwrap();
    assert_eq!(
        report,
        Relayout {
            tickets: 1,
            rewritten: 1,
            skipped: 0
        }
    );
    let items = all_items(&store).await;
    let item = items
        .iter()
        .find(|item| item["pk"] == pk && item["sk"] == AttributeValue::S("TICKET".into()))
        .unwrap();
    assert!(!item.contains_key("description"));
    assert!(!item.contains_key("idxCategory") && !item.contains_key("idxPriority"));
    assert_eq!(store.get_ticket(&ticket.id).await.unwrap().unwrap(), before);
    let query = ListQuery {
        scope: Scope::All,
        filter: ListFilter {
            status: Some(Status::Open),
            ..ListFilter::default()
        },
        sort: Sort::default(),
        limit: 10,
        start: PageStart::Page(1),
    };
    let listed = store.list_tickets(&query).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].id, ticket.id);

    let again = store.relayout_tickets().await.unwrap();
    assert_eq!(
        again,
        Relayout {
            tickets: 1,
            rewritten: 0,
            skipped: 0
        }
    );
}
