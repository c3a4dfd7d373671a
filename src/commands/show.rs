//! `ristretto show PLANFILE`: print a saved plan (file or `s3://…`) after checking its version
//! and digest, in the same renderings `plan` uses.

use crate::aws::sdk::AwsSettings;
use crate::cli::{GlobalArgs, ShowArgs};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;

use super::shared;

pub(super) fn run(global: &GlobalArgs, arguments: &ShowArgs, output: &Output) -> Result<u8, Error> {
    let settings = AwsSettings {
        region: global.region.clone(),
        profile: global.profile.clone(),
        assume_role_arn: global.assume_role_arn.clone(),
    };
    let plan = shared::runtime()?.block_on(shared::load(&arguments.plan, &settings))?;
    output
        .data(&shared::render(&plan, arguments.format, output))
        .map_err(Error::Stdout)?;
    Ok(exit_code::SUCCESS)
}
