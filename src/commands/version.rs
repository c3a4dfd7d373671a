//! `ristretto version`: the version on stdout.

use crate::error::Error;
use crate::exit_code;
use crate::output::Output;

pub(super) fn run(output: &Output) -> Result<u8, Error> {
    output
        .data(&format!("ristretto {}", env!("CARGO_PKG_VERSION")))
        .map_err(Error::Stdout)?;
    Ok(exit_code::SUCCESS)
}
