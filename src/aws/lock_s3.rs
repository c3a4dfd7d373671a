//! The S3 lockfile [`LockStore`]: one JSON object per lock at `<prefix>/<lock_id>.lock`, written
//! only with S3 conditional writes, the mechanism Terraform 1.10+ uses for its lockfile:
//! `If-None-Match: *` to create, `If-Match: <etag>` to renew, to take over an expired lease and
//! to delete. It translates between `aws-sdk-s3` and `crate::lock` types and nothing more: the
//! lease logic lives in `crate::lock` and must not move here.
//!
//! Every operation other than create reads the object first and then writes conditionally on
//! the ETag it read, so a concurrent change between the read and the write makes the write fail
//! with 412 (it is then re-read, a few times at most) instead of overwriting someone else's lock.
//! The ETag is not cached between calls: a renewal every lease/3 costs one GET more, and the
//! store stays stateless. Release is a real conditional `DeleteObject` with `If-Match` (moto 5.2.1
//! and S3 support it), not a read-check-delete. 409 `ConditionalRequestConflict` (two conditional
//! writes racing) is treated like 412.

use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::server_clock::ServerClock;
use crate::lock::{
    LockError, LockRecord, LockStore, NewLease, ServerDate, StoreFuture, StoreOutcome,
};

/// How often an operation re-reads an object that changed under it before giving up.
const ATTEMPTS: usize = 5;

/// An S3 client for the lock bucket. A custom endpoint (`AWS_ENDPOINT_URL`, an emulator) gets
/// path-style addressing: with a hostname endpoint the SDK would otherwise send requests to
/// `<bucket>.<host>`, which does not resolve.
pub fn client(sdk_config: &SdkConfig) -> Client {
    let mut builder = aws_sdk_s3::config::Builder::from(sdk_config);
    if has_custom_endpoint(sdk_config, &|name| std::env::var_os(name)) {
        builder = builder.force_path_style(true);
    }
    Client::from_conf(builder.build())
}

/// An endpoint set in code or in the environment (`AWS_ENDPOINT_URL_S3` reaches the S3 client
/// without showing in `SdkConfig::endpoint_url`).
fn has_custom_endpoint(
    sdk_config: &SdkConfig,
    variable: &dyn Fn(&str) -> Option<std::ffi::OsString>,
) -> bool {
    sdk_config.endpoint_url().is_some()
        || ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"]
            .iter()
            .any(|name| variable(name).is_some_and(|value| !value.is_empty()))
}

/// `s3://bucket/some/prefix/` → bucket `bucket`, prefix `some/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
}

impl S3Location {
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{url:?} is not an s3://bucket/prefix/ URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{url:?} names no bucket"));
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
        })
    }

    /// The object key of a lock: `<prefix>/<lock_id>.lock`.
    pub fn key(&self, lock_id: &str) -> String {
        if self.prefix.is_empty() {
            format!("{lock_id}.lock")
        } else {
            format!("{}/{lock_id}.lock", self.prefix)
        }
    }
}

#[derive(Debug, Clone)]
pub struct S3LockStore {
    client: Client,
    location: S3Location,
    /// S3's clock, from the `Date` of its answers (lock invariant 9).
    server_clock: ServerClock,
}

/// How S3 refused a conditional request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// 412 PreconditionFailed, or 409 ConditionalRequestConflict: the object exists / changed.
    Changed,
    /// 404 NoSuchKey: the object is gone.
    Missing,
}

fn refusal<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Option<Refusal> {
    let status = error
        .raw_response()
        .map(|response| response.status().as_u16());
    let code = error.as_service_error().and_then(|error| error.code());
    match (status, code) {
        (_, Some("PreconditionFailed" | "ConditionalRequestConflict")) | (Some(412 | 409), _) => {
            Some(Refusal::Changed)
        }
        (_, Some("NoSuchKey")) => Some(Refusal::Missing),
        // A missing bucket is a configuration error, not a missing lock.
        (Some(404), code) if code != Some("NoSuchBucket") => Some(Refusal::Missing),
        _ => None,
    }
}

fn backend<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> LockError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    LockError::Backend(super::sdk_error(operation, error).to_string())
}

/// What a conditional write did.
enum Written {
    Done,
    Refused(Refusal),
}

impl S3LockStore {
    /// The store at `location` on `client`'s configuration, with the interceptor that reads
    /// S3's clock added.
    pub fn new(client: Client, location: S3Location) -> Self {
        let server_clock = ServerClock::default();
        let client = Client::from_conf(
            client
                .config()
                .to_builder()
                .interceptor(server_clock.clone())
                .build(),
        );
        Self {
            client,
            location,
            server_clock,
        }
    }

