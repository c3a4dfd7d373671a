//! `ristretto deploy`: ecspresso's one-step deploy — plan with the same flags, check the
//! policies, and apply at once under the deploy lock (`--dry-run` prints the plan and changes
//! nothing). Same executor, same lock and same refusals as `apply`, the policies' included.

use std::sync::Arc;

use crate::apply::PolicyGate;
use crate::cli::DeployArgs;
use crate::error::Error;
use crate::operation;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &DeployArgs) -> Result<u8, Error> {
    let policies = session.policies(&arguments.policy)?;
    let mut execution = session.execution(&arguments.execution);
    let plan = session
        .plan_checked(&arguments.flags, policies.as_ref())
        .await?;
    execution.policy = policies.map(|policies| {
        Arc::new(operation::PolicyRecheck::new(&plan, policies)) as Arc<dyn PolicyGate>
    });
    session
        .show_and_apply(&plan, arguments.dry_run, &execution, "deploy")
        .await
}
