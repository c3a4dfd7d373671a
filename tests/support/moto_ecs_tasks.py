# moto_ecs_tasks.py — the tasks of ECS services, ExecuteCommand, and ListTasks / DescribeTasks /
# StopTask as ECS answers them (patch 10 of tests/support/moto_launcher.py; read its header).
#
# Responsible for: starting and stopping real Task objects so that a service's tasks match its
# deployments' counts, the answers of ExecuteCommand, and the task filters/errors of ListTasks,
# DescribeTasks and StopTask.
# Must not: decide counts (moto_ecs_rollouts.py and moto_codedeploy.py do); start anything that
# runs — tasks are records.

import json

from moto_ecs_common import (
    LOCK,
    alphanumeric,
    api_error,
    image_fails,
    json_answer,
    last_segment,
    rand,
    task_definition_or_none,
    task_id,
    utcnow,
)

# =============================================================================================
# Patch 10 — service tasks, ExecuteCommand, ListTasks / DescribeTasks / StopTask.
#
# Wrong or missing in moto: services never start tasks (runningCount is just a number), so
# `ListTasks(serviceName)` has nothing to find (moto ignores serviceName and lists every task);
# ListTasks without desiredStatus lists STOPPED tasks too; DescribeTasks silently drops unknown
# tasks; StopTask of an unknown task is an HTTP 500; RunTask drops enableExecuteCommand; and
# ExecuteCommand is not implemented.
# Real ECS (API reference): a service's tasks have group "service:<name>" and startedBy = the id of
# the deployment that started them (ecs-svc/…) or of the task set; ListTasks filters by cluster,
# serviceName (unknown → ServiceNotFoundException), family, startedBy, launchType and
# desiredStatus ("The default status filter is RUNNING"), pages by maxResults (≤ 100)/nextToken;
# DescribeTasks answers failures [{arn, reason: "MISSING"}] for unknown tasks; StopTask of an
# unknown task → InvalidParameterException "The referenced task was not found."; a stopped
# service task is replaced by the scheduler. ExecuteCommand(cluster, task, container?, command,
# interactive) → {clusterArn, containerArn, containerName, interactive, session {sessionId,
# streamUrl, tokenValue}, taskArn}; errors (InvalidParameterException): interactive false
# "Interactive is the only mode supported currently.", a task id that is neither 32 nor 36
# characters "task length should be one of [32,36]", a task started without execute command
# "The execute command failed because execute command was not enabled when the task was run or
# the execute command agent isn’t running. Wait and try again or run a new task with execute
# command enabled and try again.", a task that is not RUNNING, an unknown container, several
# containers and no `container`.
# Model:
#   * the rollout simulation's counts are made real: each deployment (or CODE_DEPLOY task set) has
#     as many RUNNING and PENDING tasks as its runningCount / pendingCount; scaling in stops the
#     newest tasks (stopCode ServiceSchedulerInitiated, stoppedReason "Scaling activity initiated
#     by (deployment <id>)"); each failed start of a `fail` image is a task that is STOPPED at once
#     (stopCode TaskFailedToStart, stoppedReason "CannotPullContainerError: …"). Service tasks stay
#     RUNNING until stopped (moto's ecs::task state-manager progression applies to RunTask tasks
#     only). Each task has one container per container definition (name, image, cpu/memory as
#     strings, lastStatus, runtimeId once RUNNING, managedAgents [ExecuteCommandAgent RUNNING]
#     when exec is enabled), task
#     cpu/memory from the task definition, enableExecuteCommand = the service's value when the
#     task started, and an ENI attachment whose ids/addresses are made up (no EC2 ENI is created);
#     at most 100 stopped tasks per service are kept.
#   * StopTask of a service task: STOPPED at once (stopCode UserInitiated, the given reason), its
#     deployment's runningCount drops by one and the scheduler starts a replacement over the next
#     steps (patch 5's machinery).
#   * ExecuteCommand: the checks above, then sessionId "ecs-execute-command-<17 hex>", streamUrl
#     "wss://ssmmessages.<region>.amazonaws.com/v1/data-channel/<sessionId>?role=publish_subscribe
#     &cell-number=<token>", an opaque tokenValue. Nothing listens there: a client hands them to
#     session-manager-plugin, which tests replace by a stand-in. RunTask keeps enableExecuteCommand.
#   * RunTask (10c): a clientToken seen before in the account and cluster answers the tasks the
#     first call started and starts none (moto ignores the token); each container of a RunTask
#     task gets a runtimeId (set at RunTask; ECS sets it when the container starts) and the task a
#     createdAt (moto leaves it out); a
#     capacityProviderStrategy of FARGATE / FARGATE_SPOT runs the task on Fargate with that
#     capacityProviderName (moto ignores the strategy and fails looking for EC2 instances).
#   * SSM StartSession (10d, `_patch_ssm_start_session`): ECS Exec targets
#     "ecs:<cluster>_<task id>_<runtime id>" for port forwarding, in StartSession's real shape.
#   * Not modelled: the execute-command agent's start-up delay, KMS/logging of the cluster's
#     executeCommandConfiguration, UpdateService's "valid taskRoleArn" requirement for
#     enableExecuteCommand.
# =============================================================================================

