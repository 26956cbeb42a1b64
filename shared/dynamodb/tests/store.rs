//! The DynamoDB adapter against a real DynamoDB API (the local moto server), each test on a
//! fresh table created from `infra/storage.json`.

use std::collections::HashSet;

use aws_sdk_dynamodb::types::AttributeValue;
use tickets_domain::store::{
    CounterSet, CreateOutcome, Facet, IdempotencyRecord, ListFilter, ListQuery, PageStart, Scope,
    Sort, SortField, TicketCloser, TicketCreator, TicketLister, TicketReader, TicketWriter,
};
use tickets_domain::{
    Attachment, AttachmentStatus, Caller, Category, NewTicket, Priority, Role, Status, StoreError,
    Ticket, TicketSummary, Timestamp,
};
use tickets_dynamodb::layout::Layout;
use tickets_dynamodb::testing::fresh_store;
use tickets_dynamodb::DynamoStore;

fn new_ticket(client: &str, title: &str) -> Ticket {
    NewTicket {
        title: Some(title.into()),
        description: Some(format!("About {title}")),
        priority: Some("medium".into()),
        category: Some("general".into()),
        ..NewTicket::default()
    }
    .into_ticket(&Caller::new(client, Role::Client), Timestamp::now())
    .expect("valid ticket")
}

/// A varied set of tickets: two clients, every status, category and priority, some tags and
/// assignees, with distinct creation and update times.
async fn seed(store: &DynamoStore, count: usize) -> Vec<TicketSummary> {
    let mut seeded = Vec::new();
    for n in 0..count {
        let client = if n % 3 == 0 { "client-b" } else { "client-a" };
        let mut ticket = new_ticket(client, &format!("ticket {n}"));
        let s = &mut ticket.summary;
        s.status = Status::ALL[n % 5];
        s.category = Category::ALL[(n / 2) % 5];
        s.priority = Priority::ALL[(n / 3) % 4];
        if n % 4 == 0 {
            s.tags = vec!["vpn".into()];
        }
        if n % 2 == 0 {
            s.assigned_to = Some(format!("agent-{}", n % 3));
        }
        // Updates in the reverse order of creation, so the two sorts differ.
        let created: Timestamp = chrono::DateTime::from_timestamp(1_700_000_000 + n as i64, 0)
            .unwrap()
            .into();
        let updated: Timestamp = chrono::DateTime::from_timestamp(1_800_000_000 - n as i64, 0)
            .unwrap()
            .into();
        s.created_at = created;
        s.updated_at = updated;
        assert!(matches!(
            store.create_ticket(&ticket, None).await.unwrap(),
            CreateOutcome::Created
        ));
        seeded.push(ticket.summary);
    }
    seeded
}

fn query(scope: Scope, filter: ListFilter, sort: Sort, limit: u32) -> ListQuery {
    ListQuery {
        scope,
        filter,
        sort,
        limit,
        start: PageStart::Page(1),
    }
}

/// Follows `nextCursor` to the end and returns the ids in the order served.
async fn page_through(store: &DynamoStore, mut query: ListQuery) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..1000 {
        let page = store.list_tickets(&query).await.unwrap();
        assert!(page.items.len() <= query.limit as usize);
        ids.extend(page.items.into_iter().map(|t| t.id));
        match page.next_cursor {
            Some(cursor) => query.start = PageStart::Cursor(cursor),
            None => return ids,
        }
    }
    panic!("paging did not end");
}

/// The ids a list should serve, in order, computed from the seeded tickets.
fn expected(
    seeded: &[TicketSummary],
    scope: &Scope,
    filter: &ListFilter,
    sort: Sort,
) -> Vec<String> {
    let mut matching: Vec<&TicketSummary> = seeded
        .iter()
        .filter(|t| match scope {
            Scope::All => true,
            Scope::Client(c) => &t.client == c,
        })
        .filter(|t| filter.status.is_none_or(|s| t.status == s))
        .filter(|t| filter.category.is_none_or(|c| t.category == c))
        .filter(|t| filter.priority.is_none_or(|p| t.priority == p))
        .filter(|t| filter.tag.as_ref().is_none_or(|tag| t.tags.contains(tag)))
        .filter(|t| filter.assigned_to.is_none() || t.assigned_to == filter.assigned_to)
        .collect();
    matching.sort_by_key(|t| match sort.field {
        SortField::CreatedAt => (t.created_at, t.id.clone()),
        SortField::UpdatedAt => (t.updated_at, t.id.clone()),
        SortField::SlaDueAt => unreachable!("these lists do not read the service-level queue"),
    });
    if sort.descending {
        matching.reverse();
    }
    matching.into_iter().map(|t| t.id.clone()).collect()
}

