//! One file per command. Each is a short function from resolved settings to an exit code:
//! orchestration only, no parsing of files and no printing other than through `Output`.

mod apply;
mod completions;
mod delete;
mod deploy;
mod deregister;
mod diff;
mod init;
pub(crate) mod lock;
mod man;
mod plan;
mod render;
mod revisions;
mod rollback;
mod run;
mod scale;
mod selected;
mod shared;
mod show;
mod status;
mod validate;
mod verify;
mod version;
mod wait;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::config::envfile;
use crate::error::Error;
use crate::output::Output;
use crate::project::ProjectOptions;
use crate::render::JsonnetOptions;

pub fn run(cli: Cli, output: &Output) -> Result<u8, Error> {
    match &cli.command {
        Command::Version => return version::run(output),
        Command::Completions(arguments) => return completions::run(arguments, output),
        Command::Man(arguments) => return man::run(arguments, output),
        _ => {}
    }
    apply_envfiles(&cli.global)?;
    match &cli.command {
        Command::Show(arguments) => return show::run(&cli.global, arguments, output),
        // init writes the config: there is none to load yet.
        Command::Init(arguments) => return init::run(&cli.global, arguments, output),
        _ => {}
    }
    let options = project_options(&cli.global)?;
    match &cli.command {
        Command::Render(arguments) => render::run(&options, &cli.global.service, arguments, output),
        Command::Validate => validate::run(&options, output),
        Command::Diff(arguments) => diff::run(&options, &cli.global, arguments, output),
        Command::Plan(arguments) => plan::run(&options, &cli.global, arguments, output),
        Command::Apply(arguments) => apply::run(&options, &cli.global, arguments, output),
        Command::Deploy(arguments) => deploy::run(&options, &cli.global, arguments, output),
        Command::Lock(arguments) => {
            let project = crate::project::Project::load(&options)?;
            let settings = shared::aws_settings(&cli.global, &project);
            lock::run(&project.config, &settings, arguments, output)
        }
        Command::Run(arguments) => run::run(&options, &cli.global, arguments, output),
        Command::Status(arguments) => status::run(&options, &cli.global, arguments, output),
        Command::Wait(arguments) => wait::run(&options, &cli.global, arguments, output),
        Command::Rollback(arguments) => rollback::run(&options, &cli.global, arguments, output),
        Command::Scale(arguments) => scale::run(&options, &cli.global, arguments, output),
        Command::Revisions(arguments) => revisions::run(&options, &cli.global, arguments, output),
        Command::Deregister(arguments) => deregister::run(&options, &cli.global, arguments, output),
        Command::Delete(arguments) => delete::run(&options, &cli.global, arguments, output),
        Command::Verify => verify::run(&options, &cli.global, output),
        Command::Version
        | Command::Completions(_)
        | Command::Man(_)
        | Command::Show(_)
        | Command::Init(_) => {
            unreachable!("handled above")
        }
    }
}

/// `--envfile` files enter the process environment in the order given, after argument
/// parsing and before the config is read (as in ecspresso).
fn apply_envfiles(global: &GlobalArgs) -> Result<(), Error> {
    for path in &global.envfile {
        for (name, value) in envfile::read(path).map_err(crate::config::ConfigError::from)? {
            // SAFETY: called on the main thread before any other thread is started.
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
        aws: crate::aws::sdk::AwsSettings {
            region: global.region.clone(),
            profile: global.profile.clone(),
            assume_role_arn: global.assume_role_arn.clone(),
        },
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