MAX_STOPPED_PER_SERVICE = 100
_SERVICE_TASK_CLASS = []


def _service_task_class():
    if _SERVICE_TASK_CLASS:
        return _SERVICE_TASK_CLASS[0]
    from moto.ecs.models import Task

    class ServiceTask(Task):
        """A task started by the service scheduler: its status is what the simulation sets
        (moto's state-manager progression is for RunTask tasks)."""

        # moto's model registry files classes by the second part of their module name.
        __module__ = "moto.ecs.models"

        def __init__(self):  # noqa: D401 — built by _new_task, not by moto's constructor
            pass

        @property
        def last_status(self):
            return self._fixed_status

        @last_status.setter
        def last_status(self, value):
            self._fixed_status = value

        @property
        def status(self):
            return self._fixed_status

        @status.setter
        def status(self, value):
            self._fixed_status = value

        def advance(self):
            pass

    _SERVICE_TASK_CLASS.append(ServiceTask)
    return ServiceTask


def _mac():
    r = rand()
    return ":".join(f"{r.randint(0, 255):02x}" for _ in range(6))


def _containers(td, task_arn, region, exec_enabled, status):
    containers = []
    for definition in td.container_definitions:
        container = {
            "containerArn": f"{task_arn.replace(':task/', ':container/', 1)}/{rand().uuid4()}",
            "taskArn": task_arn,
            "name": definition.get("name"),
            "image": definition.get("image"),
            "lastStatus": status,
            "networkInterfaces": [],
            "healthStatus": "UNKNOWN",
            "cpu": str(definition.get("cpu", 0)),
        }
        if definition.get("memory") is not None:
            container["memory"] = str(definition["memory"])
        if definition.get("memoryReservation") is not None:
            container["memoryReservation"] = str(definition["memoryReservation"])
        if status == "RUNNING":
            container["runtimeId"] = f"{task_arn.rsplit('/', 1)[-1]}-{rand().randint(10**9, 10**10 - 1)}"
        if exec_enabled:
            container["managedAgents"] = [{"name": "ExecuteCommandAgent", "lastStatus": status}]
        containers.append(container)
    return containers


def _attachments(network):
    awsvpc = (network or {}).get("awsvpcConfiguration")
    if not awsvpc:
        return []
    r = rand()
    subnet = (awsvpc.get("subnets") or ["subnet-00000000"])[0]
    address = f"10.0.{r.randint(0, 255)}.{r.randint(4, 254)}"
    return [{
        "id": str(r.uuid4()),
        "type": "ElasticNetworkInterface",
        "status": "ATTACHED",
        "details": [
            {"name": "subnetId", "value": subnet},
            {"name": "networkInterfaceId", "value": f"eni-{r.getrandbits(68):017x}"},
            {"name": "macAddress", "value": _mac()},
            {"name": "privateDnsName", "value": f"ip-{address.replace('.', '-')}.ec2.internal"},
            {"name": "privateIPv4Address", "value": address},
        ],
    }]


