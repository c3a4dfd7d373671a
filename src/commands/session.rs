//! The settings of one run, resolved once (ARCHITECTURE.md §2): the project loaded with its
//! warnings printed once, the AWS connection with the one region rule, the lookups of rendering
//! wired to the run's runtime, the one way to select services, and the plan and execution
//! settings every command builds from its flags. Commands get a `Session` and never resolve any
//! of this themselves.
//!
//! Must not: decide what to change (that is `plan` and `operation`) or print anything but the
//! warnings and the plan of a one-step command, through `Output`.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::apply::wait::DEFAULT_POLL_INTERVAL;
use crate::apply::{WaitOptions, WaitUntil};
use crate::aws::ecs::EcsApi;
use crate::aws::lookups::RuntimeLookups;
use crate::aws::sdk::{Aws, AwsSettings, Timeouts};
use crate::cli::{ExecutionArgs, GlobalArgs, PlanFlags, PolicyFlags, WaitFlags, WaitUntilArg};
use crate::config::{AwsConfig, ServiceConfig, envfile};
use crate::error::Error;
use crate::live::RevisionChoice;
use crate::operation::{self, Execution, LockSetup, Planned};
use crate::output::Output;
use crate::plan::{Plan, PlanOptions, PlanRequest, Target};
use crate::policy::PolicySet;
use crate::project::{Project, ProjectOptions};
use crate::render::JsonnetOptions;

pub(crate) struct Session<'run> {
    pub(crate) global: &'run GlobalArgs,
    pub(crate) output: &'run Output,
    pub(crate) project: Project,
    pub(crate) aws: Arc<Aws>,
}

impl<'run> Session<'run> {
    /// Loads the project and connects its lookups to AWS; call inside the run's runtime.
    pub(crate) fn load(global: &'run GlobalArgs, output: &'run Output) -> Result<Self, Error> {
        let mut project = Project::load(&project_options(global)?)?;
        // `--timeout` (or RISTRETTO_TIMEOUT / ECSPRESSO_TIMEOUT) overrides the config's, as in
        // ecspresso: every wait of the run uses it.
        if let Some(timeout) = global.timeout {
            project.config.timeout = timeout;
        }
        for warning in &project.config.warnings {
            output.warn(warning);
        }
        let aws = Aws::new(aws_settings(
            global,
            project.config.region.clone(),
            &project.config.aws,
        )?);
        crate::render::lookups::install(Rc::new(RuntimeLookups::current(Arc::clone(&aws))));
        Ok(Self {
            global,
            output,
            project,
            aws,
        })
    }

    pub(crate) async fn region(&self) -> Result<String, Error> {
        Ok(self.aws.region().await?)
    }

    pub(crate) fn warn_all(&self, warnings: &[String]) {
        warnings
            .iter()
            .for_each(|warning| self.output.warn(warning));
    }

    /// The one service a single-service command works on (`--service`, or the only one).
    pub(crate) fn one_service(&self) -> Result<ServiceConfig, Error> {
        self.project.one_service(&self.global.service)
    }

    /// The selected service and its target in the run's region.
    pub(crate) async fn one_target(&self) -> Result<(ServiceConfig, Target), Error> {
        let service = self.one_service()?;
        let target = Target {
            region: self.region().await?,
            cluster: service.cluster.clone(),
            service: service.name.clone(),
        };
        Ok((service, target))
    }

