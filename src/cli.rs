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
    /// [env: RISTRETTO_CONFIG, ECSPRESSO_CONFIG]
    #[arg(short, long, global = true, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,

    /// Environment: reads environments/NAME/ (its config) when present, and gives Jsonnet
    /// std.extVar('env') and the top-level argument env
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) env: Option<String>,

    /// Jsonnet external string variable (repeatable; 'a=1;b=2' sets several, `\;` is a
    /// literal semicolon) [env: RISTRETTO_EXT_STR, ECSPRESSO_EXT_STR]
    #[arg(long, global = true, value_name = "KEY=VALUE")]
    pub(crate) ext_str: Vec<String>,

    /// Jsonnet external variable given as Jsonnet code (repeatable; 'a=1;b=2' sets several,
    /// `\;` is a literal semicolon) [env: RISTRETTO_EXT_CODE, ECSPRESSO_EXT_CODE]
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
    /// [env: RISTRETTO_ENVFILE, ECSPRESSO_ENVFILE, comma-separated]
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) envfile: Vec<PathBuf>,

    /// AWS region (overrides the config's region and AWS_REGION)
    #[arg(long, global = true)]
    pub(crate) region: Option<String>,

    /// AWS shared-config profile
    #[arg(long, global = true)]
    pub(crate) profile: Option<String>,

    /// Assume this IAM role for every AWS call [env: RISTRETTO_ASSUME_ROLE_ARN,
    /// ECSPRESSO_ASSUME_ROLE_ARN]
    #[arg(long, global = true, value_name = "ARN")]
    pub(crate) assume_role_arn: Option<String>,

    /// When to colour output [env: RISTRETTO_COLOR, ECSPRESSO_COLOR (true or false)]
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,

    /// Never colour output: the same as --color never
    #[arg(long, global = true)]
    pub(crate) no_color: bool,

    /// Print only errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Print more detail on stderr
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,

    /// Print debug detail on stderr: the same as --verbose [env: RISTRETTO_DEBUG,
    /// ECSPRESSO_DEBUG]
    #[arg(long, global = true, conflicts_with = "quiet")]
    pub(crate) debug: bool,

    /// How long a command waits for a rollout or a one-off task; overrides the config's
    /// timeout [env: RISTRETTO_TIMEOUT, ECSPRESSO_TIMEOUT]
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) timeout: Option<Duration>,

    /// A command that picks one line of a list on its stdin (fzf, peco): how `tasks` and `exec`
    /// choose a task or container when there are several [env: RISTRETTO_FILTER_COMMAND,
    /// ECSPRESSO_FILTER_COMMAND]
    #[arg(long, global = true, value_name = "COMMAND")]
    pub(crate) filter_command: Option<String>,

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

/// The environment variables of the global options: ristretto's name first, then ecspresso's,
/// so that an ecspresso CI script runs unchanged and `RISTRETTO_*` wins when both are set.
/// A flag on the command line wins over both.
pub(crate) const ENVIRONMENT_PREFIXES: [&str; 2] = ["RISTRETTO_", "ECSPRESSO_"];

