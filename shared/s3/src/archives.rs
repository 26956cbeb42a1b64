//! The export archives: written by a multipart upload, a part per full buffer of each step of
//! the job, downloaded through a presigned link. The steps' carried bytes are small objects
//! beside the archive.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use tickets_domain::store::{ArchivePart, ArchiveStore};
use tickets_domain::{StoreError, Timestamp};

use crate::{content_disposition, failed, presigning, request_failed, S3Files};

impl ArchiveStore for S3Files {
    async fn start_upload(&self, key: &str) -> Result<String, StoreError> {
        let output = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/gzip")
            .send()
            .await
            .map_err(|e| request_failed("create multipart upload", e))?;
        output
            .upload_id
            .ok_or_else(|| StoreError::Internal("create multipart upload: no upload id".into()))
    }

    async fn upload_part(
        &self,
        key: &str,
        upload: &str,
        number: u32,
        bytes: Vec<u8>,
    ) -> Result<String, StoreError> {
        let output = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload)
            .part_number(i32::try_from(number).map_err(|e| failed("part number", e))?)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| request_failed("upload part", e))?;
        output
            .e_tag
            .ok_or_else(|| StoreError::Internal("upload part: no ETag".into()))
    }

    async fn complete_upload(
        &self,
        key: &str,
        upload: &str,
        parts: &[ArchivePart],
    ) -> Result<(), StoreError> {
        let parts = parts
            .iter()
            .map(|part| {
                CompletedPart::builder()
                    .part_number(i32::try_from(part.number).unwrap_or(i32::MAX))
                    .e_tag(&part.etag)
                    .build()
            })
            .collect();
        let result = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Completed by an earlier attempt that ended before it could say so.
            Err(err)
                if err.as_service_error().and_then(|e| e.meta().code()) == Some("NoSuchUpload")
                    && self.read_head(key).await? =>
            {
                Ok(())
            }
            Err(err) => Err(request_failed("complete multipart upload", err)),
        }
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| request_failed("put object", e))
    }

    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Ok(None)
            }
            Err(err) => return Err(request_failed("get object", err)),
        };
        let bytes = output.body.collect().await.map_err(|e| {
            tracing::warn!(error = %e, "reading an object's body failed");
            StoreError::Unavailable
        })?;
        Ok(Some(bytes.to_vec()))
    }

    async fn remove(&self, key: &str) -> Result<(), StoreError> {
        tickets_domain::store::FileStore::delete(self, key).await
    }

    async fn delete_under(&self, prefix: &str) -> Result<u64, StoreError> {
        let mut deleted = 0;
        let mut token = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| request_failed("list objects", e))?;
            for object in page.contents() {
                if let Some(key) = object.key() {
                    self.remove(key).await?;
                    deleted += 1;
                }
            }
            token = page.next_continuation_token;
            if token.is_none() {
                return Ok(deleted);
            }
        }
    }

    async fn presign_archive(
        &self,
        key: &str,
        filename: &str,
    ) -> Result<(String, Timestamp), StoreError> {
        let expires_at = Timestamp::from(Timestamp::now().as_datetime() + self.download_ttl);
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(content_disposition(filename))
            .response_content_type("application/gzip")
            .presigned(presigning(self.download_ttl)?)
            .await
            .map_err(|e| failed("presign archive", e))?;
        Ok((request.uri().to_string(), expires_at))
    }
}

impl S3Files {
    /// Whether an object is there.
    async fn read_head(&self, key: &str) -> Result<bool, StoreError> {
        Ok(tickets_domain::store::FileStore::inspect(self, key)
            .await?
            .is_some())
    }
}
