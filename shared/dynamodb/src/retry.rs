//! Trying again: the pause before a retry, and sending what a batch request left unprocessed.

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use tickets_domain::StoreError;

/// How many requests a batch may take, the first included, before its remaining items are
/// given up on (as unavailable: the caller answers 503 or fails the record, to be retried).
pub(crate) const BATCH_ATTEMPTS: u32 = 8;

/// The pause before try `attempt` (1, 2, ...): a random time up to 10 ms × 2^attempt, at most
/// 1 s ("full jitter"), so that callers colliding on the same items do not collide again.
pub(crate) async fn backoff(attempt: u32) {
    let ceiling = Duration::from_millis(10 << attempt.min(7)).min(Duration::from_secs(1));
    tokio::time::sleep(ceiling.mul_f64(random_fraction())).await;
}

/// A number in [0, 1), different at every call (randomly keyed hashing: no RNG dependency).
fn random_fraction() -> f64 {
    let bits = RandomState::new().build_hasher().finish() >> 11;
    bits as f64 / (1u64 << 53) as f64
}

/// Sends `request`, then what DynamoDB left unprocessed of it, with a pause before each resend,
/// until nothing is left: at most `BATCH_ATTEMPTS` requests. `send` answers the unprocessed
/// part, `None` when there is none.
pub(crate) async fn until_processed<R, F, Fut>(request: R, mut send: F) -> Result<(), StoreError>
where
    F: FnMut(R) -> Fut,
    Fut: Future<Output = Result<Option<R>, StoreError>>,
{
    let mut pending = request;
    for attempt in 0..BATCH_ATTEMPTS {
        if attempt > 0 {
            backoff(attempt).await;
        }
        match send(pending).await? {
            None => return Ok(()),
            Some(rest) => pending = rest,
        }
    }
    tracing::warn!(
        attempts = BATCH_ATTEMPTS,
        "batch items still unprocessed; giving up"
    );
    Err(StoreError::Unavailable)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn resends_only_what_is_left_and_gives_up_after_the_limit() {
        let sent = Cell::new(Vec::new());
        let result = until_processed(5u32, |left| {
            let mut log = sent.take();
            log.push(left);
            sent.set(log);
            async move { Ok((left > 2).then(|| left - 1)) }
        })
        .await;
        assert!(result.is_ok());
        assert_eq!(sent.take(), [5, 4, 3, 2]);

        let calls = Cell::new(0);
        let result = until_processed((), |()| {
            calls.set(calls.get() + 1);
            async { Ok(Some(())) }
        })
        .await;
        assert!(matches!(result, Err(StoreError::Unavailable)));
        assert_eq!(calls.get(), BATCH_ATTEMPTS);
    }

    #[test]
    fn the_jitter_spreads_over_the_whole_range() {
        let samples: Vec<f64> = (0..1000).map(|_| random_fraction()).collect();
        assert!(samples.iter().all(|f| (0.0..1.0).contains(f)));
        assert!(samples.iter().any(|f| *f < 0.1) && samples.iter().any(|f| *f > 0.9));
    }
}
