# moto_launcher.py — moto 5.2.1 server for ristretto's integration tests.
#
# Usage:  python3 tests/support/moto_launcher.py [--host 127.0.0.1] [--port 0]
#             [--request-log PATH] [--rollout-steps N] [--access-log] [--cleanup-dir DIR]
#
# Starts moto's HTTP server (the same WSGI app `moto_server` runs) on 127.0.0.1, port 0 by default,
# so the kernel picks a free ephemeral port; a fixed port would collide between parallel test
# binaries. Once the server answers `GET /moto-api/` it prints exactly one line on stdout:
#
#     PORT=<n>
#
# and flushes. Nothing else is ever written to stdout (diagnostics go to stderr).
#
# Exit codes: 0 = stopped (SIGTERM/SIGINT, or the parent died), 3 = moto (or flask/werkzeug, i.e.
# `moto[server]`) is not importable, 1 = the server never answered; the one-line reason is on
# stderr. Anything else = crash, traceback on stderr.
#
# The process records its parent's pid as its very first statement and a daemon thread exits it
# (os._exit) within 0.2 s of the parent being gone, so a test binary that is killed or panics never
# leaves a server behind.
#
# ---------------------------------------------------------------------------------------------
# CONTROL KNOBS
# ---------------------------------------------------------------------------------------------
# --host H               bind address (default 127.0.0.1; never bind anything else in tests).
# --port P               port (default 0 = ephemeral).
# --request-log PATH     append one JSON object per AWS request to PATH (format below).
# --rollout-steps N      default number of DescribeServices calls an ECS service change needs to
#                        finish (default 3, minimum 1). See "ECS rolling deployments" below.
# --access-log           also print werkzeug's per-request access line on stderr (off by default).
# --cleanup-dir DIR      delete DIR (the test harness's scratch dir holding the request log) when
#                        the launcher exits; only a directory named ristretto-moto-* is deleted.
#
# Per account (= per test): use a 12-digit AWS_ACCESS_KEY_ID; it *is* the account id (patch 2).
#   The `x-moto-account-id: <12 digits>` header still works and wins over the access key.
#   S3 bucket names stay global across accounts (as in moto and AWS): use unique bucket names.
#
# Per ECS service:
#   tag  ristretto-test:rollout-steps = "<N>"   overrides --rollout-steps for that service. Read at
#        CreateService and at every UpdateService (so TagResource before an update also works).
#   any container image whose tag is `fail` (e.g. `nginx:fail`, `repo/app:fail@sha256:...`) makes a
#        deployment of that task definition fail: its tasks never reach RUNNING.
#   deploymentConfiguration.deploymentCircuitBreaker {enable, rollback} decides what a failing
#        deployment does (FAILED + rollback / FAILED and stays / retries forever), as in ECS.
#
# ---------------------------------------------------------------------------------------------
# REQUEST LOG FORMAT (--request-log)
# ---------------------------------------------------------------------------------------------
# One JSON object per line, written (and flushed) before the response is sent to the client, so
# a test that got its response can already read its line. /moto-api/* requests are not logged.
#   {"time": "2026-11-26T07:30:01.123456Z",   UTC, RFC 3339
#    "account": "123456789012",               account the request ran as (same rule moto uses)
#    "access_key": "123456789012",            from the SigV4 Authorization header, or null
#    "service": "ecs",                        SigV4 signing name ("ecs", "s3", "dynamodb", ...), or null
#    "region": "ap-northeast-1",              from the SigV4 credential scope, or null
#    "operation": "DescribeServices",         X-Amz-Target action (JSON protocols), the form's
#                                             Action (query protocols: EC2, STS, ...), or
#                                             "<METHOD> <path>" (REST protocols: S3, ...)
#    "target": "AmazonEC2ContainerServiceV20141113.DescribeServices",   raw X-Amz-Target or null
#    "method": "POST", "path": "/", "query": "",
#    "status": 200,                           HTTP status moto answered with
#    "readonly": true}                        heuristic: operation starts with Describe/List/Get/
#                                             Head/BatchGet/Query/Scan, or REST method GET/HEAD
#
# ---------------------------------------------------------------------------------------------
# PATCHES TO MOTO (each says what moto gets wrong and what real AWS does)
# ---------------------------------------------------------------------------------------------
# 1. ECS Task containers: cpu/memory as strings (RunTask/DescribeTasks/StopTask).
# 2. Account from a 12-digit access key (per-test isolation from a subprocess).
# 3. RunTask with containers that have no container-level memory (normal Fargate style).
# 4. CreateService: keep the parameters moto accepts but drops.
# 5. ECS rolling deployments that progress (the big one).
# 6. awsvpcConfiguration without securityGroups (ECS then uses the VPC's default group).
# 7. DynamoDB item writes and S3 object writes atomic under concurrent requests.
# Details at each patch below.