def _new_task(backend, svc, group_key, td, settings, status, exec_enabled):
    cls = _service_task_class()
    task = cls()
    cluster = backend.clusters[svc.cluster_name]
    task.id = task_id()
    task.cluster_name = cluster.name
    task.cluster_arn = cluster.arn
    task.region_name = cluster.region_name
    task._account_id = backend.account_id
    task._backend = backend
    task.container_instance_arn = None
    task.desired_status = "RUNNING"
    task._fixed_status = status
    task.task_definition_arn = td.arn
    task.overrides = {
        "containerOverrides": [{"name": c.get("name")} for c in td.container_definitions],
        "inferenceAcceleratorOverrides": [],
    }
    task.started_by = group_key
    task.group = f"service:{svc.name}"
    task.tags = []
    task.launch_type = settings.get("launchType") or ""
    task.capacity_provider_name = ((settings.get("capacityProviderStrategy") or [{}])[0]).get("capacityProvider")
    if task.capacity_provider_name:
        task.launch_type = "FARGATE" if "FARGATE" in task.capacity_provider_name else "EC2"
    task.platform_version = None
    if task.launch_type == "FARGATE":
        version = settings.get("platformVersion") or "LATEST"
        task.platform_version = "1.4.0" if version == "LATEST" else version
        task.platform_family = "Linux"
    task.stopped_reason = None
    task.stop_code = None
    task.resource_requirements = None
    task.network_configuration = settings.get("networkConfiguration")
    task.attachments = _attachments(settings.get("networkConfiguration"))
    task.enable_execute_command = bool(exec_enabled)
    task.cpu = td.cpu
    task.memory = td.memory
    task.health_status = "UNKNOWN"
    task.connectivity = "CONNECTED"
    task.availability_zone = f"{cluster.region_name}a"
    task.version = 1
    now = utcnow()
    task.created_at = now
    task.connectivity_at = now
    task.pull_started_at = now
    task.pull_stopped_at = now if status == "RUNNING" else None
    task.started_at = now if status == "RUNNING" else None
    task.containers = _containers(td, task.task_arn, cluster.region_name, exec_enabled, status)
    task._service = svc
    backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
    svc._tasks = getattr(svc, "_tasks", []) + [task]
    return task


def _set_running(task):
    now = utcnow()
    task._fixed_status = "RUNNING"
    task.started_at = now
    task.pull_stopped_at = now
    task.version += 1
    for container in task.containers:
        container["lastStatus"] = "RUNNING"
        # A started container has a runtime id (the ECS Exec target names it).
        container.setdefault("runtimeId", f"{last_segment(task.task_arn)}-{rand().randint(10**9, 10**10 - 1)}")
        for agent in container.get("managedAgents") or []:
            agent["lastStatus"] = "RUNNING"


def stop_task_record(task, code, reason, exit_code=None):
    now = utcnow()
    task.desired_status = "STOPPED"
    task._fixed_status = "STOPPED"
    task.stop_code = code
    task.stopped_reason = reason
    task.stopping_at = now
    task.execution_stopped_at = now
    task.stopped_at = now
    task.connectivity = "DISCONNECTED"
    task.version += 1
    for container in task.containers:
        container["lastStatus"] = "STOPPED"
        if exit_code is not None:
            container["exitCode"] = exit_code
        for agent in container.get("managedAgents") or []:
            agent["lastStatus"] = "STOPPED"


def _prune(backend, svc):
    stopped = [t for t in getattr(svc, "_tasks", []) if t._fixed_status == "STOPPED"]
    if len(stopped) <= MAX_STOPPED_PER_SERVICE:
        return
    drop = set(id(t) for t in stopped[: len(stopped) - MAX_STOPPED_PER_SERVICE])
    for task in stopped:
        if id(task) in drop:
            backend.tasks.get(task.cluster_name, {}).pop(task.task_arn, None)
    svc._tasks = [t for t in svc._tasks if id(t) not in drop]


