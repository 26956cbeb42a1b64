//! The S3 adapter against a real S3 API (the local moto server).

use std::time::Duration;

use tickets_domain::attachment::download_route;
use tickets_domain::store::FileStore;
use tickets_domain::{Attachment, AttachmentStatus, Timestamp};
use tickets_s3::testing::{exists, fresh_files, put};

fn attachment(filename: &str) -> Attachment {
    Attachment {
        id: "01HMD3V8Q6Y0PZ3F7Q3K2T9W4X".into(),
        filename: filename.into(),
        url: download_route("01HMD3V8Q6Y0PZ3F7Q3K2T9W4Y", "01HMD3V8Q6Y0PZ3F7Q3K2T9W4X"),
        size: 5,
        content_type: "text/plain".into(),
        status: AttachmentStatus::Pending,
        uploaded_by: Some("client-1".into()),
    }
}

fn query_value(url: &str, name: &str) -> Option<String> {
    url.split_once('?')?.1.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.to_string())
    })
}

#[tokio::test]
async fn an_upload_url_is_a_put_to_the_key_signed_for_the_declared_type_and_says_when_it_expires() {
    let (files, _, bucket) = fresh_files().await;
    let before = Timestamp::now();
    let upload = files
        .presign_upload("tickets/t/a", &attachment("a.txt"))
        .await
        .unwrap();
    assert_eq!(upload.method, "PUT");
    assert!(
        upload.url.contains(&format!("/{bucket}/tickets/t/a?")),
        "{}",
        upload.url
    );
    assert_eq!(
        upload.headers.get("content-type").map(String::as_str),
        Some("text/plain")
    );
    assert!(
        !upload.url.contains("x-amz-checksum"),
        "no checksum a browser cannot send"
    );
    // The declared size is signed: S3 refuses a body of any other length.
    let declared = attachment("a.txt").size.to_string();
    assert_eq!(upload.headers.get("content-length"), Some(&declared));
    let signed = query_value(&upload.url, "X-Amz-SignedHeaders").unwrap_or_default();
    assert!(
        signed.split("%3B").any(|h| h == "content-length"),
        "{signed}"
    );
    assert_eq!(
        query_value(&upload.url, "X-Amz-Expires").as_deref(),
        Some("900")
    );
    let lifetime = upload.expires_at.as_datetime() - before.as_datetime();
    assert!((899..=901).contains(&lifetime.num_seconds()), "{lifetime}");
}

#[tokio::test]
async fn a_download_url_lives_five_minutes_and_downloads_under_the_filename() {
    let (files, _, _) = fresh_files().await;
    let url = files
        .presign_download("tickets/t/a", &attachment("résumé \"final\".pdf"))
        .await
        .unwrap();
    assert_eq!(query_value(&url, "X-Amz-Expires").as_deref(), Some("300"));
    let disposition = query_value(&url, "response-content-disposition").unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let shorter = files.with_ttls(Duration::from_secs(60), Duration::from_secs(10));
    let url = shorter
        .presign_download("tickets/t/a", &attachment("a.txt"))
        .await
        .unwrap();
    assert_eq!(query_value(&url, "X-Amz-Expires").as_deref(), Some("10"));
}

#[tokio::test]
async fn inspect_reports_the_real_object_and_delete_removes_it() {
    let (files, client, bucket) = fresh_files().await;
    assert_eq!(files.inspect("tickets/t/missing").await.unwrap(), None);
    put(&client, &bucket, "tickets/t/a", b"hello world", "image/png").await;
    let object = files.inspect("tickets/t/a").await.unwrap().unwrap();
    assert_eq!(
        (object.size, object.content_type.as_str()),
        (11, "image/png")
    );
    files.delete("tickets/t/a").await.unwrap();
    assert!(!exists(&client, &bucket, "tickets/t/a").await);
    files.delete("tickets/t/a").await.unwrap();
}
