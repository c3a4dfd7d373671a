//! Command-line syntax, and nothing else: clap types that describe the flags and subcommands.
//! Turning these into settings, loading files or talking to AWS happens in `commands/`.

use std::path::PathBuf;

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
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted before or after the subcommand (`ristretto --env prod render` is
/// `ristretto render --env prod`), because users type them both ways.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Config file [default: the first of ristretto.jsonnet, ristretto.yml, ristretto.yaml,
    /// ristretto.json, ecspresso.yml, ecspresso.yaml, ecspresso.json, ecspresso.jsonnet]
    #[arg(
        short,
        long,
        global = true,
        env = "RISTRETTO_CONFIG",
        value_name = "PATH"
    )]
    pub config: Option<PathBuf>,

    /// Environment name, passed to Jsonnet as std.extVar('env')
    #[arg(long, global = true, value_name = "NAME")]
    pub env: Option<String>,

    /// Jsonnet external string variable (repeatable)
    #[arg(long, global = true, value_name = "KEY=VALUE")]
    pub ext_str: Vec<String>,

    /// Jsonnet external variable given as Jsonnet code (repeatable)
    #[arg(long, global = true, value_name = "KEY=CODE")]
    pub ext_code: Vec<String>,

    /// Jsonnet top-level string argument (repeatable)
    #[arg(long, global = true, value_name = "KEY=VALUE")]
    pub tla_str: Vec<String>,

    /// Jsonnet top-level argument given as Jsonnet code (repeatable)
    #[arg(long, global = true, value_name = "KEY=CODE")]
    pub tla_code: Vec<String>,

    /// Jsonnet library path (repeatable; lib/ and vendor/ next to the config are always searched)
    #[arg(short = 'J', long, global = true, value_name = "DIR")]
    pub jpath: Vec<PathBuf>,

    /// Load environment variables from a file before reading the config (repeatable, in order)
    #[arg(long, global = true, value_name = "FILE")]
    pub envfile: Vec<PathBuf>,

    /// AWS region (overrides the config's region and AWS_REGION)
    #[arg(long, global = true)]
    pub region: Option<String>,

    /// AWS shared-config profile
    #[arg(long, global = true)]
    pub profile: Option<String>,

    /// Assume this IAM role for every AWS call
    #[arg(long, global = true, value_name = "ARN")]
    pub assume_role_arn: Option<String>,

    /// When to colour output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print only errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail on stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the rendered config and definitions as JSON
    Render(RenderArgs),
    /// Check the config and definitions offline: unknown fields, types, enum values
    Validate,
    /// Print the version
    Version,
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// What to render, in order [default: config taskdef servicedef]
    #[arg(value_enum)]
    pub targets: Vec<RenderTarget>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderTarget {
    /// The resolved config
    Config,
    /// The task definition
    Taskdef,
    /// The service definition
    Servicedef,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
