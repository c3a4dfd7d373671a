//! `ristretto apply [PLANFILE]`: execute exactly a saved plan under the deploy lock — refused
//! (exit 4) when its digest or version is wrong, it was made for another target or environment,
//! with other policy files, the live service changed since (stale), or it was applied already;
//! refused (exit 6) when the policies, evaluated again under the lock with the live service as
//! it is then, deny it. Without a plan file: plan now, check the policies, show the plan, and ask
//! for confirmation on a terminal (`--auto-approve` skips it; with no terminal and no
//! `--auto-approve` it fails instead of hanging).

use std::sync::Arc;

use crate::apply::PolicyGate;
use crate::cli::ApplyArgs;
use crate::error::Error;
use crate::exit_code;
use crate::operation;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &ApplyArgs) -> Result<u8, Error> {
    let output = session.output;
    let policies = session.policies(&arguments.policy)?;
    let mut execution = session.execution(&arguments.execution);
    let plan = match &arguments.plan {
        Some(source) => {
            let plan = operation::load_plan(source, &session.aws).await?;
            operation::check_plan_matches(
                &plan,
                &session.project.config,
                session.global.env.as_deref(),
                &session.region().await?,
            )?;
            operation::check_policies_unchanged(&plan, policies.as_ref())?;
            plan
        }
        None => {
            let plan = session
                .plan_checked(&arguments.flags, policies.as_ref())
                .await?;
            output.plan_info(&plan);
            if let Some(error) = operation::refusal(&plan) {
                return Err(error);
            }
            if plan.has_changes() && !arguments.auto_approve {
                // Only "yes" goes ahead, as in Terraform.
                output.confirm(
                    "Apply this plan?",
                    "yes",
                    "review a saved plan (ristretto plan -o plan.json) and apply it, or pass --auto-approve",
                )?;
            }
            plan
        }
    };
    if !plan.has_changes() {
        output.info("No changes to apply.");
        return Ok(exit_code::SUCCESS);
    }
    // Under the lock, before each service's actions, the policies look again.
    execution.policy = policies.map(|policies| {
        Arc::new(operation::PolicyRecheck::new(&plan, policies)) as Arc<dyn PolicyGate>
    });
    session.apply(&plan, &execution, "apply").await?;
    output.info(&format!("Applied plan {}.", plan.plan_id));
    Ok(exit_code::SUCCESS)
}
