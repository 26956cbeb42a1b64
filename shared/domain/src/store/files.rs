//! Where attachment files live (S3).

use std::collections::BTreeMap;
use std::future::Future;

use crate::error::StoreError;
use crate::model::{Attachment, Timestamp};

/// Attachment files. URLs are presigned: files never pass through the API.
pub trait FileStore: Send + Sync {
    fn presign_upload(
        &self,
        key: &str,
        attachment: &Attachment,
    ) -> impl Future<Output = Result<PresignedUpload, StoreError>> + Send;

    /// A short-lived URL that downloads the file as an attachment under its filename.
    fn presign_download(
        &self,
        key: &str,
        attachment: &Attachment,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;

    /// The stored object's real size and content type, or `None` when there is none.
    fn inspect(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredObject>, StoreError>> + Send;

    /// Deletes the object; deleting one that does not exist succeeds.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// How to upload one file: `PUT` the bytes to `url` with `headers`, before `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresignedUpload {
    pub url: String,
    pub method: String,
    pub headers: BTreeMap<String, String>,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredObject {
    pub size: u64,
    pub content_type: String,
}