    /// The record and its ETag, or `None` if there is no lock object.
    async fn get(&self, lock_id: &str) -> Result<Option<(LockRecord, String)>, LockError> {
        let key = self.location.key(lock_id);
        let output = match self
            .client
            .get_object()
            .bucket(&self.location.bucket)
            .key(&key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) if refusal(&error) == Some(Refusal::Missing) => return Ok(None),
            Err(error) => return Err(backend("GetObject", error)),
        };
        let etag = output.e_tag().map(str::to_owned).ok_or_else(|| {
            LockError::Backend(format!("GetObject {key}: the response has no ETag"))
        })?;
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|error| LockError::Backend(format!("GetObject {key}: {error}")))?
            .into_bytes();
        let record = serde_json::from_slice(&bytes).map_err(|error| {
            LockError::Backend(format!(
                "s3://{}/{key} is not a ristretto lock record: {error}",
                self.location.bucket
            ))
        })?;
        Ok(Some((record, etag)))
    }

    /// PutObject with `If-None-Match: *` (`if_match: None`) or `If-Match: <etag>`.
    async fn put(&self, record: &LockRecord, if_match: Option<&str>) -> Result<Written, LockError> {
        let body = serde_json::to_vec_pretty(record).expect("LockRecord always serializes");
        let request = self
            .client
            .put_object()
            .bucket(&self.location.bucket)
            .key(self.location.key(&record.lock_id))
            .content_type("application/json")
            .body(ByteStream::from(body));
        let request = match if_match {
            Some(etag) => request.if_match(etag),
            None => request.if_none_match("*"),
        };
        match request.send().await {
            Ok(_) => Ok(Written::Done),
            Err(error) => match refusal(&error) {
                Some(refused) => Ok(Written::Refused(refused)),
                None => Err(backend("PutObject", error)),
            },
        }
    }

    /// DeleteObject with `If-Match: <etag>`.
    async fn delete(&self, lock_id: &str, etag: &str) -> Result<Written, LockError> {
        match self
            .client
            .delete_object()
            .bucket(&self.location.bucket)
            .key(self.location.key(lock_id))
            .if_match(etag)
            .send()
            .await
        {
            Ok(_) => Ok(Written::Done),
            Err(error) => match refusal(&error) {
                Some(refused) => Ok(Written::Refused(refused)),
                None => Err(backend("DeleteObject", error)),
            },
        }
    }

    async fn acquire(&self, lease: &NewLease, now: i64) -> Result<StoreOutcome, LockError> {
        for _ in 0..ATTEMPTS {
            if let Written::Done = self.put(&lease.clone().into_record(1), None).await? {
                return Ok(StoreOutcome::Acquired {
                    fence: 1,
                    took_over: None,
                });
            }
            let Some((existing, etag)) = self.get(&lease.lock_id).await? else {
                continue; // released in between: create again
            };
            if !existing.is_expired_at(now) {
                return Ok(StoreOutcome::Held(Box::new(existing)));
            }
            let fence = existing.fence + 1;
            match self
                .put(&lease.clone().into_record(fence), Some(&etag))
                .await?
            {
                Written::Done => {
                    return Ok(StoreOutcome::Acquired {
                        fence,
                        took_over: Some(Box::new(existing)),
                    });
                }
                // Someone else renewed, took over or released it: look again.
                Written::Refused(_) => continue,
            }
        }
        match self.get(&lease.lock_id).await? {
            Some((holder, _)) if !holder.is_expired_at(now) => {
                Ok(StoreOutcome::Held(Box::new(holder)))
            }
            _ => Err(LockError::Backend(format!(
                "the lock object for {} kept changing during {ATTEMPTS} attempts",
                lease.lock_id
            ))),
        }
    }

    async fn set_expiry(
        &self,
        lock_id: &str,
        owner: &str,
        expires_at: i64,
    ) -> Result<bool, LockError> {
        for _ in 0..ATTEMPTS {
            let Some((mut record, etag)) = self.get(lock_id).await? else {
                return Ok(false); // never recreate a released record
            };
            if record.owner != owner {
                return Ok(false);
            }
            record.expires_at = expires_at;
            match self.put(&record, Some(&etag)).await? {
                Written::Done => return Ok(true),
                Written::Refused(Refusal::Missing) => return Ok(false),
                // Changed between our read and write: the next read says by whom.
                Written::Refused(Refusal::Changed) => continue,
            }
        }
        Err(LockError::Backend(format!(
            "the lock object for {lock_id} kept changing during {ATTEMPTS} renewal attempts"
        )))
    }

    /// Deletes the record if `owner` holds it (or whoever does, for `None`).
    async fn remove(&self, lock_id: &str, owner: Option<&str>) -> Result<LockRecord, LockError> {
        for _ in 0..ATTEMPTS {
            let Some((record, etag)) = self.get(lock_id).await? else {
                return Err(LockError::NotFound {
                    lock_id: lock_id.to_owned(),
                });
            };
            if owner.is_some_and(|owner| owner != record.owner) {
                return Err(LockError::NotOwner {
                    lock_id: lock_id.to_owned(),
                    expected_id: None,
                    holder: Some(Box::new(record)),
                });
            }
            match self.delete(lock_id, &etag).await? {
                Written::Done => return Ok(record),
                Written::Refused(_) => continue,
            }
        }
        Err(LockError::Backend(format!(
            "the lock object for {lock_id} kept changing during {ATTEMPTS} release attempts"
        )))
    }

    async fn release_owned(&self, lock_id: &str, owner: &str) -> Result<bool, LockError> {
        match self.remove(lock_id, Some(owner)).await {
            Ok(_) => Ok(true),
            Err(LockError::NotFound { .. } | LockError::NotOwner { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn read_record(&self, lock_id: &str) -> Result<Option<LockRecord>, LockError> {
        Ok(self.get(lock_id).await?.map(|(record, _)| record))
    }
}

impl LockStore for S3LockStore {
    fn server_date(&self) -> Option<ServerDate> {
        self.server_clock.latest()
    }

    fn describe(&self) -> String {
        format!(
            "S3 lockfiles in s3://{}/{}",
            self.location.bucket, self.location.prefix
        )
    }

    fn create_or_take_expired<'a>(
        &'a self,
        lease: &'a NewLease,
        now: i64,
    ) -> StoreFuture<'a, StoreOutcome> {
        Box::pin(self.acquire(lease, now))
    }

    fn renew<'a>(
        &'a self,
        lock_id: &'a str,
        owner: &'a str,
        expires_at: i64,
    ) -> StoreFuture<'a, bool> {
        Box::pin(self.set_expiry(lock_id, owner, expires_at))
    }

    fn release<'a>(&'a self, lock_id: &'a str, owner: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(self.release_owned(lock_id, owner))
    }

    fn read<'a>(&'a self, lock_id: &'a str) -> StoreFuture<'a, Option<LockRecord>> {
        Box::pin(self.read_record(lock_id))
    }

    fn force_release<'a>(
        &'a self,
        lock_id: &'a str,
        expected_owner: Option<&'a str>,
    ) -> StoreFuture<'a, LockRecord> {
        Box::pin(self.remove(lock_id, expected_owner))
    }
}

