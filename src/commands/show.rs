//! `ristretto show PLANFILE`: print a saved plan (file or `s3://…`) after checking its version
//! and digest, in the same renderings `plan` uses. No project is read.

use crate::aws::sdk::Aws;
use crate::cli::{GlobalArgs, ShowArgs};
use crate::error::Error;
use crate::exit_code;
use crate::operation;
use crate::output::Output;

use super::session::aws_settings;

pub(super) async fn run(
    global: &GlobalArgs,
    arguments: &ShowArgs,
    output: &Output,
) -> Result<u8, Error> {
    let aws = Aws::new(aws_settings(global, None, &Default::default())?);
    let plan = operation::load_plan(&arguments.plan, &aws).await?;
    output
        .plan(&plan, arguments.format)
        .map_err(Error::Stdout)?;
    Ok(exit_code::SUCCESS)
}
