//! Field rules shared by every command (docs/DESIGN.md, The ticket), collected so that one
//! request reports all of its problems at once.

use std::collections::BTreeSet;
use std::str::FromStr;

use crate::error::{DomainError, FieldError};

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 10_000;
pub const RESOLUTION_MAX: usize = 10_000;
pub const TAGS_MAX: usize = 20;
pub const TAG_MAX: usize = 50;
pub const PRINCIPAL_ID_MAX: usize = 128;
pub const EXTERNAL_ATTACHMENTS_MAX: usize = 10;
pub const FILENAME_MAX: usize = 255;
pub const URL_MAX: usize = 2_048;
pub const CONTENT_TYPE_MAX: usize = 255;

/// Collects field errors; `finish` turns them into one `Validation` error.
#[derive(Default)]
pub(crate) struct Checker {
    errors: Vec<FieldError>,
}

/// Whether line breaks and tabs are allowed in a text field (they are in prose, not in names).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lines {
    Single,
    Multi,
}

impl Checker {
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn finish(self) -> Result<(), DomainError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.errors))
        }
    }

    /// A required value: reports `field` as missing when absent.
    pub fn required<'a, T>(&mut self, field: &str, value: &'a Option<T>) -> Option<&'a T> {
        if value.is_none() {
            self.fail(field, "is required");
        }
        value.as_ref()
    }

    /// Trimmed text of 1..=max characters without control characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize, lines: Lines) -> Option<String> {
        let trimmed = value.trim();
        let length = trimmed.chars().count();
        if length == 0 {
            self.fail(field, "must not be empty");
            return None;
        }
        if length > max {
            self.fail(field, format!("must be at most {max} characters"));
            return None;
        }
        let allowed =
            |c: char| !c.is_control() || (lines == Lines::Multi && matches!(c, '\n' | '\r' | '\t'));
        if !trimmed.chars().all(allowed) {
            self.fail(field, "must not contain control characters");
            return None;
        }
        Some(trimmed.to_owned())
    }

    /// One of a closed set of values, named in the message when it is not.
    pub fn one_of<T: FromStr + Copy + std::fmt::Display>(
        &mut self,
        field: &str,
        value: &str,
        all: &[T],
    ) -> Option<T> {
        let parsed = value.parse().ok();
        if parsed.is_none() {
            let allowed: Vec<String> = all.iter().map(ToString::to_string).collect();
            self.fail(field, format!("must be one of: {}", allowed.join(", ")));
        }
        parsed
    }

    /// Tags: at most 20, each 1..=50 characters, stored lower-cased and unique, in given order.
    pub fn tags(&mut self, values: &[String]) -> Option<Vec<String>> {
        self.tags_at("tags", values)
    }

    /// `tags` for a list of tags under another name (`field[i]` for each).
    pub fn tags_at(&mut self, name: &str, values: &[String]) -> Option<Vec<String>> {
        if values.len() > TAGS_MAX {
            self.fail(name, format!("must hold at most {TAGS_MAX} tags"));
            return None;
        }
        let mut seen = BTreeSet::new();
        let mut tags = Vec::with_capacity(values.len());
        let before = self.errors.len();
        for (index, value) in values.iter().enumerate() {
            let field = format!("{name}[{index}]");
            if let Some(tag) = self.text(&field, value, TAG_MAX, Lines::Single) {
                let tag = tag.to_lowercase();
                if seen.insert(tag.clone()) {
                    tags.push(tag);
                }
            }
        }
        (self.errors.len() == before).then_some(tags)
    }

    /// A principal id such as `client` or `assignedTo`.
    pub fn principal(&mut self, field: &str, value: &str) -> Option<String> {
        self.text(field, value, PRINCIPAL_ID_MAX, Lines::Single)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(checker: Checker) -> Vec<FieldError> {
        match checker.finish() {
            Err(DomainError::Validation(errors)) => errors,
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    #[test]
    fn text_is_trimmed_and_bounded_in_characters_not_bytes() {
        let mut checker = Checker::default();
        assert_eq!(
            checker.text("title", "  hello ", 5, Lines::Single),
            Some("hello".into())
        );
        assert_eq!(
            checker.text("title", &"é".repeat(5), 5, Lines::Single),
            Some("ééééé".into())
        );
        assert!(checker.finish().is_ok());
    }

    #[test]
    fn empty_long_and_control_text_are_each_reported() {
        let mut checker = Checker::default();
        checker.text("a", "   ", 5, Lines::Single);
        checker.text("b", "toolong", 5, Lines::Single);
        checker.text("c", "x\u{0}y", 5, Lines::Single);
        checker.text("d", "line\nbreak", 20, Lines::Single);
        assert_eq!(
            checker.text("e", "line\nbreak", 20, Lines::Multi),
            Some("line\nbreak".into())
        );
        let fields: Vec<String> = errors(checker).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["a", "b", "c", "d"]);
    }

    #[test]
    fn tags_are_lower_cased_and_deduplicated_in_order() {
        let mut checker = Checker::default();
        let tags = checker.tags(&["VPN".into(), "login".into(), "vpn".into()]);
        assert_eq!(tags, Some(vec!["vpn".to_string(), "login".to_string()]));
    }

    #[test]
    fn too_many_or_bad_tags_are_refused() {
        let mut checker = Checker::default();
        assert!(checker.tags(&vec!["t".to_string(); 21]).is_none());
        assert!(checker.tags(&["ok".into(), "".into()]).is_none());
        assert!(checker.tags(&["x".repeat(51)]).is_none());
        let fields: Vec<String> = errors(checker).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["tags", "tags[1]", "tags[0]"]);
    }
}
