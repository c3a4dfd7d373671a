# moto_launcher.py — moto 5.2.1 server for ristretto's integration tests.
#
# Usage:  python3 tests/support/moto_launcher.py [--host 127.0.0.1] [--port 0]
#             [--request-log PATH] [--rollout-steps N] [--access-log] [--cleanup-dir DIR]
#             [--latency MS] [--rate-limit SERVICE:OPERATIONS=BURST/RATE]... [--ecs-rate-limits]
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
# `moto[server]`) is not importable, 1 = the server never answered, 2 = bad arguments; the
# one-line reason is on stderr. Anything else = crash, traceback on stderr.
#
# The process records its parent's pid as its very first statement and a daemon thread exits it
# (os._exit) within 0.2 s of the parent being gone, so a test binary that is killed or panics never
# leaves a server behind.
#
# The patches live in this file (1, 2, 3, 6, 7) and in the moto_*.py modules next to it (the
# others); each patch's comment block says what moto gets wrong or lacks, what real AWS does and
# where that comes from, the response shapes, and the knobs. tests/support/test_moto_launcher.py
# checks every patch through the API (bash scripts/test.sh runs it).
#
# ---------------------------------------------------------------------------------------------
# CONTROL KNOBS
# ---------------------------------------------------------------------------------------------
# --host H               bind address (default 127.0.0.1; never bind anything else in tests).
# --port P               port (default 0 = ephemeral).
# --request-log PATH     append one JSON object per AWS request to PATH (format below).
# --rollout-steps N      default number of steps an ECS deployment needs (default 3, minimum 1);
#                        a step is a DescribeServices of the service or a DescribeServiceDeployments
#                        of one of its deployments (patch 5).
# --access-log           also print werkzeug's per-request access line on stderr (off by default).
# --cleanup-dir DIR      delete DIR (the test harness's scratch dir holding the request log) when
#                        the launcher exits; only a directory named ristretto-moto-* is deleted.
# --latency MS           every AWS request waits MS milliseconds (no lock held: concurrent
#                        requests overlap) before moto answers it (patch 14).
# --rate-limit SPEC      SERVICE:OPERATION[,OPERATION…]=BURST/RATE, repeatable: one token bucket per
#                        account and region; an empty bucket answers HTTP 400 ThrottlingException
#                        (patch 14). Example: --rate-limit 'ecs:Describe*,List*=100/20'.
# --ecs-rate-limits      add the documented ECS buckets (DescribeServices 100/20, DescribeTasks
#                        100/20, DescribeClusters 50/20, StopTask 100/40, RegisterTaskDefinition
#                        20/1, RunTask 20/20; sources in moto_realism.py) after the --rate-limit ones.
#
# Per account (= per test): use a 12-digit AWS_ACCESS_KEY_ID; it *is* the account id (patch 2).
#   The `x-moto-account-id: <12 digits>` header still works and wins over the access key.
#   S3 bucket names stay global across accounts (as in moto and AWS): use unique bucket names.
#
# Per ECS service:
#   tag  ristretto-test:rollout-steps = "<N>"   overrides --rollout-steps for that service. Read at
#        CreateService and at every UpdateService (so TagResource before an update also works).
#   tag  ristretto-test:hook-result = SUCCEEDED (default) | FAILED | IN_PROGRESS   what the
#        service's Lambda lifecycle hooks return in a blue/green, linear or canary deployment
#        (patch 9); read at every step. A hook with targetType PAUSE waits for
#        ContinueServiceDeployment, as in ECS.
#   any container image whose tag is `fail` (e.g. `nginx:fail`, `repo/app:fail@sha256:...`) makes a
#        deployment of that task definition fail: its tasks never reach RUNNING (rolling, blue/green
#        and CodeDeploy deployments alike).
#   deploymentConfiguration.deploymentCircuitBreaker {enable, rollback} decides what a failing
#        deployment does (FAILED + rollback / FAILED and stays / retries forever), as in ECS.
#   deploymentConfiguration.strategy BLUE_GREEN | LINEAR | CANARY selects patch 9's deployments.
#
# Per CodeDeploy deployment group (patch 11): deploymentConfigName (ECSAllAtOnce / ECSLinear10… /
#   ECSCanary10…) sets the traffic steps; autoRollbackConfiguration decides rollbacks;
#   blueGreenDeploymentConfiguration.deploymentReadyOption.actionOnTimeout STOP_DEPLOYMENT makes
#   deployments wait in Ready for ContinueDeployment.
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
#    "status": 200,                           HTTP status answered (400/503 when throttled)
#    "readonly": true,                        heuristic: operation starts with Describe/List/Get/
#                                             Head/BatchGet/Query/Scan, or REST method GET/HEAD
#    "throttled": false}                      true when patch 14's rate limit answered it
#
# ---------------------------------------------------------------------------------------------
# PATCHES TO MOTO (each says what moto gets wrong and what real AWS does)
# ---------------------------------------------------------------------------------------------
# 1. ECS Task containers: cpu/memory as strings (RunTask/DescribeTasks/StopTask).
# 2. Account from a 12-digit access key (per-test isolation from a subprocess).
# 3. RunTask with containers that have no container-level memory (normal Fargate style).
# 4. CreateService/UpdateService keep every member as sent (raw JSON, so members newer than the
#    botocore model next to moto survive too) and DescribeServices returns each where ECS does:
#    serviceConnectConfiguration / volumeConfigurations / vpcLatticeConfigurations only inside
#    the deployments, the rest at service level (moto_ecs_services.py).
# 5. ECS rolling deployments that progress, with real tasks and events (moto_ecs_rollouts.py).
# 6. awsvpcConfiguration without securityGroups (ECS then uses the VPC's default group), in
#    CreateService, UpdateService and RunTask.
# 7. DynamoDB item writes and S3 object writes atomic under concurrent requests.
# 8. Service deployments and revisions: ListServiceDeployments, DescribeServiceDeployments,
#    DescribeServiceRevisions, StopServiceDeployment, ContinueServiceDeployment, and
#    DescribeServices' currentServiceDeployment / currentServiceRevisions (moto_ecs_rollouts.py).
# 9. ECS native blue/green, linear and canary deployments walking their lifecycle stages, with
#    PAUSE and Lambda hooks, traffic weights, rollbacks, target group swap (moto_ecs_rollouts.py).
# 10. Service tasks (ListTasks serviceName, DescribeTasks failures, StopTask + replacement),
#    ExecuteCommand, RunTask's clientToken idempotency and container runtimeIds, SSM
#    StartSession for ECS Exec port forwarding (moto_ecs_tasks.py).
# 11. CodeDeploy deployments of ECS services that progress through their lifecycle events, fail
#    and roll back, stop and continue; discovery in the real shapes; task sets of CODE_DEPLOY
#    services; (11b) UpdateService's refusals for CODE_DEPLOY services (moto_codedeploy.py,
#    moto_ecs_services.py).
# 12. Application Auto Scaling: SuspendedState and RoleARN as AWS reports them (moto_autoscaling.py).
# 13. The Service Connect namespace as the Cloud Map namespace ARN (moto_ecs_services.py).
# 14. Realistic mode: --latency and --rate-limit / --ecs-rate-limits (moto_realism.py).
# 15. The defaults real ECS fills into task definitions and services that moto leaves out
#     (moto_real_defaults.py, its header lists each with its source).
# 16. KMS Verify of a signature that does not verify: KMSInvalidSignatureException, as AWS answers.
# Details at each patch.

