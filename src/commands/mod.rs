//! One file per command. Each is a short async function from the resolved settings (a
//! [`Session`], or the global flags for the commands that read no project) to an exit code:
//! orchestration only — it calls an operation and hands the result to `Output`; no parsing of
//! files, no plan, lock or apply logic, no printing other than through `Output`.
//!
//! Dispatch happens once, exhaustively: the commands that need no runtime, then — inside the
//! run's one runtime — the commands that read no project, then those that load it.

mod apply;
mod appspec;
mod completions;
mod delete;
mod deploy;
mod deregister;
mod diff;
mod exec;
mod init;
mod lock;
mod man;
mod plan;
mod policy;
mod refresh;
mod register;
mod render;
mod revisions;
mod rollback;
mod run;
mod scale;
mod session;
mod show;
mod status;
mod tasks;
mod validate;
mod verify;
mod version;
mod wait;

use crate::cli::{Cli, Command, GlobalArgs, ProjectCommand};
use crate::error::Error;
use crate::output::Output;

pub(crate) use session::Session;

pub(crate) fn run(cli: Cli, output: &Output) -> Result<u8, Error> {
    let Cli { global, command } = cli;
    match command {
        Command::Version => version::run(output),
        Command::Completions(arguments) => completions::run(&arguments, output),
        Command::Man(arguments) => man::run(&arguments, output),
        Command::Show(arguments) => in_runtime(&global, || show::run(&global, &arguments, output)),
        // Reads the config only when no path is given.
        Command::Policy(arguments) => {
            in_runtime(&global, || policy::run(&global, &arguments, output))
        }
        // init writes the config: there is none to load yet.
        Command::Init(arguments) => in_runtime(&global, || init::run(&global, &arguments, output)),
        Command::Project(command) => in_runtime(&global, || async {
            let session = Session::load(&global, output)?;
            run_project_command(&session, command).await
        }),
    }
}

/// Applies the envfiles, then runs `work` on the run's one runtime.
fn in_runtime<F>(global: &GlobalArgs, work: impl FnOnce() -> F) -> Result<u8, Error>
where
    F: std::future::Future<Output = Result<u8, Error>>,
{
    // Before any other thread exists: envfiles change the process environment.
    session::apply_envfiles(global)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::usage(format!("cannot start the async runtime: {error}"), None))?;
    // The one place that blocks on the runtime; everything below is async, and rendering's AWS
    // lookups are spawned on this runtime (see `aws::lookups`).
    #[allow(clippy::disallowed_methods)]
    let result = runtime.block_on(work());
    // Calls still in flight (a release given up on after a lost lease, a silent endpoint) are
    // abandoned rather than waited for: the run has its result, and must exit with it now.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    result
}

async fn run_project_command(session: &Session<'_>, command: ProjectCommand) -> Result<u8, Error> {
    match command {
        ProjectCommand::Render(arguments) => render::run(session, &arguments),
        ProjectCommand::Validate => validate::run(session),
        ProjectCommand::Diff(arguments) => diff::run(session, &arguments).await,
        ProjectCommand::Plan(arguments) => plan::run(session, &arguments).await,
        ProjectCommand::Apply(arguments) => apply::run(session, &arguments).await,
        ProjectCommand::Deploy(arguments) => deploy::run(session, &arguments).await,
        ProjectCommand::Refresh(arguments) => refresh::run(session, &arguments).await,
        ProjectCommand::Register(arguments) => register::run(session, &arguments).await,
        ProjectCommand::Lock(arguments) => lock::run(session, &arguments).await,
        ProjectCommand::Run(arguments) => run::run(session, &arguments).await,
        ProjectCommand::Status(arguments) => status::run(session, &arguments).await,
        ProjectCommand::Wait(arguments) => wait::run(session, &arguments).await,
        ProjectCommand::Rollback(arguments) => rollback::run(session, &arguments).await,
        ProjectCommand::Scale(arguments) => scale::run(session, &arguments).await,
        ProjectCommand::Revisions(arguments) => revisions::run(session, &arguments).await,
        ProjectCommand::Deregister(arguments) => deregister::run(session, &arguments).await,
        ProjectCommand::Delete(arguments) => delete::run(session, &arguments).await,
        ProjectCommand::Verify => verify::run(session).await,
        ProjectCommand::Tasks(arguments) => tasks::run(session, &arguments).await,
        ProjectCommand::Exec(arguments) => exec::run(session, &arguments).await,
        ProjectCommand::Appspec(arguments) => appspec::run(session, &arguments).await,
    }
}
