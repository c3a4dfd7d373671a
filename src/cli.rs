//! Command-line syntax, and nothing else: clap types that describe the flags and subcommands.
//! Turning these into settings, loading files or talking to AWS happens in `commands/`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit_code;

#[derive(Debug, Parser)]
#[command(
    name = "ristretto",
    version,
    about = "Deploy Amazon ECS services and task definitions: render, plan, review, apply.",
    long_about = "Deploy Amazon ECS services and task definitions.\n\n\
        Definitions live in files (Jsonnet, JSON or YAML; ecspresso's configs and \
        {{ must_env `X` }} templates work unchanged).",
    after_help = exit_code::HELP_TABLE,
    propagate_version = true
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options accepted before or after the subcommand (`ristretto --env prod render` is
/// `ristretto render --env prod`), because users type them both ways.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct GlobalArgs {
    /// Config file [default: the first of ristretto.jsonnet, ristretto.yml, ristretto.yaml,
    /// ristretto.json, ecspresso.yml, ecspresso.yaml, ecspresso.json, ecspresso.jsonnet]
    #[arg(
        short,
        long,
        global = true,
        env = "RISTRETTO_CONFIG",
        value_name = "PATH"
    )]
    pub(crate) config: Option<PathBuf>,

    /// Environment: reads environments/NAME/ (its config) when present, and gives Jsonnet
    /// std.extVar('env') and the top-level argument env
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) env: Option<String>,

    /// Jsonnet external string variable (repeatable)
    #[arg(long, global = true, value_name = "KEY=VALUE")]
    pub(crate) ext_str: Vec<String>,

    /// Jsonnet external variable given as Jsonnet code (repeatable)
    #[arg(long, global = true, value_name = "KEY=CODE")]
    pub(crate) ext_code: Vec<String>,

    /// Jsonnet top-level string argument (repeatable)
    #[arg(long, global = true, value_name = "KEY=VALUE")]
    pub(crate) tla_str: Vec<String>,

    /// Jsonnet top-level argument given as Jsonnet code (repeatable)
    #[arg(long, global = true, value_name = "KEY=CODE")]
    pub(crate) tla_code: Vec<String>,

    /// Jsonnet library path (repeatable; lib/ and vendor/ next to the config and in the working
    /// directory are always searched)
    #[arg(short = 'J', long, global = true, value_name = "DIR")]
    pub(crate) jpath: Vec<PathBuf>,

    /// Load environment variables from a file before reading the config (repeatable, in order)
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) envfile: Vec<PathBuf>,

    /// AWS region (overrides the config's region and AWS_REGION)
    #[arg(long, global = true)]
    pub(crate) region: Option<String>,

    /// AWS shared-config profile
    #[arg(long, global = true)]
    pub(crate) profile: Option<String>,

    /// Assume this IAM role for every AWS call
    #[arg(long, global = true, value_name = "ARN")]
    pub(crate) assume_role_arn: Option<String>,

    /// When to colour output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,

    /// Print only errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Print more detail on stderr
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,

    /// Select services of a multi-service config (repeatable); commands that work on one
    /// service need exactly one when the config has several
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) service: Vec<String>,
}

impl GlobalArgs {
    /// Repeatable global options given both before and after the command (`--envfile a
    /// status --envfile b`) must all count, in order, as in ecspresso; clap keeps only the
    /// occurrences after the command. Re-reads them from the arguments as typed.
    pub(crate) fn collect_repeated(&mut self, arguments: &[std::ffi::OsString]) {
        let texts: Vec<String> = arguments
            .iter()
            .skip(1)
            .map(|argument| argument.to_string_lossy().into_owned())
            .take_while(|argument| argument != "--")
            .collect();
        self.envfile = occurrences(&texts, "--envfile", None)
            .into_iter()
            .map(PathBuf::from)
            .collect();
        self.ext_str = occurrences(&texts, "--ext-str", None);
        self.ext_code = occurrences(&texts, "--ext-code", None);
        self.tla_str = occurrences(&texts, "--tla-str", None);
        self.tla_code = occurrences(&texts, "--tla-code", None);
        self.jpath = occurrences(&texts, "--jpath", Some("-J"))
            .into_iter()
            .map(PathBuf::from)
            .collect();
        self.service = occurrences(&texts, "--service", None);
    }
}

