//! What the commands that talk to AWS do the same way: the async runtime, the AWS settings,
//! loading the desired documents, computing a sealed plan, rendering it, moving plan files to
//! and from disk or S3, and applying a plan under the deploy lock (`show_and_apply`,
//! `apply_plan`, `under_service_lock`). Orchestration only: decisions are in `plan` and
//! `apply`, lease semantics in `lock`, I/O details in `aws`.

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

/// Loads the project and prints the config's warnings.
pub(super) fn load_project(
    options: &crate::project::ProjectOptions,
    output: &Output,
) -> Result<Project, Error> {
    let project = Project::load(options)?;
    for warning in &project.config.warnings {
        output.warn(warning);
    }
    Ok(project)
}

/// Plans the selected services now (`--service`, else all): their checked documents, their
/// live state, the sealed plan.
pub(super) async fn plan_now(
    project: &Project,
    global: &GlobalArgs,
    flags: &PlanFlags,
    config: &SdkConfig,
    region: &str,
    output: &Output,
) -> Result<Plan, Error> {
    let (options, choice) = plan_options(project, flags);
    let requests = desired_requests(project, region, &global.service, output)?;
    compute_plan(
        &ecs_client(config),
        &requests,
        &options,
        choice,
        global.env.clone(),
    )
    .await
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::usage(format!("cannot start the async runtime: {error}"), None))
}