#[tokio::test]
async fn a_created_ticket_reads_back_with_its_first_message_and_attachments() {
    let (store, _) = fresh_store().await;
    let mut ticket = new_ticket("client-a", "Printer");
    ticket.attachments = vec![Attachment {
        id: tickets_domain::model::new_id(),
        filename: "log.txt".into(),
        url: "https://files.example.com/log.txt".into(),
        size: 12,
        content_type: "text/plain".into(),
        status: AttachmentStatus::External,
        uploaded_by: Some("client-a".into()),
    }];
    store.create_ticket(&ticket, None).await.unwrap();

    let read = store.get_ticket(&ticket.id).await.unwrap().expect("stored");
    assert_eq!(read, ticket);
    assert_eq!(read.threads.len(), 1);
    assert_eq!(read.attachments.len(), 1);
    assert!(store
        .get_ticket(&tickets_domain::model::new_id())
        .await
        .unwrap()
        .is_none());

    // The description is stored once: the first message, which repeats it, holds no text.
    let items = tickets_dynamodb::testing::all_items(&store).await;
    let text_of = |sk: &str| {
        items
            .iter()
            .find(|item| item.get("sk") == Some(&AttributeValue::S(sk.into())))
            .map(|item| item.get("message").or(item.get("description")).cloned())
    };
    assert_eq!(
        text_of(&format!("TICKET#MSG#{}", ticket.threads[0].id)),
        Some(None)
    );
    assert_eq!(
        text_of("TICKET#BODY"),
        Some(Some(AttributeValue::S(ticket.description.clone())))
    );
    assert_eq!(text_of("TICKET").map(|_| ()), Some(()));
    assert!(items.iter().all(
        |item| item.get("sk") != Some(&AttributeValue::S("TICKET".into()))
            || !item.contains_key("description")
    ));
}

#[tokio::test]
async fn a_save_with_a_stale_version_is_refused_and_changes_nothing() {
    let (store, _) = fresh_store().await;
    let ticket = new_ticket("client-a", "Stale");
    store.create_ticket(&ticket, None).await.unwrap();

    let mut first = ticket.summary.clone();
    first.title = "First writer".into();
    first.version += 1;
    store.save_ticket(&ticket.summary, &first).await.unwrap();

    // A second writer that read the same version loses, also when counters would move.
    let mut second = ticket.summary.clone();
    second.status = Status::Pending;
    second.version += 1;
    let err = store
        .save_ticket(&ticket.summary, &second)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::VersionConflict));
    let mut third = ticket.summary.clone();
    third.title = "Third writer".into();
    third.version += 1;
    let err = store
        .save_ticket(&ticket.summary, &third)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::VersionConflict));

    let read = store.get_ticket(&ticket.id).await.unwrap().unwrap();
    assert_eq!(read.summary, first);
    let counts = store.count_tickets(&CounterSet::All).await.unwrap();
    assert_eq!(counts.get(&Facet::Status(Status::Open)), 1);
    assert_eq!(counts.get(&Facet::Status(Status::Pending)), 0);
}

#[tokio::test]
async fn twenty_concurrent_retries_with_one_idempotency_key_create_one_ticket() {
    let (store, _) = fresh_store().await;
    let record = IdempotencyRecord {
        key: "client-a#retry-key-1".into(),
        fingerprint: "fingerprint-1".into(),
        response: "{\"first\":true}".into(),
        at: Timestamp::now(),
        expires_at: "2099-01-01T00:00:00Z".parse().unwrap(),
    };
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..20 {
        let (store, record) = (store.clone(), record.clone());
        // Every retry builds its own ticket, as a fresh Lambda invocation would.
        let ticket = new_ticket("client-a", &format!("attempt {n}"));
        tasks.spawn(async move { store.create_ticket(&ticket, Some(&record)).await });
    }
    let mut created = 0;
    let mut replayed = 0;
    while let Some(outcome) = tasks.join_next().await {
        match outcome.unwrap().unwrap() {
            CreateOutcome::Created => created += 1,
            CreateOutcome::Replayed {
                fingerprint,
                response,
            } => {
                assert_eq!(fingerprint, "fingerprint-1");
                assert_eq!(response, "{\"first\":true}");
                replayed += 1;
            }
        }
    }
    assert_eq!((created, replayed), (1, 19));

    let everything = query(Scope::All, ListFilter::default(), Sort::default(), 100);
    assert_eq!(page_through(&store, everything).await.len(), 1);
    let counts = store.count_tickets(&CounterSet::All).await.unwrap();
    assert_eq!(counts.get(&Facet::All), 1);
}