    /// The task definition family a command about revisions works on (`revisions`,
    /// `deregister`): the selected service's file's family, and its cluster.
    pub(crate) fn selected_family(&self) -> Result<(String, String), Error> {
        let owner = self
            .project
            .one_task_definition_owner(&self.global.service)?;
        let task_definition = self.project.task_definition_of(&owner)?;
        self.warn_all(&task_definition.warnings);
        let family = task_definition
            .document
            .get("family")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                Error::usage(
                    format!(
                        "{}: the task definition has no family",
                        task_definition.path.display()
                    ),
                    Some("set family in the task definition".to_owned()),
                )
            })?;
        Ok((owner.cluster, family))
    }

    /// The config's plan options with the plan flags on top, and the revision they choose.
    pub(crate) fn plan_options(&self, flags: &PlanFlags) -> (PlanOptions, RevisionChoice) {
        let options = PlanOptions {
            skip_task_definition: flags.skip_task_definition,
            desired_count: flags.tasks,
            force_new_deployment: flags.force_new_deployment,
            allow_terraform_owned: flags.allow_terraform_owned,
            keep_live_service: flags.keep_live_service,
            ..operation::config_plan_options(&self.project.config)
        };
        let choice = match (flags.latest_task_definition, flags.revision) {
            (_, Some(revision)) => RevisionChoice::Revision(revision),
            (true, None) => RevisionChoice::Latest,
            (false, None) => RevisionChoice::FromFile,
        };
        (options, choice)
    }

    /// Plans the selected services now (`--service`, else all), without any lock: `plan`,
    /// `diff`, `--dry-run`, and the plan a person confirms before `apply` takes the lock.
    pub(crate) async fn plan_now(&self, flags: &PlanFlags) -> Result<Plan, Error> {
        let (requests, options, choice) = self.plan_inputs(flags).await?;
        operation::compute_plan(
            &self.aws.ecs().await,
            &self.aws.cloud_map().await,
            &requests,
            &options,
            choice,
            self.global.env.clone(),
        )
        .await
    }

    /// The rendered requests of the selected services, and the options and revision choice
    /// of the flags. Rendering needs no lock: only reading the live state does.
    async fn plan_inputs(
        &self,
        flags: &PlanFlags,
    ) -> Result<(Vec<PlanRequest>, PlanOptions, RevisionChoice), Error> {
        let region = self.region().await?;
        let (requests, warnings) = self.project.plan_requests(&self.global.service, &region)?;
        self.warn_all(&warnings);
        let (options, choice) = self.plan_options(flags);
        Ok((requests, options, choice))
    }

    /// The one-step deploy of `deploy` and `apply --auto-approve` without a plan file: the
    /// selected services' locks are taken first, and the plan is made under them, so runners
    /// queued with `--lock-timeout` each plan after the previous one has finished. `--dry-run`
    /// prints the plan on stdout and changes nothing (no lock).
    pub(crate) async fn deploy_now(
        &self,
        flags: &PlanFlags,
        policies: Option<&PolicySet>,
        dry_run: bool,
        execution: &Execution,
        operation_name: &str,
    ) -> Result<Plan, Error> {
        let (requests, options, choice) = self.plan_inputs(flags).await?;
        let targets: Vec<Target> = requests
            .iter()
            .map(|request| request.target.clone())
            .collect();
        let ecs = self.aws.ecs().await;
        let cloud_map = self.aws.cloud_map().await;
        let make_plan = async || {
            let planned = operation::compute_plan_and_live(
                &ecs,
                &cloud_map,
                &requests,
                &options,
                choice,
                self.global.env.clone(),
            )
            .await?;
            self.checked(planned, policies)
        };
        self.one_step(
            &ecs,
            &targets,
            dry_run,
            execution,
            operation_name,
            make_plan,
        )
        .await
    }

    /// How every one-step command ends (`deploy`, `rollback`, `scale`, `apply` without a file
    /// and with `--auto-approve`): `--dry-run` plans without a lock and prints the plan on
    /// stdout; otherwise the targets' locks are taken, the plan is made under them, shown on
    /// stderr, and applied when it changes anything.
    pub(crate) async fn one_step(
        &self,
        ecs: &impl EcsApi,
        targets: &[Target],
        dry_run: bool,
        execution: &Execution,
        operation_name: &str,
        make_plan: impl AsyncFnOnce() -> Result<Planned, Error>,
    ) -> Result<Plan, Error> {
        if dry_run {
            let plan = make_plan().await?.plan;
            self.output
                .plan(&plan, crate::cli::PlanFormat::Text)
                .map_err(Error::Stdout)?;
            // A plan the policies deny is shown, then refused (exit 6).
            return operation::refusal(&plan).map_or(Ok(plan), Err);
        }
        let lock = self.lock(execution).await?;
        operation::plan_and_apply(
            ecs,
            &lock,
            execution,
            operation_name,
            targets,
            make_plan,
            |plan| self.output.plan_info(plan),
        )
        .await
    }

    /// The policy set of this run: the config's `policies` and `--policy`, read and parsed
    /// (before any AWS call, so a broken policy fails fast); `None` without policies.
    pub(crate) fn policies(&self, flags: &PolicyFlags) -> Result<Option<PolicySet>, Error> {
        let started = std::time::Instant::now();
        let policies = operation::load_policies(Some(&self.project.config), &flags.paths)?;
        if let Some(policies) = &policies {
            self.output.debug(&format!(
                "policies: {} files read and parsed in {:.2} ms",
                policies.file_names().len(),
                started.elapsed().as_secs_f64() * 1000.0
            ));
        }
        Ok(policies)
    }

    /// Plans now and checks the plan against `policies`; a denial is recorded in the plan
    /// (see `operation::refusal`), not returned as an error, so that it can be shown first.
    pub(crate) async fn plan_checked(
        &self,
        flags: &PlanFlags,
        policies: Option<&PolicySet>,
    ) -> Result<Plan, Error> {
        let plan = self.plan_now(flags).await?;
        match policies {
            Some(policies) => self.check_policies(plan, policies),
            None => Ok(plan),
        }
    }

    /// Checks a plan against `policies`, recording what they found in it.
    fn check_policies(&self, plan: Plan, policies: &PolicySet) -> Result<Plan, Error> {
        let started = std::time::Instant::now();
        let plan = operation::check_plan(plan, policies)?;
        self.output.debug(&format!(
            "policies: evaluated on {} services in {:.2} ms",
            plan.services.len(),
            started.elapsed().as_secs_f64() * 1000.0
        ));
        Ok(plan)
    }

    /// A plan made under the lock, checked against `policies` when there are any.
    fn checked(
        &self,
        mut planned: operation::Planned,
        policies: Option<&PolicySet>,
    ) -> Result<operation::Planned, Error> {
        if let Some(policies) = policies {
            planned.plan = self.check_policies(planned.plan, policies)?;
        }
        Ok(planned)
    }

    pub(crate) fn wait_options(&self, flags: &WaitFlags) -> WaitOptions {
        WaitOptions {
            until: match flags.wait_until {
                WaitUntilArg::Deployed => WaitUntil::Deployed,
                WaitUntilArg::Stable => WaitUntil::Stable,
            },
            timeout: self.project.config.timeout,
            poll_interval: flags.poll.poll_interval.unwrap_or(DEFAULT_POLL_INTERVAL),
        }
    }

    pub(crate) fn execution(&self, arguments: &ExecutionArgs) -> Execution {
        Execution {
            lock_timeout: arguments.lock_timeout,
            parallelism: usize::from(arguments.parallelism),
            wait: (!arguments.no_wait).then(|| self.wait_options(&arguments.wait)),
            reporter: self.output.reporter(arguments.format),
            policy: None,
        }
    }

    /// The project's lock (the default table is created on first use).
    pub(crate) async fn lock(&self, execution: &Execution) -> Result<LockSetup, Error> {
        operation::open_lock(
            &self.project.config,
            &self.aws,
            Arc::clone(&execution.reporter),
        )
        .await
    }

    /// Applies a plan file under the locks of its services (refused when stale or applied).
    pub(crate) async fn apply(&self, plan: &Plan, execution: &Execution) -> Result<(), Error> {
        let lock = self.lock(execution).await?;
        operation::apply_plan(plan, &self.aws.ecs().await, &lock, execution, "apply").await
    }

    /// Applies a plan a person confirmed before the lock was taken (refused when stale).
    pub(crate) async fn apply_confirmed(
        &self,
        plan: &Plan,
        execution: &Execution,
    ) -> Result<(), Error> {
        let lock = self.lock(execution).await?;
        operation::apply_confirmed_plan(plan, &self.aws.ecs().await, &lock, execution, "apply")
            .await
    }
}