# The very first statement: remember who started us, before the slow moto imports, so that even
# a parent that dies during start-up is noticed.
_PARENT_PID = __import__("os").getppid()

import argparse  # noqa: E402
import datetime  # noqa: E402
import http.client  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

MOTO_MISSING = "moto is not installed: run pip install 'moto[server]==5.2.1'"
MOTO_VERSION = "5.2.1"


_CLEANUP_DIR = [None]


def _exit(code: int) -> None:
    # os._exit: no other cleanup needed, moto keeps everything in memory.
    path = _CLEANUP_DIR[0]
    if path and os.path.basename(os.path.normpath(path)).startswith("ristretto-moto-"):
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    os._exit(code)


def _watch_parent() -> None:
    # When the parent dies we are re-parented (to init or a subreaper), so getppid() changes.
    while True:
        time.sleep(0.2)
        if os.getppid() != _PARENT_PID:
            _exit(0)


threading.Thread(target=_watch_parent, name="parent-watch", daemon=True).start()


# =============================================================================================
# Patch 1 — ECS Container.cpu / Container.memory are strings in the API.
# moto copies `cpu`/`memory` of the task definition's container (integers there) into the Task's
# `containers[]` unchanged, so it answers `"cpu": 0`. The ECS API model has Container.cpu and
# Container.memory as *strings* (real ECS answers "cpu": "0"); the Rust SDK then fails RunTask,
# DescribeTasks and StopTask with "type mismatch: expected string" (research/moto.md §2.9).
# =============================================================================================
def patch_container_strings(ecs_models) -> None:
    orig_init = ecs_models.Container.__init__

    def __init__(self, task_def):
        orig_init(self, task_def)
        if self.cpu is not None:
            self.cpu = str(self.cpu)
        if self.memory is not None:
            self.memory = str(self.memory)

    ecs_models.Container.__init__ = __init__


# =============================================================================================
# Patch 2 — the account is the access key when the key is exactly 12 digits.
# moto picks the account per request in `BaseResponse.get_current_account`: the MOTO_ACCOUNT_ID
# env var, then the `x-moto-account-id` header, then an IAM lookup of the access key, which only
# knows keys created through moto's IAM (and moto's key regex only accepts 20-character keys), so
# everything else lands in 123456789012. A ristretto *subprocess* cannot add a header, but it does
# take AWS_ACCESS_KEY_ID from its environment — so a 12-digit key is taken as the account id,
# after the env var and the header (both keep working and keep their priority). Every test then
# runs in its own account (separate backends), in parallel. (Real AWS maps a key to its owning
# account too; we just make the key's name the account.)
# =============================================================================================
_TWELVE_DIGITS = re.compile(r"^[0-9]{12}$")
_SIGV4 = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


def access_key_of(authorization, query_string=""):
    """(access key, region, service) of a request: SigV4 Authorization header or presigned URL
    (X-Amz-Credential); SigV2 (`Authorization: AWS key:sig`, `?AWSAccessKeyId=`) gives the key only."""
    from urllib.parse import unquote

    m = _SIGV4.search(authorization or "")
    if m:
        return m.group(1), m.group(2), m.group(3)
    q = re.search(r"(?:^|&)X-Amz-Credential=([^&]+)", query_string or "")
    if q:
        parts = unquote(q.group(1)).split("/")
        if len(parts) == 5:
            return parts[0], parts[2], parts[3]
    v2 = re.match(r"AWS ([^:\s]+):", authorization or "")
    if v2:
        return v2.group(1), None, None
    q = re.search(r"(?:^|&)AWSAccessKeyId=([^&]+)", query_string or "")
    if q:
        return unquote(q.group(1)), None, None
    return None, None, None