# The very first statement: remember who started us, before the slow moto imports, so that even
# a parent that dies during start-up is noticed.
_PARENT_PID = __import__("os").getppid()

import argparse  # noqa: E402
import datetime  # noqa: E402
import http.client  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
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


def patch_optional_security_groups(ecs_models) -> None:
    """6. CreateService/UpdateService/RunTask with an awsvpcConfiguration without securityGroups.

    Wrong in moto: Service._validate_network and Task.__init__ (RunTask) read
    c["securityGroups"] unconditionally and answer HTTP 500 (KeyError) when the list is absent.
    Real ECS: securityGroups is optional; without it the VPC's default security group is used.
    Fix: validate an absent list as an empty one; the stored configuration stays as sent. A
    one-off task of a service definition without security groups (`ristretto run`) starts.
    """
    original_run_task = ecs_models.EC2ContainerServiceBackend.run_task

    # networking_configuration: the 8th parameter after self (moto's responses pass it by
    # position), or a keyword.
    position = 7

    def with_security_groups(configuration):
        awsvpc = (configuration or {}).get("awsvpcConfiguration")
        if isinstance(awsvpc, dict) and "securityGroups" not in awsvpc:
            return dict(configuration, awsvpcConfiguration=dict(awsvpc, securityGroups=[]))
        return configuration

    def run_task(self, *arguments, **keywords):
        arguments = list(arguments)
        if len(arguments) > position:
            arguments[position] = with_security_groups(arguments[position])
        elif "networking_configuration" in keywords:
            keywords["networking_configuration"] = with_security_groups(
                keywords["networking_configuration"]
            )
        return original_run_task(self, *arguments, **keywords)

    ecs_models.EC2ContainerServiceBackend.run_task = run_task
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


# =============================================================================================
# Request log (WSGI middleware around moto's dispatcher), and what a request is.
# =============================================================================================
_READONLY_PREFIXES = ("Describe", "List", "Get", "Head", "BatchGet", "Query", "Scan")


def _operation_of(environ, target, method, path):
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


