//! Plain object reads and writes on S3, for plan files stored as `s3://bucket/key`.
//! Path-style addressing when an endpoint override is set (emulators and S3-compatible stores
//! have no per-bucket DNS names).

use aws_sdk_s3::primitives::ByteStream;

use super::{AwsError, sdk_error};

/// `s3://bucket/key` → (bucket, key).
pub(crate) fn parse_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_owned(), key.to_owned()))
}

pub(crate) fn client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let mut builder = aws_sdk_s3::config::Builder::from(config);
    if std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
    {
        builder = builder.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}

pub(crate) async fn get(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, AwsError> {
    let output = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|error| sdk_error("GetObject", error))?;
    let bytes = output
        .body
        .collect()
        .await
        .map_err(|error| AwsError::Transport {
            operation: "GetObject",
            message: error.to_string(),
        })?;
    Ok(bytes.into_bytes().to_vec())
}

pub(crate) async fn put(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    bytes: Vec<u8>,
) -> Result<(), AwsError> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(ByteStream::from(bytes))
        .send()
        .await
        .map_err(|error| sdk_error("PutObject", error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_url;

    #[test]
    fn s3_urls() {
        assert_eq!(
            parse_url("s3://bucket/plans/p.json"),
            Some(("bucket".into(), "plans/p.json".into()))
        );
        assert_eq!(parse_url("s3://bucket/"), None);
        assert_eq!(parse_url("plan.json"), None);
    }
}