#[tokio::test]
async fn every_list_filter_and_sort_pages_to_the_end_with_no_duplicate_and_no_gap() {
    let (store, _) = fresh_store().await;
    let seeded = seed(&store, 40).await;
    every_list_pages_as_expected(&store, &seeded).await;
}

#[tokio::test]
async fn sharded_lists_merge_their_shards_into_the_same_pages() {
    let (store, reads) = fresh_store().await;
    let store = store.with_layout(Layout::new(4).unwrap());
    let seeded = seed(&store, 40).await;
    every_list_pages_as_expected(&store, &seeded).await;

    // Numbered pages skip across the shards to the same tickets as cursors.
    let first = query(Scope::All, ListFilter::default(), Sort::default(), 7);
    numbered_pages_match_cursors(&store, &first, 7).await;

    // A page of a sharded index is one query per shard, each reading at most limit + 1 items;
    // an index that is not sharded (a client's tickets) stays one query.
    reads.reset();
    let page = store.list_tickets(&first).await.unwrap();
    assert_eq!(page.items.len(), 7);
    assert_eq!(reads.requests(), 4);
    assert!(
        reads.items_evaluated() <= 4 * 8,
        "read {}",
        reads.items_evaluated()
    );
    reads.reset();
    let client = query(
        Scope::Client("client-a".into()),
        ListFilter::default(),
        Sort::default(),
        7,
    );
    store.list_tickets(&client).await.unwrap();
    assert_eq!(reads.requests(), 1);

    // Auto-close reads the resolved tickets of every shard, longest resolved first.
    let mut want: Vec<&TicketSummary> = seeded
        .iter()
        .filter(|t| t.status == Status::Resolved)
        .collect();
    want.sort_by_key(|t| (t.resolved_at.unwrap_or(t.updated_at), t.id.clone()));
    let want: Vec<&str> = want.iter().map(|t| t.id.as_str()).collect();
    let cutoff: Timestamp = "2100-01-01T00:00:00Z".parse().unwrap();
    for limit in [3, 100] {
        let due = store.resolved_before(cutoff, limit).await.unwrap();
        let due: Vec<&str> = due.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(due, want[..want.len().min(limit as usize)]);
    }

    // The tickets really are spread: every shard of the overall index holds some.
    let items = tickets_dynamodb::testing::all_items(&store).await;
    let shards: HashSet<String> = items
        .iter()
        .filter_map(|item| match item.get("idxAll") {
            Some(aws_sdk_dynamodb::types::AttributeValue::S(value)) => Some(value.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        shards,
        HashSet::from(["TICKET", "TICKET#1", "TICKET#2", "TICKET#3"].map(String::from))
    );
}

/// Reads `pages` numbered pages of `first` and checks they serve what its cursors serve.
async fn numbered_pages_match_cursors(store: &DynamoStore, first: &ListQuery, pages: u32) {
    let by_cursor = page_through(store, first.clone()).await;
    let mut by_number = Vec::new();
    for page in 1..=pages {
        let q = ListQuery {
            start: PageStart::Page(page),
            ..first.clone()
        };
        let items = store.list_tickets(&q).await.unwrap().items;
        by_number.extend(items.into_iter().map(|t| t.id));
    }
    assert_eq!(by_number, by_cursor);
}

/// Pages through every filter and sort, by cursor, and compares with what the seeded tickets
/// say each list holds.
async fn every_list_pages_as_expected(store: &DynamoStore, seeded: &[TicketSummary]) {
    let filters = [
        ListFilter::default(),
        ListFilter {
            status: Some(Status::Open),
            ..ListFilter::default()
        },
        ListFilter {
            category: Some(Category::Billing),
            ..ListFilter::default()
        },
        ListFilter {
            priority: Some(Priority::Urgent),
            ..ListFilter::default()
        },
        ListFilter {
            tag: Some("vpn".into()),
            ..ListFilter::default()
        },
        ListFilter {
            assigned_to: Some("agent-0".into()),
            ..ListFilter::default()
        },
        ListFilter {
            status: Some(Status::Open),
            priority: Some(Priority::Low),
            tag: Some("vpn".into()),
            ..ListFilter::default()
        },
    ];
    let sorts = [
        Sort {
            field: SortField::CreatedAt,
            descending: true,
        },
        Sort {
            field: SortField::CreatedAt,
            descending: false,
        },
        Sort {
            field: SortField::UpdatedAt,
            descending: true,
        },
        Sort {
            field: SortField::UpdatedAt,
            descending: false,
        },
    ];
    for scope in [Scope::All, Scope::Client("client-a".into())] {
        for filter in &filters {
            for sort in sorts {
                let want = expected(seeded, &scope, filter, sort);
                let got = page_through(store, query(scope.clone(), filter.clone(), sort, 3)).await;
                assert_eq!(
                    got.len(),
                    got.iter().collect::<HashSet<_>>().len(),
                    "duplicates"
                );
                assert_eq!(got, want, "{scope:?} {filter:?} {sort:?}");
            }
        }
    }
}

#[tokio::test]
async fn a_list_page_is_one_query_reading_at_most_limit_plus_one_items_and_never_a_scan() {
    let (store, reads) = fresh_store().await;
    seed(&store, 60).await;
    let filters = [
        ListFilter::default(),
        ListFilter {
            status: Some(Status::Closed),
            ..ListFilter::default()
        },
        ListFilter {
            tag: Some("vpn".into()),
            priority: Some(Priority::High),
            ..ListFilter::default()
        },
    ];
    for scope in [Scope::All, Scope::Client("client-b".into())] {
        for filter in &filters {
            let mut q = query(scope.clone(), filter.clone(), Sort::default(), 5);
            for _ in 0..3 {
                reads.reset();
                let page = store.list_tickets(&q).await.unwrap();
                assert_eq!(reads.requests(), 1, "one request per page");
                assert!(
                    reads.items_evaluated() <= 6,
                    "read {} items",
                    reads.items_evaluated()
                );
                assert_eq!(reads.scans(), 0);
                match page.next_cursor {
                    Some(cursor) => q.start = PageStart::Cursor(cursor),
                    None => break,
                }
            }
        }
    }
    reads.reset();
    store.count_tickets(&CounterSet::All).await.unwrap();
    assert_eq!(reads.requests(), 1, "counts are one batch read");
}

#[tokio::test]
async fn numbered_pages_serve_the_same_tickets_as_cursors() {
    let (store, _) = fresh_store().await;
    seed(&store, 23).await;
    let first = query(Scope::All, ListFilter::default(), Sort::default(), 5);
    numbered_pages_match_cursors(&store, &first, 6).await;
}

#[tokio::test]
async fn a_cursor_for_another_query_is_refused() {
    let (store, _) = fresh_store().await;
    seed(&store, 4).await;
    let q = query(Scope::All, ListFilter::default(), Sort::default(), 1);
    let cursor = store.list_tickets(&q).await.unwrap().next_cursor.unwrap();
    let other = ListQuery {
        sort: Sort {
            field: SortField::UpdatedAt,
            descending: true,
        },
        start: PageStart::Cursor(cursor),
        ..q.clone()
    };
    assert!(matches!(
        store.list_tickets(&other).await,
        Err(StoreError::InvalidCursor)
    ));
    let forged = ListQuery {
        start: PageStart::Cursor("bm90LWEtY3Vyc29y".into()),
        ..q
    };
    assert!(matches!(
        store.list_tickets(&forged).await,
        Err(StoreError::InvalidCursor)
    ));
}

#[tokio::test]
async fn counters_follow_creates_changes_and_soft_deletes_per_client_and_overall() {
    let (store, _) = fresh_store().await;
    let seeded = seed(&store, 30).await;
    let recount = |scope: &Scope, facet: &Facet, tickets: &[TicketSummary]| {
        tickets
            .iter()
            .filter(|t| match scope {
                Scope::All => true,
                Scope::Client(c) => &t.client == c,
            })
            .filter(|t| Facet::of(t).contains(facet))
            .count() as u64
    };
    let mut current = seeded.clone();
    // Move a few tickets around and delete two.
    for (n, ticket) in current.iter_mut().enumerate().take(6) {
        let mut after = ticket.clone();
        after.version += 1;
        match n {
            0 | 1 => after.deleted_at = Some(Timestamp::now()),
            _ => {
                after.status = Status::InProgress;
                after.tags.push("moved".into());
            }
        }
        store.save_ticket(ticket, &after).await.unwrap();
        *ticket = after;
    }
    for scope in [
        Scope::All,
        Scope::Client("client-a".into()),
        Scope::Client("client-b".into()),
    ] {
        let counts = store.count_tickets(&(&scope).into()).await.unwrap();
        let mut facets = vec![
            Facet::All,
            Facet::Tag("moved".into()),
            Facet::Tag("vpn".into()),
        ];
        facets.extend(Status::ALL.iter().map(|s| Facet::Status(*s)));
        facets.extend(Category::ALL.iter().map(|c| Facet::Category(*c)));
        for facet in facets {
            assert_eq!(
                counts.get(&facet),
                recount(&scope, &facet, &current),
                "{scope:?} {facet:?}"
            );
        }
    }
    // Deleted tickets have left every list.
    let listed = page_through(
        &store,
        query(Scope::All, ListFilter::default(), Sort::default(), 50),
    )
    .await;
    assert_eq!(listed.len(), 28);
    assert!(!listed.contains(&current[0].id));
}
