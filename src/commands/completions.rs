//! `ristretto completions SHELL`: a completion script generated from the clap definition.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;

pub(super) fn run(arguments: &CompletionsArgs, output: &Output) -> Result<u8, Error> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(arguments.shell, &mut command, "ristretto", &mut script);
    output
        .data(&String::from_utf8_lossy(&script))
        .map_err(Error::Stdout)?;
    Ok(exit_code::SUCCESS)
}