pub(super) fn aws_settings(global: &GlobalArgs, project: &Project) -> AwsSettings {
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
pub(super) async fn sdk_config(settings: &AwsSettings) -> Result<(SdkConfig, String), Error> {
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

/// The desired side of every selected service (`--service`, else all), checked; warnings go
/// to stderr. A config without services plans its task definition alone.
pub(super) fn desired_requests(
    project: &Project,
    region: &str,
    selection: &[String],
    output: &Output,
) -> Result<Vec<PlanRequest>, Error> {
    let services = project.selected_services(selection)?;
    if services.is_empty() {
        let task_definition = project.task_definition()?;
        task_definition
            .warnings
            .iter()
            .for_each(|warning| output.warn(warning));
        return Ok(vec![PlanRequest {
            target: Target {
                region: region.to_owned(),
                cluster: project.config.cluster.clone(),
                service: String::new(),
            },
            task_definition: task_definition.document,
            service: None,
            ownership: None,
        }]);
    }
    let mut requests = Vec::with_capacity(services.len());
    for service in services {
        let task_path = service.task_definition.clone().ok_or_else(|| {
            Error::usage(
                format!(
                    "{}: service {} has no task_definition",
                    project.config.file.display(),
                    service.name
                ),
                Some("add task_definition to the config".to_owned()),
            )
        })?;
        let task_definition = project.load_task_definition(&task_path)?;
        task_definition
            .warnings
            .iter()
            .for_each(|warning| output.warn(warning));
        let definition = match &service.service_definition {
            Some(path) => {
                let loaded = project.load_named_service_definition(path, Some(&service.name))?;
                loaded
                    .warnings
                    .iter()
                    .for_each(|warning| output.warn(warning));
                Some(loaded.document)
            }
            None => None,
        };
        requests.push(PlanRequest {
            target: Target {
                region: region.to_owned(),
                cluster: service.cluster.clone(),
                service: service.name.clone(),
            },
            task_definition: task_definition.document,
            service: definition,
            ownership: project.ownership(&service)?,
        });
    }
    Ok(requests)
}

/// What the config says about every plan: how documents are compared and which values are
/// masked. Commands add their flags on top.
pub(super) fn project_plan_options(project: &Project) -> PlanOptions {
    PlanOptions {
        normalize: NormalizeOptions {
            ignore_tags: project.config.ignore_tags.clone(),
        },
        secret_patterns: project.config.secret_patterns.clone().unwrap_or_default(),
        ..PlanOptions::default()
    }
}

pub(super) fn plan_options(project: &Project, flags: &PlanFlags) -> (PlanOptions, RevisionChoice) {
    let options = PlanOptions {
        skip_task_definition: flags.skip_task_definition,
        desired_count: flags.tasks,
        force_new_deployment: flags.force_new_deployment,
        allow_terraform_owned: flags.allow_terraform_owned,
        ..project_plan_options(project)
    };
    let choice = match (flags.latest_task_definition, flags.revision) {
        (_, Some(revision)) => RevisionChoice::Revision(revision),
        (true, None) => RevisionChoice::Latest,
        (false, None) => RevisionChoice::FromFile,
    };
    (options, choice)
}

/// Fetches the live state of every requested service and plans it; the plan is sealed.
pub(super) async fn compute_plan(
    ecs: &impl EcsApi,
    requests: &[PlanRequest],
    options: &PlanOptions,
    choice: RevisionChoice,
    environment: Option<String>,
) -> Result<Plan, Error> {
    let states = live::fetch_all(ecs, requests, choice).await?;
    let services = requests
        .iter()
        .zip(&states)
        .map(|(request, state)| plan::plan_service(request, state, options))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(file::seal(Plan {
        format_version: FORMAT_VERSION,
        plan_id: uuid::Uuid::new_v4().to_string(),
        created_at: now_rfc3339(),
        ristretto_version: env!("CARGO_PKG_VERSION").to_owned(),
        environment,
        services,
        secret_patterns: options.secret_patterns.clone(),
        digest: String::new(),
    }))
}

pub(super) fn now_rfc3339() -> String {
    use crate::lock::WallClock;
    crate::lock::format_rfc3339(crate::lock::SystemClock.now_epoch_seconds())
}

/// How every one-step command ends: `--dry-run` prints the plan on stdout and changes nothing;
/// otherwise the plan is shown on stderr and, when it changes anything, applied under the lock.
pub(super) async fn show_and_apply(
    plan: &Plan,
    dry_run: bool,
    project: &Project,
    config: &SdkConfig,
    execution: &Execution,
    operation: &str,
    output: &Output,
) -> Result<u8, Error> {
    if dry_run {
        output
            .data(&render(plan, PlanFormat::Text, output))
            .map_err(Error::Stdout)?;
        return Ok(crate::exit_code::SUCCESS);
    }
    output.info(render(plan, PlanFormat::Text, output).trim_end());
    if plan.has_changes() {
        apply_plan(plan, project, config, execution, operation, output).await?;
    }
    Ok(crate::exit_code::SUCCESS)
}

pub(super) fn render(plan: &Plan, format: PlanFormat, output: &Output) -> String {
    let defaults = RenderOptions::default();
    let options = RenderOptions {
        color: output.color() && format == PlanFormat::Text && stdout_is_terminal(),
        secret_patterns: if plan.secret_patterns.is_empty() {
            defaults.secret_patterns
        } else {
            plan.secret_patterns.clone()
        },
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
pub(super) async fn save(
    plan: &Plan,
    destination: &str,
    config: Option<&SdkConfig>,
) -> Result<(), Error> {
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
pub(super) async fn load(source: &str, settings: &AwsSettings) -> Result<Plan, Error> {
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

pub(super) fn ecs_client(config: &SdkConfig) -> SdkEcs {
    SdkEcs::new(config)
}

/// How apply-like commands execute: lock wait, rollout wait, progress format.
pub(super) struct Execution {
    pub lock_timeout: std::time::Duration,
    /// How many services are applied at once.
    pub parallelism: usize,
    pub wait: Option<crate::apply::WaitOptions>,
    pub reporter: std::sync::Arc<dyn crate::apply::Reporter>,
}

pub(super) fn execution(
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
        parallelism: usize::from(arguments.parallelism),
        wait,
        reporter,
    })
}

/// Refuses a saved plan made for another environment or for services this project does not
/// deploy (another cluster, region or service name).
pub(super) fn check_plan_matches(
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
        let known = project
            .config
            .services
            .iter()
            .any(|service| service.name == target.service && service.cluster == target.cluster)
            || (project.config.services.is_empty()
                && target.service.is_empty()
                && target.cluster == project.config.cluster);
        if target.region != region || !known {
            return Err(Error::PlanRefused {
                message: format!(
                    "the plan is for {target}, which {} does not deploy in {region}",
                    project.config.file.display()
                ),
                hint: Some("apply it with the config and region it was planned with".to_owned()),
            });
        }
    }
    Ok(())
}

/// The project's lock and its store; the default DynamoDB table is created on first use (an
/// idempotent call), so that an ecspresso config without a lock section deploys under a lock.
async fn open_lock_store(
    project: &Project,
    config: &SdkConfig,
    output: &Output,
) -> Result<
    (
        crate::config::LockConfig,
        std::sync::Arc<dyn crate::lock::LockStore>,
    ),
    Error,
> {
    let (lock, defaulted) = project.config.lock_or_default();
    if defaulted {
        let setup =
            crate::aws::lock_dynamodb::create_table(config, crate::config::DEFAULT_LOCK_TABLE)
                .await?;
        if setup.created {
            output.info(&format!(
                "Created the lock table {} (no lock section in the config).",
                crate::config::DEFAULT_LOCK_TABLE
            ));
        }
    }
    let store = super::lock::open_store(&lock, config)?;
    Ok((lock, store))
}

/// Runs `work` under the deploy lock of `target`, released on success, error, lease loss,
/// SIGINT and SIGTERM alike. The lock is the config's, or the default DynamoDB table, created
/// on first use. `work` gets the lease, to check before each mutating call.
#[allow(clippy::too_many_arguments)]
pub(super) async fn under_service_lock<T, F>(
    project: &Project,
    config: &SdkConfig,
    target: &Target,
    operation: &str,
    plan_id: Option<String>,
    lock_timeout: std::time::Duration,
    reporter: std::sync::Arc<dyn crate::apply::Reporter>,
    output: &Output,
    work: impl FnOnce(crate::lock::LeaseHandle) -> F,
) -> Result<T, Error>
where
    F: std::future::Future<Output = Result<T, Error>>,
{
    use crate::apply::ApplyEvent;
    use crate::lock::{HoldOutcome, LockInfo, Locker, hold_until_signal_or};

    let (lock, store) = open_lock_store(project, config, output).await?;
    let locker =
        Locker::new(store).with_events(move |event| reporter.report(ApplyEvent::Lock(event)));
    let guard = locker
        .acquire(
            &target.lock_id(),
            LockInfo::current(operation, plan_id),
            lock.lease,
            lock_timeout,
        )
        .await?;
    let lease = guard.lease();
    let held = hold_until_signal_or(guard, work(lease)).await;
    if let Err(error) = &held.release {
        output.warn(&format!("could not release the deploy lock: {error}"));
    }
    match held.outcome {
        HoldOutcome::Completed(result) => result,
        HoldOutcome::Interrupted(signal) => Err(Error::Interrupted(signal)),
        HoldOutcome::LeaseLost(error) => Err(error.into()),
    }
}

/// Executes a sealed plan. Every service's lock is taken first, in lock-id order, so that two
/// runners with overlapping service sets cannot deadlock (one waits for the other as a whole);
/// then the services are applied `execution.parallelism` at a time, each stopping on its own
/// lost lease; then every lock is released — on success, failure, SIGINT and SIGTERM alike.
/// A failure of one service is reported and does not stop the others.
pub(super) async fn apply_plan(
    plan: &Plan,
    project: &Project,
    config: &SdkConfig,
    execution: &Execution,
    operation: &str,
    output: &Output,
) -> Result<(), Error> {
    use crate::apply::{ApplyEvent, apply_section};
    use crate::lock::{HoldOutcome, LockInfo, Locker, hold_all_until_signal_or};
    use futures_util::StreamExt;

    let (lock, store) = open_lock_store(project, config, output).await?;
    let reporter = execution.reporter.clone();
    let locker =
        Locker::new(store).with_events(move |event| reporter.report(ApplyEvent::Lock(event)));
    let mut sections: Vec<&crate::plan::ServicePlan> = plan.services.iter().collect();
    sections.sort_by_key(|section| section.target.lock_id());

    let mut guards = Vec::with_capacity(sections.len());
    for section in &sections {
        let acquired = locker
            .acquire(
                &section.target.lock_id(),
                LockInfo::current(operation, Some(plan.plan_id.clone())),
                lock.lease,
                execution.lock_timeout,
            )
            .await;
        match acquired {
            Ok(guard) => guards.push(guard),
            Err(error) => {
                for guard in guards {
                    if let Err(release) = guard.release().await {
                        output.warn(&format!("could not release a deploy lock: {release}"));
                    }
                }
                return Err(error.into());
            }
        }
    }
    let leases: Vec<crate::lock::LeaseHandle> = guards.iter().map(|guard| guard.lease()).collect();
    let ecs = &ecs_client(config);
    let work = futures_util::stream::iter(sections.iter().zip(&leases))
        .map(|(section, lease)| async move {
            tokio::select! {
                result = apply_section(
                    ecs,
                    &plan.plan_id,
                    section,
                    lease,
                    execution.wait.as_ref(),
                    execution.reporter.as_ref(),
                ) => result.map_err(Error::from),
                error = lease.lost() => Err(Error::from(error)),
            }
        })
        .buffer_unordered(execution.parallelism.max(1))
        .collect::<Vec<Result<_, Error>>>();
    let held = hold_all_until_signal_or(guards, false, work).await;
    for release in &held.releases {
        if let Err(error) = release {
            output.warn(&format!("could not release a deploy lock: {error}"));
        }
    }
    match held.outcome {
        HoldOutcome::Completed(results) => {
            let mut errors: Vec<Error> = results.into_iter().filter_map(Result::err).collect();
            match errors.len() {
                0 => Ok(()),
                1 => Err(errors.remove(0)),
                _ => Err(Error::Many(errors)),
            }
        }
        HoldOutcome::Interrupted(signal) => Err(Error::Interrupted(signal)),
        HoldOutcome::LeaseLost(error) => Err(error.into()),
    }
}
