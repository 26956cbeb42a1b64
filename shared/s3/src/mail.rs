//! The e-mail channel's objects: raw messages as SES's receipt rule stores them, and the files
//! they carry, stored by the function (they pass through it: SES gives no other way).

use aws_sdk_s3::primitives::ByteStream;
use tickets_domain::store::{FileStore, MailFiles, RawMail};
use tickets_domain::{StoreError, Timestamp};

use crate::{failed, request_failed, S3Files};

impl MailFiles for S3Files {
    async fn raw_mail(&self, key: &str, max_bytes: u64) -> Result<RawMail, StoreError> {
        // The size first (the file store's `inspect`): a message too large is never read.
        let Some(head) = self.inspect(key).await? else {
            return Ok(RawMail::Gone);
        };
        if head.size > max_bytes {
            return Ok(RawMail::TooLarge(head.size));
        }
        let object = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(object) => object,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Ok(RawMail::Gone)
            }
            Err(err) => return Err(request_failed("get raw mail", err)),
        };
        let received_at = object
            .last_modified()
            .and_then(|at| chrono::DateTime::from_timestamp(at.secs(), at.subsec_nanos()))
            .map(Timestamp::from)
            .unwrap_or_else(Timestamp::now);
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| failed("read raw mail", e))?
            .into_bytes();
        // The object may have grown between the two reads: the limit holds for what was read.
        if bytes.len() as u64 > max_bytes {
            return Ok(RawMail::TooLarge(bytes.len() as u64));
        }
        Ok(RawMail::Found {
            bytes: bytes.to_vec(),
            received_at,
        })
    }

    async fn store_file(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map_err(|e| request_failed("store mail file", e))?;
        Ok(())
    }
}