impl GlobalArgs {
    /// Fills the options not given on the command line from `RISTRETTO_*`, else `ECSPRESSO_*`
    /// (`lookup` reads one variable; empty values count as unset). An `Err` is the one-line
    /// reason a variable's value is refused.
    pub(crate) fn apply_environment(
        &mut self,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), String> {
        let variable = |suffix: &str| {
            ENVIRONMENT_PREFIXES.iter().find_map(|prefix| {
                let name = format!("{prefix}{suffix}");
                lookup(&name)
                    .filter(|value| !value.is_empty())
                    .map(|value| (name, value))
            })
        };
        if self.config.is_none() {
            self.config = variable("CONFIG").map(|(_, value)| PathBuf::from(value));
        }
        if self.envfile.is_empty()
            && let Some((_, value)) = variable("ENVFILE")
        {
            self.envfile = value
                .split(',')
                .filter(|path| !path.is_empty())
                .map(PathBuf::from)
                .collect();
        }
        if self.ext_str.is_empty() {
            self.ext_str = variable("EXT_STR")
                .map(|(_, value)| vec![value])
                .unwrap_or_default();
        }
        if self.ext_code.is_empty() {
            self.ext_code = variable("EXT_CODE")
                .map(|(_, value)| vec![value])
                .unwrap_or_default();
        }
        if self.assume_role_arn.is_none() {
            self.assume_role_arn = variable("ASSUME_ROLE_ARN").map(|(_, value)| value);
        }
        if self.filter_command.is_none() {
            self.filter_command = variable("FILTER_COMMAND").map(|(_, value)| value);
        }
        if self.timeout.is_none()
            && let Some((name, value)) = variable("TIMEOUT")
        {
            self.timeout =
                Some(parse_duration(&value).map_err(|error| format!("{name}: {error}"))?);
        }
        if !self.debug
            && let Some((name, value)) = variable("DEBUG")
        {
            self.debug = parse_bool(&value).ok_or_else(|| {
                format!("{name}={value:?}: expected true or false (1, t, TRUE, 0, f, FALSE, …)")
            })?;
        }
        if self.debug {
            self.verbose = true;
        }
        if self.no_color {
            self.color = ColorChoice::Never;
        } else if self.color == ColorChoice::Auto
            && let Some((name, value)) = variable("COLOR")
        {
            self.color = match parse_bool(&value) {
                Some(true) => ColorChoice::Always,
                Some(false) => ColorChoice::Never,
                None => {
                    return Err(format!(
                        "{name}={value:?}: expected true or false (1, t, TRUE, 0, f, FALSE, …)"
                    ));
                }
            };
        }
        Ok(())
    }
}

/// Go's `strconv.ParseBool`, which ecspresso's variables are read with.
fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// `a=1;b=2` as two `KEY=VALUE` entries (ecspresso's map syntax for `--ext-str`/`--ext-code`);
/// `\;` is a semicolon inside a value.
pub(crate) fn split_key_value_list(text: &str) -> Vec<String> {
    let mut entries = vec![String::new()];
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '\\' if characters.peek() == Some(&';') => {
                entries.last_mut().expect("never empty").push(';');
                characters.next();
            }
            ';' => entries.push(String::new()),
            other => entries.last_mut().expect("never empty").push(other),
        }
    }
    entries.retain(|entry| !entry.is_empty());
    entries
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
    /// Start a new deployment of the service as it is: `deploy --skip-task-definition
    /// --force-new-deployment --no-update-service`, under the deploy lock
    #[command(display_order = 7)]
    Refresh(RefreshArgs),
    /// Register the task definition file as a new revision (no service change)
    #[command(display_order = 7)]
    Register(RegisterArgs),
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
    /// List the service's and the family's running tasks; find, stop or trace one
    #[command(display_order = 11)]
    Tasks(TasksArgs),
    /// Run a command in a task's container (ECS Exec), or forward a port, through
    /// session-manager-plugin
    #[command(display_order = 11)]
    Exec(ExecArgs),
    /// Print the CodeDeploy AppSpec (YAML) for deploying the service's task definition
    #[command(display_order = 18)]
    Appspec(AppspecArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TasksArgs {
    /// Only this task (its id or ARN), whatever its status
    #[arg(long, value_name = "TASK_ID")]
    pub(crate) id: Option<String>,

    /// How to print the list on stdout
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub(crate) output: ListFormat,

    /// Choose one task (--id, the only one, or --filter-command) and print it as JSON
    #[arg(long, conflicts_with_all = ["stop", "trace"])]
    pub(crate) find: bool,

    /// Choose one task and stop it (asks to type its id unless --force)
    #[arg(long, conflicts_with = "trace")]
    pub(crate) stop: bool,

    /// With --stop: do not ask
    #[arg(long, requires = "stop")]
    pub(crate) force: bool,

    /// Choose one task and print its timeline: lifecycle times, how its containers ended and
    /// the end of their CloudWatch Logs
    #[arg(long)]
    pub(crate) trace: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    /// The task (its id or ARN) [default: the only running task, or --filter-command's choice]
    #[arg(long, value_name = "TASK_ID")]
    pub(crate) id: Option<String>,

    /// The command to run in the container
    #[arg(long, default_value = "sh")]
    pub(crate) command: String,

    /// The container [default: the only one, or --filter-command's choice]
    #[arg(long, value_name = "NAME")]
    pub(crate) container: Option<String>,

    /// Forward a local port to the task (or, with --host, to a host the task reaches) instead
    /// of running a command
    #[arg(long, requires = "port")]
    pub(crate) port_forward: bool,

    /// With --port-forward: the local port [default: chosen by session-manager-plugin]
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub(crate) local_port: u16,

    /// With --port-forward: the remote port
    #[arg(long, value_name = "PORT")]
    pub(crate) port: Option<u16>,

    /// With --port-forward: the remote host [default: the task itself]
    #[arg(long, value_name = "HOST")]
    pub(crate) host: Option<String>,

    /// Port forwarding in one flag, LOCAL_PORT:HOST:PORT (implies --port-forward)
    #[arg(short = 'L', value_name = "LOCAL_PORT:HOST:PORT", value_parser = parse_local_forward,
          conflicts_with_all = ["port_forward", "local_port", "port", "host"])]
    pub(crate) local_forward: Option<LocalForward>,
}