def account_of(authorization, query_string, header_account, moto_fallback):
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if header_account:
        return header_account
    key = access_key_of(authorization, query_string)[0]
    if key and _TWELVE_DIGITS.match(key):
        return key
    return moto_fallback()


def patch_account_from_access_key(base_response_cls) -> None:
    orig = base_response_cls.get_current_account

    def get_current_account(self):
        return account_of(
            self.headers.get("Authorization"),
            _query_of(self),
            self.headers.get("x-moto-account-id"),
            lambda: orig(self),
        )

    base_response_cls.get_current_account = get_current_account


def _query_of(resp) -> str:
    parsed = getattr(resp, "parsed_url", None)
    return parsed.query if parsed is not None else ""


# =============================================================================================
# Patch 3 — RunTask with a container that has neither `memory` nor `memoryReservation`.
# That is the normal Fargate task definition (memory only at task level), and real ECS runs it.
# moto sums container memory with `+= None` and answers HTTP 500 (TypeError). Count a missing
# value as 0.
# =============================================================================================
def patch_task_resource_requirements(ecs_models) -> None:
    backend_cls = ecs_models.EC2ContainerServiceBackend
    orig = backend_cls._calculate_task_resource_requirements

    def _calculate_task_resource_requirements(task_definition):
        defs = task_definition.container_definitions
        missing = [
            c
            for c in defs
            if c.get("memory", c.get("memoryReservation")) is None
            and c.get("Memory", c.get("MemoryReservation")) is None
        ]
        if not missing:
            return orig(task_definition)
        patched = [dict(c, memoryReservation=0) if c in missing else c for c in defs]
        shim = type("TaskDefShim", (), {"container_definitions": patched})()
        return orig(shim)

    backend_cls._calculate_task_resource_requirements = staticmethod(
        _calculate_task_resource_requirements
    )


# =============================================================================================
# Patch 4 — CreateService keeps what it is given.
# moto accepts but drops deploymentConfiguration, enableExecuteCommand,
# healthCheckGracePeriodSeconds, enableECSManagedTags, capacityProviderStrategy,
# placementConstraints/placementStrategy and never returns createdAt/createdBy
# (research/moto.md §2.4) — while UpdateService stores the same fields. Real ECS returns them all,
# and fills deploymentConfiguration's defaults (REPLICA: 200/100, circuit breaker off). A diff
# tool calibrated on moto would otherwise see phantom differences right after a create.
# With a capacityProviderStrategy real ECS has no launchType (moto forces "EC2").
# =============================================================================================
def fill_deployment_configuration(conf, scheduling_strategy):
    conf = dict(conf or {})
    if scheduling_strategy == "DAEMON":
        conf.setdefault("maximumPercent", 100)
        conf.setdefault("minimumHealthyPercent", 0)
    else:
        conf.setdefault("maximumPercent", 200)
        conf.setdefault("minimumHealthyPercent", 100)
    cb = dict(conf.get("deploymentCircuitBreaker") or {})
    cb.setdefault("enable", False)
    cb.setdefault("rollback", False)
    conf["deploymentCircuitBreaker"] = cb
    return conf


def store_create_params(resp, svc) -> None:
    get = resp._get_param
    svc.deployment_configuration = fill_deployment_configuration(
        get("deploymentConfiguration"), svc.scheduling_strategy
    )
    svc.enable_execute_command = bool(get("enableExecuteCommand", False))
    svc.enable_ecs_managed_tags = bool(get("enableECSManagedTags", False))
    grace = get("healthCheckGracePeriodSeconds")
    if grace is not None:
        svc.health_check_grace_period_seconds = int(grace)
    svc.placement_constraints = get("placementConstraints") or []
    svc.placement_strategy = get("placementStrategy") or []
    cps = get("capacityProviderStrategy")
    if cps:
        svc.capacity_provider_strategy = cps
        if not get("launchType"):
            svc.launch_type = None
    svc.created_at = _utcnow()
    svc.created_by = f"arn:aws:iam::{svc._account_id}:user/moto"


