//! `GET /v2/support-tickets`: one page of ticket summaries (no threads), newest first by default,
//! with pagination and, on request, counts by status. Clients see only their own tickets.

use std::fmt::Display;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use tickets_domain::satisfaction::Rating;
use tickets_domain::sla::ClockStatus;
use tickets_domain::store::{
    CounterSet, Counts, Facet, ListFilter, ListQuery, PageStart, SlaQueue, Sort, SortField,
    TicketLister,
};
use tickets_domain::{Caller, Category, Priority, Status, TicketSummary};
use tickets_http::request::QueryParams;
use tickets_http::{respond, Api, ApiError, Reply};

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;
/// Numbered pages read the tickets before them; deeper than this, use `cursor`.
const MAX_OFFSET: u32 = 10_000;
const PARAMETERS: &[&str] = &[
    "page",
    "limit",
    "cursor",
    "status",
    "category",
    "priority",
    "tag",
    "client",
    "assignedTo",
    "satisfaction",
    "sla",
    "countByStatus",
    "sort",
];

pub async fn handle<S: TicketLister>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&req, list_tickets(api, &req).await))
}

async fn list_tickets<S: TicketLister>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    let ListRequest {
        query,
        count_by_status,
    } = parse(QueryParams::read(req, PARAMETERS)?, &caller)?;

    let page = api.store.list_tickets(&query).await?;
    // The total is counted in the scope's counter set or, for an assignee's list filtered
    // further, in the assignee's; countByStatus reads the scope's. One read per set needed.
    let in_scope = CounterSet::from(&query.scope);
    let tally = query.filter.tally(&query.scope);
    let scope_counts = if count_by_status || tally.as_ref().is_some_and(|(set, _)| *set == in_scope)
    {
        Some(api.store.count_tickets(&in_scope).await?)
    } else {
        None
    };
    let total = match &tally {
        Some((set, tally)) if *set == in_scope => scope_counts.as_ref().map(|c| c.total(tally)),
        Some((set, tally)) => Some(api.store.count_tickets(set).await?.total(tally)),
        None => None,
    };
    let pagination = Pagination {
        page: match query.start {
            PageStart::Page(n) => Some(n),
            PageStart::Cursor(_) => None,
        },
        limit: query.limit,
        total,
        pages: total.map(|total| total.div_ceil(u64::from(query.limit))),
        next_cursor: page.next_cursor,
    };
    let extra = ListMembers {
        pagination,
        counts: scope_counts
            .as_ref()
            .filter(|_| count_by_status)
            .map(StatusCounts),
    };
    let items: Vec<TicketSummary> = page
        .items
        .into_iter()
        .map(|ticket| ticket.shown_to(&caller))
        .collect();
    Ok(Reply::new(StatusCode::OK, &items, &extra))
}

#[derive(Serialize)]
struct ListMembers<'a> {
    pagination: Pagination,
    #[serde(skip_serializing_if = "Option::is_none")]
    counts: Option<StatusCounts<'a>>,
}

/// `page` is null when paging by cursor; `total` and `pages` are null when the filters combine
/// in a way no counter covers (see docs/API.md).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    page: Option<u32>,
    limit: u32,
    total: Option<u64>,
    pages: Option<u64>,
    next_cursor: Option<String>,
}

/// `{"open": n, "pending": n, "in_progress": n, "resolved": n, "closed": n}`, in workflow order.
struct StatusCounts<'a>(&'a Counts);

impl Serialize for StatusCounts<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            Status::ALL
                .iter()
                .map(|status| (status.as_str(), self.0.get(&Facet::Status(*status)))),
        )
    }
}

struct ListRequest {
    query: ListQuery,
    count_by_status: bool,
}

/// The `sort` values and what they mean.
#[derive(Clone, Copy)]
struct SortParam(&'static str, Sort);

impl Display for SortParam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

const SORTS: [SortParam; 6] = [
    SortParam(
        "-createdAt",
        Sort {
            field: SortField::CreatedAt,
            descending: true,
        },
    ),
    SortParam(
        "createdAt",
        Sort {
            field: SortField::CreatedAt,
            descending: false,
        },
    ),
    SortParam(
        "-updatedAt",
        Sort {
            field: SortField::UpdatedAt,
            descending: true,
        },
    ),
    SortParam(
        "updatedAt",
        Sort {
            field: SortField::UpdatedAt,
            descending: false,
        },
    ),
    SortParam(
        "slaDueAt",
        Sort {
            field: SortField::SlaDueAt,
            descending: false,
        },
    ),
    SortParam(
        "-slaDueAt",
        Sort {
            field: SortField::SlaDueAt,
            descending: true,
        },
    ),
];

/// The service-level standings a list may ask for.
const STANDINGS: [ClockStatus; 3] = [
    ClockStatus::Breached,
    ClockStatus::AtRisk,
    ClockStatus::Active,
];

/// Reads and checks every parameter. Bad values are 400; a client asking for other clients'
/// tickets or filtering by assignee is 403.
fn parse(mut p: QueryParams, caller: &Caller) -> Result<ListRequest, ApiError> {
    let page = p.number("page", 1..=u32::MAX, 1);
    let limit = p.number("limit", 1..=MAX_LIMIT, DEFAULT_LIMIT);
    let cursor = p.text("cursor", 1024);
    if cursor.is_some() && page > 1 {
        p.fail("cursor", "cannot be combined with page");
    }
    if (page - 1).saturating_mul(limit) > MAX_OFFSET {
        p.fail("page", "is too deep; follow nextCursor instead");
    }
    let mut filter = ListFilter {
        status: p.one_of("status", Status::ALL),
        category: p.one_of("category", Category::ALL),
        priority: p.one_of("priority", Priority::ALL),
        tag: p.text("tag", 50).map(|tag| tag.to_lowercase()),
        assigned_to: p
            .text("assignedTo", 128)
            .map(|a| if a == "me" { caller.id.clone() } else { a }),
        satisfaction: p.one_of("satisfaction", &Rating::ALL),
        sla: p.one_of("sla", &STANDINGS).map(SlaQueue::Standing),
    };
    let client = p.text("client", 128);
    let sort = p.one_of("sort", &SORTS).map(|s| s.1);
    // The service-level queue is read in due order, and due order lists the queue only.
    let sort = match (sort, filter.sla) {
        (Some(sort), None) if sort.field == SortField::SlaDueAt => {
            filter.sla = Some(SlaQueue::Running);
            sort
        }
        (Some(sort), Some(_)) if sort.field != SortField::SlaDueAt => {
            p.fail("sort", "must be slaDueAt or -slaDueAt with sla");
            sort
        }
        (None, Some(_)) => SORTS[4].1,
        (sort, _) => sort.unwrap_or_default(),
    };
    let count_by_status = p.one_of("countByStatus", &[true, false]).unwrap_or(false);
    p.finish()?;

    let scope = caller.list_scope(client, &filter)?;
    let start = cursor.map_or(PageStart::Page(page), PageStart::Cursor);
    Ok(ListRequest {
        query: ListQuery {
            scope,
            filter,
            sort,
            limit,
            start,
        },
        count_by_status,
    })
}