/// `-L 8080:db.internal:5432`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalForward {
    pub(crate) local_port: u16,
    pub(crate) host: String,
    pub(crate) port: u16,
}

fn parse_local_forward(text: &str) -> Result<LocalForward, String> {
    let expected = || "expected LOCAL_PORT:HOST:PORT, e.g. 8080:db.internal:5432".to_owned();
    let mut parts = text.splitn(3, ':');
    let (Some(local), Some(host), Some(port)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(expected());
    };
    Ok(LocalForward {
        local_port: local.parse().map_err(|_| expected())?,
        host: host.to_owned(),
        port: port.parse().map_err(|_| expected())?,
    })
    .and_then(|forward: LocalForward| {
        if forward.host.is_empty() {
            Err(expected())
        } else {
            Ok(forward)
        }
    })
}

#[derive(Debug, Args)]
pub(crate) struct AppspecArgs {
    /// The task definition the AppSpec deploys: latest (the family's newest ACTIVE revision),
    /// current (what the service runs) or an ARN
    #[arg(long, value_name = "latest|current|ARN", default_value = "latest")]
    pub(crate) task_definition: String,

    /// Take the load balancer, network and capacity providers from the service definition
    /// file (the default)
    #[arg(long, overrides_with = "no_update_service")]
    pub(crate) update_service: bool,

    /// Take them from the live service instead
    #[arg(long, overrides_with = "update_service")]
    pub(crate) no_update_service: bool,
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

    /// Keep the live service's attributes (and desired count, unless --tasks): only the task
    /// definition and a new deployment change. Set by `deploy --no-update-service`, `refresh`.
    #[arg(skip)]
    pub(crate) keep_live_service: bool,
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

    /// Print unified diffs of the live and desired documents (--- live ARN, +++ file), in the
    /// form plans compare them, instead of the plan-like listing
    #[arg(long, overrides_with = "no_unified")]
    pub(crate) unified: bool,

    /// Print the plan-like listing of the changes (the default)
    #[arg(long, overrides_with = "unified")]
    pub(crate) no_unified: bool,

    /// Hand each changed pair of documents to COMMAND as two files (live, then desired); it
    /// must exit 0 [env: RISTRETTO_DIFF_COMMAND, ECSPRESSO_DIFF_COMMAND]
    #[arg(long, value_name = "COMMAND")]
    pub(crate) external: Option<String>,

    /// Write the documents as Jsonnet for the unified or external diff (implies --unified)
    #[arg(long)]
    pub(crate) jsonnet: bool,
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
    /// When the rollout counts as finished (also: --until)
    #[arg(long, alias = "until", value_enum, default_value_t = WaitUntilArg::Deployed)]
    pub(crate) wait_until: WaitUntilArg,

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
    #[arg(long, overrides_with = "wait_for_rollout")]
    pub(crate) no_wait: bool,

    /// Wait for the rollout to finish (the default; undoes an earlier --no-wait)
    #[arg(long = "wait", overrides_with = "no_wait")]
    pub(crate) wait_for_rollout: bool,

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

