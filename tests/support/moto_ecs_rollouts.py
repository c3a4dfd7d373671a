# moto_ecs_rollouts.py — ECS deployments that progress: rolling updates (patch 5), the service
# deployment / service revision API (patch 8), and native blue/green, linear and canary
# deployments (patch 9) of tests/support/moto_launcher.py. Read the launcher's header first.
#
# Responsible for: each ECS service's `deployments`, events, counts and service deployments as
# they change over successive reads ("steps"), and the answers of CreateService, UpdateService,
# DeleteService, DescribeServices, ListServiceDeployments, DescribeServiceDeployments,
# DescribeServiceRevisions, StopServiceDeployment and ContinueServiceDeployment.
# Must not: hold LOCK while doing anything slow; invent API members (every answer follows the
# shapes of the ECS API reference, checked by tests/support/test_moto_launcher.py).

import base64
import copy
import datetime
import hashlib
import json
import math

from moto_ecs_common import (
    HOOK_RESULT_TAG,
    LOCK,
    add_event,
    alphanumeric,
    api_error,
    arn_prefix,
    circuit_breaker_threshold,
    deployment_controller_type,
    digits,
    epoch,
    json_answer,
    jsonable,
    last_segment,
    linear,
    rand,
    steps_for,
    tag_value,
    task_definition_or_none,
    td_fails,
    utcnow,
)
import moto_ecs_services as services
import moto_ecs_tasks as tasks

# Deployment controllers other than ECS register a step function here (CODE_DEPLOY: patch 11).
CONTROLLER_TICKERS = {}
# Called after CreateService for each controller type (CODE_DEPLOY: its first task set).
CONTROLLER_CREATORS = {}
# Called after UpdateService of a service of that controller type (CODE_DEPLOY: rescale).
CONTROLLER_UPDATERS = {}
# Called when StopTask stops a task that belongs to no ECS deployment (CODE_DEPLOY: a task set's).
CONTROLLER_TASK_STOPPED = {}

BLUE_GREEN_STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")


# =============================================================================================
# Patch 5 — ECS rolling deployments that progress.
#
# moto never changes a service's `deployments` after UpdateService, stores the raw string given
# as `taskDefinition`, writes no `events`, never starts tasks, and jumps runningCount to
# desiredCount at once (research/moto.md §2.5). This models what the ECS developer guide
# describes for the rolling update ("ECS" deployment controller, strategy ROLLING), and nothing
# more:
#
# * UpdateService with a different task definition, forceNewDeployment, or a changed
#   networkConfiguration / platformVersion / launchType / capacityProviderStrategy /
#   loadBalancers / serviceRegistries / serviceConnectConfiguration / volumeConfigurations /
#   vpcLatticeConfigurations creates a new PRIMARY deployment (new `ecs-svc/<19 digits>` id, the
#   task definition's full ARN, rolloutState IN_PROGRESS, "ECS deployment <id> in progress.",
#   the deployment-level settings of patch 4); the previous deployments become ACTIVE. The
#   service's `taskDefinition` becomes the full ARN (moto stored the raw string, e.g. "web:5").
# * CreateService starts with one PRIMARY deployment with 0 tasks that completes the same way.
# * A "step" is one DescribeServices call that returns the service, or one
#   DescribeServiceDeployments call that returns one of its service deployments (at most one step
#   per call per service). Over N steps (N = the service's `ristretto-test:rollout-steps` tag,
#   else --rollout-steps) the PRIMARY's running count climbs linearly to desiredCount (tasks show
#   as pending one step before they run) while the ACTIVE deployments drain linearly to 0. Real
#   tasks are started and stopped to match (patch 10), and the events name them, newest first
#   as in ECS:
#     "(service S) has started 2 tasks: (task <32 hex>) (task <32 hex>)."
#     "(service S) has stopped 1 running tasks: (task <32 hex>)."
#   At step N the ACTIVE deployments disappear, the PRIMARY becomes COMPLETED ("ECS deployment <id>
#   completed."), runningCount == desiredCount, and the events
#     "(service S) (deployment <id>) deployment completed."
#     "(service S) has reached a steady state."
#   are added. Service runningCount/pendingCount are the sums over the deployments, as in ECS.
# * UpdateService with only desiredCount keeps the deployment; counts converge over N steps and
#   "has reached a steady state." is added at the end. Any UpdateService restarts the N steps from
#   the current counts. A StopTask of one of the service's tasks is replaced the same way.
# * Failing deployment (a container image tagged `fail`): its tasks start and stop at once
#   (stopCode TaskFailedToStart); failedTasks climbs to the circuit-breaker threshold (ECS:
#   ceil(0.5 * desiredCount) bounded to [3, 200]) over N steps; old deployments keep running
#   (minimumHealthyPercent). Then:
#     - circuit breaker enabled: rolloutState FAILED, "ECS deployment circuit breaker: tasks failed
#       to start.", event "(service S) (deployment <id>) deployment failed: tasks failed to start.";
#       - with rollback=true and a COMPLETED deployment to go back to: a *new* PRIMARY deployment
#         with that deployment's task definition and deployment-level settings ("ECS deployment
#         circuit breaker: rolling back to deploymentId <old id>."), event "(service S) rolling
#         back to deployment <old id>.", service taskDefinition back to the old ARN, the failed
#         deployment turns ACTIVE; the rollback then completes over N more steps like any
#         rollout (2N steps in total);
#       - otherwise the FAILED deployment stays PRIMARY and nothing moves any more (ECS: a FAILED
#         deployment launches no new tasks) until the next UpdateService.
#     - circuit breaker disabled: ECS retries forever — failedTasks keeps growing, IN_PROGRESS.
# * Services of the CODE_DEPLOY controller follow patch 11; EXTERNAL ones are left to moto.
# moto's MOTO_ECS_SERVICE_RUNNING / MOTO_ECS_SERVICE_FAILED_TASKS env vars are superseded.
# =============================================================================================


def _new_deployment_id():
    return f"ecs-svc/{digits(19)}"