def reconcile(backend, svc, groups):
    """Make the service's tasks match `groups`: dicts {key, taskDefinition, running, pending,
    failed (total so far), settings, retired}. Returns (started task ids, stopped running task
    ids), in the order ECS names them in events."""
    started, stopped = [], []
    live = {}
    for task in getattr(svc, "_tasks", []):
        if task.desired_status == "RUNNING":
            live.setdefault(task.started_by, []).append(task)
    exec_enabled = bool(getattr(svc, "enable_execute_command", False))
    for group in groups:
        tasks = live.pop(group["key"], [])
        td = task_definition_or_none(backend, group["taskDefinition"])
        want_running = 0 if group.get("retired") else group["running"]
        want_pending = 0 if group.get("retired") else group["pending"]
        running = [t for t in tasks if t._fixed_status == "RUNNING"]
        pending = [t for t in tasks if t._fixed_status != "RUNNING"]
        while len(running) < want_running and pending:
            task = pending.pop(0)
            _set_running(task)
            running.append(task)
        while len(running) < want_running and td is not None:
            task = _new_task(backend, svc, group["key"], td, group["settings"], "RUNNING", exec_enabled)
            running.append(task)
            started.append(task.id)
        while len(running) > want_running:
            task = running.pop()
            stop_task_record(task, "ServiceSchedulerInitiated",
                             f"Scaling activity initiated by (deployment {group['key']})", exit_code=0)
            stopped.append(task.id)
        while len(pending) < want_pending and td is not None:
            task = _new_task(backend, svc, group["key"], td, group["settings"], "PENDING", exec_enabled)
            pending.append(task)
            started.append(task.id)
        while len(pending) > want_pending:
            task = pending.pop()
            stop_task_record(task, "ServiceSchedulerInitiated",
                             f"Scaling activity initiated by (deployment {group['key']})")
        seen = group["state"].get("_failed_seen", 0)
        for _ in range(max(0, group.get("failed", 0) - seen)):
            if td is None:
                break
            task = _new_task(backend, svc, group["key"], td, group["settings"], "PENDING", exec_enabled)
            image = next((c.get("image") for c in td.container_definitions if image_fails(c.get("image"))), "")
            stop_task_record(
                task, "TaskFailedToStart",
                f"CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                f"failed to resolve ref {image}: not found",
            )
            started.append(task.id)
        group["state"]["_failed_seen"] = max(seen, group.get("failed", 0))
    for leftover in live.values():  # tasks of deployments that no longer exist
        for task in leftover:
            was_running = task._fixed_status == "RUNNING"
            stop_task_record(task, "ServiceSchedulerInitiated",
                             f"Scaling activity initiated by (deployment {task.started_by})", exit_code=0)
            if was_running:
                stopped.append(task.id)
    _prune(backend, svc)
    return started, stopped


def reconcile_deployments(backend, svc, deployments):
    current = {id(d) for d in svc.deployments or []}
    groups = []
    for dep in deployments:
        groups.append({
            "key": dep["id"],
            "taskDefinition": dep["taskDefinition"],
            "running": dep.get("runningCount", 0),
            "pending": dep.get("pendingCount", 0),
            "failed": dep.get("failedTasks", 0),
            "settings": dep,
            "state": dep,
            "retired": id(dep) not in current,
        })
    return reconcile(backend, svc, groups)


def stop_all_service_tasks(backend, svc, reason):
    stopped = []
    for task in getattr(svc, "_tasks", []):
        if task.desired_status == "RUNNING":
            was_running = task._fixed_status == "RUNNING"
            stop_task_record(task, "ServiceSchedulerInitiated", reason, exit_code=0)
            if was_running:
                stopped.append(task.id)
    return stopped


# ---------------------------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------------------------
def _find_task(backend, cluster_name, task):
    wanted = last_segment(task)
    for arn, candidate in backend.tasks.get(cluster_name, {}).items():
        if last_segment(arn) == wanted:
            return candidate
    return None


def _replace_stopped_service_task(backend, task):
    """The scheduler replaces a task someone stopped (patch 5's machinery starts it)."""
    import moto_ecs_rollouts as rollouts

    svc = task._service
    for dep in svc.deployments or []:
        if dep["id"] == task.started_by:
            dep["runningCount"] = max(0, dep.get("runningCount", 0) - 1)
            break
    else:
        replace = rollouts.CONTROLLER_TASK_STOPPED.get("CODE_DEPLOY")
        if replace:
            replace(backend, svc, task)
        return
    if rollouts.active_blue_green(svc) is None:
        rollouts._restart_schedule(svc)
    else:
        rollouts._sum_counts(svc)