    /// Apply the plan file only if its digest is this one (the full SHA-256 a reviewer saw,
    /// e.g. in the pull request's plan comment); any other plan is refused with exit 4
    #[arg(long, value_name = "HEX", requires = "plan", value_parser = parse_digest)]
    pub(crate) expect_digest: Option<String>,

    #[command(flatten)]
    pub(crate) flags: PlanFlags,

    #[command(flatten)]
    pub(crate) policy: PolicyFlags,

    #[command(flatten)]
    pub(crate) execution: ExecutionArgs,
}

/// A plan digest as `--expect-digest` takes it: all 64 hex digits of the SHA-256 (a prefix
/// would let a forged plan match with a feasible search), any case.
fn parse_digest(text: &str) -> Result<String, String> {
    let digest = text.trim().to_ascii_lowercase();
    if digest.len() == 64 && digest.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        Ok(digest)
    } else {
        Err(format!(
            "{text:?} is not a plan digest: expected the 64 hex digits of its SHA-256 (ristretto \
             show PLANFILE --format json prints it)"
        ))
    }
}

#[derive(Debug, Args)]
pub(crate) struct DeployArgs {
    /// Print the plan and exit without changing anything
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Leave the service's attributes as they are live (the service definition is only used to
    /// create a missing service); the desired count stays too unless --tasks
    #[arg(long, overrides_with = "update_service")]
    pub(crate) no_update_service: bool,

    /// Update the service's attributes from the service definition (the default)
    #[arg(long, overrides_with = "no_update_service")]
    pub(crate) update_service: bool,

    #[command(flatten)]
    pub(crate) flags: PlanFlags,

    #[command(flatten)]
    pub(crate) policy: PolicyFlags,

    #[command(flatten)]
    pub(crate) execution: ExecutionArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RefreshArgs {
    /// Print the plan and exit without changing anything
    #[arg(long)]
    pub(crate) dry_run: bool,

    #[command(flatten)]
    pub(crate) execution: ExecutionArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    /// Print the task definition that would be registered (on stdout) and register nothing
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Print the registered task definition as JSON on stdout
    #[arg(long)]
    pub(crate) output: bool,
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

    /// Print Jsonnet (unquoted keys, single-quoted strings) instead of JSON
    #[arg(long)]
    pub(crate) jsonnet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RenderTarget {
    /// The resolved config
    Config,
    /// The task definition (also: task-definition)
    #[value(alias = "task-definition")]
    Taskdef,
    /// The service definition (also: service-definition)
    #[value(alias = "service-definition")]
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

    /// Where to write the task definition, relative to the config [default:
    /// ecs-task-def.json, or .jsonnet with --jsonnet]
    #[arg(long, value_name = "PATH")]
    pub(crate) task_definition_path: Option<PathBuf>,

    /// Where to write the service definition, relative to the config [default:
    /// ecs-service-def.json, or .jsonnet with --jsonnet]
    #[arg(long, value_name = "PATH")]
    pub(crate) service_definition_path: Option<PathBuf>,

    /// Write lists in the order plan compares them (environment by name, …): the default
    #[arg(long, overrides_with = "no_sort")]
    pub(crate) sort: bool,

    /// Write lists in the order ECS returned them
    #[arg(long, overrides_with = "sort")]
    pub(crate) no_sort: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Container overrides as JSON (the RunTask `overrides` member)
    #[arg(long, value_name = "JSON", conflicts_with = "overrides_file")]
    pub(crate) overrides: Option<String>,

    /// Read the overrides from a file, rendered like a definition (templates, Jsonnet)
    #[arg(long, value_name = "FILE")]
    pub(crate) overrides_file: Option<PathBuf>,

    /// How many tasks to start (at most 10, as RunTask allows)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=10))]
    pub(crate) count: i32,

    /// Return once RunTask answered; do not wait or follow logs
    #[arg(long, overrides_with = "wait_for_task")]
    pub(crate) no_wait: bool,

    /// Wait for the task and follow its logs (the default; undoes an earlier --no-wait)
    #[arg(long = "wait", overrides_with = "no_wait")]
    pub(crate) wait_for_task: bool,

    /// Print the RunTask request on stdout and run nothing (nothing is registered either)
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// RunTask's idempotency token: a retry with the same token starts no second task
    #[arg(long, value_name = "TOKEN")]
    pub(crate) client_token: Option<String>,

    /// Delete the EBS volumes of the service definition's volumeConfigurations when the task
    /// stops (the default)
    #[arg(long, overrides_with = "no_ebs_delete_on_termination")]
    pub(crate) ebs_delete_on_termination: bool,

    /// Keep the EBS volumes of the service definition's volumeConfigurations after the task
    /// stops
    #[arg(long, overrides_with = "ebs_delete_on_termination")]
    pub(crate) no_ebs_delete_on_termination: bool,

    /// Run the task definition the service runs (or the family's newest ACTIVE revision when
    /// the config has no service); nothing is registered
    #[arg(long, conflicts_with_all = ["task_def", "latest_task_definition", "revision"])]
    pub(crate) skip_task_definition: bool,

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

    /// Copy the service's or the task definition's tags to the task (RunTask takes only
    /// TASK_DEFINITION: the service's tags are read and sent as tags)
    #[arg(long, value_enum)]
    pub(crate) propagate_tags: Option<PropagateTags>,

    /// Tags for the task: KEY=VALUE,KEY=VALUE
    #[arg(long, value_name = "K=V,...")]
    pub(crate) tags: Option<String>,

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
    #[arg(
        long,
        conflicts_with = "no_wait",
        overrides_with = "no_deregister_task_definition"
    )]
    pub(crate) deregister_task_definition: bool,