/// What `--region`, `--profile` and `--assume-role-arn` say, with the config's region under
/// `--region` (the SDK's default chain comes after both), and the SDK timeouts:
/// `RISTRETTO_CONNECT_TIMEOUT`, `RISTRETTO_READ_TIMEOUT` and `RISTRETTO_ATTEMPT_TIMEOUT` (read
/// after the envfiles), else the config's `aws` section, else the defaults.
pub(crate) fn aws_settings(
    global: &GlobalArgs,
    config_region: Option<String>,
    config_aws: &AwsConfig,
) -> Result<AwsSettings, Error> {
    let timeout =
        |variable: &str, configured: Option<Duration>, default: Duration| match std::env::var(
            variable,
        )
        .ok()
        .filter(|text| !text.is_empty())
        {
            None => Ok(configured.unwrap_or(default)),
            Some(text) => match crate::config::duration::parse(&text) {
                Ok(duration) if !duration.is_zero() => Ok(duration),
                Ok(_) => Err(format!("{text:?}: must be longer than zero")),
                Err(message) => Err(message),
            }
            .map_err(|message| {
                Error::usage(
                    format!("{variable}: {message}"),
                    Some("write a duration such as 5s or 1m".to_owned()),
                )
            }),
        };
    let defaults = Timeouts::DEFAULT;
    Ok(AwsSettings {
        region: global.region.clone().or(config_region),
        profile: global.profile.clone(),
        assume_role_arn: global.assume_role_arn.clone(),
        timeouts: Timeouts {
            connect: timeout(
                "RISTRETTO_CONNECT_TIMEOUT",
                config_aws.connect_timeout,
                defaults.connect,
            )?,
            read: timeout(
                "RISTRETTO_READ_TIMEOUT",
                config_aws.read_timeout,
                defaults.read,
            )?,
            attempt: timeout(
                "RISTRETTO_ATTEMPT_TIMEOUT",
                config_aws.attempt_timeout,
                defaults.attempt,
            )?,
        },
    })
}

