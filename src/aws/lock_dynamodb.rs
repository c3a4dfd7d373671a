//! The DynamoDB [`LockStore`]: one item per lock in a table with hash key `LockID`
//! (ARCHITECTURE.md §6), every write a single conditional request, plus `create_table` for
//! `lock init`.
//! Translating between `aws-sdk-dynamodb` and `crate::lock` types is all it does: the lease
//! logic (when to renew, when a lease is lost) lives in `crate::lock` and must not move here.
//!
//! Acquire is a conditional `UpdateItem` rather than a `PutItem`, with the condition of lock
//! invariant 3 (`attribute_not_exists(LockID) OR ExpiresAt < :now`): `UpdateItem` upserts
//! like `PutItem` does, and in the same atomic write computes `Fence = if_not_exists(Fence, 0) +
//! 1`, which `PutItem` cannot (it would need a read first, and a race between that read and the
//! write). `ReturnValuesOnConditionCheckFailure = ALL_OLD` hands the holder's item back with a
//! refusal, so a loser learns who holds the lock without another read.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
    TimeToLiveStatus,
};

use super::server_clock::ServerClock;
use crate::lock::{
    LockError, LockInfo, LockRecord, LockStore, NewLease, ServerDate, StoreFuture, StoreOutcome,
};

const LOCK_ID: &str = "LockID";
const OWNER: &str = "Owner";
const INFO: &str = "Info";
const EXPIRES_AT: &str = "ExpiresAt";
const FENCE: &str = "Fence";

/// Every expression names attributes through placeholders, so that no attribute name can
/// collide with one of DynamoDB's reserved words (OWNER is one).
fn names() -> HashMap<String, String> {
    [
        ("#id", LOCK_ID),
        ("#owner", OWNER),
        ("#info", INFO),
        ("#expires", EXPIRES_AT),
        ("#fence", FENCE),
    ]
    .into_iter()
    .map(|(placeholder, name)| (placeholder.to_owned(), name.to_owned()))
    .collect()
}

#[derive(Debug, Clone)]
pub struct DynamoDbLockStore {
    client: Client,
    table: String,
    /// DynamoDB's clock, from the `Date` of its answers (lock invariant 9).
    server_clock: ServerClock,
}