def request_identity(environ):
    """(record without time/status) for one AWS request, computed once per request: the request
    log and the realistic mode's rate limits name requests the same way."""
    cached = environ.get("ristretto.identity")
    if cached is not None:
        return cached
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "")
    target = environ.get("HTTP_X_AMZ_TARGET")
    auth, query = environ.get("HTTP_AUTHORIZATION"), environ.get("QUERY_STRING", "")
    access_key, region, service = access_key_of(auth, query)
    operation = _operation_of(environ, target, method, path)
    rest = operation == f"{method} {path}"
    identity = {
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
        "readonly": method in ("GET", "HEAD") if rest else operation.startswith(_READONLY_PREFIXES),
    }
    environ["ristretto.identity"] = identity
    return identity


def _rate_limit_key(environ):
    identity = request_identity(environ)
    return identity["service"], identity["operation"], identity["account"], identity["region"]


class RequestLog:
    def __init__(self, app, path: str):
        self.app = app
        self.lock = threading.Lock()
        self.file = open(path, "a", encoding="utf-8")

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api") or path == "/favicon.ico":
            return self.app(environ, start_response)
        identity = request_identity(environ)
        record = {"time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        record.update((k, identity[k]) for k in ("account", "access_key", "service", "region", "operation",
                                                   "target", "method", "path", "query"))
        record["status"] = None
        record["readonly"] = identity["readonly"]
        record["throttled"] = False

        def _start_response(st, headers, exc_info=None):
            record["status"] = int(st.split()[0])
            return start_response(st, headers, exc_info)

        try:
            return self.app(environ, _start_response)
        except BaseException:
            record["status"] = 500  # moto crashed; werkzeug prints the traceback on stderr
            raise
        finally:
            record["throttled"] = bool(environ.get("ristretto.throttled"))
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


# =============================================================================================
# Patch 16 — KMS Verify refuses a bad signature with an error, as AWS does.
# moto answers Verify of a signature that does not match with HTTP 200 and
# `"SignatureValid": false`. Real KMS never answers false: "If the signature is not verified, the
# Verify operation fails with a KMSInvalidSignatureException exception" (KMS API reference,
# Verify), HTTP 400 with `__type` KMSInvalidSignatureException. ristretto's plan signing
# (`apply` with `plan_signing`) must read that shape. A valid signature answers as before.
# =============================================================================================
def patch_kms_invalid_signature() -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.kms.responses import KmsResponse

    class KMSInvalidSignatureException(JsonRESTError):
        code = 400

        def __init__(self):
            super().__init__("KMSInvalidSignatureException", "")

    original = KmsResponse.verify

    def verify(self):
        answer = original(self)
        if json.loads(answer).get("SignatureValid") is False:
            raise KMSInvalidSignatureException()
        return answer

    KmsResponse.verify = verify


def main(argv) -> None:
    parser = argparse.ArgumentParser(description="moto server for ristretto's tests")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=0)
    parser.add_argument("--request-log", metavar="PATH")
    parser.add_argument("--rollout-steps", type=int, default=3, metavar="N")
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument("--cleanup-dir", metavar="DIR")
    parser.add_argument("--latency", type=float, default=0.0, metavar="MS")
    parser.add_argument("--rate-limit", action="append", default=[], metavar="SERVICE:OPERATIONS=BURST/RATE")
    parser.add_argument("--ecs-rate-limits", action="store_true")
    args = parser.parse_args(argv)
    _CLEANUP_DIR[0] = args.cleanup_dir
    if args.latency < 0:
        parser.error("--latency must be 0 or more milliseconds")

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import moto_ecs_common
    import moto_realism

    moto_ecs_common.DEFAULT_STEPS[0] = max(1, args.rollout_steps)
    try:
        rate_limits = moto_realism.parse_specs(args.rate_limit, args.ecs_rate_limits)
    except ValueError as exc:
        parser.error(str(exc))

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
    import moto_autoscaling
    import moto_codedeploy
    import moto_ecs_rollouts
    import moto_ecs_tasks

    patch_container_strings(ecs_models)
    patch_account_from_access_key(BaseResponse)
    patch_task_resource_requirements(ecs_models)
    moto_ecs_rollouts.patch_ecs_rollouts(ecs_models, ecs_responses)  # patches 4, 5, 8, 9, 13
    patch_optional_security_groups(ecs_models)
    patch_atomic_conditional_writes()
    moto_ecs_tasks.patch_ecs_tasks(ecs_models, ecs_responses)  # patch 10
    moto_codedeploy.patch_codedeploy()  # patch 11
    moto_autoscaling.patch_autoscaling()  # patch 12
    # Patch 15 (D1–D4 in its own header): the defaults real ECS fills into its answers.
    __import__("moto_real_defaults").install(ecs_models, ecs_responses)
    patch_kms_invalid_signature()

    if not args.access_log:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # errors/tracebacks still shown

    app = DomainDispatcherApplication(create_backend_app)
    wsgi = app
    if args.latency or rate_limits:
        wsgi = moto_realism.RealisticMode(wsgi, args.latency, rate_limits, _rate_limit_key)  # patch 14
    if args.request_log:
        wsgi = RequestLog(wsgi, args.request_log)
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
