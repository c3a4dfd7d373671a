//! Moving sealed plans between runs: a local file (mode 0600, written atomically by
//! `plan::file`) or an S3 object (`s3://bucket/key`), with the same bytes either way. Loading
//! checks the format version and the digest before anything reads the plan (ARCHITECTURE.md
//! §4, plan-file invariants 1 and 3).

use std::path::Path;

use crate::aws::s3::parse_url;
use crate::aws::sdk::Aws;
use crate::error::Error;
use crate::plan::{Plan, file};

/// Writes a sealed plan to a path or `s3://bucket/key`.
pub(crate) async fn save_plan(plan: &Plan, destination: &str, aws: &Aws) -> Result<(), Error> {
    match parse_url(destination) {
        Some((bucket, key)) => Ok(aws
            .put_s3_object(&bucket, &key, file::to_bytes(plan))
            .await?),
        None if destination.starts_with("s3://") => Err(not_an_object_url(destination)),
        None => Ok(file::write(Path::new(destination), plan)?),
    }
}

/// Reads a plan from a path or `s3://bucket/key` and checks its version and digest.
pub(crate) async fn load_plan(source: &str, aws: &Aws) -> Result<Plan, Error> {
    match parse_url(source) {
        Some((bucket, key)) => {
            let bytes = aws.s3_object(&bucket, &key).await?;
            Ok(file::from_bytes(&bytes, source)?)
        }
        None if source.starts_with("s3://") => Err(not_an_object_url(source)),
        None => Ok(file::read(Path::new(source))?),
    }
}

fn not_an_object_url(url: &str) -> Error {
    Error::usage(
        format!("{url:?} is not an S3 object URL"),
        Some("write it as s3://bucket/key".to_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit_code;
    use crate::plan::FORMAT_VERSION;

    fn plan() -> Plan {
        file::seal(Plan {
            format_version: FORMAT_VERSION,
            plan_id: "7d3c0b8e-0000-4000-8000-000000000000".into(),
            created_at: "2026-12-01T00:00:00Z".into(),
            ristretto_version: "0.1.0".into(),
            environment: Some("prod".into()),
            services: Vec::new(),
            secret_patterns: Vec::new(),
            policy: None,
            digest: String::new(),
            signature: None,
        })
    }

    /// Local files need no AWS: the connection is never used, so nothing is loaded.
    fn no_aws() -> std::sync::Arc<Aws> {
        Aws::new(Default::default())
    }

    #[tokio::test]
    async fn a_saved_plan_loads_back_identical_and_private() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("plan.json");
        let destination = path.to_str().unwrap();
        save_plan(&plan(), destination, &no_aws()).await.unwrap();
        assert_eq!(load_plan(destination, &no_aws()).await.unwrap(), plan());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[tokio::test]
    async fn an_edited_plan_is_refused_with_exit_4() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("plan.json");
        save_plan(&plan(), path.to_str().unwrap(), &no_aws())
            .await
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"prod\"", "\"dev\"")).unwrap();
        let error = load_plan(path.to_str().unwrap(), &no_aws())
            .await
            .unwrap_err();
        assert_eq!(error.exit_code(), exit_code::PLAN_REFUSED, "{error}");
    }

    #[tokio::test]
    async fn an_s3_url_without_a_key_is_refused_before_any_call() {
        for url in ["s3://bucket", "s3://bucket/"] {
            let error = save_plan(&plan(), url, &no_aws()).await.unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("{url:?} is not an S3 object URL")
            );
            let error = load_plan(url, &no_aws()).await.unwrap_err();
            assert_eq!(error.exit_code(), exit_code::ERROR);
        }
    }
}