def _circuit_breaker(svc):
    cb = (getattr(svc, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker") or {}
    return bool(cb.get("enable")), bool(cb.get("rollback"))


def _strategy(svc):
    return (getattr(svc, "deployment_configuration", None) or {}).get("strategy") or "ROLLING"


def _is_managed(svc):
    return deployment_controller_type(svc) == "ECS" and bool(svc.task_definition)


def _new_deployment(backend, svc, td_arn, reason=None, settings=None, revision=None):
    dep_id = _new_deployment_id()
    now = utcnow()
    api = getattr(svc, "_api", None) or {}
    dep = {
        "id": dep_id,
        "status": "PRIMARY",
        "taskDefinition": td_arn,
        "desiredCount": svc.desired_count,
        "pendingCount": 0,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "capacityProviderStrategy": api.get("capacityProviderStrategy"),
        "launchType": svc.launch_type,
        "platformVersion": svc.platform_version,
        "platformFamily": "EC2" if svc.launch_type == "EC2" else "FARGATE",  # as moto does
        "networkConfiguration": api.get("networkConfiguration") or svc.network_configuration or None,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": reason or f"ECS deployment {dep_id} in progress.",
    }
    dep.update(services.deployment_settings(svc) if settings is None else copy.deepcopy(settings))
    dep["_revision"] = revision or _new_revision(backend, svc, dep)
    return dep


def _settings_of(dep):
    return {k: dep[k] for k in services.DEPLOYMENT_LEVEL_FIELDS if k in dep}


def _restart_schedule(svc):
    # Every change restarts the N steps from the counts the deployments have right now.
    svc._rt_steps = steps_for(svc)
    svc._rt_tick = 0
    svc._rt_active = True
    for dep in svc.deployments:
        dep["_r0"] = dep.get("runningCount", 0)
        dep["_f0"] = dep.get("failedTasks", 0)
    _sum_counts(svc)


def _sum_counts(svc):
    svc.running_count = sum(d.get("runningCount", 0) for d in svc.deployments)
    svc.pending_count = sum(d.get("pendingCount", 0) for d in svc.deployments)


def _task_events(svc, started, stopped):
    name = svc.name
    if started:
        ids = " ".join(f"(task {t})" for t in started)
        add_event(svc, f"(service {name}) has started {len(started)} tasks: {ids}.")
    if stopped:
        ids = " ".join(f"(task {t})" for t in stopped)
        add_event(svc, f"(service {name}) has stopped {len(stopped)} running tasks: {ids}.")


def _sync_tasks(backend, svc, retired=()):
    started, stopped = tasks.reconcile_deployments(backend, svc, list(svc.deployments) + list(retired))
    _task_events(svc, started, stopped)


def on_create(backend, svc):
    if not _is_managed(svc) or not svc.deployments:
        creator = CONTROLLER_CREATORS.get(deployment_controller_type(svc))
        if creator:
            creator(backend, svc)
        return
    dep = _new_deployment(backend, svc, svc.task_definition)
    svc.deployments = [dep]
    svc._rt_fails = td_fails(backend, svc.task_definition)
    _start_service_deployment(backend, svc, dep, sources=[], strategy="ROLLING")
    _restart_schedule(svc)


def _deployment_trigger(svc, before, force, raw):
    primary = svc.deployments[0] if svc.deployments else None
    if primary is None or force or svc.task_definition != primary.get("taskDefinition"):
        return True
    api = getattr(svc, "_api", None) or {}
    for key in ("networkConfiguration", "platformVersion", "launchType", "capacityProviderStrategy",
                "loadBalancers", "serviceRegistries"):
        if key in raw and api.get(key) != before["api"].get(key):
            return True
    if _settings_of(primary) != services.deployment_settings(svc):
        return True
    return False


def on_update(backend, svc, before, td_str, force, raw):
    if td_str:
        # moto stored the raw string ("web", "web:5"); ECS stores and returns the full ARN.
        svc.task_definition = backend.describe_task_definition(td_str).arn
    if not _is_managed(svc):
        updater = CONTROLLER_UPDATERS.get(deployment_controller_type(svc))
        if updater:
            updater(backend, svc)
        return
    if not _deployment_trigger(svc, before, force, raw):
        primary = svc.deployments[0]
        primary["desiredCount"] = svc.desired_count
        if primary.get("rolloutState") == "FAILED":
            _sum_counts(svc)  # undo moto's "runningCount = desiredCount"
            return  # ECS: a FAILED deployment launches no new tasks; only a new deployment helps
        if active_blue_green(svc) is not None:
            _sum_counts(svc)  # the blue/green deployment scales with desiredCount itself
            return
        _restart_schedule(svc)
        return
    previous = [d for d in svc.deployments]
    for dep in svc.deployments:
        dep["status"] = "ACTIVE"
    dep = _new_deployment(backend, svc, svc.task_definition)
    svc.deployments.insert(0, dep)
    svc._rt_fails = td_fails(backend, svc.task_definition)
    strategy = _strategy(svc)
    sources = [d for d in previous if d.get("runningCount", 0) + d.get("pendingCount", 0) > 0] or previous
    sd = _start_service_deployment(backend, svc, dep, sources=sources, strategy=strategy)
    if strategy in BLUE_GREEN_STRATEGIES:
        _start_blue_green(svc, sd, reconcile=len(previous) > 1)
        _sum_counts(svc)
        return
    _restart_schedule(svc)


def tick(backend, svc):
    """One step of the service's deployment (see patch 5's "step")."""
    if svc.status != "ACTIVE":
        return
    controller = deployment_controller_type(svc)
    if controller != "ECS":
        ticker = CONTROLLER_TICKERS.get(controller)
        if ticker:
            ticker(backend, svc)
        return
    if not svc.deployments:
        return
    sd = active_blue_green(svc)
    if sd is not None:
        _tick_blue_green(backend, svc, sd)
        return
    _tick_rolling(backend, svc)
    _sync_rolling_service_deployment(backend, svc)


def _tick_rolling(backend, svc):
    if not getattr(svc, "_rt_active", False):
        return
    svc._rt_tick += 1
    k, n = svc._rt_tick, svc._rt_steps
    primary = svc.deployments[0]
    desired = svc.desired_count
    primary["desiredCount"] = desired
    primary["updatedAt"] = utcnow()
    name = svc.name

    if getattr(svc, "_rt_fails", False) and desired > 0:
        _tick_failing(backend, svc, primary, k, n)
        _sum_counts(svc)
        return

    # Healthy deployment: PRIMARY climbs, ACTIVE ones drain.
    r0 = primary["_r0"]
    running = linear(r0, desired, k, n)
    next_running = linear(r0, desired, k + 1, n)
    pending = max(0, next_running - running) if k < n else 0
    primary["runningCount"], primary["pendingCount"] = running, pending
    for dep in svc.deployments[1:]:
        left = linear(dep["_r0"], 0, k, n)
        dep["runningCount"], dep["pendingCount"], dep["desiredCount"] = left, 0, left
        dep["updatedAt"] = primary["updatedAt"]
    retired = []
    if k >= n:
        retired = svc.deployments[1:]
        del svc.deployments[1:]
    _sync_tasks(backend, svc, retired)
    if k >= n:
        if primary["rolloutState"] == "IN_PROGRESS":
            primary["rolloutState"] = "COMPLETED"
            primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
            add_event(svc, f"(service {name}) (deployment {primary['id']}) deployment completed.")
        add_event(svc, f"(service {name}) has reached a steady state.")
        svc._rt_active = False
    _sum_counts(svc)


def _tick_failing(backend, svc, primary, k, n):
    name = svc.name
    threshold = circuit_breaker_threshold(svc.desired_count)
    failed = primary["_f0"] + math.ceil(threshold * k / n)  # keeps growing past n (no breaker)
    primary["failedTasks"], primary["runningCount"], primary["pendingCount"] = failed, 0, 0
    _sync_tasks(backend, svc)
    enabled, rollback = _circuit_breaker(svc)
    if k < n or not enabled:
        return
    primary["rolloutState"] = "FAILED"
    primary["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
    add_event(svc, f"(service {name}) (deployment {primary['id']}) deployment failed: tasks failed to start.")
    sd = current_service_deployment(svc)
    if sd is not None:
        sd.circuit_breaker["status"] = "TRIGGERED"
    target = next((d for d in svc.deployments[1:] if d.get("rolloutState") == "COMPLETED"), None)
    if not rollback or target is None:
        # ECS: a FAILED deployment launches no new tasks; without a COMPLETED deployment to
        # return to, the rollback cannot happen either.
        svc._rt_active = False
        if sd is not None and not sd.finished:
            if rollback:
                sd.finish("ROLLBACK_FAILED", "ECS deployment circuit breaker: tasks failed to start. "
                          "There is no completed deployment to roll back to.")
            else:
                sd.finish("STOPPED", "ECS deployment circuit breaker: tasks failed to start.")
        return
    _start_rolling_rollback(
        backend, svc, target,
        reason=f"ECS deployment circuit breaker: rolling back to deploymentId {target['id']}.",
        rollback_reason="Circuit breaker triggered: tasks failed to start.",
    )


def _start_rolling_rollback(backend, svc, target, reason, rollback_reason):
    """A new PRIMARY deployment of `target`'s revision (ECS rolls back by deploying it again)."""
    for dep in svc.deployments:
        dep["status"] = "ACTIVE"
    back = _new_deployment(
        backend, svc, target["taskDefinition"], reason=reason,
        settings=_settings_of(target), revision=target.get("_revision"),
    )
    svc.deployments.insert(0, back)
    svc.task_definition = target["taskDefinition"]
    settings = dict(getattr(svc, "_deployment_settings", None) or {})
    for key in services.DEPLOYMENT_LEVEL_FIELDS:
        settings.pop(key, None)
    settings.update(_settings_of(target))
    svc._deployment_settings = settings
    svc._rt_fails = td_fails(backend, target["taskDefinition"])
    add_event(svc, f"(service {svc.name}) rolling back to deployment {target['id']}.")
    sd = current_service_deployment(svc)
    if sd is not None and not sd.finished:
        sd.status = "ROLLBACK_IN_PROGRESS"
        sd.rollback = {"reason": rollback_reason, "startedAt": utcnow(), "serviceRevisionArn": target.get("_revision")}
        sd.rollback_deployment = back
        sd.touch()
    _restart_schedule(svc)


def _sync_rolling_service_deployment(backend, svc):
    sd = current_service_deployment(svc)
    if sd is None or sd.finished or sd.strategy_kind != "ROLLING":
        return
    target = sd.target_deployment
    if sd.circuit_breaker["status"] != "DISABLED":
        sd.circuit_breaker["failureCount"] = target.get("failedTasks", 0)
    if sd.status == "STOP_REQUESTED":
        svc._rt_active = False
        primary = svc.deployments[0]
        if primary.get("rolloutState") == "IN_PROGRESS":
            primary["rolloutState"] = "FAILED"
            primary["rolloutStateReason"] = f"ECS deployment {primary['id']} was stopped."
        sd.finish("STOPPED", "The service deployment was stopped (ABORT).", stopped=True)
        return
    if sd.status == "ROLLBACK_REQUESTED":
        source = sd.rollback_source()
        if source is None:
            sd.finish("ROLLBACK_FAILED", "There is no service revision to roll back to.")
            return
        _start_rolling_rollback(
            backend, svc, source,
            reason=f"ECS deployment rolling back to deploymentId {source['id']}.",
            rollback_reason=sd.rollback["reason"] if sd.rollback else "Rollback requested.",
        )
        return
    if sd.rollback_deployment is not None:
        if sd.rollback_deployment.get("rolloutState") == "COMPLETED":
            sd.finish("ROLLBACK_SUCCESSFUL", "The service deployment rolled back to the source revision.")
        return
    if target.get("rolloutState") == "COMPLETED":
        if sd.circuit_breaker["status"] == "MONITORING":
            sd.circuit_breaker["status"] = "MONITORING_COMPLETE"
        sd.finish("SUCCESSFUL", None)


# =============================================================================================
# Patch 8 — service deployments and service revisions (ListServiceDeployments,
# DescribeServiceDeployments, DescribeServiceRevisions, StopServiceDeployment,
# ContinueServiceDeployment).
#
# Missing in moto: all five operations ("has not been implemented"), and DescribeServices'
# currentServiceDeployment / currentServiceRevisions.
# Real ECS (API reference; developer guide "View service history using Amazon ECS service
# deployments"): every deployment of a service — rolling ones too — is a service deployment
#   arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<21 characters>
# whose target is a service revision
#   arn:aws:ecs:<region>:<account>:service-revision/<cluster>/<service>/<19 digits>
# (the task definition and the service's workload settings at that moment). Statuses: PENDING →
# IN_PROGRESS → SUCCESSFUL, or STOP_REQUESTED → STOPPED, or ROLLBACK_REQUESTED →
# ROLLBACK_IN_PROGRESS → ROLLBACK_SUCCESSFUL | ROLLBACK_FAILED. Shapes:
#   ListServiceDeployments(service, cluster?, status?, createdAt{before,after}?, maxResults?,
#     nextToken?) → {serviceDeployments: [ServiceDeploymentBrief {serviceDeploymentArn,
#     serviceArn, clusterArn, startedAt, createdAt, finishedAt, targetServiceRevisionArn, status,
#     statusReason}], nextToken} — newest first;
#   DescribeServiceDeployments(serviceDeploymentArns ≤ 20) → {serviceDeployments:
#     [ServiceDeployment {…, createdAt, startedAt, finishedAt, stoppedAt, updatedAt,
#     sourceServiceRevisions[], targetServiceRevision {arn, requestedTaskCount,
#     runningTaskCount, pendingTaskCount, requestedTestTrafficWeight,
#     requestedProductionTrafficWeight}, status, statusReason, lifecycleStage,
#     lifecycleHookDetails[{hookId, targetType, targetArn, status, expiresAt, timeoutAction}],
#     deploymentConfiguration, rollback {reason, startedAt, serviceRevisionArn},
#     deploymentCircuitBreaker {status, failureCount, threshold}, alarms {status, alarmNames,
#     triggeredAlarmNames}}], failures: [{arn, reason: "MISSING"}]};
#   DescribeServiceRevisions(serviceRevisionArns ≤ 20) → {serviceRevisions: [ServiceRevision],
#     failures};
#   StopServiceDeployment(serviceDeploymentArn, stopType ROLLBACK (default) | ABORT) →
#     {serviceDeploymentArn}; a finished deployment → ConflictException;
#   ContinueServiceDeployment(serviceDeploymentArn, hookId, action CONTINUE (default) |
#     ROLLBACK) → {serviceDeploymentArn}; the hook must be AWAITING_ACTION and the deployment
#     IN_PROGRESS, else InvalidParameterException.
# Modelled: one service deployment per new ECS deployment (CreateService's first one included;
# a desiredCount-only update makes none); a new one stops the one in progress (STOPPED). Rolling
# ones: IN_PROGRESS at once, no lifecycleStage and no traffic weights (the rolling update has no
# stages in the API), SUCCESSFUL when the PRIMARY completes, ROLLBACK_IN_PROGRESS →
# ROLLBACK_SUCCESSFUL when the circuit breaker or StopServiceDeployment(ROLLBACK) rolls back
# (rollback = a new ECS deployment of the source revision, as patch 5), STOPPED for ABORT (the
# rollout halts where it is; its PRIMARY turns FAILED "ECS deployment <id> was stopped." — an
# approximation) or for a breaker without rollback. Blue/green ones: patch 9.
# deploymentCircuitBreaker.status: DISABLED | MONITORING | TRIGGERED | MONITORING_COMPLETE;
# alarms.status DISABLED unless deploymentConfiguration.alarms.enable (then MONITORING →
# MONITORING_COMPLETE; alarms never fire). Revisions carry containerImages[{containerName, image,
# imageDigest}] with a made-up sha256 digest of the image name (ECS resolves the real one), and
# monitoring / gatewayConnectors when they were sent.
# =============================================================================================
class ServiceDeployment:
    def __init__(self, backend, svc, target, sources, strategy, configuration):
        prefix = arn_prefix(backend)
        self.arn = f"{prefix}:service-deployment/{svc.cluster_name}/{svc.name}/{alphanumeric(21)}"
        self.svc = svc
        self.backend = backend
        self.service_arn = svc.arn
        self.cluster_arn = svc.cluster_arn
        now = utcnow()
        self.created_at = now
        self.started_at = None
        self.finished_at = None
        self.stopped_at = None
        self.updated_at = now
        self.strategy_kind = "BLUE_GREEN" if strategy in BLUE_GREEN_STRATEGIES else "ROLLING"
        self.strategy = strategy
        self.configuration = copy.deepcopy(configuration)
        self.target_deployment = target
        self.sources = list(sources)
        self.status = "PENDING"
        self.status_reason = None
        self.lifecycle_stage = None
        self.hooks = []
        self.rollback = None
        self.rollback_deployment = None
        self.frozen = None
        enabled = bool((configuration.get("deploymentCircuitBreaker") or {}).get("enable"))
        self.circuit_breaker = {
            "status": "MONITORING" if enabled else "DISABLED",
            "failureCount": 0,
            "threshold": circuit_breaker_threshold(svc.desired_count),
        }
        alarms = configuration.get("alarms") or {}
        self.alarms = {
            "status": "MONITORING" if alarms.get("enable") else "DISABLED",
            "alarmNames": list(alarms.get("alarmNames") or []),
            "triggeredAlarmNames": [],
        }
        # blue/green machine (patch 9)
        self.stages = []
        self.stage_index = -1
        self.units_done = 0
        self.hooks_started = False
        self.test_weight = 0.0
        self.production_weight = 0.0

    @property
    def finished(self):
        return self.status in ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")

    def touch(self):
        self.updated_at = utcnow()

    def start(self):
        if self.status == "PENDING":
            self.status = "IN_PROGRESS"
            self.started_at = utcnow()
            self.touch()

    def finish(self, status, reason, stopped=False):
        now = utcnow()
        self.status = status
        if reason:
            self.status_reason = reason
        if self.started_at is None:
            self.started_at = now
        self.finished_at = now
        if stopped:
            self.stopped_at = now
        if self.alarms["status"] == "MONITORING":
            self.alarms["status"] = "MONITORING_COMPLETE"
        self.updated_at = now
        # A finished deployment reports the counts it ended with, not those of later ones.
        self.frozen = ([self._summary(d, False) for d in self.sources], self._summary(self.target_deployment, True))

    def rollback_source(self):
        completed = [d for d in self.sources if d.get("rolloutState") == "COMPLETED"]
        return (completed or self.sources or [None])[0]

    def _summary(self, dep, target):
        summary = {
            "arn": dep.get("_revision"),
            "requestedTaskCount": dep.get("desiredCount", 0),
            "runningTaskCount": dep.get("runningCount", 0),
            "pendingTaskCount": dep.get("pendingCount", 0),
        }
        if self.strategy_kind == "BLUE_GREEN":
            summary["requestedTestTrafficWeight"] = self.test_weight if target else 100.0 - self.test_weight
            summary["requestedProductionTrafficWeight"] = (
                self.production_weight if target else 100.0 - self.production_weight
            )
        return summary

    def document(self):
        doc = {
            "serviceDeploymentArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "createdAt": self.created_at,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "stoppedAt": self.stopped_at,
            "updatedAt": self.updated_at,
            "sourceServiceRevisions": self.frozen[0] if self.frozen else [self._summary(d, False) for d in self.sources],
            "targetServiceRevision": self.frozen[1] if self.frozen else self._summary(self.target_deployment, True),
            "status": self.status,
            "statusReason": self.status_reason,
            "deploymentConfiguration": self.configuration,
            "rollback": self.rollback,
            "deploymentCircuitBreaker": self.circuit_breaker,
            "alarms": self.alarms,
        }
        if self.strategy_kind == "BLUE_GREEN":
            doc["lifecycleStage"] = self.lifecycle_stage
            doc["lifecycleHookDetails"] = [
                {k: v for k, v in hook.items() if not k.startswith("_")} for hook in self.hooks
            ]
        return doc

    def brief(self):
        return {
            "serviceDeploymentArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "startedAt": self.started_at,
            "createdAt": self.created_at,
            "finishedAt": self.finished_at,
            "targetServiceRevisionArn": self.target_deployment.get("_revision"),
            "status": self.status,
            "statusReason": self.status_reason,
        }


def _registry(backend, name):
    registry = getattr(backend, name, None)
    if registry is None:
        registry = {}
        setattr(backend, name, registry)
    return registry


def _new_revision(backend, svc, dep):
    prefix = arn_prefix(backend)
    arn = f"{prefix}:service-revision/{svc.cluster_name}/{svc.name}/{digits(19)}"
    api = getattr(svc, "_api", None) or {}
    settings = getattr(svc, "_deployment_settings", None) or {}
    td = task_definition_or_none(backend, dep["taskDefinition"])
    images = []
    for container in (td.container_definitions if td else []):
        image = container.get("image") or ""
        images.append({
            "containerName": container.get("name"),
            "image": image,
            "imageDigest": "sha256:" + hashlib.sha256(image.encode()).hexdigest(),
        })
    revision = {
        "serviceRevisionArn": arn,
        "serviceArn": svc.arn,
        "clusterArn": svc.cluster_arn,
        "taskDefinition": dep["taskDefinition"],
        "capacityProviderStrategy": dep.get("capacityProviderStrategy"),
        "launchType": dep.get("launchType"),
        "platformVersion": dep.get("platformVersion"),
        "platformFamily": dep.get("platformFamily"),
        "loadBalancers": copy.deepcopy(api.get("loadBalancers", svc.load_balancers or [])),
        "serviceRegistries": copy.deepcopy(api.get("serviceRegistries", svc.service_registries or [])),
        "networkConfiguration": dep.get("networkConfiguration"),
        "containerImages": images,
        "guardDutyEnabled": False,
        "createdAt": utcnow(),
    }
    for key in services.DEPLOYMENT_LEVEL_FIELDS:
        if key in dep:
            revision[key] = copy.deepcopy(dep[key])
    for key in services.REVISION_ONLY_FIELDS:
        if key in settings:
            revision[key] = copy.deepcopy(settings[key])
    _registry(backend, "_ecs_service_revisions")[arn] = revision
    return arn


def _start_service_deployment(backend, svc, dep, sources, strategy):
    for older in getattr(svc, "_service_deployments", []):
        if not older.finished:
            older.finish("STOPPED", "A newer service deployment was started.", stopped=True)
    configuration = getattr(svc, "deployment_configuration", None) or {}
    sd = ServiceDeployment(backend, svc, dep, sources, strategy, configuration)
    if sd.strategy_kind == "ROLLING":
        sd.start()
    svc._service_deployments = getattr(svc, "_service_deployments", []) + [sd]
    dep["_service_deployment"] = sd.arn
    _registry(backend, "_ecs_service_deployments")[sd.arn] = sd
    return sd


def current_service_deployment(svc):
    history = getattr(svc, "_service_deployments", None) or []
    return history[-1] if history else None


def active_blue_green(svc):
    sd = current_service_deployment(svc)
    if sd is not None and sd.strategy_kind == "BLUE_GREEN" and not sd.finished:
        return sd
    return None


def overlay_deployments(document, svc):
    """DescribeServices' deployments and current service deployment, from the simulation."""
    if deployment_controller_type(svc) != "ECS":
        return document
    document["deployments"] = jsonable(svc.deployments or [])
    sd = current_service_deployment(svc)
    if sd is not None:
        document["currentServiceDeployment"] = sd.arn
        document["currentServiceRevisions"] = [
            {
                "arn": dep.get("_revision"),
                "requestedTaskCount": dep.get("desiredCount", 0),
                "runningTaskCount": dep.get("runningCount", 0),
                "pendingTaskCount": dep.get("pendingCount", 0),
            }
            for dep in svc.deployments
            if dep.get("_revision")
        ]
    return document


# =============================================================================================
# Patch 9 — ECS native blue/green, linear and canary deployments.
#
# Missing in moto: deploymentConfiguration.strategy BLUE_GREEN | LINEAR | CANARY is stored as a
# plain field and the deployment is an instant rolling one.
# Real ECS (developer guide "Amazon ECS blue/green service deployments workflow", "Lifecycle
# hooks for Amazon ECS service deployments", "Pause hooks for Amazon ECS service deployments";
# API DeploymentConfiguration, DeploymentLifecycleHook, AdvancedConfiguration): the new (green)
# revision is started next to the old (blue) one at full size, test traffic and then production
# traffic move to green (LINEAR: stepPercent at a time; CANARY: canaryPercent, then the rest),
# both run for bakeTimeInMinutes, then blue is removed. The deployment walks lifecycleStage
#   [RECONCILE_SERVICE] PRE_SCALE_UP SCALE_UP POST_SCALE_UP TEST_TRAFFIC_SHIFT
#   POST_TEST_TRAFFIC_SHIFT PRODUCTION_TRAFFIC_SHIFT POST_PRODUCTION_TRAFFIC_SHIFT BAKE_TIME
#   CLEAN_UP
# (RECONCILE_SERVICE only when more than one revision is ACTIVE when it starts). Lifecycle hooks
# run at the stages they list (not SCALE_UP, BAKE_TIME, CLEAN_UP): a Lambda hook
# (targetType AWS_LAMBDA, or just hookTargetArn) returns SUCCEEDED / FAILED (→ rollback) /
# IN_PROGRESS (asked again later); a PAUSE hook (targetType PAUSE) stops the deployment with
# lifecycleHookDetails [{hookId "ecs-pause-…", targetType PAUSE, status AWAITING_ACTION,
# expiresAt, timeoutAction}] until ContinueServiceDeployment(hookId, CONTINUE | ROLLBACK) or
# the timeout (timeoutConfiguration {timeoutInMinutes, action}). After a successful deployment the
# production listener forwards to the target group that was the alternate one, so ECS reports
# loadBalancers[].targetGroupArn and advancedConfiguration.alternateTargetGroupArn swapped.
# Model, per step (the step of patch 5):
#   * UpdateService that starts a new deployment of a service whose strategy is BLUE_GREEN,
#     LINEAR or CANARY: a PRIMARY (green) ECS deployment at 0 tasks, the others ACTIVE (blue,
#     still running); its service deployment is PENDING, then IN_PROGRESS at the first stage on
#     the next step. (A new service's first deployment has nothing to shift from: it is rolling.)
#   * each step does one unit of the current stage, or starts/resolves its hooks, or moves to the
#     next stage (so every stage is visible for at least one step):
#       SCALE_UP — N units (the service's rollout steps): green climbs to desiredCount (blue stays
#         at full size); with a `fail` image green's tasks fail instead and, at the end, the
#         circuit breaker (if enabled) triggers: rollback=true → rollback, rollback=false →
#         STOPPED; breaker disabled → SCALE_UP forever, failedTasks growing;
#       TEST_TRAFFIC_SHIFT — 1 unit: green's requestedTestTrafficWeight 0 → 100;
#       PRODUCTION_TRAFFIC_SHIFT — BLUE_GREEN 1 unit (100); CANARY 2 units (canaryPercent, 100);
#         LINEAR ceil(100 / stepPercent) units (+stepPercent each); blue's weights are 100 minus
#         green's (step bake times are not waited in real time);
#       BAKE_TIME — 1 unit (bakeTimeInMinutes is not waited in real time);
#       CLEAN_UP — N units: blue drains to 0; then green COMPLETED, blue removed, the target
#         groups swapped, events "deployment completed." and "has reached a steady state.",
#         service deployment SUCCESSFUL;
#       the other stages — 0 units.
#   * hooks: PAUSE as above (expiresAt = now + timeoutInMinutes, 60 when not configured;
#     timeoutAction = the configured action, ROLLBACK when not configured; the timeout is real
#     time). Lambda hooks are not invoked: a hook is IN_PROGRESS for one step and then takes the
#     result named by the service tag `ristretto-test:hook-result` = SUCCEEDED (default) | FAILED
#     | IN_PROGRESS (read at every step, so TagResource can release a held hook).
#   * rollback (breaker, FAILED hook, ContinueServiceDeployment ROLLBACK, StopServiceDeployment
#     ROLLBACK, a PAUSE timeout with action ROLLBACK): ROLLBACK_REQUESTED, then
#     ROLLBACK_IN_PROGRESS (traffic back to blue at once, blue PRIMARY again with its task
#     definition, green ACTIVE with rolloutState FAILED), green drains over N steps, then
#     ROLLBACK_SUCCESSFUL with rollback {reason, startedAt, serviceRevisionArn of blue}. Without a
#     blue revision to return to: ROLLBACK_FAILED.
#   * StopServiceDeployment ABORT: STOP_REQUESTED, then STOPPED; everything stays where it was.
# =============================================================================================
STAGES_WITH_HOOKS = (
    "RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT",
)


def _start_blue_green(svc, sd, reconcile):
    stages = ["RECONCILE_SERVICE"] if reconcile else []
    stages += ["PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
               "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT",
               "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"]
    sd.stages = stages
    sd.stage_index = -1
    svc._rt_active = False  # the rolling machine stays out of it
    green = sd.target_deployment
    green["_r0"], green["_f0"] = 0, green.get("failedTasks", 0)


def _production_units(sd):
    if sd.strategy == "LINEAR":
        step = float((sd.configuration.get("linearConfiguration") or {}).get("stepPercent") or 10.0)
        return max(1, math.ceil(100.0 / max(step, 0.1)))
    if sd.strategy == "CANARY":
        return 2
    return 1


def _production_weight(sd, unit):
    if sd.strategy == "LINEAR":
        step = float((sd.configuration.get("linearConfiguration") or {}).get("stepPercent") or 10.0)
        return min(100.0, round(step * unit, 3))
    if sd.strategy == "CANARY":
        canary = float((sd.configuration.get("canaryConfiguration") or {}).get("canaryPercent") or 10.0)
        return canary if unit == 1 else 100.0
    return 100.0


def _stage_units(svc, sd, stage):
    if stage in ("SCALE_UP", "CLEAN_UP"):
        return steps_for(svc)
    if stage in ("TEST_TRAFFIC_SHIFT", "BAKE_TIME"):
        return 1
    if stage == "PRODUCTION_TRAFFIC_SHIFT":
        return _production_units(sd)
    return 0


def _hooks_for_stage(sd, stage):
    hooks = []
    for hook in sd.configuration.get("lifecycleHooks") or []:
        if stage in (hook.get("lifecycleStages") or []):
            hooks.append(hook)
    return hooks


def _hook_id(kind):
    token = base64.urlsafe_b64encode(bytes(rand().getrandbits(8) for _ in range(32))).decode().rstrip("=")
    return f"ecs-{kind}-{token}"


def _start_hooks(sd, stage):
    started = False
    now = utcnow()
    for hook in _hooks_for_stage(sd, stage):
        target_type = hook.get("targetType") or "AWS_LAMBDA"
        timeout = hook.get("timeoutConfiguration") or {}
        if target_type == "PAUSE":
            minutes = int(timeout.get("timeoutInMinutes") or 60)
            sd.hooks.append({
                "hookId": _hook_id("pause"),
                "targetType": "PAUSE",
                "status": "AWAITING_ACTION",
                "expiresAt": now + datetime.timedelta(minutes=minutes),
                "timeoutAction": timeout.get("action") or "ROLLBACK",
                "_stage": stage,
            })
            add_event(sd.svc, f"(service {sd.svc.name}) (deployment {sd.target_deployment['id']}) "
                              f"lifecycle hook at {stage} is awaiting action.")
        else:
            sd.hooks.append({
                "hookId": _hook_id("lambda"),
                "targetType": "AWS_LAMBDA",
                "targetArn": hook.get("hookTargetArn"),
                "status": "IN_PROGRESS",
                "_stage": stage,
            })
        started = True
    sd.hooks_started = True
    return started


def _resolve_hooks(backend, svc, sd):
    """True when the deployment may go on this step."""
    now = utcnow()
    blocked = False
    for hook in sd.hooks:
        if hook["_stage"] != sd.lifecycle_stage:
            continue
        if hook["status"] == "AWAITING_ACTION":
            if hook.get("expiresAt") and now >= hook["expiresAt"]:
                hook["status"] = "TIMED_OUT"
                if hook.get("timeoutAction") == "CONTINUE":
                    continue
                _request_rollback(svc, sd, f"Lifecycle hook {hook['hookId']} timed out.")
                return False
            blocked = True
        elif hook["status"] == "IN_PROGRESS":
            result = (tag_value(svc, HOOK_RESULT_TAG) or "SUCCEEDED").upper()
            if result == "FAILED":
                hook["status"] = "FAILED"
                _request_rollback(svc, sd, f"Lifecycle hook {hook['hookId']} failed.")
                return False
            if result == "SUCCEEDED":
                hook["status"] = "SUCCEEDED"
            blocked = True  # a resolved hook still takes this step
    return not blocked


def _request_rollback(svc, sd, reason):
    sd.status = "ROLLBACK_REQUESTED"
    sd.rollback = {"reason": reason, "startedAt": utcnow(),
                   "serviceRevisionArn": (sd.rollback_source() or {}).get("_revision")}
    sd.touch()


def _tick_blue_green(backend, svc, sd):
    sd.touch()
    green = sd.target_deployment
    green["updatedAt"] = utcnow()
    if sd.status == "STOP_REQUESTED":
        sd.finish("STOPPED", "The service deployment was stopped (ABORT).", stopped=True)
        _sum_counts(svc)
        return
    if sd.status in ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"):
        _tick_blue_green_rollback(backend, svc, sd)
        return
    if sd.status == "PENDING":
        sd.start()
        _enter_stage(backend, svc, sd, 0)
        return
    if not _resolve_hooks(backend, svc, sd):
        _sum_counts(svc)
        return
    stage = sd.lifecycle_stage
    if sd.units_done < _stage_units(svc, sd, stage) or (stage == "SCALE_UP" and _scale_up_stuck(backend, svc, sd)):
        _do_unit(backend, svc, sd, stage)
        return
    if not sd.hooks_started and stage in STAGES_WITH_HOOKS and _start_hooks(sd, stage):
        _sum_counts(svc)
        return
    _enter_stage(backend, svc, sd, sd.stage_index + 1)


def _scale_up_stuck(backend, svc, sd):
    # A failing green with the circuit breaker off stays at SCALE_UP, failing, forever.
    enabled, _ = _circuit_breaker(svc)
    return getattr(svc, "_rt_fails", False) and svc.desired_count > 0 and not enabled


def _enter_stage(backend, svc, sd, index):
    sd.stage_index = index
    sd.lifecycle_stage = sd.stages[index]
    sd.units_done = 0
    sd.hooks_started = False
    if _stage_units(svc, sd, sd.lifecycle_stage) > 0:
        _do_unit(backend, svc, sd, sd.lifecycle_stage)
    else:
        _sum_counts(svc)


def _do_unit(backend, svc, sd, stage):
    sd.units_done += 1
    k = sd.units_done
    n = _stage_units(svc, sd, stage)
    green = sd.target_deployment
    desired = svc.desired_count
    green["desiredCount"] = desired
    if stage == "SCALE_UP":
        if getattr(svc, "_rt_fails", False) and desired > 0:
            threshold = circuit_breaker_threshold(desired)
            green["failedTasks"] = green["_f0"] + math.ceil(threshold * k / n)
            green["runningCount"] = green["pendingCount"] = 0
            sd.circuit_breaker["failureCount"] = green["failedTasks"]
            _sync_tasks(backend, svc)
            enabled, rollback = _circuit_breaker(svc)
            if k >= n and enabled:
                sd.circuit_breaker["status"] = "TRIGGERED"
                green["rolloutState"] = "FAILED"
                green["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
                add_event(svc, f"(service {svc.name}) (deployment {green['id']}) deployment failed: tasks failed to start.")
                if rollback:
                    _request_rollback(svc, sd, "Circuit breaker triggered: tasks failed to start.")
                else:
                    sd.finish("STOPPED", "ECS deployment circuit breaker: tasks failed to start.")
        else:
            running = linear(0, desired, k, n)
            green["runningCount"] = running
            green["pendingCount"] = max(0, linear(0, desired, k + 1, n) - running) if k < n else 0
            _sync_tasks(backend, svc)
    elif stage == "TEST_TRAFFIC_SHIFT":
        sd.test_weight = 100.0
    elif stage == "PRODUCTION_TRAFFIC_SHIFT":
        sd.production_weight = _production_weight(sd, k)
    elif stage == "CLEAN_UP":
        for dep in sd.sources:
            if "_clean_from" not in dep:
                dep["_clean_from"] = dep.get("runningCount", 0)
            left = linear(dep["_clean_from"], 0, k, n)
            dep["runningCount"], dep["pendingCount"], dep["desiredCount"] = left, 0, left
        retired = []
        if k >= n:
            retired = [d for d in svc.deployments if d is not green]
            svc.deployments = [green]
        _sync_tasks(backend, svc, retired)
        if k >= n:
            green["rolloutState"] = "COMPLETED"
            green["rolloutStateReason"] = f"ECS deployment {green['id']} completed."
            _swap_target_groups(svc)
            add_event(svc, f"(service {svc.name}) (deployment {green['id']}) deployment completed.")
            add_event(svc, f"(service {svc.name}) has reached a steady state.")
            if sd.circuit_breaker["status"] == "MONITORING":
                sd.circuit_breaker["status"] = "MONITORING_COMPLETE"
            sd.finish("SUCCESSFUL", None)
    _sum_counts(svc)


def _swap_target_groups(svc):
    def swap(load_balancers):
        for lb in load_balancers or []:
            advanced = lb.get("advancedConfiguration") if isinstance(lb, dict) else None
            if advanced and advanced.get("alternateTargetGroupArn") and lb.get("targetGroupArn"):
                lb["targetGroupArn"], advanced["alternateTargetGroupArn"] = (
                    advanced["alternateTargetGroupArn"], lb["targetGroupArn"])

    api = getattr(svc, "_api", None) or {}
    swap(api.get("loadBalancers"))
    if svc.load_balancers is not api.get("loadBalancers"):
        swap(svc.load_balancers)


def _tick_blue_green_rollback(backend, svc, sd):
    green = sd.target_deployment
    if sd.status == "ROLLBACK_REQUESTED":
        blue = sd.rollback_source()
        if blue is None or blue not in svc.deployments:
            green["rolloutState"] = "FAILED"
            sd.finish("ROLLBACK_FAILED", "There is no service revision to roll back to.")
            _sum_counts(svc)
            return
        sd.status = "ROLLBACK_IN_PROGRESS"
        sd.test_weight = sd.production_weight = 0.0
        sd.rollback_units = 0
        for dep in svc.deployments:
            dep["status"] = "ACTIVE"
        blue["status"] = "PRIMARY"
        svc.deployments.remove(blue)
        svc.deployments.insert(0, blue)
        blue["_back_from"] = blue.get("runningCount", 0)
        green["_back_from"] = green.get("runningCount", 0)
        if green.get("rolloutState") == "IN_PROGRESS":
            green["rolloutState"] = "FAILED"
            green["rolloutStateReason"] = f"ECS deployment {green['id']} rolled back."
        svc.task_definition = blue["taskDefinition"]
        settings = dict(getattr(svc, "_deployment_settings", None) or {})
        for key in services.DEPLOYMENT_LEVEL_FIELDS:
            settings.pop(key, None)
        settings.update(_settings_of(blue))
        svc._deployment_settings = settings
        svc._rt_fails = td_fails(backend, blue["taskDefinition"])
        add_event(svc, f"(service {svc.name}) rolling back to deployment {blue['id']}.")
        _sum_counts(svc)
        return
    blue = svc.deployments[0]
    n = steps_for(svc)
    sd.rollback_units += 1
    k = sd.rollback_units
    blue["desiredCount"] = svc.desired_count
    blue["runningCount"] = linear(blue["_back_from"], svc.desired_count, k, n)
    green["runningCount"] = linear(green["_back_from"], 0, k, n)
    green["pendingCount"] = 0
    green["desiredCount"] = green["runningCount"]
    retired = []
    if k >= n:
        retired = [d for d in svc.deployments if d is not blue]
        svc.deployments = [blue]
    _sync_tasks(backend, svc, retired)
    if k >= n:
        add_event(svc, f"(service {svc.name}) has reached a steady state.")
        sd.finish("ROLLBACK_SUCCESSFUL", "The service deployment rolled back to the source revision.")
    _sum_counts(svc)


# ---------------------------------------------------------------------------------------------
# API operations (patch 8)
# ---------------------------------------------------------------------------------------------
def _find_service(backend, cluster, service):
    from moto.ecs.exceptions import ServiceNotFoundException

    cluster_name = last_segment(cluster or "default")
    backend._get_cluster(cluster_name)  # ClusterNotFoundException
    name = last_segment(service)
    for svc in backend.services.values():
        if svc.cluster_name == cluster_name and name in (svc.name, svc.arn):
            return svc
    raise ServiceNotFoundException()


def _cluster_of_service_arn(service):
    # arn:aws:ecs:region:acct:service/<cluster>/<name>
    parts = (service or "").split(":", 5)
    if len(parts) == 6 and parts[5].startswith("service/") and parts[5].count("/") == 2:
        return parts[5].split("/")[1]
    return None


def list_service_deployments(resp):
    params = services.raw_request(resp)
    backend = resp.ecs_backend
    service = params.get("service")
    if not service:
        raise api_error("InvalidParameterException", "service can not be blank.")
    cluster = params.get("cluster") or _cluster_of_service_arn(service) or "default"
    with LOCK:
        svc = _find_service(backend, cluster, service)
        history = list(reversed(getattr(svc, "_service_deployments", None) or []))
        wanted = set(params.get("status") or [])
        created = params.get("createdAt") or {}
        rows = []
        for sd in history:
            if wanted and sd.status not in wanted:
                continue
            created_at = epoch(sd.created_at)
            if created.get("before") is not None and created_at >= float(created["before"]):
                continue
            if created.get("after") is not None and created_at <= float(created["after"]):
                continue
            rows.append(sd.brief())
    page, token = _page(rows, params.get("maxResults"), params.get("nextToken"), default=20)
    return json_answer({"serviceDeployments": page, "nextToken": token})


def _page(rows, max_results, next_token, default):
    try:
        start = int(base64.b64decode(next_token).decode()) if next_token else 0
    except (ValueError, TypeError):
        raise api_error("InvalidParameterException", "The nextToken is not valid.")
    size = int(max_results or default)
    page = rows[start:start + size]
    token = None
    if start + size < len(rows):
        token = base64.b64encode(str(start + size).encode()).decode()
    return page, token


def describe_service_deployments(resp):
    params = services.raw_request(resp)
    backend = resp.ecs_backend
    arns = params.get("serviceDeploymentArns") or []
    if not arns:
        raise api_error("InvalidParameterException", "serviceDeploymentArns can not be empty.")
    if len(arns) > 20:
        raise api_error("InvalidParameterException", "serviceDeploymentArns can have at most 20 items.")
    registry = _registry(backend, "_ecs_service_deployments")
    found, failures, stepped = [], [], set()
    with LOCK:
        for arn in arns:
            sd = registry.get(arn)
            if sd is None:
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            if id(sd.svc) not in stepped:
                stepped.add(id(sd.svc))
                tick(backend, sd.svc)
            found.append(sd.document())
    return json_answer({"serviceDeployments": found, "failures": failures})


def describe_service_revisions(resp):
    params = services.raw_request(resp)
    arns = params.get("serviceRevisionArns") or []
    if not arns:
        raise api_error("InvalidParameterException", "serviceRevisionArns can not be empty.")
    if len(arns) > 20:
        raise api_error("InvalidParameterException", "serviceRevisionArns can have at most 20 items.")
    registry = _registry(resp.ecs_backend, "_ecs_service_revisions")
    found, failures = [], []
    with LOCK:
        for arn in arns:
            if arn in registry:
                found.append(copy.deepcopy(registry[arn]))
            else:
                failures.append({"arn": arn, "reason": "MISSING"})
    return json_answer({"serviceRevisions": found, "failures": failures})


def _service_deployment(resp, arn):
    sd = _registry(resp.ecs_backend, "_ecs_service_deployments").get(arn or "")
    if sd is None:
        raise api_error("ServiceDeploymentNotFoundException",
                        f"The service deployment {arn} does not exist.")
    return sd


def stop_service_deployment(resp):
    params = services.raw_request(resp)
    stop_type = params.get("stopType") or "ROLLBACK"
    if stop_type not in ("ROLLBACK", "ABORT"):
        raise api_error("InvalidParameterException", "stopType must be one of [ABORT, ROLLBACK].")
    with LOCK:
        sd = _service_deployment(resp, params.get("serviceDeploymentArn"))
        if sd.status not in ("PENDING", "IN_PROGRESS"):
            raise api_error("ConflictException",
                            f"The service deployment is {sd.status} and cannot be stopped.")
        if stop_type == "ABORT":
            sd.status = "STOP_REQUESTED"
            sd.touch()
        else:
            _request_rollback(sd.svc, sd, "Service deployment rollback requested by the user.")
    return json_answer({"serviceDeploymentArn": sd.arn})


def continue_service_deployment(resp):
    params = services.raw_request(resp)
    action = params.get("action") or "CONTINUE"
    if action not in ("CONTINUE", "ROLLBACK"):
        raise api_error("InvalidParameterException", "action must be one of [CONTINUE, ROLLBACK].")
    with LOCK:
        sd = _service_deployment(resp, params.get("serviceDeploymentArn"))
        hook = next((h for h in sd.hooks if h["hookId"] == params.get("hookId")), None)
        if hook is None or hook["status"] != "AWAITING_ACTION" or sd.status != "IN_PROGRESS":
            raise api_error(
                "InvalidParameterException",
                "The service deployment is not paused at a lifecycle hook with this hookId "
                "(the hook must be AWAITING_ACTION and the deployment IN_PROGRESS).",
            )
        hook["status"] = "SUCCEEDED"
        sd.touch()
        if action == "ROLLBACK":
            _request_rollback(sd.svc, sd, f"Rollback requested at lifecycle hook {hook['hookId']}.")
    return json_answer({"serviceDeploymentArn": sd.arn})


# ---------------------------------------------------------------------------------------------
# Wiring into moto
# ---------------------------------------------------------------------------------------------
def _service_answer(resp, result_key, objects, extra=None):
    """Serialise like moto, then rewrite each Service from the simulation (patches 4, 5, 8)."""
    from moto.core.responses import ActionResult

    payload = {result_key: objects}
    payload.update(extra or {})
    status, headers, body = resp.serialized(ActionResult(payload))
    document = json.loads(body)
    listed = document.get(result_key)
    with LOCK:
        if isinstance(listed, list):
            for out, svc in zip(listed, objects):
                services.overlay_service(out, svc)
                overlay_deployments(out, svc)
        elif isinstance(listed, dict):
            services.overlay_service(listed, objects)
            overlay_deployments(listed, objects)
    headers = dict(headers)
    headers.setdefault("Content-Type", "application/x-amz-json-1.1")
    return status, headers, json.dumps(document, separators=(",", ":"))


def patch_ecs_rollouts(ecs_models, ecs_responses):
    from moto.core.utils import camelcase_to_underscores

    resp_cls = ecs_responses.EC2ContainerServiceResponse
    backend_cls = ecs_models.EC2ContainerServiceBackend
    orig_create = resp_cls.create_service

    def create_service(self):
        services.refuse_launch_type_with_capacity_providers(services.raw_request(self))
        result = orig_create(self)
        svc = result.result["service"]
        with LOCK:
            services.on_create_request(self, self.ecs_backend, svc)
            on_create(self.ecs_backend, svc)
        return _service_answer(self, "service", svc)

    def update_service(self):
        raw = services.raw_request(self)
        props = {camelcase_to_underscores(k): v for k, v in self._get_params().items()}
        # Handled here (a new deployment) instead of moto's "new id on deployments[0]".
        force = bool(props.pop("force_new_deployment", False))
        backend = self.ecs_backend
        with LOCK:
            svc = backend._get_service(props.get("cluster", "default"), last_segment(props.get("service", "")))
            services.refuse_code_deploy_update(svc, raw)
            before = {"api": copy.deepcopy(getattr(svc, "_api", None) or {})}
            td_str = props.get("task_definition")
            svc = backend.update_service(props)
            services.on_update_request(raw, backend, svc)
            on_update(backend, svc, before, td_str, force, raw)
        return _service_answer(self, "service", svc)

    orig_delete = resp_cls.delete_service

    def delete_service(self):
        result = orig_delete(self)
        svc = result.result["service"]
        with LOCK:
            svc._rt_active = False
            for sd in getattr(svc, "_service_deployments", None) or []:
                if not sd.finished:
                    sd.finish("STOPPED", "The service was deleted.", stopped=True)
            if svc.status == "INACTIVE":
                for dep in svc.deployments or []:
                    dep["runningCount"] = dep["pendingCount"] = 0
                stopped = tasks.stop_all_service_tasks(self.ecs_backend, svc, "Service deleted")
                _task_events(svc, [], stopped)
                svc.running_count = svc.pending_count = 0
        return _service_answer(self, "service", svc)

    def describe_services(self):
        result = orig_describe_response(self)
        services_list = result.result["services"]
        return _service_answer(self, "services", services_list, {"failures": result.result["failures"]})

    orig_describe_response = resp_cls.describe_services
    orig_describe = backend_cls.describe_services

    def backend_describe_services(self, cluster_str, service_names_or_arns):
        found, failures = orig_describe(self, cluster_str, service_names_or_arns)
        with LOCK:
            seen = set()
            for svc in found:
                if id(svc) not in seen:
                    seen.add(id(svc))
                    tick(self, svc)
        return found, failures

    resp_cls.create_service = create_service
    resp_cls.update_service = update_service
    resp_cls.delete_service = delete_service
    resp_cls.describe_services = describe_services
    backend_cls.describe_services = backend_describe_services
    resp_cls.list_service_deployments = list_service_deployments
    resp_cls.describe_service_deployments = describe_service_deployments
    resp_cls.describe_service_revisions = describe_service_revisions
    resp_cls.stop_service_deployment = stop_service_deployment
    resp_cls.continue_service_deployment = continue_service_deployment
