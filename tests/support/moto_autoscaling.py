# moto_autoscaling.py — Application Auto Scaling scalable targets as AWS describes them
# (patch 12 of tests/support/moto_launcher.py; read its header first).
#
# Must not: change what moto stores; only how DescribeScalableTargets reports it.

# =============================================================================================
# Patch 12 — DescribeScalableTargets reports SuspendedState and RoleARN as AWS does.
#
# Checked on moto 5.2.1 for ecs:service:DesiredCount (tests/support/test_moto_launcher.py):
# RegisterScalableTarget with SuspendedState, re-registering with only MinCapacity (the state and
# the other capacity are kept), PutScalingPolicy and DescribeScalingPolicies (TargetTrackingScaling
# with its two alarms, CreationTime in epoch seconds) all work. Two answers differ from AWS:
#   * a target registered without SuspendedState is described without it (moto), while AWS
#     always returns all three flags, false by default; a partial SuspendedState is stored as sent
#     (moto), while AWS reports the flags left out as false ("Setting it to false (default)
#     resumes the specified scaling activities" — API reference, SuspendedState);
#   * RoleARN is null when the request had none (moto); AWS fills the service-linked role
#     arn:aws:iam::<account>:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/
#     AWSServiceRoleForApplicationAutoScaling_ECSService (for the ecs namespace), and RoleARN is a
#     required member of ScalableTarget.
# Fix: both filled in DescribeScalableTargets' answer.
# =============================================================================================

SUSPENDED_FLAGS = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")
SERVICE_LINKED_ROLES = {
    "ecs": "ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
}


def patch_autoscaling():
    import moto.applicationautoscaling.responses as responses

    original = responses._build_target

    def _build_target(target):
        document = original(target)
        state = dict(document.get("SuspendedState") or {})
        for flag in SUSPENDED_FLAGS:
            state[flag] = bool(state.get(flag, False))
        document["SuspendedState"] = state
        if not document.get("RoleARN"):
            backend = target.applicationautoscaling_backend
            role = SERVICE_LINKED_ROLES.get(target.service_namespace)
            if role:
                document["RoleARN"] = f"arn:aws:iam::{backend.account_id}:role/aws-service-role/{role}"
        return document

    responses._build_target = _build_target
