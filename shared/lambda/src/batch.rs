//! The answer to an SQS batch (`ReportBatchItemFailures`): the messages not done with are
//! reported failed, alone, and SQS brings them back; the others are deleted.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsMessage};

/// The response for `messages`, given whether each was done with (in the same order).
pub fn batch_response(
    messages: &[SqsMessage],
    done: impl IntoIterator<Item = bool>,
) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = messages
        .iter()
        .zip(done)
        .filter(|(_, done)| !done)
        .map(|(message, _)| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message.message_id.clone().unwrap_or_default();
            failure
        })
        .collect();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_messages_not_done_with_are_reported() {
        let messages: Vec<SqsMessage> = ["a", "b", "c"]
            .iter()
            .map(|id| {
                let mut message = SqsMessage::default();
                message.message_id = Some((*id).into());
                message
            })
            .collect();
        let response = batch_response(&messages, [true, false, true]);
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["b"]);
    }
}
