//! `ristretto diff`: what would change between the definitions and the live services, printed
//! like a plan; nothing is written. `--detailed-exitcode`: 0 no changes, 2 changes.

use crate::cli::{DiffArgs, PlanFormat};
use crate::error::Error;
use crate::exit_code;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &DiffArgs) -> Result<u8, Error> {
    let plan = session.plan_now(&arguments.flags).await?;
    session
        .output
        .plan(&plan, PlanFormat::Text)
        .map_err(Error::Stdout)?;
    Ok(if arguments.detailed_exitcode && plan.has_changes() {
        exit_code::CHANGES_PRESENT
    } else {
        exit_code::SUCCESS
    })
}