    /// Keep the revision rolled back from (the default)
    #[arg(long, overrides_with = "deregister_task_definition")]
    pub(crate) no_deregister_task_definition: bool,

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
    /// Print one revision's task definition as JSON instead of the list: N, current (what the
    /// service runs) or latest (the newest ACTIVE one)
    #[arg(long, value_name = "N|current|latest", value_parser = parse_revision_word)]
    pub(crate) revision: Option<RevisionWord>,

    /// How to print the revisions on stdout
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub(crate) output: ListFormat,
}

/// How a list is printed on stdout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    /// For people
    #[default]
    Table,
    /// For machines
    Json,
    /// Tab-separated values, a header line first
    Tsv,
}

/// A revision named as ecspresso names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RevisionWord {
    Number(i64),
    /// What the service runs.
    Current,
    /// The newest ACTIVE revision of the family.
    Latest,
}

fn parse_revision_word(text: &str) -> Result<RevisionWord, String> {
    match text {
        "current" => Ok(RevisionWord::Current),
        "latest" => Ok(RevisionWord::Latest),
        number => number
            .parse::<i64>()
            .ok()
            .filter(|number| *number >= 1)
            .map(RevisionWord::Number)
            .ok_or_else(|| "expected a revision number (1 or more), current or latest".to_owned()),
    }
}

