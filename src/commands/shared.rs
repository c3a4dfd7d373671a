//! What the commands that talk to AWS do the same way: the async runtime, the AWS settings,
//! loading the desired documents, computing a sealed plan, rendering it, and moving plan files
//! to and from disk or S3. Orchestration only: decisions are in `plan`, I/O details in `aws`.

use aws_config::SdkConfig;

use crate::aws::ecs_sdk::SdkEcs;
use crate::aws::sdk::AwsSettings;
use crate::aws::{self, ecs::EcsApi};
use crate::cli::{GlobalArgs, PlanFlags, PlanFormat};
use crate::error::Error;
use crate::live::{self, RevisionChoice};
use crate::normalize::NormalizeOptions;
use crate::output::Output;
use crate::output::plan::{self as plan_output, RenderOptions};
use crate::plan::{self, FORMAT_VERSION, Plan, PlanOptions, PlanRequest, Target, file};
use crate::project::Project;

pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::usage(format!("cannot start the async runtime: {error}"), None))
}

pub fn aws_settings(global: &GlobalArgs, project: &Project) -> AwsSettings {
    AwsSettings {
        region: global
            .region
            .clone()
            .or_else(|| project.config.region.clone()),
        profile: global.profile.clone(),
        assume_role_arn: global.assume_role_arn.clone(),
    }
}

/// Loads the SDK configuration and the region every target is in.
pub async fn sdk_config(settings: &AwsSettings) -> Result<(SdkConfig, String), Error> {
    let config = aws::sdk::load(settings).await;
    let region = config
        .region()
        .map(|region| region.to_string())
        .ok_or_else(|| {
            Error::usage(
                "no AWS region: it is needed to find the cluster",
                Some("set region in the config, pass --region, or set AWS_REGION".to_owned()),
            )
        })?;
    Ok((config, region))
}

/// The desired side of the configured service, checked; warnings go to stderr.
pub fn desired_request(
    project: &Project,
    region: &str,
    output: &Output,
) -> Result<PlanRequest, Error> {
    let task_definition = project.task_definition()?;
    task_definition
        .warnings
        .iter()
        .for_each(|warning| output.warn(warning));
    let service = match &project.config.service {
        Some(_) => {
            let service = project.service_definition()?;
            service
                .warnings
                .iter()
                .for_each(|warning| output.warn(warning));
            Some(service.document)
        }
        None => None,
    };
    Ok(PlanRequest {
        target: Target {
            region: region.to_owned(),
            cluster: project.config.cluster.clone(),
            service: project.config.service.clone().unwrap_or_default(),
        },
        task_definition: task_definition.document,
        service,
    })
}

pub fn plan_options(project: &Project, flags: &PlanFlags) -> (PlanOptions, RevisionChoice) {
    let options = PlanOptions {
        normalize: NormalizeOptions {
            ignore_tags: project.config.ignore_tags.clone(),
        },
        skip_task_definition: flags.skip_task_definition,
        desired_count: flags.tasks,
        force_new_deployment: flags.force_new_deployment,
    };
    let choice = match (flags.latest_task_definition, flags.revision) {
        (_, Some(revision)) => RevisionChoice::Revision(revision),
        (true, None) => RevisionChoice::Latest,
        (false, None) => RevisionChoice::FromFile,
    };
    (options, choice)
}

/// Fetches the live state of every requested service and plans it; the plan is sealed.
pub async fn compute_plan(
    ecs: &impl EcsApi,
    requests: &[PlanRequest],
    options: &PlanOptions,
    choice: RevisionChoice,
    environment: Option<String>,
) -> Result<Plan, Error> {
    let mut services = Vec::with_capacity(requests.len());
    for request in requests {
        let family = request
            .task_definition
            .get("family")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let state = live::fetch(
            ecs,
            &request.target,
            &family,
            request.service.is_some(),
            choice,
        )
        .await?;
        services.push(plan::plan_service(request, &state, options)?);
    }
    Ok(file::seal(Plan {
        format_version: FORMAT_VERSION,
        plan_id: uuid::Uuid::new_v4().to_string(),
        created_at: now_rfc3339(),
        ristretto_version: env!("CARGO_PKG_VERSION").to_owned(),
        environment,
        services,
        digest: String::new(),
    }))
}