/// `lock init` for the S3 backend: nothing to create (the bucket is infrastructure), but check
/// that the bucket is reachable so a typo shows up now rather than at the first deploy.
pub async fn check_bucket(client: &Client, bucket: &str) -> Result<(), LockError> {
    client
        .head_bucket()
        .bucket(bucket)
        .send()
        .await
        .map(|_| ())
        .map_err(|error| backend("HeadBucket", error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lock_urls() {
        let location = S3Location::parse("s3://locks-bucket/deploy/locks/").unwrap();
        assert_eq!(location.bucket, "locks-bucket");
        assert_eq!(location.prefix, "deploy/locks");
        assert_eq!(
            location.key("ristretto/ap-northeast-1/web/api"),
            "deploy/locks/ristretto/ap-northeast-1/web/api.lock"
        );
        let bare = S3Location::parse("s3://locks-bucket").unwrap();
        assert_eq!(bare.key("ristretto/r/c/s"), "ristretto/r/c/s.lock");
        assert!(S3Location::parse("s3:///x").is_err());
        assert!(S3Location::parse("https://bucket/x").is_err());
    }

    #[test]
    fn custom_endpoints_get_path_style_addressing() {
        let nothing = |_: &str| None;
        let emulator = SdkConfig::builder()
            .endpoint_url("http://moto:5000")
            .build();
        assert!(has_custom_endpoint(&emulator, &nothing));
        let aws = SdkConfig::builder().build();
        assert!(!has_custom_endpoint(&aws, &nothing));
        let s3_only =
            |name: &str| (name == "AWS_ENDPOINT_URL_S3").then(|| "http://minio:9000".into());
        assert!(has_custom_endpoint(&aws, &s3_only));
        let empty = |_: &str| Some(std::ffi::OsString::new());
        assert!(!has_custom_endpoint(&aws, &empty));
    }
}