impl DynamoDbLockStore {
    /// The store of `table`, with a client made from the shared SDK configuration.
    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(config), table)
    }

    /// The store of `table` on `client`'s configuration, with the interceptor that reads
    /// DynamoDB's clock added.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
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
            table: table.into(),
            server_clock,
        }
    }

    fn key(lock_id: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([(LOCK_ID.to_owned(), AttributeValue::S(lock_id.to_owned()))])
    }

    async fn acquire(&self, lease: &NewLease, now: i64) -> Result<StoreOutcome, LockError> {
        let info = serde_json::to_string(&lease.info).expect("LockInfo always serializes");
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(&lease.lock_id)))
            .update_expression(
                "SET #owner = :owner, #info = :info, #expires = :expires, \
                 #fence = if_not_exists(#fence, :zero) + :one",
            )
            .condition_expression("attribute_not_exists(#id) OR #expires < :now")
            .set_expression_attribute_names(Some(names()))
            .expression_attribute_values(":owner", AttributeValue::S(lease.owner.clone()))
            .expression_attribute_values(":info", AttributeValue::S(info))
            .expression_attribute_values(":expires", number(lease.expires_at))
            .expression_attribute_values(":now", number(now))
            .expression_attribute_values(":zero", number(0))
            .expression_attribute_values(":one", number(1))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                // ALL_OLD: the expired item we replaced, if there was one.
                let took_over = match output.attributes() {
                    Some(old) if !old.is_empty() => Some(Box::new(decode(old)?)),
                    _ => None,
                };
                let fence = took_over.as_ref().map_or(1, |old| old.fence + 1);
                Ok(StoreOutcome::Acquired { fence, took_over })
            }
            Err(error) => {
                use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
                if let Some(UpdateItemError::ConditionalCheckFailedException(refusal)) =
                    error.as_service_error()
                {
                    // The refusal carries the holder's item. Stores that are not atomic per
                    // item (the emulator) may answer with an item still being written, and
                    // older DynamoDB-compatible stores send none: then read the item again.
                    if let Some(holder) = refusal.item().and_then(|item| decode(item).ok()) {
                        return Ok(StoreOutcome::Held(Box::new(holder)));
                    }
                    return self
                        .read_holder(&lease.lock_id)
                        .await
                        .map(StoreOutcome::Held);
                }
                Err(backend("UpdateItem", error))
            }
        }
    }

    /// The holder after a refused acquisition: a consistent read, retried briefly while the
    /// item is incomplete (being written by the winner on a store that is not atomic per item).
    async fn read_holder(&self, lock_id: &str) -> Result<Box<LockRecord>, LockError> {
        let mut last_error = None;
        for attempt in 0..10u64 {
            match self.get(lock_id).await {
                Ok(Some(record)) => return Ok(Box::new(record)),
                Ok(None) => {
                    last_error = Some(LockError::Backend(format!(
                        "UpdateItem on {}: the condition failed but no lock item exists",
                        self.table
                    )));
                }
                Err(error) => last_error = Some(error),
            }
            tokio::time::sleep(std::time::Duration::from_millis(10 * (attempt + 1))).await;
        }
        Err(last_error.expect("the loop ran at least once"))
    }

    async fn set_expiry(
        &self,
        lock_id: &str,
        owner: &str,
        expires_at: i64,
    ) -> Result<bool, LockError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(lock_id)))
            .update_expression("SET #expires = :expires")
            // `#owner = :owner` is false for a missing item, so a renewal never recreates one.
            .condition_expression("#owner = :owner")
            .set_expression_attribute_names(Some(only(&["#owner", "#expires"])))
            .expression_attribute_values(":owner", AttributeValue::S(owner.to_owned()))
            .expression_attribute_values(":expires", number(expires_at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|error| error.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(error) => Err(backend("UpdateItem", error)),
        }
    }

    async fn delete(&self, lock_id: &str, owner: &str) -> Result<bool, LockError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(lock_id)))
            .condition_expression("#owner = :owner")
            .set_expression_attribute_names(Some(only(&["#owner"])))
            .expression_attribute_values(":owner", AttributeValue::S(owner.to_owned()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|error| error.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(error) => Err(backend("DeleteItem", error)),
        }
    }

    async fn get(&self, lock_id: &str) -> Result<Option<LockRecord>, LockError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(lock_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| backend("GetItem", error))?;
        output.item().map(decode).transpose()
    }

    async fn force_delete(
        &self,
        lock_id: &str,
        expected_owner: Option<&str>,
    ) -> Result<LockRecord, LockError> {
        let mut request = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(lock_id)))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        request = match expected_owner {
            Some(owner) => request
                .condition_expression("#owner = :owner")
                .set_expression_attribute_names(Some(only(&["#owner"])))
                .expression_attribute_values(":owner", AttributeValue::S(owner.to_owned())),
            None => request
                .condition_expression("attribute_exists(#id)")
                .set_expression_attribute_names(Some(only(&["#id"]))),
        };
        match request.send().await {
            Ok(output) => match output.attributes() {
                Some(old) if !old.is_empty() => decode(old),
                _ => Err(LockError::NotFound {
                    lock_id: lock_id.to_owned(),
                }),
            },
            Err(error) => {
                use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
                if let Some(DeleteItemError::ConditionalCheckFailedException(refusal)) =
                    error.as_service_error()
                {
                    return match refusal.item().filter(|item| !item.is_empty()) {
                        Some(item) => Err(LockError::NotOwner {
                            lock_id: lock_id.to_owned(),
                            expected_id: None,
                            holder: Some(Box::new(decode(item)?)),
                        }),
                        None => Err(LockError::NotFound {
                            lock_id: lock_id.to_owned(),
                        }),
                    };
                }
                Err(backend("DeleteItem", error))
            }
        }
    }
}

impl LockStore for DynamoDbLockStore {
    fn describe(&self) -> String {
        format!("DynamoDB table {}", self.table)
    }

    fn server_date(&self) -> Option<ServerDate> {
        self.server_clock.latest()
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
        Box::pin(self.delete(lock_id, owner))
    }