pub fn now_rfc3339() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

pub fn render(plan: &Plan, format: PlanFormat, output: &Output) -> String {
    let options = RenderOptions {
        color: output.color() && format == PlanFormat::Text && stdout_is_terminal(),
        ..RenderOptions::default()
    };
    match format {
        PlanFormat::Text => plan_output::human(plan, &options),
        PlanFormat::Json => plan_output::json(plan, &options),
        PlanFormat::Markdown => plan_output::markdown(plan, &options),
    }
}

fn stdout_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
        && std::io::stdout().is_terminal()
}

/// Writes a sealed plan to a path or `s3://bucket/key`.
pub async fn save(plan: &Plan, destination: &str, config: Option<&SdkConfig>) -> Result<(), Error> {
    match aws::s3::parse_url(destination) {
        Some((bucket, key)) => {
            let config = config.ok_or_else(|| Error::usage("S3 needs AWS settings", None))?;
            let client = aws::s3::client(config);
            aws::s3::put(&client, &bucket, &key, file::to_bytes(plan)).await?;
            Ok(())
        }
        None if destination.starts_with("s3://") => Err(s3_url_error(destination)),
        None => Ok(file::write(std::path::Path::new(destination), plan)?),
    }
}

/// Reads and checks a plan from a path or `s3://bucket/key`.
pub async fn load(source: &str, settings: &AwsSettings) -> Result<Plan, Error> {
    match aws::s3::parse_url(source) {
        Some((bucket, key)) => {
            let config = aws::sdk::load(settings).await;
            let client = aws::s3::client(&config);
            let bytes = aws::s3::get(&client, &bucket, &key).await?;
            Ok(file::from_bytes(&bytes, source)?)
        }
        None if source.starts_with("s3://") => Err(s3_url_error(source)),
        None => Ok(file::read(std::path::Path::new(source))?),
    }
}

fn s3_url_error(url: &str) -> Error {
    Error::usage(
        format!("{url:?} is not an S3 object URL"),
        Some("write it as s3://bucket/key".to_owned()),
    )
}

pub fn ecs_client(config: &SdkConfig) -> SdkEcs {
    SdkEcs::new(config)
}

/// How apply-like commands execute: lock wait, rollout wait, progress format.
pub struct Execution {
    pub lock_timeout: std::time::Duration,
    pub wait: Option<crate::apply::WaitOptions>,
    pub reporter: std::sync::Arc<dyn crate::apply::Reporter>,
}

pub fn execution(
    arguments: &crate::cli::ExecutionArgs,
    project: &Project,
    output: &Output,
) -> Result<Execution, Error> {
    use crate::apply::{WaitOptions, WaitUntil, wait};
    use crate::cli::{ProgressFormat, WaitUntilArg};
    use crate::config::duration;
    let parse = |flag: &str, text: &str| {
        duration::parse(text).map_err(|message| {
            Error::usage(
                format!("{flag}: {message}"),
                Some("write a duration such as 30s, 10m or 1h".to_owned()),
            )
        })
    };
    let lock_timeout = parse("--lock-timeout", &arguments.lock_timeout)?;
    let timeout = match &arguments.timeout {
        Some(text) => parse("--timeout", text)?,
        None => project.config.timeout,
    };
    let poll_interval = match &arguments.poll_interval {
        Some(text) => parse("--poll-interval", text)?,
        None => wait::poll_interval_from_environment(),
    };
    let wait = (!arguments.no_wait).then_some(WaitOptions {
        until: match arguments.wait_until {
            WaitUntilArg::Deployed => WaitUntil::Deployed,
            WaitUntilArg::Stable => WaitUntil::Stable,
        },
        timeout,
        poll_interval,
    });
    let reporter: std::sync::Arc<dyn crate::apply::Reporter> = match arguments.format {
        ProgressFormat::Text => {
            std::sync::Arc::new(crate::output::progress::HumanReporter::new(output))
        }
        ProgressFormat::Json => std::sync::Arc::new(crate::output::progress::JsonReporter::new()),
    };
    Ok(Execution {
        lock_timeout,
        wait,
        reporter,
    })
}

