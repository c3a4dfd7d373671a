//! The AWS side of rendering's lookups (`ssm`, `secretsmanager_arn`, the cloudformation
//! plugin's stack outputs and exports, a tfstate plugin's `s3://` state): [`RuntimeLookups`] implements `render::lookups::LookupBackend` on the run's
//! one runtime and its shared SDK configuration.
//!
//! Rendering is synchronous and runs inside the command's async code. A lookup therefore never
//! starts a runtime and never calls `block_on` (which panics inside a runtime): it spawns the
//! call as a task of the run's runtime and waits for the answer on a channel inside
//! `block_in_place`, which hands the scheduler's work to other threads while this one waits.
//! Must not: cache (the caller does, per distinct lookup) or decide anything about templates.

use std::future::Future;
use std::sync::Arc;

use super::AwsError;
use super::sdk::Aws;
use crate::render::lookups::LookupBackend;

/// Lookups answered by AWS, on the runtime whose handle it holds.
pub(crate) struct RuntimeLookups {
    aws: Arc<Aws>,
    runtime: tokio::runtime::Handle,
}

impl RuntimeLookups {
    /// Lookups on the current runtime (call from inside the command's async code).
    pub(crate) fn current(aws: Arc<Aws>) -> Self {
        Self {
            aws,
            runtime: tokio::runtime::Handle::current(),
        }
    }

    fn wait<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, AwsError>> + Send + 'static,
    ) -> Result<T, String> {
        let (sender, receiver) = std::sync::mpsc::channel();
        self.runtime.spawn(async move {
            // The receiver is gone only when the waiting thread stopped waiting.
            let _ = sender.send(work.await);
        });
        tokio::task::block_in_place(|| receiver.recv())
            .map_err(|_| "the lookup was stopped before it answered".to_owned())?
            .map_err(|error| match error {
                AwsError::Api { code, message, .. } => format!("{code}: {message}"),
                other => other.to_string(),
            })
    }
}

impl LookupBackend for RuntimeLookups {
    fn parameter(&self, name: &str) -> Result<(String, String), String> {
        let (aws, name) = (Arc::clone(&self.aws), name.to_owned());
        self.wait(async move { aws.secrets().await.parameter(&name).await })
    }

    fn secret_arn(&self, id: &str) -> Result<String, String> {
        let (aws, id) = (Arc::clone(&self.aws), id.to_owned());
        self.wait(async move { aws.secrets().await.secret_arn(&id).await })
    }

    fn s3_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
        let (aws, bucket, key) = (Arc::clone(&self.aws), bucket.to_owned(), key.to_owned());
        self.wait(async move { aws.s3_object(&bucket, &key).await })
    }

    fn stack_outputs(&self, stack: &str) -> Result<Vec<(String, String)>, String> {
        let (aws, stack) = (Arc::clone(&self.aws), stack.to_owned());
        self.wait(async move { aws.cloud_formation().await.stack_outputs(&stack).await })
    }

    fn exports(&self) -> Result<Vec<(String, String)>, String> {
        let aws = Arc::clone(&self.aws);
        self.wait(async move { aws.cloud_formation().await.exports().await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bridge waits for work spawned on the runtime from synchronous code running inside
    /// the runtime's `block_on` — the shape of every command — without a nested runtime.
    #[test]
    fn synchronous_code_inside_the_runtime_gets_the_answer_of_async_work() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let answer = runtime.block_on(async {
            let lookups = RuntimeLookups::current(Aws::new(Default::default()));
            lookups.wait(async {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                Ok::<_, AwsError>(42)
            })
        });
        assert_eq!(answer, Ok(42));
    }
}
