# moto_codedeploy.py — CodeDeploy blue/green deployments of ECS services that progress, and the
# task sets of CODE_DEPLOY services (patch 11 of tests/support/moto_launcher.py; read its
# header first).
#
# Responsible for: the CodeDeploy API answers for ECS applications (discovery, deployments,
# targets, stop/continue, revisions) in real shapes, the lifecycle of an ECS deployment over
# successive reads, and the ECS side of it (the service's task sets, its task definition, its
# tasks through patch 10).
# Must not: touch CodeDeploy applications of other compute platforms (moto keeps those).

import copy
import datetime
import hashlib
import json
import math

from moto_ecs_common import (
    LOCK,
    add_event,
    alphanumeric,
    api_error,
    arn_prefix,
    circuit_breaker_threshold,
    epoch,
    json_answer,
    jsonable,
    linear,
    steps_for,
    task_definition_or_none,
    td_fails,
    utcnow,
)
import moto_ecs_rollouts as rollouts
import moto_ecs_tasks as tasks

# =============================================================================================
# Patch 11 — CodeDeploy deployments of ECS services, and CODE_DEPLOY services' task sets.
#
# Wrong or missing in moto (research/moto.md §5): a deployment stays "Created" forever;
# StopDeployment, ContinueDeployment, BatchGetDeploymentGroups, ListDeploymentTargets,
# GetDeploymentTarget, BatchGetDeploymentTargets and GetApplicationRevision are not implemented;
# createTime is an ISO string (the JSON protocol and the Rust SDK want epoch seconds); deployment
# ids are UUIDs; ListDeployments is oldest first and ignores includeOnlyStatuses without a group;
# an ECS deployment group without deploymentConfigName says "CodeDeployDefault.OneAtATime"; a
# CODE_DEPLOY service has no task set, and UpdateService changes its task definition.
# Real CodeDeploy / ECS (CodeDeploy API reference; user guide "AppSpec 'hooks' section for an
# Amazon ECS deployment", "Deployment configurations on an Amazon ECS compute platform"; ECS
# developer guide "Blue/green deployment with CodeDeploy"):
#   * ids "d-" + 9 uppercase letters/digits; ListDeployments newest first; one active
#     deployment per group (else DeploymentLimitExceededException "The Deployment Group '<g>'
#     already has an active Deployment '<id>'");
#   * an ECS deployment's status: Created → InProgress → (Ready, when the group's
#     deploymentReadyOption.actionOnTimeout is STOP_DEPLOYMENT, until ContinueDeployment
#     READY_WAIT) → Succeeded | Failed | Stopped; its one target, id "<cluster>:<service>", walks
#     the lifecycle events BeforeInstall, Install, AfterInstall, AllowTestTraffic,
#     AfterAllowTestTraffic, BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic (Pending →
#     InProgress → Succeeded | Failed | Skipped); Install creates the replacement (green) task
#     set, AllowTraffic moves production traffic to it (CodeDeployDefault.ECSAllAtOnce at once,
#     ECSLinear10Percent* in 10 steps of 10 %, ECSCanary10Percent* 10 % then 100 %), and after
#     success the original (blue) task set is removed and the green one is PRIMARY;
#   * failure: the deployment is Failed with errorInformation {code, message}; with
#     autoRollbackConfiguration {enabled, events: [DEPLOYMENT_FAILURE…]} (the deployment's, else
#     the group's) CodeDeploy creates a rollback deployment (creator "codeDeployRollback",
#     rollbackInfo.rollbackTriggeringDeploymentId) and the failed one gets rollbackInfo
#     {rollbackDeploymentId, rollbackMessage}; the service keeps (or returns to) the original
#     task set;
#   * StopDeployment(deploymentId, autoRollbackEnabled) → {status, statusMessage}; the deployment
#     is Stopped (errorInformation code MANUAL_STOP), rolled back like a failure when
#     autoRollbackEnabled (or, when absent, the group's DEPLOYMENT_STOP_ON_REQUEST);
#     a finished deployment → DeploymentAlreadyCompletedException;
#   * GetDeploymentTarget → {deploymentTarget: {deploymentTargetType "ECSTarget", ecsTarget:
#     {deploymentId, targetId, targetArn, lastUpdatedAt, lifecycleEvents[{lifecycleEventName,
#     startTime, endTime, status, diagnostics?}], status, taskSetsInfo[{identifer, desiredCount,
#     pendingCount, runningCount, status, trafficWeight, targetGroup {name}, taskSetLabel
#     Blue|Green}]}}};
#   * a CODE_DEPLOY service has task sets (the PRIMARY first) instead of deployments, and
#     UpdateService refuses task definition / network / platform version / load balancer changes
#     (patch 11b in moto_ecs_services.py).
# Model, per step — one read of the deployment (GetDeployment, BatchGetDeployments,
# GetDeploymentTarget, BatchGetDeploymentTargets, ListDeploymentTargets; at most one step per
# call per deployment) or one DescribeServices of its service:
#   * Created → InProgress with BeforeInstall InProgress; then each step finishes the current
#     event (Succeeded) and starts the next. Install takes N steps (the service's rollout
#     steps): the green task set (startedBy "CodeDeploy", externalId = the deployment id, scale
#     100 %) climbs to desiredCount, real tasks included (patch 10). AllowTraffic takes 1, 2 or 10
#     steps by deploymentConfigName (custom configurations: 1). Hook events take one step each
#     (AppSpec hook Lambdas are not invoked; no hook = the event still shows Succeeded).
#   * a task definition with an image tagged `fail` (the rolling rule): Install fails after N
#     steps (diagnostics {errorCode UnknownError, message}), the later events are Skipped, the
#     deployment is Failed with errorInformation {code ECS_UPDATE_ERROR, message}, the green task
#     set is removed, and the rollback (if enabled) is a new deployment that is Succeeded at once
#     (nothing had moved). The same for an AppSpec task definition that does not exist, a group
#     whose ecsServices name no CODE_DEPLOY service (code INVALID_ECS_SERVICE), or an unreadable
#     AppSpec (INVALID_REVISION; only AppSpecContent / String revisions are read).
#   * success: the target's status Succeeded, the green task set PRIMARY and first, the blue one
#     removed (its tasks stopped), the service's taskDefinition and loadBalancers' target group
#     those of green (the group's targetGroupPairInfoList names both groups; ARNs from moto's
#     ELBv2 when the target groups exist there), "(service S) has reached a steady state.".
#     With terminateBlueInstancesOnDeploymentSuccess.terminationWaitTimeInMinutes > 0 one more
#     step shows instanceTerminationWaitTimeStarted=true first (ContinueDeployment
#     TERMINATION_WAIT skips it).
#   * Ready (deploymentReadyOption.actionOnTimeout STOP_DEPLOYMENT): after AfterAllowTestTraffic
#     the deployment waits in Ready (target Ready) until ContinueDeployment(READY_WAIT); past
#     waitTimeInMinutes (real time) it is Stopped.
#   * CreateService of a CODE_DEPLOY service starts one PRIMARY task set with the service's
#     settings, which scales up over N steps (stabilityStatus STABILIZING → STEADY_STATE);
#     UpdateService desiredCount rescales the task sets; GetApplicationRevision answers for the
#     revisions the application's deployments used.
# =============================================================================================

