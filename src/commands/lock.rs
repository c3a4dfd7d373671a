//! `ristretto lock status | release LOCK_ID | init`: inspect every selected service's deploy
//! lock, force-release the selected service's, or set up the lock store. Orchestration only:
//! the lock semantics are in `crate::lock`, the stores in `crate::aws`, and everything shown goes
//! through `Output` (the status on stdout, as it is the data asked for; confirmations and
//! warnings on stderr).

use crate::aws::lock_dynamodb::TtlSetup;
use crate::aws::lock_s3::S3Location;
use crate::cli::{LockArgs, LockCommand};
use crate::config::{LockBackendConfig, LockConfig};
use crate::error::Error;
use crate::exit_code;
use crate::lock::{Locker, SystemClock, WallClock};
use crate::plan::Target;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &LockArgs) -> Result<u8, Error> {
    // Without a lock section, the default table (`lock init` creates it).
    let (lock, _) = session.project.config.lock_or_default();
    match &arguments.command {
        LockCommand::Init => init(session, &lock).await,
        LockCommand::Status => status(session, &lock).await,
        LockCommand::Release { lock_id } => release(session, &lock, lock_id).await,
    }
}

async fn store(session: &Session<'_>, lock: &LockConfig) -> Result<Locker, Error> {
    let store = session
        .aws
        .lock_store(&lock.backend)
        .await
        .map_err(|message| Error::usage(format!("lock: {message}"), None))?;
    Ok(Locker::new(store))
}

async fn init(session: &Session<'_>, lock: &LockConfig) -> Result<u8, Error> {
    let output = session.output;
    match &lock.backend {
        LockBackendConfig::DynamoDb { table } => {
            let setup = session.aws.create_lock_table(table).await?;
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
            session.aws.check_lock_bucket(&location.bucket).await?;
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

/// One paragraph per selected service (all of a multi-service config without `--service`).
async fn status(session: &Session<'_>, lock: &LockConfig) -> Result<u8, Error> {
    let region = session.region().await?;
    let services = session.project.selected_services(&session.global.service)?;
    if services.is_empty() {
        return Err(Error::usage(
            format!(
                "{}: no service in the config: the deploy lock is per service",
                session.project.config.file.display()
            ),
            Some("add service: 'NAME' to the config".to_owned()),
        ));
    }
    let locker = store(session, lock).await?;
    let where_ = locker.store().describe();
    let mut paragraphs = Vec::with_capacity(services.len());
    for service in services {
        let lock_id = Target {
            region: region.clone(),
            cluster: service.cluster,
            service: service.name,
        }
        .lock_id();
        paragraphs.push(match locker.status(&lock_id).await? {
            None => format!("{lock_id} ({where_}): not locked"),
            Some(record) => format!(
                "{lock_id} ({where_}): locked\n{}",
                record.details(SystemClock.now_epoch_seconds())
            ),
        });
    }
    session
        .output
        .data(&paragraphs.join("\n\n"))
        .map_err(Error::Stdout)?;
    Ok(exit_code::SUCCESS)
}

async fn release(session: &Session<'_>, lock: &LockConfig, id: &str) -> Result<u8, Error> {
    let (_, target) = session.one_target().await?;
    let lock_id = target.lock_id();
    let released = store(session, lock)
        .await?
        .force_release(&lock_id, id)
        .await?;
    let output = session.output;
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