    fn read<'a>(&'a self, lock_id: &'a str) -> StoreFuture<'a, Option<LockRecord>> {
        Box::pin(self.get(lock_id))
    }

    fn force_release<'a>(
        &'a self,
        lock_id: &'a str,
        expected_owner: Option<&'a str>,
    ) -> StoreFuture<'a, LockRecord> {
        Box::pin(self.force_delete(lock_id, expected_owner))
    }
}

fn only(placeholders: &[&str]) -> HashMap<String, String> {
    let mut names = names();
    names.retain(|placeholder, _| placeholders.contains(&placeholder.as_str()));
    names
}

fn number(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn backend<E, R>(
    operation: &'static str,
    error: aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> LockError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let error = super::sdk_error(operation, error);
    if error.code() == Some("ResourceNotFoundException") {
        LockError::StoreMissing(error.to_string())
    } else {
        LockError::Backend(error.to_string())
    }
}

/// A lock item → [`LockRecord`]. A missing `Fence` (an item written by hand) counts as 0.
fn decode(item: &HashMap<String, AttributeValue>) -> Result<LockRecord, LockError> {
    let malformed = |what: &str| {
        LockError::Backend(format!(
            "malformed lock item {:?}: {what}",
            item.get(LOCK_ID).and_then(|value| value.as_s().ok())
        ))
    };
    let text = |name: &str| -> Result<String, LockError> {
        item.get(name)
            .and_then(|value| value.as_s().ok())
            .cloned()
            .ok_or_else(|| malformed(&format!("no string {name}")))
    };
    let integer = |name: &str| -> Result<Option<i128>, LockError> {
        item.get(name)
            .map(|value| {
                value
                    .as_n()
                    .ok()
                    .and_then(|number| number.parse::<i128>().ok())
                    .ok_or_else(|| malformed(&format!("{name} is not an integer")))
            })
            .transpose()
    };
    let lock_id = text(LOCK_ID)?;
    let owner = text(OWNER)?;
    let info: LockInfo = serde_json::from_str(&text(INFO)?)
        .map_err(|error| malformed(&format!("Info is not lock info JSON: {error}")))?;
    let expires_at = integer(EXPIRES_AT)?
        .ok_or_else(|| malformed("no ExpiresAt"))
        .and_then(|value| i64::try_from(value).map_err(|_| malformed("ExpiresAt out of range")))?;
    let fence = integer(FENCE)?
        .map(|value| u64::try_from(value).map_err(|_| malformed("Fence out of range")))
        .transpose()?
        .unwrap_or(0);
    Ok(LockRecord {
        lock_id,
        owner,
        info,
        expires_at,
        fence,
    })
}

/// What `lock init` found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSetup {
    /// The table was created now (false: it existed, which is fine).
    pub created: bool,
    pub ttl: TtlSetup,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TtlSetup {
    /// TTL on `ExpiresAt` was switched on now.
    Enabled,
    AlreadyEnabled,
    /// TTL is on for another attribute (a table can have only one); lock items are then never
    /// swept, which only costs a little storage: expiry does not depend on TTL.
    OtherAttribute(String),
}

/// Creates the lock table (`lock init`): PAY_PER_REQUEST, hash key `LockID` (S), TTL on
/// `ExpiresAt` as garbage collection of abandoned items. Idempotent: an existing table with the
/// right key is fine; one with another key is an error, since every lock write would fail.
pub async fn create_table(
    config: &aws_config::SdkConfig,
    table: &str,
) -> Result<TableSetup, LockError> {
    let client = &Client::new(config);
    let created = match client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(LOCK_ID)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("name and type are set"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(LOCK_ID)
                .key_type(KeyType::Hash)
                .build()
                .expect("name and type are set"),
        )
        .send()
        .await
    {
        Ok(_) => true,
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|error| error.is_resource_in_use_exception()) =>
        {
            false
        }
        Err(error) => return Err(backend("CreateTable", error)),
    };
    wait_until_active(client, table).await?;
    let ttl = enable_ttl(client, table).await?;
    Ok(TableSetup { created, ttl })
}