# =============================================================================================
# Patch 5 — ECS rolling deployments that progress.
#
# moto never changes a service's `deployments` after UpdateService, stores the raw string given
# as `taskDefinition`, writes no `events`, and jumps runningCount to desiredCount at once
# (research/moto.md §2.5). This models what the ECS developer guide describes for the rolling
# update ("ECS" deployment controller), and nothing more:
#
# * UpdateService with a different task definition, forceNewDeployment, or a changed
#   networkConfiguration/platformVersion creates a new PRIMARY deployment (new `ecs-svc/<19 digits>`
#   id, the task definition's full ARN, rolloutState IN_PROGRESS, "ECS deployment <id> in
#   progress."); the previous deployments become ACTIVE. The service's `taskDefinition` becomes the
#   full ARN (moto stored the raw string, e.g. "web:5").
# * CreateService starts with one PRIMARY deployment with 0 tasks that completes the same way.
# * Each DescribeServices call that returns the service is one "step". Over N steps (N = the
#   service's `ristretto-test:rollout-steps` tag, else --rollout-steps) the PRIMARY's running count
#   climbs linearly to desiredCount (tasks show as pending one step before they run) while the
#   ACTIVE deployments drain linearly to 0. Events, newest first as in ECS:
#     "(service S) has started 2 tasks: (task <32 hex>) (task <32 hex>)."
#     "(service S) has stopped 1 running tasks: (task <32 hex>)."
#   At step N the ACTIVE deployments disappear, the PRIMARY becomes COMPLETED ("ECS deployment <id>
#   completed."), runningCount == desiredCount, and the events
#     "(service S) (deployment <id>) deployment completed."
#     "(service S) has reached a steady state."
#   are added. Service runningCount/pendingCount are the sums over the deployments, as in ECS.
# * UpdateService with only desiredCount keeps the deployment; counts converge over N steps and
#   "has reached a steady state." is added at the end. Any UpdateService restarts the N steps from
#   the current counts.
# * Failing deployment (a container image tagged `fail`): its tasks start and fail; failedTasks
#   climbs to the circuit-breaker threshold (ECS: ceil(0.5 * desiredCount) bounded to [3, 200])
#   over N steps; old deployments keep running (minimumHealthyPercent). Then:
#     - circuit breaker enabled: rolloutState FAILED, "ECS deployment circuit breaker: tasks failed
#       to start.", event "(service S) (deployment <id>) deployment failed: tasks failed to start.";
#       - with rollback=true and a COMPLETED deployment to go back to: a *new* PRIMARY deployment
#         with that deployment's task definition ("ECS deployment circuit breaker: rolling back to
#         deploymentId <old id>."), event "(service S) rolling back to deployment <old id>.",
#         service taskDefinition back to the old ARN, the failed deployment turns ACTIVE; the
#         rollback then completes over N more steps like any rollout (2N steps in total);
#       - otherwise the FAILED deployment stays PRIMARY and nothing moves any more (ECS: a FAILED
#         deployment launches no new tasks) until the next UpdateService.
#     - circuit breaker disabled: ECS retries forever — failedTasks keeps growing, IN_PROGRESS.
# * Services of other deployment controllers (CODE_DEPLOY, EXTERNAL) are left to moto.
# moto's MOTO_ECS_SERVICE_RUNNING / MOTO_ECS_SERVICE_FAILED_TASKS env vars are superseded.
# =============================================================================================
ROLLOUT_STEPS_TAG = "ristretto-test:rollout-steps"
_DEFAULT_STEPS = 3
_LOCK = threading.RLock()
_last_event_time = [datetime.datetime.min]


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _rand():
    from moto.moto_api._internal import mock_random

    return mock_random


def _new_deployment_id() -> str:
    return f"ecs-svc/{_rand().randint(10**18, 9 * 10**18)}"


def _task_ids(n: int) -> str:
    return " ".join(f"(task {_rand().uuid4().hex})" for _ in range(n))


def _add_event(svc, message: str) -> None:
    # ECS lists events newest first and keeps the latest 100. Timestamps are kept strictly
    # increasing so that "events newer than the last one seen" works on createdAt too.
    # (Milliseconds: the API's JSON timestamps carry no more.)
    now = _utcnow()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    if now <= _last_event_time[0]:
        now = _last_event_time[0] + datetime.timedelta(milliseconds=1)
    _last_event_time[0] = now
    svc.events.insert(0, {"id": str(_rand().uuid4()), "createdAt": now, "message": message})
    del svc.events[100:]


