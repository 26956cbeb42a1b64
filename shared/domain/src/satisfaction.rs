//! Satisfaction: the ticket's own client rates the help it got, once the ticket is resolved or
//! closed, and may change the rating for a while after the first one (docs/API.md).

use serde::Deserialize;

use crate::access::Caller;
use crate::error::{DomainError, FieldError};
pub use crate::model::{Rating, Satisfaction};
use crate::model::{Status, TicketSummary, Timestamp};
use crate::validation::{Checker, Lines};

/// How long after the first rating a client may still change it, unless configured.
pub const RATING_WINDOW_DAYS: u32 = 7;

/// The longest comment a rating takes, in characters.
pub const COMMENT_MAX: usize = 2_000;

/// The body of `PUT /v2/support-tickets/{id}/satisfaction`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRating {
    pub rating: Option<String>,
    pub comment: Option<String>,
}

impl NewRating {
    /// Rates `ticket` for `caller`, which may see it. Only the ticket's own client rates (403
    /// for staff); the fields' rules (422); only a resolved or closed ticket, and a rating only
    /// within `window_days` of the first one (409). `None` when the rating is the one stored.
    pub fn apply(
        &self,
        ticket: &TicketSummary,
        caller: &Caller,
        now: Timestamp,
        window_days: u32,
    ) -> Result<Option<TicketSummary>, DomainError> {
        if caller.is_staff() || caller.id != ticket.client {
            return Err(DomainError::Forbidden(vec![FieldError::new(
                "rating",
                "only the ticket's client rates it",
            )]));
        }
        let mut check = Checker::default();
        let rating = match &self.rating {
            None => {
                check.fail("rating", "is required");
                None
            }
            Some(value) => check.one_of("rating", value, &Rating::ALL),
        };
        let comment = self
            .comment
            .as_deref()
            .and_then(|text| check.text("comment", text, COMMENT_MAX, Lines::Multi));
        check.finish()?;
        let Some(rating) = rating else {
            return Err(DomainError::validation("rating", "is required"));
        };
        if let Some(into) = &ticket.merged_into {
            return Err(DomainError::Conflict(format!(
                "the ticket was merged into {into}: rate that one"
            )));
        }
        if !matches!(ticket.status, Status::Resolved | Status::Closed) {
            return Err(DomainError::Conflict(
                "a ticket is rated once it is resolved or closed".into(),
            ));
        }
        let first_rated_at = match &ticket.satisfaction {
            Some(stored) => {
                let closes = stored.first_rated_at.as_datetime()
                    + chrono::Duration::days(i64::from(window_days));
                if now.as_datetime() > closes {
                    return Err(DomainError::Conflict(format!(
                        "a rating can be changed for {window_days} days after the first one"
                    )));
                }
                if stored.rating == rating && stored.comment == comment {
                    return Ok(None);
                }
                stored.first_rated_at
            }
            None => now,
        };
        let mut after = ticket.clone();
        after.satisfaction = Some(Satisfaction {
            rating,
            comment,
            rated_at: now,
            first_rated_at,
        });
        Ok(Some(after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::testing::summary;

    fn rate(rating: &str, comment: Option<&str>) -> NewRating {
        NewRating {
            rating: Some(rating.into()),
            comment: comment.map(str::to_owned),
        }
    }

    fn owner(ticket: &TicketSummary) -> Caller {
        Caller::new(ticket.client.clone(), Role::Client)
    }

    #[test]
    fn the_owner_rates_a_resolved_or_closed_ticket_and_nothing_else() {
        let now = Timestamp::now();
        for status in [Status::Resolved, Status::Closed] {
            let ticket = summary(status);
            let rated = rate("good", Some("Quick, thanks"))
                .apply(&ticket, &owner(&ticket), now, 7)
                .unwrap()
                .unwrap();
            let satisfaction = rated.satisfaction.unwrap();
            assert_eq!(satisfaction.rating, Rating::Good);
            assert_eq!(satisfaction.comment.as_deref(), Some("Quick, thanks"));
            assert_eq!(
                (satisfaction.rated_at, satisfaction.first_rated_at),
                (now, now)
            );
        }
        for status in [Status::Open, Status::Pending, Status::InProgress] {
            let ticket = summary(status);
            assert!(matches!(
                rate("bad", None).apply(&ticket, &owner(&ticket), now, 7),
                Err(DomainError::Conflict(_))
            ));
        }
        let ticket = summary(Status::Resolved);
        for staff in [Role::Agent, Role::Admin] {
            let caller = Caller::new("someone", staff);
            assert!(matches!(
                rate("good", None).apply(&ticket, &caller, now, 7),
                Err(DomainError::Forbidden(_))
            ));
        }
        let other = Caller::new("another-client", Role::Client);
        assert!(matches!(
            rate("good", None).apply(&ticket, &other, now, 7),
            Err(DomainError::Forbidden(_))
        ));
        let mut merged = summary(Status::Closed);
        merged.merged_into = Some(crate::model::new_id());
        assert!(matches!(
            rate("good", None).apply(&merged, &owner(&merged), now, 7),
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn bad_fields_are_refused_by_name() {
        let ticket = summary(Status::Resolved);
        let now = Timestamp::now();
        for (body, field) in [
            (NewRating::default(), "rating"),
            (rate("great", None), "rating"),
            (rate("good", Some("  ")), "comment"),
            (rate("good", Some(&"x".repeat(COMMENT_MAX + 1))), "comment"),
        ] {
            match body.apply(&ticket, &owner(&ticket), now, 7) {
                Err(DomainError::Validation(errors)) => assert_eq!(errors[0].field, field),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_rating_changes_within_the_window_from_the_first_and_not_after() {
        let first: Timestamp = "2030-01-01T10:00:00Z".parse().unwrap();
        let ticket = summary(Status::Closed);
        let rated = rate("bad", None)
            .apply(&ticket, &owner(&ticket), first, 7)
            .unwrap()
            .unwrap();
        let later: Timestamp = "2030-01-08T09:00:00Z".parse().unwrap();
        let changed = rate("good", Some("Sorted after all"))
            .apply(&rated, &owner(&rated), later, 7)
            .unwrap()
            .unwrap();
        let satisfaction = changed.satisfaction.clone().unwrap();
        assert_eq!(
            (satisfaction.rated_at, satisfaction.first_rated_at),
            (later, first)
        );
        // The same rating again changes nothing.
        assert_eq!(
            rate("good", Some("Sorted after all"))
                .apply(&changed, &owner(&changed), later, 7)
                .unwrap(),
            None
        );
        let too_late: Timestamp = "2030-01-08T10:00:01Z".parse().unwrap();
        assert!(matches!(
            rate("bad", None).apply(&changed, &owner(&changed), too_late, 7),
            Err(DomainError::Conflict(_))
        ));
    }
}