/// Every value of an option, in order: `--name value`, `--name=value`, `-J value`, `-Jvalue`.
fn occurrences(arguments: &[String], long: &str, short: Option<&str>) -> Vec<String> {
    let mut values = Vec::new();
    let mut index = 0;
    while index < arguments.len() {
        let argument = &arguments[index];
        let inline = argument
            .strip_prefix(long)
            .and_then(|rest| rest.strip_prefix('='))
            .or_else(|| {
                short
                    .and_then(|short| argument.strip_prefix(short))
                    .filter(|rest| !rest.is_empty())
            });
        if let Some(value) = inline {
            values.push(value.to_owned());
        } else if (argument == long || short == Some(argument.as_str()))
            && let Some(value) = arguments.get(index + 1)
        {
            values.push(value.clone());
            index += 1;
        }
        index += 1;
    }
    values
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Every subcommand. Those that need no project (no config is read) come first in the enum;
/// the ones that work on the project are `ProjectCommand`, flattened in, so that each kind is
/// dispatched once, exhaustively. `display_order` keeps `--help` in the order people use them.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    #[command(flatten)]
    Project(ProjectCommand),
    /// Print a saved plan
    #[command(display_order = 5)]
    Show(ShowArgs),
    /// Write a config and definitions from a live service (--service NAME)
    #[command(display_order = 9)]
    Init(InitArgs),
    /// Run the policies' own tests (test_ rules), as opa test does
    #[command(display_order = 18)]
    Policy(PolicyArgs),
    /// Print the version
    #[command(display_order = 19)]
    Version,
    /// Print a shell completion script
    #[command(display_order = 20)]
    Completions(CompletionsArgs),
    /// Print the manual page, or write one page per command into a directory
    #[command(display_order = 21)]
    Man(ManArgs),
}

/// The subcommands that load the project (its config and definitions) before they run.
#[derive(Debug, Subcommand)]
pub(crate) enum ProjectCommand {
    /// Print the rendered config and definitions as JSON
    #[command(display_order = 1)]
    Render(RenderArgs),
    /// Check the config and definitions offline: unknown fields, types, enum values
    #[command(display_order = 2)]
    Validate,
    /// Show what would change between the definitions and the live service; nothing is written
    #[command(display_order = 3)]
    Diff(DiffArgs),
    /// Compute the changes and the actions that apply them; optionally save the plan
    #[command(display_order = 4)]
    Plan(PlanArgs),
    /// Execute a saved plan (or plan, confirm and execute) under the deploy lock
    #[command(display_order = 6)]
    Apply(ApplyArgs),
    /// Plan and apply in one step, as ecspresso deploy does, under the deploy lock
    #[command(display_order = 7)]
    Deploy(DeployArgs),
    /// Inspect, force-release or set up the deploy lock
    #[command(display_order = 8)]
    Lock(LockArgs),
    /// Run a one-off task and exit with its container's exit code
    #[command(display_order = 10)]
    Run(RunArgs),
    /// Show the service: task definition, deployments, events, auto scaling
    #[command(display_order = 11)]
    Status(StatusArgs),
    /// Wait for the service's current rollout, as apply does
    #[command(display_order = 12)]
    Wait(WaitArgs),
    /// Go back to the previous ACTIVE task definition revision, under the deploy lock
    #[command(display_order = 13)]
    Rollback(RollbackArgs),
    /// Set the service's desired count, under the deploy lock
    #[command(display_order = 14)]
    Scale(ScaleArgs),
    /// List the task definition family's ACTIVE revisions and which are in use
    #[command(display_order = 15)]
    Revisions(RevisionsArgs),
    /// Deregister task definition revisions that are not in use
    #[command(display_order = 16)]
    Deregister(DeregisterArgs),
    /// Delete the service, under the deploy lock
    #[command(display_order = 17)]
    Delete(DeleteArgs),
    /// Check that what the definitions reference exists (roles, log groups, images, …)
    #[command(display_order = 18)]
    Verify,
}