def patch_ecs_tasks(ecs_models, ecs_responses):
    backend_cls = ecs_models.EC2ContainerServiceBackend
    resp_cls = ecs_responses.EC2ContainerServiceResponse

    orig_stop = backend_cls.stop_task

    def stop_task(self, cluster_str, task_str, reason):
        cluster = self._get_cluster(cluster_str)
        with LOCK:
            task = _find_task(self, cluster.name, task_str or "")
            if task is None:
                raise api_error("InvalidParameterException", "The referenced task was not found.")
            if getattr(task, "_service", None) is None:
                return orig_stop(self, cluster_str, task_str, reason)
            if task.desired_status == "RUNNING":
                stop_task_record(task, "UserInitiated", reason or "Task stopped by user", exit_code=0)
                _replace_stopped_service_task(self, task)
            return task

    backend_cls.stop_task = stop_task

    orig_run = resp_cls.run_task

    def run_task(self):
        # Patch 10c: RunTask's clientToken makes a retry idempotent (ECS API reference: "An
        # identifier that you provide to ensure the idempotency of the request"): a second
        # RunTask of the same account, cluster and token answers the tasks the first started and
        # starts none. moto ignores the token and starts new tasks every time.
        token = self._get_param("clientToken")
        cluster_name = last_segment(self._get_param("cluster", "default") or "default")
        tokens = self.ecs_backend.__dict__.setdefault("_run_task_tokens", {})
        if token and (cluster_name, token) in tokens:
            from moto.core.responses import ActionResult

            with LOCK:
                known = self.ecs_backend.tasks.get(cluster_name, {})
                tasks = [known[arn] for arn in tokens[(cluster_name, token)] if arn in known]
            return ActionResult({"tasks": tasks, "failures": []})
        provider = _fargate_capacity_provider(self._get_param("capacityProviderStrategy"))
        if provider and not self._get_param("launchType"):
            # Patch 10c: a Fargate capacity provider strategy runs the task on Fargate (moto
            # ignores the strategy and looks for EC2 instances: HTTP 500).
            _set_param(self, "launchType", "FARGATE")
        result = orig_run(self)
        for task in result.result.get("tasks", []):
            # ECS stamps every task with createdAt; moto's RunTask tasks have none.
            if getattr(task, "created_at", None) is None:
                task.created_at = utcnow()
            if provider:
                task.capacity_provider_name = provider
        if token:
            tokens[(cluster_name, token)] = [t.task_arn for t in result.result.get("tasks", [])]
        enabled = bool(self._get_param("enableExecuteCommand", False))
        for task in result.result.get("tasks", []):
            task.enable_execute_command = enabled
            # ECS gives each started container a runtimeId (the ECS Exec / port-forwarding
            # target names it); moto has none. Set at RunTask, not when the container starts.
            for container in task.containers:
                container.runtime_id = (
                    f"{last_segment(task.task_arn)}-{rand().randint(10**9, 10**10 - 1)}")
            if enabled:
                for container in task.containers:
                    container.managed_agents = [{"name": "ExecuteCommandAgent", "lastStatus": "RUNNING"}]
        return result

    resp_cls.run_task = run_task

    orig_describe = resp_cls.describe_tasks

    def describe_tasks(self):
        result = orig_describe(self)
        requested = self._get_param("tasks", []) or []
        found = {last_segment(t.task_arn) for t in result.result.get("tasks", [])}
        cluster = self.ecs_backend._get_cluster(self._get_param("cluster", "default"))
        from moto.utilities.utils import get_partition

        failures = []
        for wanted in requested:
            if last_segment(wanted) not in found:
                arn = wanted if wanted.startswith("arn:") else (
                    f"arn:{get_partition(self.region)}:ecs:{self.region}:{self.current_account}:"
                    f"task/{cluster.name}/{wanted}")
                failures.append({"arn": arn, "reason": "MISSING"})
        result.result["failures"] = failures
        return result

    resp_cls.describe_tasks = describe_tasks

    def list_tasks(self):
        backend = self.ecs_backend
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        service_name = self._get_param("serviceName")
        family = self._get_param("family")
        started_by = self._get_param("startedBy")
        launch_type = self._get_param("launchType")
        instance = self._get_param("containerInstance")
        desired = self._get_param("desiredStatus") or "RUNNING"
        with LOCK:
            if service_name:
                name = last_segment(service_name)
                if not any(s.cluster_name == cluster.name and s.name == name and s.status != "INACTIVE"
                           for s in backend.services.values()):
                    from moto.ecs.exceptions import ServiceNotFoundException

                    raise ServiceNotFoundException()
            families = None
            if family:
                families = set(backend.list_task_definitions(family))
            arns = []
            for task in backend.tasks.get(cluster.name, {}).values():
                if task.desired_status != desired:
                    continue
                if service_name and task.group != f"service:{last_segment(service_name)}":
                    continue
                if families is not None and task.task_definition_arn not in families:
                    continue
                if started_by and task.started_by != started_by:
                    continue
                if launch_type and task.launch_type != launch_type:
                    continue
                if instance and instance not in (task.container_instance_arn or ""):
                    continue
                arns.append(task.task_arn)
        token = str(self._get_param("nextToken") or "0")
        if not token.isdigit():
            raise api_error("InvalidParameterException", "The nextToken is not valid.")
        start = int(token)
        size = min(100, int(self._get_param("maxResults") or 100))
        document = {"taskArns": arns[start:start + size]}
        if start + size < len(arns):
            document["nextToken"] = str(start + size)
        return json_answer(document)

    resp_cls.list_tasks = list_tasks
    resp_cls.execute_command = execute_command
    _patch_ssm_start_session()