fn parse_deregister_revision(text: &str) -> Result<RevisionWord, String> {
    match parse_revision_word(text) {
        Ok(RevisionWord::Current) | Err(_) => {
            Err("expected a revision number (1 or more) or latest".to_owned())
        }
        Ok(word) => Ok(word),
    }
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

    /// Deregister revision N of the family, or the newest ACTIVE one (latest); refused when it
    /// is in use
    #[arg(long, value_name = "N|latest", value_parser = parse_deregister_revision)]
    pub(crate) revision: Option<RevisionWord>,

    /// Also delete the deregistered revisions (DeleteTaskDefinitions; they cannot be used again)
    #[arg(long)]
    pub(crate) delete: bool,

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

    fn environment(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        }
    }

    #[test]
    fn ecspresso_variables_fill_options_and_ristretto_ones_win() {
        let mut global = GlobalArgs::default();
        global
            .apply_environment(&environment(&[
                ("ECSPRESSO_CONFIG", "ecspresso.yml"),
                ("RISTRETTO_CONFIG", "ristretto.jsonnet"),
                ("ECSPRESSO_ENVFILE", "a.env,b.env"),
                ("ECSPRESSO_EXT_STR", "a=1;b=2"),
                ("ECSPRESSO_EXT_CODE", "n=1+1"),
                (
                    "ECSPRESSO_ASSUME_ROLE_ARN",
                    "arn:aws:iam::123456789012:role/deploy",
                ),
                ("ECSPRESSO_TIMEOUT", "20m"),
                ("RISTRETTO_TIMEOUT", ""),
                ("ECSPRESSO_DEBUG", "true"),
                ("ECSPRESSO_FILTER_COMMAND", "fzf"),
            ]))
            .unwrap();
        assert_eq!(global.config, Some(PathBuf::from("ristretto.jsonnet")));
        assert_eq!(
            global.envfile,
            [PathBuf::from("a.env"), PathBuf::from("b.env")]
        );
        assert_eq!(global.ext_str, ["a=1;b=2"]);
        assert_eq!(global.ext_code, ["n=1+1"]);
        assert_eq!(
            global.assume_role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/deploy")
        );
        // An empty RISTRETTO_TIMEOUT counts as unset.
        assert_eq!(global.timeout, Some(Duration::from_secs(1200)));
        assert!(global.debug && global.verbose);
        assert_eq!(global.filter_command.as_deref(), Some("fzf"));
    }

    #[test]
    fn flags_win_over_variables_and_bad_values_are_refused() {
        let mut global = GlobalArgs {
            config: Some(PathBuf::from("given.yml")),
            ext_str: vec!["x=flag".into()],
            timeout: Some(Duration::from_secs(5)),
            ..GlobalArgs::default()
        };
        global
            .apply_environment(&environment(&[
                ("ECSPRESSO_CONFIG", "ecspresso.yml"),
                ("ECSPRESSO_EXT_STR", "x=env"),
                ("ECSPRESSO_TIMEOUT", "20m"),
                ("RISTRETTO_DEBUG", "false"),
                ("ECSPRESSO_DEBUG", "true"),
            ]))
            .unwrap();
        assert_eq!(global.config, Some(PathBuf::from("given.yml")));
        assert_eq!(global.ext_str, ["x=flag"]);
        assert_eq!(global.timeout, Some(Duration::from_secs(5)));
        assert!(!global.debug, "RISTRETTO_DEBUG=false wins");

        let mut global = GlobalArgs::default();
        let error = global
            .apply_environment(&environment(&[("ECSPRESSO_TIMEOUT", "soon")]))
            .unwrap_err();
        assert!(error.starts_with("ECSPRESSO_TIMEOUT: "), "{error}");
        let error = GlobalArgs::default()
            .apply_environment(&environment(&[("ECSPRESSO_DEBUG", "yes")]))
            .unwrap_err();
        assert_eq!(
            error,
            "ECSPRESSO_DEBUG=\"yes\": expected true or false (1, t, TRUE, 0, f, FALSE, …)"
        );
    }

    #[test]
    fn color_from_no_color_and_the_variables() {
        let mut global = GlobalArgs {
            no_color: true,
            ..GlobalArgs::default()
        };
        global
            .apply_environment(&environment(&[("ECSPRESSO_COLOR", "true")]))
            .unwrap();
        assert_eq!(global.color, ColorChoice::Never);
        let mut global = GlobalArgs::default();
        global
            .apply_environment(&environment(&[("ECSPRESSO_COLOR", "false")]))
            .unwrap();
        assert_eq!(global.color, ColorChoice::Never);
        let mut global = GlobalArgs {
            color: ColorChoice::Always,
            ..GlobalArgs::default()
        };
        global
            .apply_environment(&environment(&[("ECSPRESSO_COLOR", "false")]))
            .unwrap();
        assert_eq!(global.color, ColorChoice::Always, "the flag wins");
    }

    #[test]
    fn key_value_lists_split_on_unescaped_semicolons() {
        assert_eq!(split_key_value_list("a=1;b=2"), ["a=1", "b=2"]);
        assert_eq!(
            split_key_value_list("code=local x = 1\\; x"),
            ["code=local x = 1; x"]
        );
        assert_eq!(split_key_value_list("a=1;"), ["a=1"]);
        assert_eq!(split_key_value_list("k=v"), ["k=v"]);
    }
}