/// UpdateTimeToLive needs an ACTIVE table; a new PAY_PER_REQUEST table takes seconds on AWS.
async fn wait_until_active(client: &Client, table: &str) -> Result<(), LockError> {
    const ATTEMPTS: u32 = 60;
    for attempt in 1..=ATTEMPTS {
        let output = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|error| backend("DescribeTable", error))?;
        let description = output
            .table()
            .ok_or_else(|| LockError::Backend(format!("DescribeTable {table}: no table")))?;
        let key: Vec<(&str, &KeyType)> = description
            .key_schema()
            .iter()
            .map(|element| (element.attribute_name(), element.key_type()))
            .collect();
        if key != [(LOCK_ID, &KeyType::Hash)] {
            return Err(LockError::Backend(format!(
                "table {table} exists with key {key:?}; a lock table needs exactly the hash key \
                 {LOCK_ID} (S)"
            )));
        }
        if description.table_status() == Some(&TableStatus::Active) {
            return Ok(());
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    Err(LockError::Backend(format!(
        "table {table} did not become ACTIVE within {ATTEMPTS} s"
    )))
}

async fn enable_ttl(client: &Client, table: &str) -> Result<TtlSetup, LockError> {
    let current = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|error| backend("DescribeTimeToLive", error))?;
    if let Some(description) = current.time_to_live_description()
        && matches!(
            description.time_to_live_status(),
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        )
    {
        // Enabling it again is a ValidationException on AWS, so look first.
        return Ok(match description.attribute_name() {
            Some(EXPIRES_AT) => TtlSetup::AlreadyEnabled,
            other => TtlSetup::OtherAttribute(other.unwrap_or_default().to_owned()),
        });
    }
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(EXPIRES_AT)
                .build()
                .expect("enabled and attribute are set"),
        )
        .send()
        .await
        .map_err(|error| backend("UpdateTimeToLive", error))?;
    Ok(TtlSetup::Enabled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pairs: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect()
    }

    fn info_json() -> String {
        r#"{"id":"i-1","operation":"apply","who":"a@b","version":"0.1.0","created":"2026-11-26T07:00:00Z"}"#
            .to_owned()
    }

    #[test]
    fn decodes_a_lock_item() {
        let record = decode(&item(&[
            (LOCK_ID, AttributeValue::S("ristretto/r/c/s".into())),
            (OWNER, AttributeValue::S("o-1".into())),
            (INFO, AttributeValue::S(info_json())),
            (EXPIRES_AT, AttributeValue::N("1795000000".into())),
            (FENCE, AttributeValue::N("7".into())),
        ]))
        .unwrap();
        assert_eq!(record.lock_id, "ristretto/r/c/s");
        assert_eq!(record.owner, "o-1");
        assert_eq!(record.info.id, "i-1");
        assert_eq!(record.expires_at, 1_795_000_000);
        assert_eq!(record.fence, 7);
    }

    #[test]
    fn a_hand_written_item_without_fence_counts_as_zero() {
        let record = decode(&item(&[
            (LOCK_ID, AttributeValue::S("k".into())),
            (OWNER, AttributeValue::S("o".into())),
            (INFO, AttributeValue::S(info_json())),
            (EXPIRES_AT, AttributeValue::N("0".into())),
        ]))
        .unwrap();
        assert_eq!(record.fence, 0);
    }

    #[test]
    fn malformed_items_are_backend_errors_naming_the_problem() {
        let error = decode(&item(&[
            (LOCK_ID, AttributeValue::S("k".into())),
            (OWNER, AttributeValue::S("o".into())),
            (INFO, AttributeValue::S("not json".into())),
            (EXPIRES_AT, AttributeValue::N("0".into())),
        ]))
        .unwrap_err();
        assert!(
            error.to_string().contains("Info is not lock info JSON"),
            "{error}"
        );
        let error = decode(&item(&[(LOCK_ID, AttributeValue::S("k".into()))])).unwrap_err();
        assert!(error.to_string().contains("no string Owner"), "{error}");
    }

    #[test]
    fn placeholders_cover_every_attribute() {
        assert_eq!(names().len(), 5);
        assert_eq!(
            only(&["#owner"]),
            HashMap::from([("#owner".to_owned(), OWNER.to_owned())])
        );
    }
}