def _patch_ssm_start_session():
    """Patch 10d: SSM StartSession for ECS Exec targets (port forwarding goes through it).

    Missing in moto: StartSession does not exist. Real SSM (API reference, "StartSession";
    ECS developer guide, "Using ECS Exec" port forwarding): StartSession(Target, DocumentName,
    Parameters, Reason) → {SessionId, TokenValue, StreamUrl}; for ECS the target is
    "ecs:<cluster>_<task id>_<container runtime id>" and the documents
    AWS-StartPortForwardingSession / AWS-StartPortForwardingSessionToRemoteHost take
    portNumber, localPortNumber (and host) as lists of strings. Model: the target must name a
    RUNNING task of the account with execute command enabled and a container with that runtime
    id (else InvalidParameterException / TargetNotConnected as SSM answers); the answer's
    SessionId is "<caller>-<17 hex>", StreamUrl the ssmmessages data channel URL, TokenValue
    opaque. Nothing listens there: a client hands them to session-manager-plugin, which tests
    replace by a stand-in.
    """
    from moto.ecs.models import ecs_backends
    from moto.ssm.responses import SimpleSystemManagerResponse

    def start_session(self):
        params = json.loads(self.body or "{}")
        target = params.get("Target") or ""
        document = params.get("DocumentName") or "SSM-SessionManagerRunShell"
        known_documents = {
            "AWS-StartPortForwardingSession", "AWS-StartPortForwardingSessionToRemoteHost",
            "SSM-SessionManagerRunShell", "AWS-StartInteractiveCommand",
        }
        if document not in known_documents:
            raise api_error("InvalidDocument", f"Document {document} does not exist in your account")
        if not target.startswith("ecs:") or target.count("_") < 2:
            raise api_error("InvalidParameterException", f"Invalid target: {target}")
        cluster_name, task_id, runtime_id = target[len("ecs:"):].split("_", 2)
        backend = ecs_backends[self.current_account][self.region]
        with LOCK:
            task = _find_task(backend, cluster_name, task_id)
            connected = (
                task is not None
                and task.last_status == "RUNNING"
                and getattr(task, "enable_execute_command", False)
                and any(_runtime_id(c) == runtime_id for c in task.containers)
            )
        if not connected:
            raise api_error("TargetNotConnected", f"{target} is not connected.")
        session = f"ristretto-tests-{rand().getrandbits(68):017x}"
        return json_answer({
            "SessionId": session,
            "TokenValue": alphanumeric(200),
            "StreamUrl": f"wss://ssmmessages.{self.region}.amazonaws.com/v1/data-channel/{session}"
                         "?role=publish_subscribe",
        })

    SimpleSystemManagerResponse.start_session = start_session


