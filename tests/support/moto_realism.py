# moto_realism.py — the launcher's realistic AWS mode: request latency and per-account request
# rate limits (patch 14 of tests/support/moto_launcher.py; read its header first).
#
# Responsible for: a WSGI middleware that delays every AWS request and answers throttling errors
# from token buckets, as AWS does.
# Must not: hold any lock while sleeping (concurrent requests must overlap as they do on AWS),
# touch moto's state, or delay /moto-api/ calls.

import fnmatch
import json
import threading
import time
import uuid

# =============================================================================================
# Patch 14 — realistic mode: --latency MS and --rate-limit SERVICE:OPERATIONS=BURST/RATE.
#
# Missing in moto: every answer comes back at once and nothing is ever throttled, so a client's
# concurrency, retry and back-off code is never exercised, and a benchmark measures moto's CPU
# time instead of what bounds a tool on AWS (round trips and the account's API rate limits).
# Real AWS: every call costs a network round trip (tens of milliseconds), calls in flight overlap,
# and ECS "throttles all API requests for each AWS account on a per-Region basis" with a token
# bucket per action (group): "the bucket maximum capacity signifies the burst rate and the bucket
# refill rate is the sustained rate"; an empty bucket answers HTTP 400 with
#   {"__type": "ThrottlingException", "message": "Rate exceeded"}
# (ECS API reference, "Request throttling for the Amazon ECS API").
# Model:
#   * --latency MS: each AWS request sleeps MS milliseconds in its own server thread before moto
#     sees it (throttled ones too), holding no lock; the server is threaded, so N concurrent
#     requests take about MS + their CPU time, not N × MS (measured by the launcher's test).
#   * --rate-limit SERVICE:OPERATIONS=BURST/RATE (repeatable): SERVICE is the SigV4 signing name
#     (ecs, codedeploy, dynamodb, s3, …; a glob), OPERATIONS a comma-separated list of operation
#     names or globs (`Describe*`, `*`; REST operations are named "<METHOD> <path>" as in the
#     request log). Each spec is one token bucket per (account, region), shared by the
#     operations it names, starting full with BURST tokens and refilled continuously at RATE
#     tokens per second up to BURST; a request takes one token or is throttled. The first spec
#     that matches a request decides; a request no spec matches is never throttled.
#   * --ecs-rate-limits: adds the ECS buckets below after the --rate-limit specs (so explicit
#     specs win). The figures are those of the ECS API reference's throttling table as quoted by
#     public code (the table itself could not be read from this machine):
#       ecs:DescribeClusters,ListClusters                      burst 50,  20/s   (1)(2)
#       ecs:DescribeServices,ListServices,ListServicesByNamespace  burst 100, 20/s  (2)
#       ecs:DescribeTasks,ListTasks,DescribeContainerInstances  burst 100, 20/s   (2)(3)
#       ecs:StopTask                                           burst 100, 40/s   (4)
#       ecs:RegisterTaskDefinition                             burst 20,  1/s    (5)
#       ecs:RunTask                                            burst 20,  20/s   (6)
#     (1) the throttling page's own example: "cluster read actions (such as DescribeClusters)
#         ... bucket size of 50 tokens"; (2) prometheus/prometheus discovery/aws/ecs.go comments:
#         cluster read burst 50 sustained 20, service read burst 100 sustained 20, cluster
#         resource read (DescribeTasks, ListTasks) burst 100 sustained 20; (3)
#         aws-solutions/workload-discovery-on-aws#355: DescribeContainerInstances and
#         DescribeTasks share one limit (~20 TPS); (4) gchq/sleeper: "Rate limit for ECS StopTask
#         is 100 burst, 40 sustained"; (5) aws-actions/amazon-ecs-deploy-task-definition#502:
#         RegisterTaskDefinition "20 burst, 1/sec sustained"; (6) ECS developer guide, "AWS
#         Fargate throttling quotas": RunTask "20 calls per second (burst and sustained)".
#     Not modelled for lack of a figure: DescribeTaskDefinition, CreateService, UpdateService,
#     DeleteService, TagResource and the other actions (pass --rate-limit for them).
#   * a throttled request is answered without reaching moto: JSON protocols (X-Amz-Target) get
#     HTTP 400 {"__type": "ThrottlingException", "message": "Rate exceeded"} (the body ECS sends;
#     the AWS SDKs retry it as a throttling error); S3 gets HTTP 503 <Code>SlowDown</Code>; other
#     query/REST services HTTP 400 <Code>Throttling</Code>. The request log records it with its
#     status and "throttled": true.
# =============================================================================================

