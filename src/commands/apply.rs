//! `ristretto apply [PLANFILE]`: execute exactly a saved plan under the deploy lock — refused
//! (exit 4) when its digest or version is wrong, it is not the reviewed one (`--expect-digest`),
//! its KMS signature does not verify (config `plan_signing`), it was made for another target,
//! environment or set of policy files, the live service changed since (stale), or it was applied
//! already; refused (exit 6) when the policies, evaluated again under the lock with the live
//! service as it is then, deny it. Without a plan file: with `--auto-approve`, take the lock and
//! plan under it, as `deploy` does; otherwise plan now, check the policies, show the plan, ask
//! for confirmation on a terminal (with no terminal it fails instead of hanging), and apply what
//! was confirmed under the lock, refused if it became stale meanwhile.

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
    let Some(source) = &arguments.plan else {
        if arguments.auto_approve {
            // Nothing to confirm: plan under the lock, as `deploy` does.
            session
                .deploy_now(
                    &arguments.flags,
                    policies.as_ref(),
                    false,
                    &execution,
                    "apply",
                )
                .await?;
            return Ok(exit_code::SUCCESS);
        }
        let plan = session
            .plan_checked(&arguments.flags, policies.as_ref())
            .await?;
        output.plan_info(&plan);
        if let Some(error) = operation::refusal(&plan) {
            return Err(error);
        }
        if !plan.has_changes() {
            output.info("No changes to apply.");
            return Ok(exit_code::SUCCESS);
        }
        // Only "yes" goes ahead, as in Terraform. The prompt comes before the lock (a person
        // may take their time); what they confirmed is checked again under it, like a plan file.
        output.confirm(
            "Apply this plan?",
            "yes",
            "review a saved plan (ristretto plan -o plan.json) and apply it, or pass --auto-approve",
        )?;
        execution.policy = policy_recheck(&plan, policies);
        session.apply_confirmed(&plan, &execution).await?;
        output.info(&format!("Applied plan {}.", plan.plan_id));
        return Ok(exit_code::SUCCESS);
    };
    let plan = operation::load_plan(source, &session.aws).await?;
    // Is it the reviewed plan? Before anything else reads it further.
    if let Some(expected) = &arguments.expect_digest {
        operation::check_expected_digest(&plan, expected)?;
    }
    if let Some(signing) = &session.project.config.plan_signing {
        operation::check_plan_signature(&plan, &session.aws.kms().await, Some(signing)).await?;
    }
    operation::check_plan_matches(
        &plan,
        &session.project.config,
        session.global.env.as_deref(),
        &session.region().await?,
    )?;
    operation::check_policies_unchanged(&plan, policies.as_ref())?;
    if !plan.has_changes() {
        output.info("No changes to apply.");
        return Ok(exit_code::SUCCESS);
    }
    execution.policy = policy_recheck(&plan, policies);
    session.apply(&plan, &execution).await?;
    output.info(&format!("Applied plan {}.", plan.plan_id));
    Ok(exit_code::SUCCESS)
}

/// Under the lock, before each service's actions, the policies look again at the live service.
fn policy_recheck(
    plan: &crate::plan::Plan,
    policies: Option<crate::policy::PolicySet>,
) -> Option<Arc<dyn PolicyGate>> {
    policies.map(|policies| {
        Arc::new(operation::PolicyRecheck::new(plan, policies)) as Arc<dyn PolicyGate>
    })
}