def execute_command(resp):
    from moto_ecs_services import raw_request

    params = raw_request(resp)
    backend = resp.ecs_backend
    cluster = backend._get_cluster(params.get("cluster") or "default")
    task_ref = params.get("task") or ""
    if not params.get("command"):
        raise api_error("InvalidParameterException", "command can not be blank.")
    if params.get("interactive") is not True:
        raise api_error("InvalidParameterException", "Interactive is the only mode supported currently.")
    if len(last_segment(task_ref)) not in (32, 36):
        raise api_error("InvalidParameterException", "task length should be one of [32,36]")
    with LOCK:
        task = _find_task(backend, cluster.name, task_ref)
        if task is None:
            raise api_error("InvalidParameterException", "The specified task was not found.")
        if task.last_status != "RUNNING" or task.desired_status != "RUNNING":
            raise api_error(
                "InvalidParameterException",
                f"The execute command failed because the task is in {task.last_status} status. "
                "Only RUNNING tasks accept commands.",
            )
        if not getattr(task, "enable_execute_command", False):
            raise api_error(
                "InvalidParameterException",
                "The execute command failed because execute command was not enabled when the task "
                "was run or the execute command agent isn’t running. Wait and try again or run a new "
                "task with execute command enabled and try again.",
            )
        containers = [_container_view(c, task) for c in task.containers]
        td = task_definition_or_none(backend, task.task_definition_arn)
        names = [c.get("name") for c in (td.container_definitions if td else [])]
        for name in names:  # moto's RunTask tasks list only their first container
            if name not in [c["name"] for c in containers]:
                containers.append({"name": name, "containerArn": f"{task.task_arn.replace(':task/', ':container/', 1)}/{rand().uuid4()}"})
        wanted = params.get("container")
        if wanted:
            container = next((c for c in containers if c["name"] == wanted), None)
            if container is None:
                raise api_error("InvalidParameterException",
                                f"The container {wanted} does not exist in the task.")
        elif len(containers) == 1:
            container = containers[0]
        else:
            raise api_error("InvalidParameterException",
                            "The task has more than one container: specify the container name.")
    session = f"ecs-execute-command-{rand().getrandbits(68):017x}"
    region = resp.region
    return json_answer({
        "clusterArn": cluster.arn,
        "containerArn": container["containerArn"],
        "containerName": container["name"],
        "interactive": True,
        "session": {
            "sessionId": session,
            "streamUrl": f"wss://ssmmessages.{region}.amazonaws.com/v1/data-channel/{session}"
                         f"?role=publish_subscribe&cell-number={alphanumeric(40)}",
            "tokenValue": alphanumeric(200),
        },
        "taskArn": task.task_arn,
    })


def _container_view(container, task):
    if isinstance(container, dict):
        return {"name": container.get("name"), "containerArn": container.get("containerArn")}
    return {"name": getattr(container, "name", None), "containerArn": getattr(container, "container_arn", None)}


def _runtime_id(container):
    if isinstance(container, dict):
        return container.get("runtimeId")
    return getattr(container, "runtime_id", None)


def _fargate_capacity_provider(strategy):
    """The capacity provider ECS places a one-off task with when every provider of the strategy is
    Fargate's: the first with a base, else the heaviest; None otherwise."""
    if not isinstance(strategy, list) or not strategy:
        return None
    if any(item.get("capacityProvider") not in ("FARGATE", "FARGATE_SPOT") for item in strategy):
        return None
    with_base = [item for item in strategy if int(item.get("base") or 0) > 0]
    chosen = with_base[0] if with_base else max(strategy, key=lambda item: int(item.get("weight") or 0))
    return chosen["capacityProvider"]


def _set_param(resp, name, value):
    """Change a JSON request parameter before moto's own handler reads it."""
    if getattr(resp, "automated_parameter_parsing", False):
        resp.params[name] = value
    else:
        body = json.loads(resp.body or "{}")
        body[name] = value
        resp.body = json.dumps(body)
