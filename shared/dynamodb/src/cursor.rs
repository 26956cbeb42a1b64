//! The one cursor codec: a continuation cursor is the URL-safe base64 of the text that says
//! where the next page starts (a message id, a history sort key, an index position). Each
//! reader checks that the text is one it issued; anything else is `InvalidCursor` (400).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tickets_domain::StoreError;

pub(crate) fn encode(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(position)
}

/// The position a cursor stands for, if `valid` accepts it.
pub(crate) fn decode(cursor: &str, valid: impl Fn(&str) -> bool) -> Result<String, StoreError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|position| valid(position))
        .ok_or(StoreError::InvalidCursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_anything_else_is_invalid() {
        let cursor = encode("AUDIT#2026-11-30#01J");
        assert_eq!(
            decode(&cursor, |p| p.starts_with("AUDIT#")).unwrap(),
            "AUDIT#2026-11-30#01J"
        );
        assert!(matches!(
            decode(&cursor, |p| p.starts_with("MSG#")),
            Err(StoreError::InvalidCursor)
        ));
        assert!(matches!(
            decode("not base64!", |_| true),
            Err(StoreError::InvalidCursor)
        ));
        assert!(matches!(
            decode(&encode("\u{0}"), |_| true).map(|p| p.len()),
            Ok(1)
        ));
    }
}