def _steps_for(svc) -> int:
    for tag in svc.tags or []:
        if tag.get("key") == ROLLOUT_STEPS_TAG:
            try:
                return max(1, int(tag.get("value")))
            except (TypeError, ValueError):
                pass
    return _DEFAULT_STEPS


def _image_fails(image) -> bool:
    # "nginx:fail", "registry:5000/team/app:fail", "app:fail@sha256:..." -> True
    image = (image or "").split("@", 1)[0]
    name_end = image.rfind("/")
    colon = image.rfind(":")
    return colon > name_end and image[colon + 1 :] == "fail"


def _td_fails(backend, td_arn) -> bool:
    try:
        td = backend.describe_task_definition(td_arn)
    except Exception:
        return False
    return any(_image_fails(c.get("image")) for c in td.container_definitions)


def _circuit_breaker(svc):
    cb = (getattr(svc, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker") or {}
    return bool(cb.get("enable")), bool(cb.get("rollback"))


def _cb_threshold(desired: int) -> int:
    return max(3, min(200, math.ceil(0.5 * desired)))


def _is_managed(svc) -> bool:
    return (svc.deployment_controller or {}).get("type", "ECS") == "ECS" and bool(svc.task_definition)


def _new_deployment(svc, td_arn, reason=None):
    dep_id = _new_deployment_id()
    now = _utcnow()
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
        "launchType": svc.launch_type,
        "platformVersion": svc.platform_version,
        "platformFamily": "EC2" if svc.launch_type == "EC2" else "FARGATE",  # as moto does
        "networkConfiguration": svc.network_configuration or None,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": reason or f"ECS deployment {dep_id} in progress.",
    }
    cps = getattr(svc, "capacity_provider_strategy", None)
    if cps:
        dep["capacityProviderStrategy"] = cps
    return dep


def _restart_schedule(svc) -> None:
    # Every change restarts the N steps from the counts the deployments have right now.
    svc._rt_steps = _steps_for(svc)
    svc._rt_tick = 0
    svc._rt_active = True
    for dep in svc.deployments:
        dep["_r0"] = dep.get("runningCount", 0)
        dep["_f0"] = dep.get("failedTasks", 0)
    _sum_counts(svc)


def _sum_counts(svc) -> None:
    svc.running_count = sum(d.get("runningCount", 0) for d in svc.deployments)
    svc.pending_count = sum(d.get("pendingCount", 0) for d in svc.deployments)


def on_create(backend, svc) -> None:
    if not _is_managed(svc) or not svc.deployments:
        return
    svc.deployments = [_new_deployment(svc, svc.task_definition)]
    svc._rt_fails = _td_fails(backend, svc.task_definition)
    _restart_schedule(svc)


def on_update(backend, svc, before, td_str, force) -> None:
    if td_str:
        # moto stored the raw string ("web", "web:5"); ECS stores and returns the full ARN.
        svc.task_definition = backend.describe_task_definition(td_str).arn
    svc.deployment_configuration = fill_deployment_configuration(
        getattr(svc, "deployment_configuration", None), svc.scheduling_strategy
    )
    if not _is_managed(svc):
        return
    primary = svc.deployments[0] if svc.deployments else None
    new_deployment = (
        primary is None
        or force
        or svc.task_definition != primary.get("taskDefinition")
        or (svc.network_configuration or None) != before["network_configuration"]
        or svc.platform_version != before["platform_version"]
    )
    if new_deployment:
        for dep in svc.deployments:
            dep["status"] = "ACTIVE"
        svc.deployments.insert(0, _new_deployment(svc, svc.task_definition))
        svc._rt_fails = _td_fails(backend, svc.task_definition)
    else:
        primary["desiredCount"] = svc.desired_count
        if primary.get("rolloutState") == "FAILED":
            _sum_counts(svc)  # undo moto's "runningCount = desiredCount"
            return  # ECS: a FAILED deployment launches no new tasks; only a new deployment helps
    _restart_schedule(svc)


def _linear(start: int, end: int, k: int, n: int) -> int:
    if k >= n:
        return end
    return start + int((end - start) * k / n)  # truncates toward `start`


def tick(backend, svc) -> None:
    """One DescribeServices call = one step of the service's rollout."""
    if not getattr(svc, "_rt_active", False) or svc.status != "ACTIVE" or not svc.deployments:
        return
    svc._rt_tick += 1
    k, n = svc._rt_tick, svc._rt_steps
    primary = svc.deployments[0]
    desired = svc.desired_count
    primary["desiredCount"] = desired
    primary["updatedAt"] = _utcnow()
    name = svc.name

    if getattr(svc, "_rt_fails", False) and desired > 0:
        _tick_failing(backend, svc, primary, k, n)
        _sum_counts(svc)
        return

    # Healthy deployment: PRIMARY climbs, ACTIVE ones drain.
    r0 = primary["_r0"]
    before = primary["runningCount"] + primary["pendingCount"]
    prev_running = primary["runningCount"]
    running = _linear(r0, desired, k, n)
    next_running = _linear(r0, desired, k + 1, n)
    pending = max(0, next_running - running) if k < n else 0
    primary["runningCount"], primary["pendingCount"] = running, pending
    started = running + pending - before
    stopped = max(0, prev_running - running)
    for dep in svc.deployments[1:]:
        left = _linear(dep["_r0"], 0, k, n)
        stopped += max(0, dep["runningCount"] - left)
        dep["runningCount"], dep["pendingCount"], dep["desiredCount"] = left, 0, left
        dep["updatedAt"] = primary["updatedAt"]
    if started > 0:
        _add_event(svc, f"(service {name}) has started {started} tasks: {_task_ids(started)}.")
    if stopped > 0:
        _add_event(svc, f"(service {name}) has stopped {stopped} running tasks: {_task_ids(stopped)}.")
    if k >= n:
        del svc.deployments[1:]
        if primary["rolloutState"] == "IN_PROGRESS":
            primary["rolloutState"] = "COMPLETED"
            primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
            _add_event(svc, f"(service {name}) (deployment {primary['id']}) deployment completed.")
        _add_event(svc, f"(service {name}) has reached a steady state.")
        svc._rt_active = False
    _sum_counts(svc)


def _tick_failing(backend, svc, primary, k, n) -> None:
    name = svc.name
    threshold = _cb_threshold(svc.desired_count)
    failed = primary["_f0"] + math.ceil(threshold * k / n)  # keeps growing past n (no breaker)
    started = failed - primary["failedTasks"]
    primary["failedTasks"], primary["runningCount"], primary["pendingCount"] = failed, 0, 0
    if started > 0:
        _add_event(svc, f"(service {name}) has started {started} tasks: {_task_ids(started)}.")
    enabled, rollback = _circuit_breaker(svc)
    if k < n or not enabled:
        return
    primary["rolloutState"] = "FAILED"
    primary["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
    _add_event(svc, f"(service {name}) (deployment {primary['id']}) deployment failed: tasks failed to start.")
    target = next((d for d in svc.deployments[1:] if d.get("rolloutState") == "COMPLETED"), None)
    if not rollback or target is None:
        # ECS: a FAILED deployment launches no new tasks; without a COMPLETED deployment to
        # return to, the rollback cannot happen either.
        svc._rt_active = False
        return
    for dep in svc.deployments:
        dep["status"] = "ACTIVE"
    back = _new_deployment(
        svc,
        target["taskDefinition"],
        reason=f"ECS deployment circuit breaker: rolling back to deploymentId {target['id']}.",
    )
    svc.deployments.insert(0, back)
    svc.task_definition = target["taskDefinition"]
    svc._rt_fails = _td_fails(backend, target["taskDefinition"])
    _add_event(svc, f"(service {name}) rolling back to deployment {target['id']}.")
    _restart_schedule(svc)


def patch_optional_security_groups(ecs_models) -> None:
    """6. CreateService/UpdateService with an awsvpcConfiguration that has no securityGroups.

    Wrong in moto: Service._validate_network reads c["securityGroups"] unconditionally and
    answers HTTP 500 (KeyError) when the list is absent.
    Real ECS: securityGroups is optional; without it the VPC's default security group is used.
    Fix: validate an absent list as an empty one; the stored configuration stays as sent.
    """
    original = ecs_models.Service._validate_network

    def _validate_network(self, network_configuration):
        awsvpc = (network_configuration or {}).get("awsvpcConfiguration")
        if isinstance(awsvpc, dict) and "securityGroups" not in awsvpc:
            patched = dict(network_configuration)
            patched["awsvpcConfiguration"] = dict(awsvpc, securityGroups=[])
            original(self, patched)
            return network_configuration
        return original(self, network_configuration)

    ecs_models.Service._validate_network = _validate_network


def patch_atomic_conditional_writes() -> None:
    """7. Conditional writes that are atomic under concurrent requests, as on AWS.

    Wrong in moto: the server is threaded and its DynamoDB and S3 handlers check a condition
    and then write without a lock. Two concurrent conditional UpdateItem calls on the same key
    can both pass `attribute_not_exists(...)`, and UpdateItem makes a new item visible before
    its SET clauses are applied (a concurrent reader sees the key without the other
    attributes). Seen with 8 concurrent lock acquisitions: two both "won".
    Real AWS: every single-item write (PutItem, UpdateItem, DeleteItem, conditional PutObject /
    DeleteObject) is atomic with its condition.
    Fix: one process-wide lock around every DynamoDB item operation and every S3 object write,
    so each runs as a unit. It serialises only these calls; the tests' traffic is small.
    """
    import moto.dynamodb.responses as dynamodb_responses
    import moto.s3.responses as s3_responses

    lock = threading.RLock()

    def serialised(function):
        def wrapper(*args, **kwargs):
            with lock:
                return function(*args, **kwargs)

        wrapper.__name__ = function.__name__
        wrapper.__doc__ = function.__doc__
        return wrapper

    handler = dynamodb_responses.DynamoHandler
    for name in ("put_item", "get_item", "update_item", "delete_item", "transact_write_items"):
        setattr(handler, name, serialised(getattr(handler, name)))
    s3_handler = s3_responses.S3Response
    for name in ("_key_response_put", "_key_response_delete", "_key_response_get"):
        if hasattr(s3_handler, name):
            setattr(s3_handler, name, serialised(getattr(s3_handler, name)))


def patch_ecs_rollouts(ecs_models, ecs_responses) -> None:
    backend_cls = ecs_models.EC2ContainerServiceBackend
    resp_cls = ecs_responses.EC2ContainerServiceResponse

    orig_create = resp_cls.create_service

    def create_service(self):
        result = orig_create(self)
        svc = result.result["service"]
        with _LOCK:
            store_create_params(self, svc)
            on_create(self.ecs_backend, svc)
        return result

    resp_cls.create_service = create_service

    orig_update = backend_cls.update_service

    def update_service(self, service_properties):
        td_str = service_properties.get("task_definition")
        # Handled here (a new deployment) instead of moto's "new id on deployments[0]".
        force = bool(service_properties.pop("force_new_deployment", False))
        with _LOCK:
            svc = self._get_service(
                service_properties.get("cluster", "default"),
                service_properties.get("service", "").split("/")[-1],
            )
            before = {
                "network_configuration": svc.network_configuration or None,
                "platform_version": svc.platform_version,
            }
            svc = orig_update(self, service_properties)
            on_update(self, svc, before, td_str, force)
        return svc

    backend_cls.update_service = update_service

    orig_describe = backend_cls.describe_services

    def describe_services(self, cluster_str, service_names_or_arns):
        services, failures = orig_describe(self, cluster_str, service_names_or_arns)
        with _LOCK:
            seen = set()
            for svc in services:
                if id(svc) not in seen:
                    seen.add(id(svc))
                    tick(self, svc)
        return services, failures

    backend_cls.describe_services = describe_services


# =============================================================================================
# Request log (WSGI middleware around moto's dispatcher).
# =============================================================================================
_READONLY_PREFIXES = ("Describe", "List", "Get", "Head", "BatchGet", "Query", "Scan")


class RequestLog:
    def __init__(self, app, path: str):
        self.app = app
        self.lock = threading.Lock()
        self.file = open(path, "a", encoding="utf-8")

    def _operation(self, environ, target, method, path):
        if target:
            return target.rsplit(".", 1)[-1]
        ctype = environ.get("CONTENT_TYPE") or ""
        if ctype.startswith("application/x-www-form-urlencoded"):
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length:
                body = environ["wsgi.input"].read(length)
                environ["wsgi.input"] = io.BytesIO(body)  # give moto the body back
                from urllib.parse import parse_qs

                action = parse_qs(body.decode("utf-8", "replace")).get("Action")
                if action:
                    return action[0]
        query_action = re.search(r"(?:^|&)Action=([^&]+)", environ.get("QUERY_STRING") or "")
        if query_action:
            return query_action.group(1)
        return f"{method} {path}"

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api") or path == "/favicon.ico":
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "")
        target = environ.get("HTTP_X_AMZ_TARGET")
        auth, query = environ.get("HTTP_AUTHORIZATION"), environ.get("QUERY_STRING", "")
        access_key, region, service = access_key_of(auth, query)
        operation = self._operation(environ, target, method, path)
        rest = operation == f"{method} {path}"
        record = {
            "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "account": account_of(
                auth, query, environ.get("HTTP_X_MOTO_ACCOUNT_ID"), lambda: _moto_account(access_key)
            ),
            "access_key": access_key,
            "service": service,
            "region": region,
            "operation": operation,
            "target": target,
            "method": method,
            "path": path,
            "query": query,
            "status": None,
            "readonly": method in ("GET", "HEAD") if rest else operation.startswith(_READONLY_PREFIXES),
        }

        def _start_response(st, headers, exc_info=None):
            record["status"] = int(st.split()[0])
            return start_response(st, headers, exc_info)

        try:
            return self.app(environ, _start_response)
        except BaseException:
            record["status"] = 500  # moto crashed; werkzeug prints the traceback on stderr
            raise
        finally:
            # Before werkzeug sends the response: a client that has its answer finds its line.
            line = json.dumps(record, separators=(",", ":")) + "\n"
            with self.lock:
                self.file.write(line)
                self.file.flush()


