//! Reads the lock store's clock off its answers: an SDK interceptor that records, for every
//! request of the client it is installed on, the HTTP `Date` header of the answer together with
//! when the request was sent and its answer received (this host's monotonic clock). The lock
//! stores (`lock_dynamodb`, `lock_s3`) install it and hand the latest reading to the lease logic
//! (`LockStore::server_date`), which measures clock skew with it (lock invariant 9).
//!
//! Must not: judge the skew (that is `lock::skew`), or fail a request: a missing or malformed
//! `Date` is simply no reading.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::date_time::{DateTime, Format};
use tokio::time::Instant;

use crate::lock::ServerDate;

/// The latest reading of the server's clock, shared by the interceptor and its store.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServerClock {
    latest: Arc<Mutex<Option<ServerDate>>>,
}

impl ServerClock {
    pub(crate) fn latest(&self) -> Option<ServerDate> {
        *self
            .latest
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, reading: ServerDate) {
        let mut latest = self
            .latest
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Concurrent requests answer in any order: keep the one sent last.
        if latest.is_none_or(|previous| previous.sent <= reading.sent) {
            *latest = Some(reading);
        }
    }
}

/// When this attempt's request left, kept in the request's own config bag.
#[derive(Debug, Clone, Copy)]
struct SentAt(Instant);

impl Storable for SentAt {
    type Storer = StoreReplace<Self>;
}

impl Intercept for ServerClock {
    fn name(&self) -> &'static str {
        "ServerClock"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(SentAt(Instant::now()));
        Ok(())
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let received = Instant::now();
        let Some(SentAt(sent)) = cfg.load::<SentAt>().copied() else {
            return Ok(());
        };
        if let Some(epoch_seconds) = context
            .response()
            .headers()
            .get("date")
            .and_then(parse_http_date)
        {
            self.record(ServerDate {
                epoch_seconds,
                sent,
                received,
            });
        }
        Ok(())
    }
}

/// `Tue, 01 Dec 2026 14:19:00 GMT` (RFC 9110's IMF-fixdate, which AWS sends) → epoch seconds.
fn parse_http_date(text: &str) -> Option<i64> {
    DateTime::from_str(text, Format::HttpDate)
        .ok()
        .map(|date| date.secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_parse_to_epoch_seconds() {
        assert_eq!(
            parse_http_date("Wed, 18 Nov 2026 11:06:40 GMT"),
            Some(1_795_000_000)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn the_reading_of_the_request_sent_last_is_kept() {
        let clock = ServerClock::default();
        let early = Instant::now();
        let late = early + std::time::Duration::from_millis(5);
        let reading = |epoch_seconds, sent| ServerDate {
            epoch_seconds,
            sent,
            received: late,
        };
        clock.record(reading(2, late));
        clock.record(reading(1, early));
        assert_eq!(clock.latest().unwrap().epoch_seconds, 2);
    }
}