/// The lock a project uses: its `lock` section, or by default the DynamoDB table
/// `ristretto-locks` (created on first use, so that an ecspresso config without a lock section
/// still deploys under a lock).
pub fn lock_config(project: &Project) -> (crate::config::LockConfig, bool) {
    match &project.config.lock {
        Some(lock) => (lock.clone(), false),
        None => (
            crate::config::LockConfig {
                backend: crate::config::LockBackendConfig::DynamoDb {
                    table: DEFAULT_LOCK_TABLE.to_owned(),
                },
                lease: crate::config::DEFAULT_LOCK_LEASE,
            },
            true,
        ),
    }
}

pub const DEFAULT_LOCK_TABLE: &str = "ristretto-locks";

/// Refuses a saved plan made for another environment or another service than this project's.
pub fn check_plan_matches(
    plan: &Plan,
    project: &Project,
    environment: Option<&str>,
    region: &str,
) -> Result<(), Error> {
    if plan.environment.as_deref() != environment {
        return Err(Error::PlanRefused {
            message: format!(
                "the plan was made for environment {}, not {}",
                plan.environment.as_deref().unwrap_or("(none)"),
                environment.unwrap_or("(none)")
            ),
            hint: Some("apply it with the --env it was planned with, or plan again".to_owned()),
        });
    }
    for section in &plan.services {
        let target = &section.target;
        let configured = project.config.service.as_deref().unwrap_or_default();
        if target.region != region
            || target.cluster != project.config.cluster
            || target.service != configured
        {
            return Err(Error::PlanRefused {
                message: format!(
                    "the plan is for {target}, but the config deploys {}/{configured} ({region})",
                    project.config.cluster
                ),
                hint: Some("apply it with the config and region it was planned with".to_owned()),
            });
        }
    }
    Ok(())
}

/// Executes a sealed plan: per service, take its lock (services in lock-id order, so that two
/// runners with overlapping sets cannot deadlock), apply the section, release the lock — on
/// success, error, lease loss, SIGINT and SIGTERM alike.
pub async fn apply_plan(
    plan: &Plan,
    project: &Project,
    config: &SdkConfig,
    execution: &Execution,
    operation: &str,
    output: &Output,
) -> Result<(), Error> {
    use crate::apply::{ApplyEvent, apply_section};
    use crate::lock::{HoldOutcome, LockInfo, Locker, hold_until_signal_or};

    let (lock, defaulted) = lock_config(project);
    if defaulted {
        let client = aws_sdk_dynamodb::Client::new(config);
        let setup = crate::aws::lock_dynamodb::create_table(&client, DEFAULT_LOCK_TABLE).await?;
        if setup.created {
            output.info(&format!(
                "Created the lock table {DEFAULT_LOCK_TABLE} (no lock section in the config)."
            ));
        }
    }
    let store = super::lock::open_store(&lock, config)?;
    let ecs = ecs_client(config);
    let mut sections: Vec<&crate::plan::ServicePlan> = plan.services.iter().collect();
    sections.sort_by_key(|section| section.target.lock_id());
    for section in sections {
        let reporter = execution.reporter.clone();
        let locker = Locker::new(store.clone())
            .with_events(move |event| reporter.report(ApplyEvent::Lock(event)));
        let guard = locker
            .acquire(
                &section.target.lock_id(),
                LockInfo::current(operation, Some(plan.plan_id.clone())),
                lock.lease,
                execution.lock_timeout,
            )
            .await?;
        let lease = guard.lease();
        let held = hold_until_signal_or(
            guard,
            apply_section(
                &ecs,
                &plan.plan_id,
                section,
                &lease,
                execution.wait.as_ref(),
                execution.reporter.as_ref(),
            ),
        )
        .await;
        if let Err(error) = &held.release {
            output.warn(&format!("could not release the deploy lock: {error}"));
        }
        match held.outcome {
            HoldOutcome::Completed(result) => {
                result?;
            }
            HoldOutcome::Interrupted(signal) => return Err(Error::Interrupted(signal)),
            HoldOutcome::LeaseLost(error) => return Err(error.into()),
        }
    }
    Ok(())
}