/// `--envfile` files enter the process environment in the order given, after argument
/// parsing and before the config is read (as in ecspresso).
pub(crate) fn apply_envfiles(global: &GlobalArgs) -> Result<(), Error> {
    for path in &global.envfile {
        for (name, value) in envfile::read(path).map_err(crate::config::ConfigError::from)? {
            // SAFETY: called before the runtime starts any thread that reads the environment.
            unsafe { std::env::set_var(name, value) };
        }
    }
    Ok(())
}

fn project_options(global: &GlobalArgs) -> Result<ProjectOptions, Error> {
    let working_directory = std::env::current_dir().map_err(|error| {
        Error::usage(format!("cannot read the working directory: {error}"), None)
    })?;
    Ok(ProjectOptions {
        config: global.config.clone(),
        working_directory,
        environment: global.env.clone(),
        jsonnet: JsonnetOptions {
            ext_str: key_value_lists("--ext-str", &global.ext_str)?,
            ext_code: key_value_lists("--ext-code", &global.ext_code)?,
            tla_str: key_values("--tla-str", &global.tla_str)?,
            tla_code: key_values("--tla-code", &global.tla_code)?,
            library_paths: global.jpath.clone(),
            // The project adds `--env` itself, with the config's library paths.
            environment: None,
            natives: Vec::new(),
        },
    })
}

/// `KEY=VALUE` entries of `--ext-str`/`--ext-code`: each occurrence may hold several separated
/// by `;` (ecspresso's map syntax: `--ext-str 'a=1;b=2'`).
fn key_value_lists(flag: &str, values: &[String]) -> Result<Vec<(String, String)>, Error> {
    let entries: Vec<String> = values
        .iter()
        .flat_map(|value| crate::cli::split_key_value_list(value))
        .collect();
    key_values(flag, &entries)
}

fn key_values(flag: &str, values: &[String]) -> Result<Vec<(String, String)>, Error> {
    values
        .iter()
        .map(|value| match value.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
            _ => Err(Error::usage(
                format!("{flag} {value:?}: expected KEY=VALUE"),
                Some(format!("for example {flag} tag=v1.2.3")),
            )),
        })
        .collect()
}