/// A duration flag (`30s`, `10m`, `1h30m`, Go's syntax), parsed once by clap so that every
/// command and `RISTRETTO_POLL_INTERVAL` reject bad input the same way.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::config::duration::parse(text)
        .map_err(|message| format!("{message}; write a duration such as 30s, 10m or 1h"))
}

/// A duration that must not be zero (a poll interval of zero would spin).
fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        duration if duration.is_zero() => Err(format!("{text:?}: must be longer than zero")),
        duration => Ok(duration),
    }
}

/// Flags that choose what a plan deploys (shared by plan, diff and deploy; ecspresso's names).
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct PlanFlags {
    /// Keep the service's current task definition (do not register the file's)
    #[arg(long)]
    pub(crate) skip_task_definition: bool,

    /// Set the service's desired count to N
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(0..))]
    pub(crate) tasks: Option<i64>,

    /// Start a new deployment even when nothing changed
    #[arg(long)]
    pub(crate) force_new_deployment: bool,

    /// Deploy the newest ACTIVE revision of the family instead of the file
    #[arg(long, conflicts_with = "revision")]
    pub(crate) latest_task_definition: bool,

    /// Plan even when the definitions differ from fields Terraform owns (they are still not sent)
    #[arg(long)]
    pub(crate) allow_terraform_owned: bool,

    /// Deploy revision N of the family instead of the file
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub(crate) revision: Option<i64>,
}

/// The Rego policies a plan is checked against, besides the config's `policies`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct PolicyFlags {
    /// Rego policy file, JSON/YAML data file, or directory of them, checked besides the
    /// config's policies (repeatable; apply needs the same ones as plan)
    #[arg(long = "policy", value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    #[command(subcommand)]
    pub(crate) command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Run every test_ rule of the policies (*_test.rego files included); fails when one fails
    Test {
        /// Policy files or directories [default: the config's policies]
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum PlanFormat {
    /// For people: coloured, nested like Terraform's plan
    #[default]
    Text,
    /// For machines
    Json,
    /// For a pull-request comment
    Markdown,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    #[command(flatten)]
    pub(crate) flags: PlanFlags,

    /// Exit 0 when there are no changes, 2 when there are
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub(crate) flags: PlanFlags,

    #[command(flatten)]
    pub(crate) policy: PolicyFlags,

    /// Save the plan to FILE (mode 0600) or to s3://bucket/key
    #[arg(short, long, value_name = "FILE")]
    pub(crate) out: Option<String>,

    /// How to print the plan on stdout
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub(crate) format: PlanFormat,

    /// Exit 0 when there are no changes, 2 when there are
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The plan file, or s3://bucket/key
    #[arg(value_name = "PLANFILE")]
    pub(crate) plan: String,

    /// How to print the plan on stdout
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub(crate) format: PlanFormat,
}

/// How long and for what a command waits for a rollout; flattened into every command that
/// waits (apply, deploy, rollback, scale, wait).
#[derive(Debug, Args, Clone)]
pub(crate) struct WaitFlags {
    /// When the rollout counts as finished
    #[arg(long, value_enum, default_value_t = WaitUntilArg::Deployed)]
    pub(crate) wait_until: WaitUntilArg,

    /// How long to wait for the rollout [default: the config's timeout, 10m]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) timeout: Option<Duration>,

    #[command(flatten)]
    pub(crate) poll: PollFlags,
}

/// How often waiting commands ask ECS (hidden: tests shorten it through the environment).
#[derive(Debug, Args, Clone)]
pub(crate) struct PollFlags {
    /// Interval between Describe calls while waiting [default: 5s]
    #[arg(
        long,
        value_name = "DURATION",
        env = "RISTRETTO_POLL_INTERVAL",
        hide = true,
        value_parser = parse_positive_duration
    )]
    pub(crate) poll_interval: Option<Duration>,
}

/// How apply-like commands take the lock, wait and report.
#[derive(Debug, Args, Clone)]
pub(crate) struct ExecutionArgs {
    /// How long to wait for the deploy lock held by another run (0: fail at once with exit 3)
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
    pub(crate) lock_timeout: Duration,

    /// Do not wait for the rollout to finish
    #[arg(long)]
    pub(crate) no_wait: bool,

    #[command(flatten)]
    pub(crate) wait: WaitFlags,

