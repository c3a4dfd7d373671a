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

use crate::apply::wait::DEFAULT_POLL_INTERVAL;
use crate::apply::{WaitOptions, WaitUntil};
use crate::aws::lookups::RuntimeLookups;
use crate::aws::sdk::{Aws, AwsSettings};
use crate::cli::{ExecutionArgs, GlobalArgs, PlanFlags, PolicyFlags, WaitFlags, WaitUntilArg};
use crate::config::{ServiceConfig, envfile};
use crate::error::Error;
use crate::exit_code;
use crate::live::RevisionChoice;
use crate::operation::{self, Execution, LockSetup};
use crate::output::Output;
use crate::plan::{Plan, PlanOptions, Target};
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
        let project = Project::load(&project_options(global)?)?;
        for warning in &project.config.warnings {
            output.warn(warning);
        }
        let aws = Aws::new(aws_settings(global, project.config.region.clone()));
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
            ..operation::config_plan_options(&self.project.config)
        };
        let choice = match (flags.latest_task_definition, flags.revision) {
            (_, Some(revision)) => RevisionChoice::Revision(revision),
            (true, None) => RevisionChoice::Latest,
            (false, None) => RevisionChoice::FromFile,
        };
        (options, choice)
    }

    /// Plans the selected services now (`--service`, else all).
    pub(crate) async fn plan_now(&self, flags: &PlanFlags) -> Result<Plan, Error> {
        let region = self.region().await?;
        let (requests, warnings) = self.project.plan_requests(&self.global.service, &region)?;
        self.warn_all(&warnings);
        let (options, choice) = self.plan_options(flags);
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
        let Some(policies) = policies else {
            return Ok(plan);
        };
        let started = std::time::Instant::now();
        let plan = operation::check_plan(plan, policies)?;
        self.output.debug(&format!(
            "policies: evaluated on {} services in {:.2} ms",
            plan.services.len(),
            started.elapsed().as_secs_f64() * 1000.0
        ));
        Ok(plan)
    }

    pub(crate) fn wait_options(&self, flags: &WaitFlags) -> WaitOptions {
        WaitOptions {
            until: match flags.wait_until {
                WaitUntilArg::Deployed => WaitUntil::Deployed,
                WaitUntilArg::Stable => WaitUntil::Stable,
            },
            timeout: flags.timeout.unwrap_or(self.project.config.timeout),
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
        operation::open_lock(&self.project.config, &self.aws, execution.reporter.as_ref()).await
    }

    /// Applies a plan under the locks of its services.
    pub(crate) async fn apply(
        &self,
        plan: &Plan,
        execution: &Execution,
        operation_name: &str,
    ) -> Result<(), Error> {
        let lock = self.lock(execution).await?;
        operation::apply_plan(
            plan,
            &self.aws.ecs().await,
            &lock,
            execution,
            operation_name,
        )
        .await
    }

    /// How every one-step command ends: `--dry-run` prints the plan on stdout and changes
    /// nothing; otherwise the plan is shown on stderr and, when it changes anything, applied
    /// under the lock. A plan the policies denied is refused (exit 6) after it is shown.
    pub(crate) async fn show_and_apply(
        &self,
        plan: &Plan,
        dry_run: bool,
        execution: &Execution,
        operation_name: &str,
    ) -> Result<u8, Error> {
        let refused = operation::refusal(plan);
        if dry_run {
            self.output
                .plan(plan, crate::cli::PlanFormat::Text)
                .map_err(Error::Stdout)?;
            return refused.map_or(Ok(exit_code::SUCCESS), Err);
        }
        self.output.plan_info(plan);
        if let Some(error) = refused {
            return Err(error);
        }
        if plan.has_changes() {
            self.apply(plan, execution, operation_name).await?;
        }
        Ok(exit_code::SUCCESS)
    }
}

/// What `--region`, `--profile` and `--assume-role-arn` say, with the config's region under
/// `--region` (the SDK's default chain comes after both).
pub(crate) fn aws_settings(global: &GlobalArgs, config_region: Option<String>) -> AwsSettings {
    AwsSettings {
        region: global.region.clone().or(config_region),
        profile: global.profile.clone(),
        assume_role_arn: global.assume_role_arn.clone(),
    }
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
            ext_str: key_values("--ext-str", &global.ext_str)?,
            ext_code: key_values("--ext-code", &global.ext_code)?,
            tla_str: key_values("--tla-str", &global.tla_str)?,
            tla_code: key_values("--tla-code", &global.tla_code)?,
            library_paths: global.jpath.clone(),
            // The project adds `--env` itself, with the config's library paths.
            environment: None,
            tfstate_natives: Vec::new(),
        },
    })
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