def _moto_account(access_key) -> str:
    # moto's own last resort: an access key created through moto's IAM, else 123456789012.
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key or "AKIAEXAMPLE")


# =============================================================================================
# Server
# =============================================================================================
def _announce_when_serving(host: str, port: int) -> None:
    # Print PORT= only once a real HTTP round trip works (not just "socket bound").
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=10)
            conn.request("GET", "/moto-api/")
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                sys.stdout.write(f"PORT={port}\n")
                sys.stdout.flush()
                return
        except OSError:
            pass
        time.sleep(0.02)
    sys.stderr.write("moto_launcher: server did not answer GET /moto-api/ within 60 s\n")
    sys.stderr.flush()
    _exit(1)


def main(argv) -> None:
    global _DEFAULT_STEPS
    parser = argparse.ArgumentParser(description="moto server for ristretto's tests")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=0)
    parser.add_argument("--request-log", metavar="PATH")
    parser.add_argument("--rollout-steps", type=int, default=_DEFAULT_STEPS, metavar="N")
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument("--cleanup-dir", metavar="DIR")
    args = parser.parse_args(argv)
    _CLEANUP_DIR[0] = args.cleanup_dir
    _DEFAULT_STEPS = max(1, args.rollout_steps)

    try:
        import moto
        import moto.ecs.models as ecs_models
        import moto.ecs.responses as ecs_responses
        from moto.core.responses import BaseResponse
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server
    except ImportError as exc:
        sys.stderr.write(f"{MOTO_MISSING} ({exc})\n")
        sys.stderr.flush()
        _exit(3)
    if moto.__version__ != MOTO_VERSION:
        sys.stderr.write(
            f"moto_launcher: warning: moto {moto.__version__} found, the patches were written for {MOTO_VERSION}\n"
        )

    patch_container_strings(ecs_models)
    patch_account_from_access_key(BaseResponse)
    patch_task_resource_requirements(ecs_models)
    patch_ecs_rollouts(ecs_models, ecs_responses)
    patch_optional_security_groups(ecs_models)
    patch_atomic_conditional_writes()

    if not args.access_log:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # errors/tracebacks still shown

    app = DomainDispatcherApplication(create_backend_app)
    wsgi = RequestLog(app, args.request_log) if args.request_log else app
    server = make_server(args.host, args.port, wsgi, threaded=True)
    port = server.server_port
    os.environ["MOTO_PORT"] = str(port)  # moto builds some self-URLs from it (as moto_server does)

    def _stop(signum, frame):
        _exit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    threading.Thread(target=_announce_when_serving, args=(args.host, port), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
