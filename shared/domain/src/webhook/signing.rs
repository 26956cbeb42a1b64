//! Standard Webhooks signatures (https://www.standardwebhooks.com): the `whsec_` secret, and the
//! `webhook-signature` of one delivery, so that receivers verify with any of the spec's
//! libraries.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How a secret is shown: `whsec_` and the key in base64.
pub const SECRET_PREFIX: &str = "whsec_";

/// Bytes of a new secret's key (the spec allows 24 to 64).
const KEY_BYTES: usize = 32;

/// A subscription's signing key.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    /// A secret never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// A new random key from the operating system's source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut key = vec![0; KEY_BYTES];
        getrandom::fill(&mut key)?;
        Ok(Secret(key))
    }

    /// `whsec_<base64 key>`, as shown once to the admin and stored.
    pub fn parse(text: &str) -> Option<Self> {
        let key = STANDARD.decode(text.strip_prefix(SECRET_PREFIX)?).ok()?;
        (24..=64).contains(&key.len()).then_some(Secret(key))
    }

    pub fn to_text(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &str) -> String {
        // HMAC takes a key of any length: this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per secret in use (during a rotation, the new
/// one and the old one), space-separated; a receiver accepts any that it can verify.
pub fn signature_header<'a>(
    secrets: impl IntoIterator<Item = &'a Secret>,
    id: &str,
    timestamp: i64,
    body: &str,
) -> String {
    secrets
        .into_iter()
        .map(|secret| secret.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_example_signs_as_published() {
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            secret.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn new_secrets_are_random_round_trip_and_never_print() {
        let (a, b) = (Secret::generate().unwrap(), Secret::generate().unwrap());
        assert_ne!(a, b);
        assert_eq!(Secret::parse(&a.to_text()), Some(a.clone()));
        assert_eq!(format!("{a:?}"), "Secret(..)");
        assert!(Secret::parse("whsec_short").is_none());
        assert!(
            Secret::parse(&a.to_text()[6..]).is_none(),
            "the prefix is part of it"
        );
    }

    #[test]
    fn a_rotation_signs_with_both_secrets() {
        let (new, old) = (Secret::generate().unwrap(), Secret::generate().unwrap());
        let header = signature_header([&new, &old], "msg_1", 1, "{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(
            parts,
            [new.sign("msg_1", 1, "{}"), old.sign("msg_1", 1, "{}")]
        );
    }
}
