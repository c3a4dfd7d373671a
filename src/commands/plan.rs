//! `ristretto plan`: compute the changes and actions for the selected services, check them
//! against the policies, print them (text, JSON or Markdown on stdout, the policy findings
//! included), optionally save the sealed plan (`-o FILE|s3://…`, signed with KMS when the config
//! has `plan_signing`) for a later `apply`, and append the Markdown to `$GITHUB_STEP_SUMMARY`
//! when it is set. A plan a `deny` rule refused is printed and summarized but not saved, and
//! exits 6.

use crate::cli::{PlanArgs, PlanFormat};
use crate::error::Error;
use crate::exit_code;
use crate::operation;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &PlanArgs) -> Result<u8, Error> {
    let output = session.output;
    let policies = session.policies(&arguments.policy)?;
    let mut plan = session
        .plan_checked(&arguments.flags, policies.as_ref())
        .await?;
    // A plan the policies denied is shown, never saved.
    let refused = operation::refusal(&plan);
    if let Some(destination) = arguments.out.as_ref().filter(|_| refused.is_none()) {
        // A saved plan is signed when the config says so (a printed one is never applied).
        if let Some(signing) = &session.project.config.plan_signing {
            plan = operation::sign_plan(plan, &session.aws.kms().await, signing).await?;
        }
        operation::save_plan(&plan, destination, &session.aws).await?;
        output.info(&format!(
            "Saved the plan to {destination} (plan id {}).",
            plan.plan_id
        ));
    }
    output
        .plan(&plan, arguments.format)
        .map_err(Error::Stdout)?;
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|path| !path.is_empty()) {
        // A failure to append is only a warning, never a reason to fail the plan.
        output.append_plan(&plan, PlanFormat::Markdown, std::path::Path::new(&path));
    }
    if let Some(error) = refused {
        return Err(error);
    }
    Ok(if arguments.detailed_exitcode && plan.has_changes() {
        exit_code::CHANGES_PRESENT
    } else {
        exit_code::SUCCESS
    })
}
