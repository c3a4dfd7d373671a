//! `ristretto lock status | release LOCK_ID | init`: inspect, force-release or set up the deploy
//! lock of the configured service. Orchestration only: the lock semantics are in `crate::lock`,
//! the AWS calls in `crate::aws::lock_*`, and everything shown goes through `Output` (the
//! status on stdout, as it is the data asked for; confirmations and warnings on stderr).
//!
//! `open_store` and `lock_id_for` are shared with the commands that take the lock (apply,
//! deploy, rollback, scale), so that they all lock the same record the same way.

use std::sync::Arc;

use aws_config::SdkConfig;

use crate::aws::lock_dynamodb::{self, DynamoDbLockStore, TtlSetup};
use crate::aws::lock_s3::{self, S3Location, S3LockStore};
use crate::aws::sdk::{self, AwsSettings};
use crate::cli::{LockArgs, LockCommand};
use crate::config::{Config, LockBackendConfig, LockConfig};
use crate::error::Error;
use crate::exit_code;
use crate::lock::{self, LockStore, Locker, SystemClock, WallClock};
use crate::output::Output;

pub(crate) fn run(
    config: &Config,
    aws: &AwsSettings,
    arguments: &LockArgs,
    output: &Output,
) -> Result<u8, Error> {
    // Without a lock section, the default table (`lock init` creates it).
    let (lock_config, _) = config.lock_or_default();
    let lock_config = &lock_config;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::usage(format!("cannot start the async runtime: {error}"), None))?;
    runtime.block_on(async {
        let sdk = sdk::load(&aws_settings(config, aws)).await;
        match &arguments.command {
            LockCommand::Init => init(lock_config, &sdk, output).await,
            LockCommand::Status => {
                let store = open_store(lock_config, &sdk)?;
                status(&lock_id_for(config, &sdk)?, store, output).await
            }
            LockCommand::Release { lock_id: id } => {
                let store = open_store(lock_config, &sdk)?;
                release(&lock_id_for(config, &sdk)?, id, lock_config, store, output).await
            }
        }
    })
}

/// `--region` wins over the config's region (which already fell back to `AWS_REGION`).
pub(crate) fn aws_settings(config: &Config, aws: &AwsSettings) -> AwsSettings {
    AwsSettings {
        region: aws.region.clone().or_else(|| config.region.clone()),
        ..aws.clone()
    }
}

/// The store the config names: a DynamoDB table or S3 lockfiles.
pub(crate) fn open_store(lock: &LockConfig, sdk: &SdkConfig) -> Result<Arc<dyn LockStore>, Error> {
    Ok(match &lock.backend {
        LockBackendConfig::DynamoDb { table } => {
            Arc::new(DynamoDbLockStore::from_config(sdk, table.clone()))
        }
        LockBackendConfig::S3 { url } => {
            let location = S3Location::parse(url).map_err(|message| Error::usage(message, None))?;
            Arc::new(S3LockStore::new(lock_s3::client(sdk), location))
        }
    })
}

/// `ristretto/<region>/<cluster>/<service>`, with the region the SDK actually uses.
pub(crate) fn lock_id_for(config: &Config, sdk: &SdkConfig) -> Result<String, Error> {
    let region = sdk.region().ok_or_else(|| {
        Error::usage(
            "no AWS region: the lock is per region, cluster and service",
            Some("set the region with --region, the config's region or AWS_REGION".to_owned()),
        )
    })?;
    let service = config.service.as_deref().ok_or_else(|| {
        Error::usage(
            format!("{}: no service in the config", config.file.display()),
            Some("the deploy lock is per service: add service: 'NAME' to the config".to_owned()),
        )
    })?;
    Ok(lock::lock_id(region.as_ref(), &config.cluster, service))
}

async fn init(lock: &LockConfig, sdk: &SdkConfig, output: &Output) -> Result<u8, Error> {
    match &lock.backend {
        LockBackendConfig::DynamoDb { table } => {
            let setup = lock_dynamodb::create_table(sdk, table).await?;
            output.info(&if setup.created {
                format!("created DynamoDB table {table} (on-demand, hash key LockID)")
            } else {
                format!("DynamoDB table {table} already exists with hash key LockID")
            });
            match setup.ttl {
                TtlSetup::Enabled => output.info("enabled TTL on ExpiresAt"),
                TtlSetup::AlreadyEnabled => output.info("TTL on ExpiresAt is already enabled"),
                TtlSetup::OtherAttribute(attribute) => output.warn(&format!(
                    "TTL of table {table} is on {attribute}, not ExpiresAt: abandoned lock items \
                     are not swept (locks still expire, as expiry never depends on TTL)"
                )),
            }
        }
        LockBackendConfig::S3 { url } => {
            let location = S3Location::parse(url).map_err(|message| Error::usage(message, None))?;
            lock_s3::check_bucket(&lock_s3::client(sdk), &location.bucket).await?;
            output.info(&format!(
                "the S3 lock backend needs no setup: bucket {} is reachable and locks will be \
                 {}",
                location.bucket,
                location.key("<lock id>")
            ));
        }
    }
    Ok(exit_code::SUCCESS)
}

async fn status(lock_id: &str, store: Arc<dyn LockStore>, output: &Output) -> Result<u8, Error> {
    let where_ = store.describe();
    let text = match Locker::new(store).status(lock_id).await? {
        None => format!("{lock_id} ({where_}): not locked"),
        Some(record) => format!(
            "{lock_id} ({where_}): locked\n{}",
            record.details(SystemClock.now_epoch_seconds())
        ),
    };
    output.data(&text).map_err(Error::Stdout)?;
    Ok(exit_code::SUCCESS)
}

async fn release(
    lock_id: &str,
    id: &str,
    lock: &LockConfig,
    store: Arc<dyn LockStore>,
    output: &Output,
) -> Result<u8, Error> {
    let released = Locker::new(store).force_release(lock_id, id).await?;
    output.info(&format!("released {lock_id}, held by {released}"));
    if !released.is_expired_at(SystemClock.now_epoch_seconds()) {
        output.warn(&format!(
            "its lease had not expired: if {} is still running, it stops at its next renewal \
             (within {}) and may send calls until then",
            released.info.who,
            crate::config::duration::format(lock.lease / 3)
        ));
    }
    Ok(exit_code::SUCCESS)
}