EVENTS = (
    "BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
    "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic",
)
ACTIVE_STATUSES = ("Created", "Queued", "InProgress", "Ready")


def _deployment_id():
    return "d-" + alphanumeric(9, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _ecs_backend(account, region):
    from moto.ecs.models import ecs_backends

    return ecs_backends[account][region]


def _parse_appspec(content):
    try:
        import yaml

        document = yaml.safe_load(content)
    except ImportError:
        document = json.loads(content)
    if not isinstance(document, dict):
        raise ValueError("the AppSpec is not a mapping")
    resources = document.get("Resources") or document.get("resources") or []
    target = None
    for resource in resources:
        for value in (resource or {}).values():
            if isinstance(value, dict) and value.get("Type") == "AWS::ECS::Service":
                target = value.get("Properties") or {}
    if target is None or not target.get("TaskDefinition"):
        raise ValueError("the AppSpec names no AWS::ECS::Service TargetService with a TaskDefinition")
    hooks = {}
    for hook in document.get("Hooks") or []:
        if isinstance(hook, dict):
            hooks.update(hook)
    return target, hooks


def _revision_content(revision):
    revision = revision or {}
    kind = revision.get("revisionType")
    holder = revision.get("appSpecContent") if kind == "AppSpecContent" else revision.get("string")
    if kind not in ("AppSpecContent", "String") or not isinstance(holder, dict):
        return None
    return holder.get("content")


def _with_sha256(revision):
    revision = copy.deepcopy(revision or {})
    for key in ("appSpecContent", "string"):
        holder = revision.get(key)
        if isinstance(holder, dict) and holder.get("content") is not None and not holder.get("sha256"):
            holder["sha256"] = hashlib.sha256(holder["content"].encode()).hexdigest()
    return revision


def _traffic_units(config_name):
    name = config_name or ""
    if "Linear10Percent" in name:
        return 10
    if "Canary10Percent" in name:
        return 2
    return 1


def _traffic_weight(config_name, unit):
    units = _traffic_units(config_name)
    if units == 10:
        return min(100.0, 10.0 * unit)
    if units == 2:
        return 10.0 if unit == 1 else 100.0
    return 100.0


class EcsDeployment:
    """One CodeDeploy deployment of an ECS application (stored in moto's backend.deployments)."""

    def __init__(self, backend, application, group, revision, config_name, description,
                 auto_rollback, creator="user", rollback_of=None):
        self.backend = backend
        self.application = application
        self.group = group
        self.deployment_id = _deployment_id()
        self.application_name = application.application_name
        self.deployment_group_name = group.deployment_group_name
        self.revision = _with_sha256(revision)
        self.previous_revision = copy.deepcopy(getattr(group, "_last_successful_revision", None))
        self.config_name = config_name
        self.description = description
        self.creator = creator
        self.auto_rollback = auto_rollback
        self.status = "Created"
        self.create_time = utcnow()
        self.start_time = None
        self.complete_time = None
        self.error = None
        self.rollback_info = None
        self.termination_wait_started = False
        self.events = [{"lifecycleEventName": name, "status": "Pending"} for name in EVENTS]
        self.event_index = -1
        self.units = 0
        self.traffic = 0.0
        self.green = None
        self.blue = None
        self.svc = None
        self.ecs = None
        self.target_status = "Pending"
        self.ready_since = None
        self.termination_pending = False
        self.last_updated = self.create_time
        self.rollback_of = rollback_of
        self.appspec = None
        self.fails = False

    # -- shapes ---------------------------------------------------------------------------
    def overview(self):
        counts = {"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 0, "Skipped": 0, "Ready": 0}
        key = {"Unknown": "Failed"}.get(self.target_status, self.target_status)
        if key in counts:
            counts[key] = 1
        return counts

    def to_dict(self):
        group = self.group
        return jsonable({
            "applicationName": self.application_name,
            "deploymentGroupName": self.deployment_group_name,
            "deploymentConfigName": self.config_name,
            "deploymentId": self.deployment_id,
            "previousRevision": self.previous_revision,
            "revision": self.revision,
            "status": self.status,
            "errorInformation": self.error,
            "createTime": self.create_time,
            "startTime": self.start_time,
            "completeTime": self.complete_time,
            "deploymentOverview": self.overview(),
            "description": self.description,
            "creator": self.creator,
            "ignoreApplicationStopFailures": False,
            "autoRollbackConfiguration": self.auto_rollback,
            "updateOutdatedInstancesOnly": False,
            "rollbackInfo": self.rollback_info,
            "deploymentStyle": group.deployment_style or {"deploymentType": "BLUE_GREEN",
                                                          "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            "instanceTerminationWaitTimeStarted": self.termination_wait_started,
            "blueGreenDeploymentConfiguration": group.blue_green_deployment_configuration or None,
            "loadBalancerInfo": group.load_balancer_info or None,
            "deploymentStatusMessages": [],
            "computePlatform": "ECS",
        })

    def target_id(self):
        service = (self.group.ecs_services or [{}])[0]
        return f"{service.get('clusterName')}:{service.get('serviceName')}"

    def target(self):
        sets = []
        for label, task_set in (("Blue", self.blue), ("Green", self.green)):
            if task_set is None:
                continue
            weight = self.traffic if label == "Green" else 100.0 - self.traffic
            sets.append({
                "identifer": task_set.id,
                "desiredCount": task_set.computed_desired_count,
                "pendingCount": task_set.pending_count,
                "runningCount": task_set.running_count,
                "status": task_set.status,
                "trafficWeight": weight,
                "targetGroup": {"name": getattr(task_set, "_target_group_name", None)},
                "taskSetLabel": label,
            })
        return jsonable({
            "deploymentTargetType": "ECSTarget",
            "ecsTarget": {
                "deploymentId": self.deployment_id,
                "targetId": self.target_id(),
                "targetArn": self.svc.arn if self.svc is not None else None,
                "lastUpdatedAt": self.last_updated,
                "lifecycleEvents": self.events,
                "status": self.target_status,
                "taskSetsInfo": sets,
            },
        })

    # -- simulation -----------------------------------------------------------------------
    @property
    def finished(self):
        return self.status not in ACTIVE_STATUSES

    def _event(self, status):
        event = self.events[self.event_index]
        now = utcnow()
        if status == "InProgress":
            event["startTime"] = now
        else:
            event.setdefault("startTime", now)
            event["endTime"] = now
        event["status"] = status

    def _begin(self):
        self.status = "InProgress"
        self.start_time = utcnow()
        self.target_status = "InProgress"
        problem = self._resolve()
        if problem:
            self.event_index = 0
            self._event("InProgress")
            self.fail(*problem)
            return
        self.event_index = 0
        self._event("InProgress")

    def link(self):
        """Attach the deployment to its ECS service at once, so that DescribeServices of the
        service moves it too (from its first step)."""
        service = (self.group.ecs_services or [{}])[0]
        ecs = _ecs_backend(self.backend.account_id, self.backend.region_name)
        for candidate in ecs.services.values():
            if (candidate.cluster_name == service.get("clusterName") and candidate.name == service.get("serviceName")
                    and candidate.status == "ACTIVE"
                    and (getattr(candidate, "deployment_controller", None) or {}).get("type") == "CODE_DEPLOY"):
                candidate._codedeploy_active = self

    def _resolve(self):
        """Find the ECS service and the AppSpec's task definition; (code, message) on failure."""
        content = _revision_content(self.revision)
        if content is None:
            return ("INVALID_REVISION", "The emulator reads AppSpecContent and String revisions only.")
        try:
            self.appspec, self.hooks = _parse_appspec(content)
        except Exception as exc:  # YAML errors and the checks above
            return ("INVALID_REVISION", f"The AppSpec file is not valid: {exc}")
        service = (self.group.ecs_services or [{}])[0]
        ecs = _ecs_backend(self.backend.account_id, self.backend.region_name)
        svc = None
        for candidate in ecs.services.values():
            if (candidate.cluster_name == service.get("clusterName") and candidate.name == service.get("serviceName")
                    and candidate.status == "ACTIVE"):
                svc = candidate
        if svc is None:
            return ("INVALID_ECS_SERVICE",
                    f"The ECS service {service.get('serviceName')} does not exist in cluster {service.get('clusterName')}.")
        if (getattr(svc, "deployment_controller", None) or {}).get("type") != "CODE_DEPLOY":
            return ("INVALID_ECS_SERVICE",
                    f"The ECS service {svc.name} does not use the CODE_DEPLOY deployment controller.")
        self.svc, self.ecs = svc, ecs
        self.blue = _primary_task_set(svc)
        svc._codedeploy_active = self
        if task_definition_or_none(ecs, self.appspec["TaskDefinition"]) is None:
            return ("ECS_UPDATE_ERROR",
                    f"Failed to create taskset. Reason: Unable to describe task definition "
                    f"{self.appspec['TaskDefinition']}.")
        self.fails = td_fails(ecs, self.appspec["TaskDefinition"])
        return None

    def step(self):
        if self.finished:
            return
        self.last_updated = utcnow()
        if self.status == "Created":
            self._begin()
            return
        if self.status == "Ready":
            wait = ((self.group.blue_green_deployment_configuration or {}).get("deploymentReadyOption") or {})
            minutes = wait.get("waitTimeInMinutes")
            if minutes and utcnow() >= self.ready_since + datetime.timedelta(minutes=int(minutes)):
                self.stop(rollback=None, reason=("TIMEOUT", "The deployment timed out while waiting to reroute traffic."))
            return
        if self.termination_pending:
            self._finish_success()
            return
        name = EVENTS[self.event_index]
        self.units += 1
        if name == "Install":
            self._install_unit()
            if self.finished:
                return
            if self.units < steps_for(self.svc):
                return
        elif name == "AllowTraffic":
            self.traffic = _traffic_weight(self.config_name, self.units)
            if self.units < _traffic_units(self.config_name):
                return
        self._event("Succeeded")
        self.units = 0
        if name == "AfterAllowTestTraffic" and self._waits_for_ready():
            self.status = self.target_status = "Ready"
            self.ready_since = utcnow()
            self.event_index += 1
            return
        self._next_or_finish()

    def _waits_for_ready(self):
        option = (self.group.blue_green_deployment_configuration or {}).get("deploymentReadyOption") or {}
        return option.get("actionOnTimeout") == "STOP_DEPLOYMENT"

    def _next_or_finish(self):
        if self.event_index + 1 < len(EVENTS):
            self.event_index += 1
            self._event("InProgress")
            return
        termination = (self.group.blue_green_deployment_configuration or {}).get(
            "terminateBlueInstancesOnDeploymentSuccess") or {}
        if int(termination.get("terminationWaitTimeInMinutes") or 0) > 0 and not self.termination_pending:
            self.termination_wait_started = True
            self.termination_pending = True
            return
        self._finish_success()

    def continue_ready(self):
        self.status = self.target_status = "InProgress"
        self._event("InProgress")

    def _install_unit(self):
        svc, ecs = self.svc, self.ecs
        if self.green is None:
            self.green = _new_task_set(ecs, svc, self.appspec, self, status="ACTIVE")
            svc.task_sets.append(self.green)
        n = steps_for(svc)
        k = self.units
        desired = svc.desired_count
        green = self.green
        green.computed_desired_count = desired
        if self.fails and desired > 0:
            green._failed = green._r0_failed + math.ceil(circuit_breaker_threshold(desired) * k / n)
            green.running_count = green.pending_count = 0
            _sync_task_set_tasks(ecs, svc)
            if k >= n:
                event = self.events[self.event_index]
                event["diagnostics"] = {
                    "errorCode": "UnknownError",
                    "message": "The ECS service cannot reach a steady state: tasks in the replacement "
                               "task set failed to start.",
                }
                self.fail("ECS_UPDATE_ERROR",
                          "The ECS service cannot reach a steady state. Tasks in the replacement task "
                          "set failed to start.")
            return
        green.running_count = linear(0, desired, k, n)
        green.pending_count = max(0, linear(0, desired, k + 1, n) - green.running_count) if k < n else 0
        green.stabilityStatus = "STEADY_STATE" if k >= n else "STABILIZING"
        green.updatedAt = utcnow()
        _sync_task_set_tasks(ecs, svc)

    def _finish_success(self):
        self.termination_pending = False
        self.status = self.target_status = "Succeeded"
        self.complete_time = utcnow()
        self._promote_green()
        self.group._last_successful_revision = copy.deepcopy(self.revision)
        self.group._last_successful = self

    def _promote_green(self):
        svc, ecs = self.svc, self.ecs
        self.traffic = 100.0
        green = self.green
        green.status = "PRIMARY"
        green.stabilityStatus = "STEADY_STATE"
        svc.task_sets = [green] + [ts for ts in svc.task_sets if ts is not green and ts is not self.blue]
        svc.task_definition = green.task_definition
        if green.load_balancers:
            svc.load_balancers = copy.deepcopy(green.load_balancers)
            api = getattr(svc, "_api", None)
            if api is not None and "loadBalancers" in api:
                api["loadBalancers"] = copy.deepcopy(green.load_balancers)
        _sync_task_set_tasks(ecs, svc)
        _sum_task_sets(svc)
        add_event(svc, f"(service {svc.name}) has reached a steady state.")
        svc._codedeploy_active = None

    def fail(self, code, message, status="Failed"):
        now = utcnow()
        if 0 <= self.event_index < len(EVENTS) and self.events[self.event_index]["status"] == "InProgress":
            self._event("Failed")
        for event in self.events:
            if event["status"] == "Pending":
                event["status"] = "Skipped"
        self.status = status
        self.target_status = "Failed"
        self.complete_time = now
        self.error = {"code": code, "message": message}
        rollback = self._rollback_enabled("DEPLOYMENT_FAILURE" if status == "Failed" else "DEPLOYMENT_STOP_ON_REQUEST")
        if status == "Stopped" and not rollback and self.traffic > 0 and self.green is not None:
            self._promote_green()  # production traffic already on green: it stays
            self.status, self.target_status = status, "Failed"
            return
        self._restore_blue()
        if rollback:
            self._create_rollback()

    def stop(self, rollback, reason=None):
        code, message = reason or ("MANUAL_STOP", "The deployment was stopped by the user.")
        self.stop_rollback = rollback
        if self.event_index < 0:
            self.event_index = 0
        self.fail(code, message, status="Stopped")

    def _rollback_enabled(self, event):
        explicit = getattr(self, "stop_rollback", None)
        if self.status == "Stopped" and explicit is not None:
            return bool(explicit)
        config = self.auto_rollback or {}
        return bool(config.get("enabled")) and event in (config.get("events") or [])

    def _restore_blue(self):
        svc, ecs = self.svc, self.ecs
        if svc is None:
            return
        if self.green is not None:
            self.green.computed_desired_count = 0
            self.green.running_count = self.green.pending_count = 0
            svc.task_sets = [ts for ts in svc.task_sets if ts is not self.green]
            self.green.status = "DRAINING"
        self.traffic = 0.0
        _sync_task_set_tasks(ecs, svc, retired=[self.green] if self.green is not None else [])
        _sum_task_sets(svc)
        svc._codedeploy_active = None

    def _create_rollback(self):
        group = self.group
        revision = getattr(group, "_last_successful_revision", None)
        if revision is None and self.blue is not None:
            revision = {"revisionType": "AppSpecContent",
                        "appSpecContent": {"content": _appspec_for(self.blue, self.appspec)}}
        if revision is None:
            self.rollback_info = {"rollbackMessage": "There is no previous revision to roll back to."}
            return
        back = EcsDeployment(self.backend, self.application, group, revision, self.config_name,
                             None, None, creator="codeDeployRollback", rollback_of=self)
        now = utcnow()
        back.status = back.target_status = "Succeeded"
        back.start_time = back.complete_time = now
        back.svc = self.svc
        for event in back.events:
            event.update({"status": "Succeeded", "startTime": now, "endTime": now})
        back.rollback_info = {
            "rollbackTriggeringDeploymentId": self.deployment_id,
            "rollbackMessage": f"Deployment {self.deployment_id} was rolled back by this deployment.",
        }
        self.rollback_info = {
            "rollbackDeploymentId": back.deployment_id,
            "rollbackMessage": f"Rolled back by deployment {back.deployment_id}: the original task set "
                               "keeps serving the production traffic.",
        }
        self.backend.deployments[back.deployment_id] = back


def _appspec_for(task_set, appspec):
    properties = {"TaskDefinition": task_set.task_definition}
    if appspec and appspec.get("LoadBalancerInfo"):
        properties["LoadBalancerInfo"] = appspec["LoadBalancerInfo"]
    return json.dumps({"version": 0.0, "Resources": [{"TargetService": {
        "Type": "AWS::ECS::Service", "Properties": properties}}]})


# ---------------------------------------------------------------------------------------------
# ECS task sets of CODE_DEPLOY services
# ---------------------------------------------------------------------------------------------
def _primary_task_set(svc):
    return next((ts for ts in svc.task_sets if ts.status == "PRIMARY"), None)


def _target_group_name(arn):
    # arn:aws:elasticloadbalancing:region:acct:targetgroup/<name>/<id>
    parts = (arn or "").split(":targetgroup/")
    return parts[1].split("/")[0] if len(parts) == 2 else None


def _target_group_arn(ecs, name):
    try:
        from moto.elbv2.models import elbv2_backends

        for group in elbv2_backends[ecs.account_id][ecs.region_name].target_groups.values():
            if group.name == name:
                return group.arn
    except Exception:
        pass
    suffix = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{arn_prefix(ecs, 'elasticloadbalancing')}:targetgroup/{name}/{suffix}"


def _green_load_balancers(ecs, svc, deployment, appspec):
    current = copy.deepcopy(getattr(_primary_task_set(svc), "load_balancers", None) or svc.load_balancers or [])
    pairs = (deployment.group.load_balancer_info or {}).get("targetGroupPairInfoList") or []
    names = [g.get("name") for g in ((pairs[0].get("targetGroups") if pairs else None) or [])]
    for lb in current:
        blue = _target_group_name(lb.get("targetGroupArn"))
        others = [n for n in names if n and n != blue]
        if others:
            lb["targetGroupArn"] = _target_group_arn(ecs, others[0])
    info = appspec.get("LoadBalancerInfo") or {}
    for lb in current:
        if info.get("ContainerName"):
            lb["containerName"] = info["ContainerName"]
        if info.get("ContainerPort"):
            lb["containerPort"] = int(info["ContainerPort"])
    return current


def _new_task_set(ecs, svc, appspec, deployment=None, status="PRIMARY"):
    from moto.ecs.models import TaskSet

    api = getattr(svc, "_api", None) or {}
    if deployment is not None:
        td = ecs.describe_task_definition(appspec["TaskDefinition"]).arn
        network = appspec.get("NetworkConfiguration") or {}
        awsvpc = network.get("AwsvpcConfiguration") or network.get("awsvpcConfiguration")
        network_configuration = {"awsvpcConfiguration": {
            "subnets": awsvpc.get("Subnets") or [],
            "securityGroups": awsvpc.get("SecurityGroups") or [],
            "assignPublicIp": awsvpc.get("AssignPublicIp") or "DISABLED",
        }} if awsvpc else api.get("networkConfiguration")
        strategy = [
            {"capacityProvider": s.get("CapacityProvider"), "weight": s.get("Weight", 0), "base": s.get("Base", 0)}
            for s in appspec.get("CapacityProviderStrategy") or []
        ] or api.get("capacityProviderStrategy")
        platform = appspec.get("PlatformVersion") or svc.platform_version
        load_balancers = _green_load_balancers(ecs, svc, deployment, appspec)
    else:
        td = svc.task_definition
        network_configuration = api.get("networkConfiguration") or svc.network_configuration or None
        strategy = api.get("capacityProviderStrategy")
        platform = svc.platform_version
        load_balancers = copy.deepcopy(api.get("loadBalancers", svc.load_balancers or []))
    task_set = TaskSet(
        svc.arn, svc.cluster_arn, td, ecs.account_id, ecs.region_name,
        external_id=deployment.deployment_id if deployment else None,
        network_configuration=network_configuration,
        load_balancers=load_balancers,
        service_registries=copy.deepcopy(svc.service_registries or []),
        launch_type=None if strategy else (svc.launch_type or "FARGATE"),
        capacity_provider_strategy=strategy,
        platform_version=platform,
    )
    task_set.task_definition = td
    task_set.service_arn = svc.arn
    task_set.cluster_arn = svc.cluster_arn
    task_set.status = status
    task_set.started_by = "CodeDeploy" if deployment else None
    task_set.computed_desired_count = svc.desired_count
    task_set.running_count = 0
    task_set.pending_count = 0
    task_set.stabilityStatus = "STABILIZING"
    task_set._failed = 0
    task_set._r0_failed = 0
    task_set._target_group_name = _target_group_name((load_balancers or [{}])[0].get("targetGroupArn"))
    _restart_task_set(svc, task_set)
    return task_set


def _restart_task_set(svc, task_set):
    task_set._r0 = task_set.running_count
    task_set._tick = 0
    task_set._steps = steps_for(svc)


def _sum_task_sets(svc):
    svc.running_count = sum(ts.running_count for ts in svc.task_sets)
    svc.pending_count = sum(ts.pending_count for ts in svc.task_sets)


def _sync_task_set_tasks(ecs, svc, retired=()):
    groups = []
    live_sets = list(svc.task_sets)
    for ts in live_sets + [r for r in retired if r is not None and r not in live_sets]:
        groups.append({
            "key": ts.id,
            "taskDefinition": ts.task_definition,
            "running": ts.running_count,
            "pending": ts.pending_count,
            "failed": getattr(ts, "_failed", 0),
            "settings": {
                "launchType": ts.launch_type,
                "capacityProviderStrategy": ts.capacity_provider_strategy,
                "platformVersion": ts.platform_version,
                "networkConfiguration": ts.network_configuration,
            },
            "state": ts.__dict__,
            "retired": ts not in live_sets,
        })
    started, stopped = tasks.reconcile(ecs, svc, groups)
    rollouts._task_events(svc, started, stopped)


def on_create_code_deploy_service(ecs, svc):
    if not svc.task_definition:
        return
    primary = _new_task_set(ecs, svc, None)
    svc.task_sets = [primary] + list(svc.task_sets)
    _sum_task_sets(svc)


def on_update_code_deploy_service(ecs, svc):
    for ts in svc.task_sets:
        if ts.status in ("PRIMARY", "ACTIVE") and ts.scale.get("unit") == "PERCENT":
            ts.computed_desired_count = int(svc.desired_count * float(ts.scale.get("value", 100)) / 100)
            _restart_task_set(svc, ts)
    _sum_task_sets(svc)


def on_task_set_task_stopped(ecs, svc, task):
    for ts in svc.task_sets:
        if ts.id == task.started_by:
            ts.running_count = max(0, ts.running_count - 1)
            ts.stabilityStatus = "STABILIZING"
            _restart_task_set(svc, ts)
    _sum_task_sets(svc)


def tick_code_deploy_service(ecs, svc):
    """One DescribeServices step of a CODE_DEPLOY service: its CodeDeploy deployment, then the
    scaling of task sets that are not being deployed."""
    active = getattr(svc, "_codedeploy_active", None)
    if active is not None and not active.finished:
        active.step()
    moved = False
    for ts in svc.task_sets:
        if ts is getattr(active, "green", None) and not getattr(active, "finished", True):
            continue
        target = ts.computed_desired_count
        if ts.running_count == target and ts.pending_count == 0:
            continue
        ts._tick += 1
        k, n = ts._tick, ts._steps
        ts.running_count = linear(ts._r0, target, k, n)
        ts.pending_count = max(0, linear(ts._r0, target, k + 1, n) - ts.running_count) if k < n else 0
        ts.stabilityStatus = "STEADY_STATE" if k >= n else "STABILIZING"
        ts.stabilityStatusAt = ts.updatedAt = utcnow()
        moved = True
    _sync_task_set_tasks(ecs, svc)
    _sum_task_sets(svc)
    if moved and all(ts.stabilityStatus == "STEADY_STATE" for ts in svc.task_sets) and len(svc.task_sets) == 1:
        add_event(svc, f"(service {svc.name}) has reached a steady state.")


# ---------------------------------------------------------------------------------------------
# CodeDeploy operations
# ---------------------------------------------------------------------------------------------
JSON = "application/x-amz-json-1.1"


def _params(resp):
    from moto_ecs_services import raw_request

    return raw_request(resp)


def _application_dict(app):
    document = app.to_dict()
    created = document.get("createTime")
    if isinstance(created, str):
        try:
            parsed = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
            document["createTime"] = round(parsed.timestamp(), 3)
        except ValueError:
            document["createTime"] = epoch(utcnow())
    document["linkedToGitHub"] = False
    return document


def _group_dict(group):
    document = group.to_dict()
    config = group.deployment_config_name
    if group.application.compute_platform == "ECS" and (config is None or getattr(group, "_config_defaulted", False)):
        config = "CodeDeployDefault.ECSAllAtOnce"  # moto defaults every group to OneAtATime
    document["deploymentConfigName"] = str(config)
    document["alarmConfiguration"] = {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []}
    document["outdatedInstancesStrategy"] = document.get("outdatedInstancesStrategy") or "UPDATE"
    document["terminationHookEnabled"] = bool(document.get("terminationHookEnabled"))
    document["autoScalingGroups"] = []
    for key in ("targetRevision", "lastSuccessfulDeployment", "lastAttemptedDeployment"):
        document.pop(key, None)
    last = getattr(group, "_last_successful", None)
    if last is not None:
        document["lastSuccessfulDeployment"] = {"deploymentId": last.deployment_id, "status": last.status,
                                                "endTime": epoch(last.complete_time),
                                                "createTime": epoch(last.create_time)}
        document["targetRevision"] = last.revision
    attempted = getattr(group, "_last_attempted", None)
    if attempted is not None:
        document["lastAttemptedDeployment"] = {"deploymentId": attempted.deployment_id, "status": attempted.status,
                                               "endTime": epoch(attempted.complete_time),
                                               "createTime": epoch(attempted.create_time)}
    return jsonable(document)


def _ecs_deployment(backend, deployment_id):
    deployment = backend.deployments.get(deployment_id or "")
    if deployment is None:
        if not deployment_id:
            raise api_error("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
        raise api_error("DeploymentDoesNotExistException",
                        f"The deployment {deployment_id} could not be found.")
    return deployment


def _step(deployments):
    seen = set()
    for deployment in deployments:
        if isinstance(deployment, EcsDeployment) and id(deployment) not in seen:
            seen.add(id(deployment))
            deployment.step()


def patch_codedeploy():
    from moto.codedeploy.responses import CodeDeployResponse

    rollouts.CONTROLLER_TICKERS["CODE_DEPLOY"] = tick_code_deploy_service
    rollouts.CONTROLLER_CREATORS["CODE_DEPLOY"] = on_create_code_deploy_service
    rollouts.CONTROLLER_UPDATERS["CODE_DEPLOY"] = on_update_code_deploy_service
    rollouts.CONTROLLER_TASK_STOPPED["CODE_DEPLOY"] = on_task_set_task_stopped

    cls = CodeDeployResponse

    def batch_get_applications(self):
        names = self._get_param("applicationNames") or []
        apps = self.codedeploy_backend.batch_get_applications(names)
        return json_answer({"applicationsInfo": [_application_dict(a) for a in apps]}, JSON)

    def get_application(self):
        app = self.codedeploy_backend.get_application(self._get_param("applicationName"))
        return json_answer({"application": _application_dict(app)}, JSON)

    def list_applications(self):
        return json_answer({"applications": sorted(self.codedeploy_backend.list_applications())}, JSON)

    orig_create_group = cls.create_deployment_group

    def create_deployment_group(self):
        answer = orig_create_group(self)
        if not self._get_param("deploymentConfigName"):
            backend = self.codedeploy_backend
            group = backend.deployment_groups[self._get_param("applicationName")][self._get_param("deploymentGroupName")]
            group._config_defaulted = True
        return answer

    def get_deployment_group(self):
        group = self.codedeploy_backend.get_deployment_group(
            self._get_param("applicationName"), self._get_param("deploymentGroupName"))
        return json_answer({"deploymentGroupInfo": _group_dict(group)}, JSON)

    def batch_get_deployment_groups(self):
        backend = self.codedeploy_backend
        application = self._get_param("applicationName")
        backend.get_application(application)
        found, missing = [], []
        for name in self._get_param("deploymentGroupNames") or []:
            group = backend.deployment_groups.get(application, {}).get(name)
            if group is None:
                missing.append(name)
            else:
                found.append(_group_dict(group))
        document = {"deploymentGroupsInfo": found}
        if missing:
            document["errorMessage"] = "Deployment groups not found: " + ", ".join(missing)
        return json_answer(document, JSON)

    def list_deployment_groups(self):
        application = self._get_param("applicationName")
        backend = self.codedeploy_backend
        backend.get_application(application)
        names = sorted(backend.deployment_groups.get(application, {}).keys())
        return json_answer({"applicationName": application, "deploymentGroups": names}, JSON)

    orig_create_deployment = cls.create_deployment

    def create_deployment(self):
        backend = self.codedeploy_backend
        application_name = self._get_param("applicationName")
        group_name = self._get_param("deploymentGroupName")
        app = backend.get_application(application_name)
        if app.compute_platform != "ECS":
            return orig_create_deployment(self)
        if not group_name:
            raise api_error("DeploymentGroupNameRequiredException", "Deployment group name is required.")
        group = backend.deployment_groups.get(application_name, {}).get(group_name)
        if group is None:
            raise api_error("DeploymentGroupDoesNotExistException", "Deployment group name does not exist.")
        revision = self._get_param("revision")
        if not revision:
            raise api_error("RevisionRequiredException", "The revision must be specified.")
        with LOCK:
            for other in backend.deployments.values():
                if (isinstance(other, EcsDeployment) and other.group is group and not other.finished):
                    raise api_error("DeploymentLimitExceededException",
                                    f"The Deployment Group '{group_name}' already has an active Deployment "
                                    f"'{other.deployment_id}'")
            config = self._get_param("deploymentConfigName") or _group_dict(group)["deploymentConfigName"]
            auto = self._get_param("autoRollbackConfiguration") or group.auto_rollback_configuration or None
            deployment = EcsDeployment(backend, app, group, revision, config,
                                       self._get_param("description"), auto)
            backend.deployments[deployment.deployment_id] = deployment
            group._last_attempted = deployment
            deployment.link()
        return json_answer({"deploymentId": deployment.deployment_id}, JSON)

    def get_deployment(self):
        backend = self.codedeploy_backend
        with LOCK:
            deployment = _ecs_deployment(backend, self._get_param("deploymentId"))
            _step([deployment])
            document = deployment.to_dict() if isinstance(deployment, EcsDeployment) else _moto_dict(deployment)
        return json_answer({"deploymentInfo": document}, JSON)

    def batch_get_deployments(self):
        backend = self.codedeploy_backend
        ids = self._get_param("deploymentIds") or []
        with LOCK:
            found = [backend.deployments[i] for i in ids if i in backend.deployments]
            _step(found)
            documents = [d.to_dict() if isinstance(d, EcsDeployment) else _moto_dict(d) for d in found]
        return json_answer({"deploymentsInfo": documents}, JSON)

    def list_deployments(self):
        backend = self.codedeploy_backend
        application = self._get_param("applicationName")
        group = self._get_param("deploymentGroupName")
        if application and not group:
            raise api_error("DeploymentGroupNameRequiredException",
                            "If applicationName is specified, then deploymentGroupName must be specified.")
        if group and not application:
            raise api_error("ApplicationNameRequiredException",
                            "If deploymentGroupName is specified, applicationName must be specified.")
        if application:
            backend.get_deployment_group(application, group)
        statuses = set(self._get_param("includeOnlyStatuses") or [])
        window = self._get_param("createTimeRange") or {}
        rows = []
        with LOCK:
            for deployment in reversed(list(backend.deployments.values())):
                if application and (deployment.application_name != application
                                    or deployment.deployment_group_name != group):
                    continue
                if statuses and deployment.status not in statuses:
                    continue
                created = epoch(getattr(deployment, "create_time", None)) if isinstance(deployment, EcsDeployment) else None
                if created is not None and window.get("start") is not None and created < float(window["start"]):
                    continue
                if created is not None and window.get("end") is not None and created > float(window["end"]):
                    continue
                rows.append(deployment.deployment_id)
        return json_answer({"deployments": rows}, JSON)

    def list_deployment_targets(self):
        backend = self.codedeploy_backend
        with LOCK:
            deployment = _ecs_deployment(backend, self._get_param("deploymentId"))
            _step([deployment])
            ids = [deployment.target_id()] if isinstance(deployment, EcsDeployment) else []
        return json_answer({"targetIds": ids}, JSON)

    def get_deployment_target(self):
        backend = self.codedeploy_backend
        with LOCK:
            deployment = _ecs_deployment(backend, self._get_param("deploymentId"))
            target_id = self._get_param("targetId")
            if not isinstance(deployment, EcsDeployment) or target_id != deployment.target_id():
                raise api_error("DeploymentTargetDoesNotExistException",
                                f"The deployment target {target_id} does not exist.")
            _step([deployment])
            document = deployment.target()
        return json_answer({"deploymentTarget": document}, JSON)

    def batch_get_deployment_targets(self):
        backend = self.codedeploy_backend
        with LOCK:
            deployment = _ecs_deployment(backend, self._get_param("deploymentId"))
            _step([deployment])
            targets = []
            for target_id in self._get_param("targetIds") or []:
                if isinstance(deployment, EcsDeployment) and target_id == deployment.target_id():
                    targets.append(deployment.target())
                else:
                    raise api_error("DeploymentTargetDoesNotExistException",
                                    f"The deployment target {target_id} does not exist.")
        return json_answer({"deploymentTargets": targets}, JSON)

    def stop_deployment(self):
        backend = self.codedeploy_backend
        rollback = self._get_param("autoRollbackEnabled")
        with LOCK:
            deployment = _ecs_deployment(backend, self._get_param("deploymentId"))
            if not isinstance(deployment, EcsDeployment):
                raise api_error("UnsupportedActionForDeploymentTypeException",
                                "The emulator stops deployments of ECS applications only.")
            if deployment.finished:
                raise api_error("DeploymentAlreadyCompletedException",
                                f"The deployment {deployment.deployment_id} has already completed.")
            if deployment.svc is None and deployment.status == "Created":
                deployment._begin()
            deployment.stop(rollback)
            rolled_back = deployment.rollback_info is not None and "rollbackDeploymentId" in deployment.rollback_info
        message = ("Stopping Pending. Stopping to deploy the original revision."
                   if rolled_back else "Deployment stopped.")
        return json_answer({"status": "Succeeded", "statusMessage": message}, JSON)

    def continue_deployment(self):
        backend = self.codedeploy_backend
        wait_type = self._get_param("deploymentWaitType") or "READY_WAIT"
        with LOCK:
            deployment = _ecs_deployment(backend, self._get_param("deploymentId"))
            if wait_type == "READY_WAIT" and getattr(deployment, "status", None) == "Ready":
                deployment.continue_ready()
            elif wait_type == "TERMINATION_WAIT" and getattr(deployment, "termination_pending", False):
                deployment._finish_success()
            else:
                raise api_error("DeploymentIsNotInReadyStateException",
                                f"The deployment {deployment.deployment_id} is not in a ready state.")
        return 200, {"Content-Type": JSON}, "{}"

    def get_application_revision(self):
        backend = self.codedeploy_backend
        application = self._get_param("applicationName")
        backend.get_application(application)
        wanted = _revision_content(self._get_param("revision"))
        used = [d for d in backend.deployments.values()
                if isinstance(d, EcsDeployment) and d.application_name == application
                and _revision_content(d.revision) == wanted]
        if wanted is None or not used:
            raise api_error("RevisionDoesNotExistException",
                            "No application revision found for the given revision.")
        return json_answer({
            "applicationName": application,
            "revision": used[0].revision,
            "revisionInfo": {
                "description": used[0].description,
                "deploymentGroups": sorted({d.deployment_group_name for d in used}),
                "firstUsedTime": min(d.create_time for d in used),
                "lastUsedTime": max(d.create_time for d in used),
                "registerTime": min(d.create_time for d in used),
            },
        }, JSON)

    for function in (
        batch_get_applications, get_application, list_applications, create_deployment_group,
        get_deployment_group, batch_get_deployment_groups, list_deployment_groups,
        create_deployment, get_deployment, batch_get_deployments, list_deployments,
        list_deployment_targets, get_deployment_target, batch_get_deployment_targets,
        stop_deployment, continue_deployment, get_application_revision,
    ):
        setattr(cls, function.__name__, function)


def _moto_dict(deployment):
    document = deployment.to_dict()
    for key in ("createTime", "startTime", "completeTime"):
        value = document.get(key)
        if isinstance(value, str):
            try:
                document[key] = round(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp(), 3)
            except ValueError:
                document.pop(key)
    return jsonable(document)