ECS_DOCUMENTED_LIMITS = (
    "ecs:DescribeClusters,ListClusters=50/20",
    "ecs:DescribeServices,ListServices,ListServicesByNamespace=100/20",
    "ecs:DescribeTasks,ListTasks,DescribeContainerInstances=100/20",
    "ecs:StopTask=100/40",
    "ecs:RegisterTaskDefinition=20/1",
    "ecs:RunTask=20/20",
)


class RateLimitSpec:
    def __init__(self, text):
        self.text = text
        try:
            selector, figures = text.rsplit("=", 1)
            service, operations = selector.split(":", 1)
            burst, rate = figures.split("/", 1)
            self.service = service.strip()
            self.operations = [op.strip() for op in operations.split(",") if op.strip()]
            self.burst = int(burst)
            self.rate = float(rate)
        except ValueError:
            raise ValueError(f"--rate-limit {text!r}: expected SERVICE:OPERATION[,OPERATION…]=BURST/RATE, "
                             "e.g. ecs:Describe*=100/20")
        if not self.service or not self.operations or self.burst < 1 or self.rate <= 0:
            raise ValueError(f"--rate-limit {text!r}: SERVICE and OPERATION must be given, BURST ≥ 1, RATE > 0")

    def matches(self, service, operation):
        return fnmatch.fnmatchcase(service or "", self.service) and any(
            fnmatch.fnmatchcase(operation or "", pattern) for pattern in self.operations
        )


class TokenBuckets:
    """Token buckets per (spec, account, region); thread-safe, never sleeps."""

    def __init__(self, specs):
        self.specs = list(specs)
        self.lock = threading.Lock()
        self.buckets = {}

    def take(self, service, operation, account, region):
        """True when the request may go on, False when it is throttled."""
        for index, spec in enumerate(self.specs):
            if not spec.matches(service, operation):
                continue
            now = time.monotonic()
            with self.lock:
                key = (index, account, region)
                tokens, last = self.buckets.get(key, (float(spec.burst), now))
                tokens = min(float(spec.burst), tokens + (now - last) * spec.rate)
                allowed = tokens >= 1.0
                if allowed:
                    tokens -= 1.0
                self.buckets[key] = (tokens, now)
            return allowed
        return True


class RealisticMode:
    """WSGI middleware: latency first, then the token bucket, then moto."""

    def __init__(self, app, latency_ms, specs, identify):
        self.app = app
        self.latency = max(0.0, float(latency_ms or 0)) / 1000.0
        self.buckets = TokenBuckets(specs)
        self.identify = identify  # environ -> (service, operation, account, region)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api") or path == "/favicon.ico":
            return self.app(environ, start_response)
        if self.latency:
            time.sleep(self.latency)  # no lock is held here: requests overlap
        if self.buckets.specs:
            service, operation, account, region = self.identify(environ)
            if not self.buckets.take(service, operation, account, region):
                environ["ristretto.throttled"] = True
                return throttled(environ, service, start_response)
        return self.app(environ, start_response)


def throttled(environ, service, start_response):
    request_id = str(uuid.uuid4())
    try:  # read the unanswered body, so a kept-alive connection stays in step
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            environ["wsgi.input"].read(length)
    except (ValueError, OSError):
        pass
    if environ.get("HTTP_X_AMZ_TARGET"):
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        content_type = environ.get("CONTENT_TYPE") or "application/x-amz-json-1.1"
        status = "400 Bad Request"
        headers = [("x-amzn-ErrorType", "ThrottlingException")]
    elif service == "s3":
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
                f"<Message>Please reduce your request rate.</Message><RequestId>{request_id}</RequestId></Error>").encode()
        content_type = "application/xml"
        status = "503 Slow Down"
        headers = []
    else:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
                f"</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>").encode()
        content_type = "text/xml"
        status = "400 Bad Request"
        headers = []
    headers += [("Content-Type", content_type), ("Content-Length", str(len(body))),
                ("x-amzn-RequestId", request_id)]
    start_response(status, headers)
    return [body]


def parse_specs(texts, ecs_documented):
    specs = [RateLimitSpec(text) for text in texts or []]
    if ecs_documented:
        specs += [RateLimitSpec(text) for text in ECS_DOCUMENTED_LIMITS]
    return specs
