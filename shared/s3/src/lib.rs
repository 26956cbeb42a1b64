//! S3 adapter for the domain's `FileStore` port: presigned uploads and downloads (files never
//! pass through Lambda), and the check of what was really uploaded.

mod archives;
mod mail;
#[cfg(feature = "testing")]
pub mod testing;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::Client;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tickets_domain::store::{FileStore, PresignedUpload, StoredObject};
use tickets_domain::{Attachment, StoreError, Timestamp};

/// Upload URLs live 15 minutes at most, download URLs 5 (docs/DESIGN.md, Attachments).
pub const UPLOAD_URL_TTL: Duration =
    Duration::from_secs(tickets_domain::attachment::UPLOAD_WINDOW_MINUTES as u64 * 60);
pub const DOWNLOAD_URL_TTL: Duration = Duration::from_secs(5 * 60);

#[derive(Clone, Debug)]
pub struct S3Files {
    client: Client,
    bucket: String,
    upload_ttl: Duration,
    download_ttl: Duration,
}

impl S3Files {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            upload_ttl: UPLOAD_URL_TTL,
            download_ttl: DOWNLOAD_URL_TTL,
        }
    }

    /// Shorter URL lifetimes (never longer than the defaults), e.g. to watch one expire.
    pub fn with_ttls(mut self, upload: Duration, download: Duration) -> Self {
        self.upload_ttl = upload.min(UPLOAD_URL_TTL);
        self.download_ttl = download.min(DOWNLOAD_URL_TTL);
        self
    }

    /// The client from the function's shared AWS configuration, the bucket from `BUCKET_NAME`.
    /// `S3_FORCE_PATH_STYLE=true` addresses the bucket in the path, as local servers need.
    pub fn from_config(
        shared: &aws_config::SdkConfig,
        settings: &tickets_lambda::Settings,
    ) -> Result<Self, tickets_lambda::SettingError> {
        let bucket = settings.required("BUCKET_NAME")?;
        let path_style = settings.is_true("S3_FORCE_PATH_STYLE");
        Ok(Self::new(
            Client::from_conf(config(shared, path_style)),
            bucket,
        ))
    }
}

/// An object key as an S3 event names it: URL-encoded as in a form (`+` for a space, `%XX`
/// for other bytes).
pub fn event_key(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// S3 settings for presigned URLs: no default CRC32 checksums, which a presigned PUT cannot
/// carry (the uploader would have to compute and send them). Timeouts and retries are the
/// shared configuration's (`tickets_lambda::aws_config`).
pub fn config(shared: &aws_config::SdkConfig, path_style: bool) -> aws_sdk_s3::Config {
    aws_sdk_s3::config::Builder::from(shared)
        .force_path_style(path_style)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .build()
}

fn failed(what: &str, err: impl std::error::Error) -> StoreError {
    StoreError::Internal(format!("{what}: {}", DisplayErrorContext(err)))
}

/// Timeouts, dropped connections and S3's "slow down" are worth retrying later (503); the
/// rest is internal, with the detail kept for the logs ([`tickets_lambda::classify`]).
fn request_failed<E, R>(what: &str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match tickets_lambda::classify(what, &err) {
        tickets_lambda::AwsFailure::Transient => StoreError::Unavailable,
        tickets_lambda::AwsFailure::Permanent(detail) => StoreError::Internal(detail),
    }
}

fn presigning(ttl: Duration) -> Result<PresigningConfig, StoreError> {
    PresigningConfig::expires_in(ttl).map_err(|e| failed("presigning config", e))
}

/// Characters kept as they are in `filename*` (RFC 5987 attr-char).
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<exact name>` (RFC 6266).
pub fn content_disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact = utf8_percent_encode(filename, ATTR_CHAR);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}")
}

impl FileStore for S3Files {
    async fn presign_upload(
        &self,
        key: &str,
        attachment: &Attachment,
    ) -> Result<PresignedUpload, StoreError> {
        let expires_at = Timestamp::from(Timestamp::now().as_datetime() + self.upload_ttl);
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(&attachment.content_type)
            // Signed: S3 refuses a body of any other size than the one declared.
            .content_length(i64::try_from(attachment.size).unwrap_or(i64::MAX))
            .presigned(presigning(self.upload_ttl)?)
            .await
            .map_err(|e| failed("presign upload", e))?;
        let headers: BTreeMap<String, String> = request
            .headers()
            // The uploader sends what was signed; the host comes from the URL, and the
            // function's own trace id is not the uploader's business.
            .filter(|(name, _)| {
                !name.eq_ignore_ascii_case("host") && !name.eq_ignore_ascii_case("x-amzn-trace-id")
            })
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Ok(PresignedUpload {
            url: request.uri().to_string(),
            method: request.method().to_string(),
            headers,
            expires_at,
        })
    }

    async fn presign_download(
        &self,
        key: &str,
        attachment: &Attachment,
    ) -> Result<String, StoreError> {
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(content_disposition(&attachment.filename))
            .response_content_type(&attachment.content_type)
            .presigned(presigning(self.download_ttl)?)
            .await
            .map_err(|e| failed("presign download", e))?;
        Ok(request.uri().to_string())
    }

    async fn inspect(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(head) => Ok(Some(StoredObject {
                size: head.content_length().unwrap_or(0).max(0) as u64,
                content_type: head.content_type().unwrap_or_default().to_string(),
            })),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(err) => Err(request_failed("head object", err)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| request_failed("delete object", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_are_decoded_as_s3_encodes_them() {
        assert_eq!(
            event_key("tickets/a+b/%C3%B1and%C3%BA+file.png"),
            "tickets/a b/ñandú file.png"
        );
        assert_eq!(event_key("tickets/x%2By"), "tickets/x+y");
        assert_eq!(event_key("plain/key"), "plain/key");
    }

    #[test]
    fn content_disposition_keeps_the_exact_name_and_a_safe_fallback() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        let tricky = content_disposition("say \"hi\"; résumé.pdf");
        assert!(tricky.starts_with("attachment; filename=\"say _hi_; r_sum_.pdf\""));
        assert!(tricky.ends_with("filename*=UTF-8''say%20%22hi%22%3B%20r%C3%A9sum%C3%A9.pdf"));
    }
}