    /// How to report progress: text on stderr, or JSON lines on stdout
    #[arg(long, value_enum, default_value_t = ProgressFormat::Text)]
    pub(crate) format: ProgressFormat,

    /// How many services of a multi-service plan are applied at once
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) parallelism: u16,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum WaitUntilArg {
    /// The new deployment is COMPLETED (the circuit breaker can no longer roll it back)
    #[default]
    Deployed,
    /// Also no other deployment is left running
    Stable,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProgressFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// The saved plan (file or s3://bucket/key); without it, plan now and ask to confirm
    #[arg(value_name = "PLANFILE")]
    pub(crate) plan: Option<String>,

    /// Do not ask for confirmation (needed without a plan file when stdin is not a terminal)
    #[arg(long)]
    pub(crate) auto_approve: bool,

    #[command(flatten)]
    pub(crate) flags: PlanFlags,

    #[command(flatten)]
    pub(crate) policy: PolicyFlags,

    #[command(flatten)]
    pub(crate) execution: ExecutionArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DeployArgs {
    /// Print the plan and exit without changing anything
    #[arg(long)]
    pub(crate) dry_run: bool,

    #[command(flatten)]
    pub(crate) flags: PlanFlags,

    #[command(flatten)]
    pub(crate) policy: PolicyFlags,

    #[command(flatten)]
    pub(crate) execution: ExecutionArgs,
}

#[derive(Debug, Args)]
pub(crate) struct LockArgs {
    #[command(subcommand)]
    pub(crate) command: LockCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LockCommand {
    /// Show who holds the configured service's deploy lock
    Status,
    /// Force-release the deploy lock; LOCK_ID is the ID `lock status` shows
    Release {
        #[arg(value_name = "LOCK_ID")]
        lock_id: String,
    },
    /// Create the lock table (DynamoDB: PAY_PER_REQUEST, key LockID, TTL on ExpiresAt) or check the bucket
    Init,
}

#[derive(Debug, Args)]
pub(crate) struct RenderArgs {
    /// What to render, in order [default: config taskdef servicedef]
    #[arg(value_enum)]
    pub(crate) targets: Vec<RenderTarget>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RenderTarget {
    /// The resolved config
    Config,
    /// The task definition
    Taskdef,
    /// The service definition
    Servicedef,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to generate completions for
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write ristretto.1 and a page per command (ristretto-plan.1, …) into DIR instead of
    /// printing ristretto.1
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: Option<PathBuf>,
}

// The service to read is the global `--service NAME` (exactly one), so that `init --cluster C
// --service S` reads as in ecspresso.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The cluster of the service
    #[arg(long, default_value = crate::config::DEFAULT_CLUSTER)]
    pub(crate) cluster: String,

    /// Read this task definition (FAMILY:REVISION or ARN) instead of the service's
    #[arg(long, value_name = "FAMILY:REV")]
    pub(crate) task_definition: Option<String>,

    /// Write the config and definitions as Jsonnet instead of YAML and JSON
    #[arg(long)]
    pub(crate) jsonnet: bool,

    /// Overwrite files that exist
    #[arg(long, alias = "force-overwrite")]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Container overrides as JSON (the RunTask `overrides` member)
    #[arg(long, value_name = "JSON", conflicts_with = "overrides_file")]
    pub(crate) overrides: Option<String>,

    /// Read the overrides from a file (rendered like a definition)
    #[arg(long, value_name = "FILE")]
    pub(crate) overrides_file: Option<PathBuf>,

    /// How many tasks to start (at most 10, as RunTask allows)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=10))]
    pub(crate) count: i32,

    /// Return once RunTask answered; do not wait or follow logs
    #[arg(long)]
    pub(crate) no_wait: bool,

    /// Wait until the task runs, or until it stopped
    #[arg(long, value_enum, default_value_t = RunWaitUntil::Stopped)]
    pub(crate) wait_until: RunWaitUntil,

    /// The container whose logs are followed and whose exit code is returned [default: the first essential one]
    #[arg(long, value_name = "NAME")]
    pub(crate) watch_container: Option<String>,

    /// Run this task definition file instead of the config's
    #[arg(long, value_name = "FILE", conflicts_with_all = ["latest_task_definition", "revision"])]
    pub(crate) task_def: Option<PathBuf>,

    /// Run the newest ACTIVE revision of the family (nothing is registered)
    #[arg(long, conflicts_with = "revision")]
    pub(crate) latest_task_definition: bool,

    /// Run revision N of the family (nothing is registered)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub(crate) revision: Option<i64>,

    /// Copy the service's or the task definition's tags to the task
    #[arg(long, value_enum)]
    pub(crate) propagate_tags: Option<PropagateTags>,

    /// Tags for the task: KEY=VALUE,KEY=VALUE
    #[arg(long, value_name = "K=V,...")]
    pub(crate) tags: Option<String>,

    /// How long to wait for the task [default: the config's timeout]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) timeout: Option<Duration>,

    #[command(flatten)]
    pub(crate) poll: PollFlags,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum RunWaitUntil {
    /// The task reached RUNNING
    Running,
    /// The task stopped (its exit code is the command's)
    #[default]
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PropagateTags {
    #[value(name = "SERVICE")]
    Service,
    #[value(name = "TASK_DEFINITION")]
    TaskDefinition,
    #[value(name = "NONE")]
    None,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum TextOrJson {
    /// For people
    #[default]
    Text,
    /// For machines
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// How many recent service events to show
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub(crate) events: usize,

    /// How to print the status on stdout
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub(crate) format: TextOrJson,
}

#[derive(Debug, Args)]
pub(crate) struct WaitArgs {
    #[command(flatten)]
    pub(crate) wait: WaitFlags,

    /// How to report progress: text on stderr, or JSON lines on stdout
    #[arg(long, value_enum, default_value_t = ProgressFormat::Text)]
    pub(crate) format: ProgressFormat,
}

#[derive(Debug, Args)]
pub(crate) struct RollbackArgs {
    /// Print the plan and exit without changing anything
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// After the rollback completed, deregister the revision rolled back from
    #[arg(long, conflicts_with = "no_wait")]
    pub(crate) deregister_task_definition: bool,

    #[command(flatten)]
    pub(crate) execution: ExecutionArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ScaleArgs {
    /// The desired count to set
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(0..))]
    pub(crate) tasks: i64,

    /// Print the plan and exit without changing anything
    #[arg(long)]
    pub(crate) dry_run: bool,

    #[command(flatten)]
    pub(crate) execution: ExecutionArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RevisionsArgs {
    /// How to print the revisions on stdout
    #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
    pub(crate) output: TableOrJson,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum TableOrJson {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct DeregisterArgs {
    /// Keep the N newest revisions that are not in use; deregister the older ones
    #[arg(
        long,
        alias = "keeps",
        value_name = "N",
        conflicts_with = "revision",
        required_unless_present = "revision"
    )]
    pub(crate) keep: Option<usize>,

    /// Deregister revision N of the family (refused when it is in use)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub(crate) revision: Option<i64>,

    /// List what would be deregistered and change nothing
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Do not ask for confirmation
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// Do not ask to type the service name
    #[arg(long)]
    pub(crate) force: bool,

    /// Stop the service's tasks too (DeleteService force), even when its desired count is not 0
    #[arg(long)]
    pub(crate) terminate: bool,

    /// Show what would be deleted and change nothing
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// How long to wait for the deploy lock held by another run (0: fail at once with exit 3)
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
    pub(crate) lock_timeout: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_global_options_count_before_and_after_the_command() {
        let arguments: Vec<std::ffi::OsString> = [
            "ristretto",
            "--envfile",
            "a.env",
            "-J",
            "lib",
            "render",
            "--envfile=b.env",
            "-Jvendor",
            "--ext-str",
            "k=v",
            "--",
            "--envfile",
            "ignored",
        ]
        .iter()
        .map(Into::into)
        .collect();
        let mut global = GlobalArgs::default();
        global.collect_repeated(&arguments);
        assert_eq!(
            global.envfile,
            [PathBuf::from("a.env"), PathBuf::from("b.env")]
        );
        assert_eq!(
            global.jpath,
            [PathBuf::from("lib"), PathBuf::from("vendor")]
        );
        assert_eq!(global.ext_str, ["k=v"]);
        assert!(global.service.is_empty());
    }
}
