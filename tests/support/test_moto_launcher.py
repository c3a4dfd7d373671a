"""Tests of tests/support/moto_launcher.py's patches, through the API, as a client sees them.

    python3 -m unittest tests/support/test_moto_launcher.py        (from the repository root)

Two launchers are started on port 0 (as tests/support/mod.rs does): the everyday one
(--rollout-steps 2) and a realistic one (--latency 50, a rate limit, --ecs-rate-limits). Requests
are raw JSON-protocol calls (what the Rust SDK sends, camelCase, including members newer than the
botocore next to moto), and every successful answer is checked against the operation's output
shape in botocore's model: required members present, numbers where the API has numbers, epoch
seconds for timestamps, enum values from the model — what the Rust SDK needs to parse it.
Each test uses its own account (a 12-digit access key, launcher patch 2).
"""

import base64
import concurrent.futures
import http.client
import itertools
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import unittest

import boto3
import botocore.session

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
LAUNCHER = HERE / "moto_launcher.py"
REGION = "ap-northeast-1"
TARGET_PREFIX = {
    "ecs": "AmazonEC2ContainerServiceV20141113",
    "codedeploy": "CodeDeploy_20141006",
    "application-autoscaling": "AnyScaleFrontendService",
    "ssm": "AmazonSSM",
    "kms": "TrentService",
}
_ACCOUNTS = itertools.count(1)
_MODELS = {}


def shape_problems(shape, value, path="$"):
    """What would stop an AWS SDK from reading `value` as `shape` (botocore model)."""
    problems = []
    if shape is None:  # an operation without output: an empty object
        return [] if value in (None, {}) else [f"{path}: expected no output, got {value!r}"]
    if value is None:
        return problems
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        for name in shape.required_members:
            if name not in value:
                problems.append(f"{path}.{name}: required member missing")
        for name, member_value in value.items():
            if name in shape.members:
                problems += shape_problems(shape.members[name], member_value, f"{path}.{name}")
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        for index, item in enumerate(value):
            problems += shape_problems(shape.member, item, f"{path}[{index}]")
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected a map"]
        for key, item in value.items():
            problems += shape_problems(shape.value, item, f"{path}.{key}")
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string, got {value!r}")
        elif shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} is not one of {shape.enum}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{path}: expected an integer, got {value!r}")
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{path}: expected a number, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean, got {value!r}")
    elif kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{path}: expected epoch seconds, got {value!r}")
    return problems


def output_shape(service, operation):
    if service not in _MODELS:
        _MODELS[service] = botocore.session.get_session().get_service_model(service)
    return _MODELS[service].operation_model(operation).output_shape


class Emulator:
    """One launcher process."""

    def __init__(self, *arguments):
        self.directory = tempfile.mkdtemp(prefix="ristretto-moto-")
        self.log = pathlib.Path(self.directory) / "requests.jsonl"
        self.process = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "--port", "0", "--request-log", str(self.log),
             "--cleanup-dir", self.directory, *arguments],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={k: v for k, v in os.environ.items() if k not in ("MOTO_ACCOUNT_ID", "MOTO_PORT")},
        )

    def wait(self):
        line = self.process.stdout.readline()
        if not line.startswith("PORT="):
            raise RuntimeError(f"the launcher did not start: {line!r} {self.process.stderr.read()[-2000:]}")
        self.port = int(line.strip().split("=")[1])
        return self

    def stop(self):
        self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()

    def call(self, account, service, operation, body=None, expect=200):
        """A raw JSON-protocol request; returns (status, document). A 200 answer is checked
        against the operation's output shape."""
        payload = json.dumps(body or {}).encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{TARGET_PREFIX[service]}.{operation}",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={account}/20260101/{REGION}/{service}/aws4_request, "
                             "SignedHeaders=content-type;host;x-amz-target, Signature=00",
            "X-Amz-Date": "20260101T000000Z",
        }
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request("POST", "/", payload, headers)
        response = connection.getresponse()
        status, text = response.status, response.read().decode()
        connection.close()
        document = json.loads(text) if text else {}
        if expect is not None and status != expect:
            raise AssertionError(f"{operation}: HTTP {status} (expected {expect}): {text[:800]}")
        if status == 200:
            problems = shape_problems(output_shape(service, operation), document)
            if problems:
                raise AssertionError(f"{operation} answer does not fit the API's shape: {problems[:10]}")
        return status, document

    def boto(self, account, service):
        return boto3.client(service, endpoint_url=f"http://127.0.0.1:{self.port}", region_name=REGION,
                            aws_access_key_id=account, aws_secret_access_key="testing")

    def requests(self, account):
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [record for record in map(json.loads, lines) if record["account"] == account]


MAIN = None
REALISTIC = None


def setUpModule():
    global MAIN, REALISTIC
    MAIN = Emulator("--rollout-steps", "2")
    REALISTIC = Emulator("--latency", "50", "--rate-limit", "ecs:ListClusters=5/1", "--ecs-rate-limits")
    MAIN.wait()
    REALISTIC.wait()


def tearDownModule():
    for emulator in (MAIN, REALISTIC):
        if emulator is not None:
            emulator.stop()


def new_account():
    return f"{880000000000 + os.getpid() % 10000 * 1000 + next(_ACCOUNTS):012d}"


class Fixture:
    """A cluster, the default network and task definitions in a fresh account."""

    def __init__(self, emulator, cluster="c"):
        self.emulator = emulator
        self.account = new_account()
        self.cluster = cluster
        ec2 = emulator.boto(self.account, "ec2")
        self.subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
        self.vpc = ec2.describe_subnets()["Subnets"][0]["VpcId"]
        self.security_group = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
        self.ecs("CreateCluster", {"clusterName": cluster})

    def ecs(self, operation, body=None, expect=200):
        return self.emulator.call(self.account, "ecs", operation, body, expect)[1]

    def codedeploy(self, operation, body=None, expect=200):
        return self.emulator.call(self.account, "codedeploy", operation, body, expect)[1]

    def network(self):
        return {"awsvpcConfiguration": {"subnets": [self.subnet], "securityGroups": [self.security_group],
                                        "assignPublicIp": "DISABLED"}}

    def task_definition(self, image, family="web", containers=("app",)):
        definitions = [{"name": name, "image": image, "essential": True, "portMappings": [{"containerPort": 80}]}
                       for name in containers]
        document = self.ecs("RegisterTaskDefinition", {
            "family": family, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512", "containerDefinitions": definitions,
        })
        return document["taskDefinition"]["taskDefinitionArn"]

    def service(self, name, td, **extra):
        body = {"cluster": self.cluster, "serviceName": name, "taskDefinition": td, "desiredCount": 2,
                "launchType": "FARGATE", "networkConfiguration": self.network()}
        body.update(extra)
        return self.ecs("CreateService", body)["service"]

    def describe(self, name, include_tags=False):
        body = {"cluster": self.cluster, "services": [name]}
        if include_tags:
            body["include"] = ["TAGS"]
        return self.ecs("DescribeServices", body)["services"][0]

    def settle(self, name, polls=12):
        for _ in range(polls):
            service = self.describe(name)
            if (len(service["deployments"]) == 1 and service["deployments"][0]["rolloutState"] == "COMPLETED"
                    and service["runningCount"] == service["desiredCount"] and service["pendingCount"] == 0):
                return service
        raise AssertionError(f"{name} did not settle: {service['deployments']}")

    def service_deployment(self, arn):
        return self.ecs("DescribeServiceDeployments", {"serviceDeploymentArns": [arn]})["serviceDeployments"][0]


def contains(actual, expected, path="$"):
    """Problems where `actual` lacks something of `expected` (ECS may add defaults)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += contains(actual[key], value, f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r}"]
        return [p for i, (a, e) in enumerate(zip(actual, expected)) for p in contains(a, e, f"{path}[{i}]")]
    if isinstance(expected, float) and isinstance(actual, (int, float)):
        return [] if abs(actual - expected) < 1e-9 else [f"{path}: {actual!r} != {expected!r}"]
    return [] if actual == expected else [f"{path}: {actual!r} != {expected!r}"]


# ---------------------------------------------------------------------------------------------
# Patch 4 + 13: every CreateService / UpdateService member comes back where ECS returns it.
# ---------------------------------------------------------------------------------------------
ECS_MODEL = json.loads((REPO / "src/aws/model/ecs_model.json").read_text())


def sample(shape, name):
    """A value of `shape` with every member filled in (ristretto's embedded ECS model)."""
    kind = shape["kind"]
    if kind == "Integer":
        return 7
    if kind == "Double":
        return 12.5
    if kind == "Boolean":
        return True
    if kind == "Document":
        return {"sample": ["document", 1]}
    kind_name, detail = next(iter(kind.items()))
    if kind_name == "String":
        return detail["enum_values"][0] if detail["enum_values"] else f"sample-{name}"
    if kind_name == "List":
        return [sample(detail["element"], name)]
    if kind_name == "Map":
        return {"sampleKey": sample(detail["value"], name)}
    if kind_name == "Union":
        first = detail["members"][0]
        return {first["name"]: sample(first["shape"], first["name"])}
    return {m["name"]: sample(m["shape"], m["name"]) for m in detail["members"]}


def model_members(key):
    return {m["name"]: m["shape"] for m in ECS_MODEL[key]["kind"]["Structure"]["members"]}


# Where DescribeServices returns each CreateService member (ECS API reference: Service, Deployment,
# ServiceRevision shapes). A member of the model missing here fails the test until classified.
CREATE_AT_SERVICE = {
    "serviceName", "taskDefinition", "availabilityZoneRebalancing", "loadBalancers", "serviceRegistries",
    "desiredCount", "launchType", "capacityProviderStrategy", "platformVersion", "deploymentConfiguration",
    "placementConstraints", "placementStrategy", "networkConfiguration", "healthCheckGracePeriodSeconds",
    "schedulingStrategy", "deploymentController", "tags", "enableECSManagedTags", "propagateTags",
    "enableExecuteCommand",
}
CREATE_RENAMED = {
    "cluster": "clusterArn (the cluster's ARN)",
    "role": "roleArn (the role's full ARN)",
}
IN_DEPLOYMENT = {"serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations"}
REVISION_ONLY = {
    "gatewayConnectors": "returned only by DescribeServiceRevisions (ServiceRevision.gatewayConnectors)",
    "monitoring": "returned only by DescribeServiceRevisions (ServiceRevision.monitoring)",
}
CREATE_NEVER_RETURNED = {
    "clientToken": "an idempotency token: ECS uses it to recognise a retried CreateService, never returns it",
}
UPDATE_AT_SERVICE = {
    "desiredCount", "taskDefinition", "capacityProviderStrategy", "deploymentConfiguration",
    "availabilityZoneRebalancing", "networkConfiguration", "placementConstraints", "placementStrategy",
    "platformVersion", "healthCheckGracePeriodSeconds", "deploymentController", "enableExecuteCommand",
    "enableECSManagedTags", "loadBalancers", "propagateTags", "serviceRegistries",
}
UPDATE_NEVER_RETURNED = {
    "cluster": "names the cluster of the service to update (clusterArn is the cluster's ARN)",
    "service": "names the service to update",
    "forceNewDeployment": "an action, visible as a new PRIMARY deployment (checked below)",
}


class ServiceParametersTest(unittest.TestCase):
    def _walk(self, fixture, members, overrides):
        body = {name: sample(shape, name) for name, shape in members.items()}
        body.update(overrides)
        return body

    def _check_revision_only(self, fixture, service, body):
        revision_arn = service["currentServiceRevisions"][0]["arn"]  # the PRIMARY deployment's
        revision = fixture.ecs("DescribeServiceRevisions", {"serviceRevisionArns": [revision_arn]})["serviceRevisions"][0]
        for name in REVISION_ONLY:
            self.assertEqual(contains(revision.get(name), body[name]), [], name)
            self.assertNotIn(name, service)

    def test_create_service_members_come_back_where_ecs_returns_them(self):
        members = model_members("create_service_input")
        classified = CREATE_AT_SERVICE | set(CREATE_RENAMED) | IN_DEPLOYMENT | set(REVISION_ONLY) | set(CREATE_NEVER_RETURNED)
        self.assertEqual(set(members) - classified, set(), "classify the new CreateService members")
        self.assertEqual(classified - set(members), set(), "members no longer in the model")
        fixture = Fixture(MAIN)
        td = fixture.task_definition("nginx:1")
        common = {
            "cluster": fixture.cluster, "taskDefinition": td, "desiredCount": 2,
            "networkConfiguration": fixture.network(), "schedulingStrategy": "REPLICA",
            "deploymentController": {"type": "ECS"}, "platformVersion": "1.4.0", "clientToken": "token-1",
            "role": "ecsServiceRole", "tags": [{"key": "team", "value": "walk"}], "propagateTags": "SERVICE",
        }
        # ECS takes either a launch type or a capacity provider strategy: one service each.
        variants = {
            "launch-type": dict(common, serviceName="walk-launch", launchType="FARGATE"),
            "capacity": dict(common, serviceName="walk-capacity"),
        }
        for variant, overrides in variants.items():
            with self.subTest(variant=variant):
                body = self._walk(fixture, members, overrides)
                if variant == "launch-type":
                    body.pop("capacityProviderStrategy")
                else:
                    body.pop("launchType")
                fixture.ecs("CreateService", body)
                service = fixture.describe(body["serviceName"], include_tags=True)
                primary = service["deployments"][0]
                for name in CREATE_AT_SERVICE & set(body):
                    self.assertEqual(contains(service.get(name), body[name]), [], f"{name} at service level")
                for name in IN_DEPLOYMENT:
                    self.assertEqual(contains(primary.get(name), body[name]), [], f"{name} in the deployment")
                    self.assertNotIn(name, service, f"{name} must not be at service level")
                self.assertEqual(service["roleArn"], f"arn:aws:iam::{fixture.account}:role/ecsServiceRole")
                self.assertTrue(service["clusterArn"].endswith(f":cluster/{fixture.cluster}"))
                self.assertNotIn("clientToken", service)
                if variant == "capacity":
                    self.assertNotIn("launchType", service)
                    self.assertEqual(primary["capacityProviderStrategy"], body["capacityProviderStrategy"])
                else:
                    self.assertNotIn("capacityProviderStrategy", service)
                self._check_revision_only(fixture, service, body)
        both = self._walk(fixture, members, dict(common, serviceName="walk-both", launchType="FARGATE"))
        error = fixture.ecs("CreateService", both, expect=400)
        self.assertEqual(error["__type"], "InvalidParameterException")

    def test_update_service_members_come_back_where_ecs_returns_them(self):
        members = model_members("update_service_input")
        classified = UPDATE_AT_SERVICE | IN_DEPLOYMENT | set(REVISION_ONLY) | set(UPDATE_NEVER_RETURNED)
        self.assertEqual(set(members) - classified, set(), "classify the new UpdateService members")
        self.assertEqual(classified - set(members), set(), "members no longer in the model")
        fixture = Fixture(MAIN)
        first = fixture.task_definition("nginx:1")
        second = fixture.task_definition("nginx:2")
        fixture.service("walk", first)
        before = fixture.settle("walk")
        body = self._walk(fixture, members, {
            "cluster": fixture.cluster, "service": "walk", "taskDefinition": second, "desiredCount": 3,
            "networkConfiguration": fixture.network(), "deploymentController": {"type": "ECS"},
            "platformVersion": "1.4.0", "forceNewDeployment": True,
        })
        fixture.ecs("UpdateService", body)
        service = fixture.describe("walk")
        primary = service["deployments"][0]
        self.assertNotEqual(primary["id"], before["deployments"][0]["id"], "a new PRIMARY deployment")
        for name in UPDATE_AT_SERVICE:
            self.assertEqual(contains(service.get(name), body[name]), [], f"{name} at service level")
        self.assertNotIn("launchType", service, "a capacity provider strategy replaces the launch type")
        for name in IN_DEPLOYMENT:
            self.assertEqual(contains(primary.get(name), body[name]), [], f"{name} in the deployment")
            self.assertNotIn(name, service)
        self._check_revision_only(fixture, service, body)
        # A later update without them keeps them (UpdateService changes only what it is given).
        fixture.ecs("UpdateService", {"cluster": fixture.cluster, "service": "walk", "healthCheckGracePeriodSeconds": 30})
        again = fixture.describe("walk")
        self.assertEqual(again["availabilityZoneRebalancing"], body["availabilityZoneRebalancing"])
        self.assertEqual(again["healthCheckGracePeriodSeconds"], 30)
        self.assertEqual(contains(again["deployments"][0].get("serviceConnectConfiguration"),
                                  body["serviceConnectConfiguration"]), [])

    def test_rollout_carries_service_connect_and_volumes_in_the_deployments(self):
        fixture = Fixture(MAIN)
        td = fixture.task_definition("nginx:1")
        connect = {"enabled": True, "namespace": "internal",
                   "services": [{"portName": "http", "clientAliases": [{"port": 80, "dnsName": "web"}]}]}
        volumes = [{"name": "data", "managedEBSVolume": {"roleArn": "arn:aws:iam::123456789012:role/ebs",
                                                           "sizeInGiB": 20, "volumeType": "gp3"}}]
        created = fixture.service("web", td, serviceConnectConfiguration=connect, volumeConfigurations=volumes,
                                  availabilityZoneRebalancing="DISABLED")
        for document in (created, fixture.describe("web")):
            self.assertNotIn("serviceConnectConfiguration", document)
            self.assertNotIn("volumeConfigurations", document)
            self.assertEqual(document["deployments"][0]["serviceConnectConfiguration"], connect)
            self.assertEqual(document["deployments"][0]["volumeConfigurations"], volumes)
            self.assertEqual(document["availabilityZoneRebalancing"], "DISABLED")
        fixture.settle("web")
        # A changed volume configuration starts a new deployment that carries it; the old one keeps its own.
        bigger = [dict(volumes[0], managedEBSVolume=dict(volumes[0]["managedEBSVolume"], sizeInGiB=40))]
        fixture.ecs("UpdateService", {"cluster": "c", "service": "web", "volumeConfigurations": bigger})
        rolling = fixture.describe("web")
        self.assertEqual([d["status"] for d in rolling["deployments"]], ["PRIMARY", "ACTIVE"])
        self.assertEqual(rolling["deployments"][0]["volumeConfigurations"], bigger)
        self.assertEqual(rolling["deployments"][1]["volumeConfigurations"], volumes)
        self.assertEqual(rolling["deployments"][0]["serviceConnectConfiguration"], connect)
        settled = fixture.settle("web")
        self.assertEqual(settled["deployments"][0]["volumeConfigurations"], bigger)
        # The same settings sent again start no deployment.
        fixture.ecs("UpdateService", {"cluster": "c", "service": "web", "volumeConfigurations": bigger,
                                      "serviceConnectConfiguration": connect})
        self.assertEqual(len(fixture.describe("web")["deployments"]), 1)

    def test_service_connect_namespace_is_the_cloud_map_arn(self):
        fixture = Fixture(MAIN)
        cloud_map = MAIN.boto(fixture.account, "servicediscovery")
        cloud_map.create_http_namespace(Name="internal")
        namespace = cloud_map.list_namespaces()["Namespaces"][0]
        td = fixture.task_definition("nginx:1")
        connect = {"enabled": True, "namespace": "internal"}
        created = fixture.service("web", td, serviceConnectConfiguration=connect)
        self.assertEqual(created["deployments"][0]["serviceConnectConfiguration"]["namespace"], namespace["Arn"])
        # Named by its ARN, the namespace is the same: no new deployment.
        fixture.settle("web")
        fixture.ecs("UpdateService", {"cluster": "c", "service": "web",
                                      "serviceConnectConfiguration": dict(connect, namespace=namespace["Arn"])})
        service = fixture.describe("web")
        self.assertEqual(len(service["deployments"]), 1)
        self.assertEqual(service["deployments"][0]["serviceConnectConfiguration"]["namespace"], namespace["Arn"])
        # A namespace that does not exist in Cloud Map is kept as sent (ECS would refuse it).
        fixture.service("other", td, serviceConnectConfiguration={"enabled": True, "namespace": "nowhere"})
        self.assertEqual(fixture.describe("other")["deployments"][0]["serviceConnectConfiguration"]["namespace"],
                         "nowhere")


# ---------------------------------------------------------------------------------------------
# Patch 10: service tasks, ExecuteCommand, ListTasks / DescribeTasks / StopTask.
# ---------------------------------------------------------------------------------------------
class TasksTest(unittest.TestCase):
    def test_service_tasks_are_listed_described_stopped_and_replaced(self):
        fixture = Fixture(MAIN)
        td = fixture.task_definition("nginx:1", containers=("app", "sidecar"))
        fixture.service("web", td, enableExecuteCommand=True)
        fixture.settle("web")
        arns = fixture.ecs("ListTasks", {"cluster": "c", "serviceName": "web"})["taskArns"]
        self.assertEqual(len(arns), 2)
        tasks = fixture.ecs("DescribeTasks", {"cluster": "c", "tasks": arns})["tasks"]
        primary = fixture.describe("web")["deployments"][0]
        for task in tasks:
            self.assertEqual(task["lastStatus"], "RUNNING")
            self.assertEqual(task["group"], "service:web")
            self.assertEqual(task["startedBy"], primary["id"])
            self.assertEqual(task["taskDefinitionArn"], td)
            self.assertTrue(task["enableExecuteCommand"])
            self.assertEqual([c["name"] for c in task["containers"]], ["app", "sidecar"])
            self.assertEqual(task["containers"][0]["managedAgents"][0]["name"], "ExecuteCommandAgent")
            self.assertEqual(len(task["taskArn"].rsplit("/", 1)[1]), 32)
        # Events name the real tasks.
        started = " ".join(e["message"] for e in fixture.describe("web")["events"] if "has started" in e["message"])
        for arn in arns:
            self.assertIn(arn.rsplit("/", 1)[1], started)
        # StopTask: stopped at once, then replaced by the scheduler over the next steps.
        stopped = fixture.ecs("StopTask", {"cluster": "c", "task": arns[0], "reason": "by test"})["task"]
        self.assertEqual((stopped["lastStatus"], stopped["desiredStatus"], stopped["stopCode"], stopped["stoppedReason"]),
                         ("STOPPED", "STOPPED", "UserInitiated", "by test"))
        self.assertEqual(fixture.describe("web")["runningCount"], 1)
        fixture.settle("web")
        running = fixture.ecs("ListTasks", {"cluster": "c", "serviceName": "web"})["taskArns"]
        self.assertEqual(len(running), 2)
        self.assertNotIn(arns[0], running)
        self.assertEqual(fixture.ecs("ListTasks", {"cluster": "c", "serviceName": "web", "desiredStatus": "STOPPED"})["taskArns"],
                         [arns[0]])
        # Unknown tasks: DescribeTasks failures, StopTask error; unknown service: ListTasks error.
        missing = "0" * 32
        failures = fixture.ecs("DescribeTasks", {"cluster": "c", "tasks": [missing]})["failures"]
        self.assertEqual(failures, [{"arn": f"arn:aws:ecs:{REGION}:{fixture.account}:task/c/{missing}", "reason": "MISSING"}])
        error = fixture.ecs("StopTask", {"cluster": "c", "task": missing}, expect=400)
        self.assertEqual(error, {"__type": "InvalidParameterException", "message": "The referenced task was not found."})
        self.assertEqual(fixture.ecs("ListTasks", {"cluster": "c", "serviceName": "nope"}, expect=400)["__type"],
                         "ServiceNotFoundException")

    def test_scaling_in_stops_tasks_and_failures_are_stopped_tasks(self):
        fixture = Fixture(MAIN)
        good = fixture.task_definition("nginx:1")
        fixture.service("web", good, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        fixture.settle("web")
        fixture.ecs("UpdateService", {"cluster": "c", "service": "web", "desiredCount": 1})
        fixture.settle("web")
        self.assertEqual(len(fixture.ecs("ListTasks", {"cluster": "c", "serviceName": "web"})["taskArns"]), 1)
        stopped = fixture.ecs("ListTasks", {"cluster": "c", "serviceName": "web", "desiredStatus": "STOPPED"})["taskArns"]
        task = fixture.ecs("DescribeTasks", {"cluster": "c", "tasks": stopped})["tasks"][0]
        self.assertEqual(task["stopCode"], "ServiceSchedulerInitiated")
        bad = fixture.task_definition("nginx:fail")
        fixture.ecs("UpdateService", {"cluster": "c", "service": "web", "taskDefinition": bad})
        fixture.settle("web", polls=8)
        failed = [t for t in fixture.ecs("DescribeTasks", {"cluster": "c", "tasks": fixture.ecs(
            "ListTasks", {"cluster": "c", "serviceName": "web", "desiredStatus": "STOPPED"})["taskArns"]})["tasks"]
            if t["taskDefinitionArn"] == bad]
        self.assertGreaterEqual(len(failed), 3)
        self.assertTrue(all(t["stopCode"] == "TaskFailedToStart" for t in failed))
        self.assertTrue(failed[0]["stoppedReason"].startswith("CannotPullContainerError"))

    def test_execute_command_answers_as_ecs(self):
        fixture = Fixture(MAIN)
        td = fixture.task_definition("nginx:1")
        fixture.service("web", td, enableExecuteCommand=True)
        fixture.settle("web")
        task = fixture.ecs("ListTasks", {"cluster": "c", "serviceName": "web"})["taskArns"][0]
        answer = fixture.ecs("ExecuteCommand", {"cluster": "c", "task": task, "command": "/bin/sh", "interactive": True})
        self.assertEqual(set(answer), {"clusterArn", "containerArn", "containerName", "interactive", "session", "taskArn"})
        self.assertEqual(answer["containerName"], "app")
        self.assertEqual(answer["taskArn"], task)
        self.assertTrue(answer["interactive"])
        self.assertTrue(answer["session"]["sessionId"].startswith("ecs-execute-command-"))
        self.assertTrue(answer["session"]["streamUrl"].startswith(f"wss://ssmmessages.{REGION}.amazonaws.com/v1/data-channel/"))
        self.assertTrue(answer["session"]["tokenValue"])
        self.assertTrue(answer["containerArn"].startswith(f"arn:aws:ecs:{REGION}:{fixture.account}:container/"))
        # By task id, with the container named.
        by_id = fixture.ecs("ExecuteCommand", {"cluster": "c", "task": task.rsplit("/", 1)[1], "container": "app",
                                               "command": "ls", "interactive": True})
        self.assertEqual(by_id["taskArn"], task)
        errors = {
            "not interactive": ({"interactive": False}, "Interactive is the only mode supported currently."),
            "bad id": ({"task": "abc"}, "task length should be one of [32,36]"),
            "unknown container": ({"container": "nope"}, "The container nope does not exist in the task."),
        }
        for case, (change, message) in errors.items():
            with self.subTest(case=case):
                body = dict({"cluster": "c", "task": task, "command": "sh", "interactive": True}, **change)
                self.assertEqual(fixture.ecs("ExecuteCommand", body, expect=400),
                                 {"__type": "InvalidParameterException", "message": message})
        # A task started without execute command.
        fixture.service("plain", td)
        fixture.settle("plain")
        plain = fixture.ecs("ListTasks", {"cluster": "c", "serviceName": "plain"})["taskArns"][0]
        error = fixture.ecs("ExecuteCommand", {"cluster": "c", "task": plain, "command": "sh", "interactive": True}, expect=400)
        self.assertIn("execute command was not enabled when the task was run", error["message"])

    def test_running_containers_have_runtime_ids_and_start_sessions(self):
        fixture = Fixture(MAIN)
        td = fixture.task_definition("nginx:1")
        fixture.service("web", td, enableExecuteCommand=True, desiredCount=1)
        fixture.settle("web")
        arn = fixture.ecs("ListTasks", {"cluster": "c", "serviceName": "web"})["taskArns"][0]
        container = fixture.ecs("DescribeTasks", {"cluster": "c", "tasks": [arn]})["tasks"][0]["containers"][0]
        task_id = arn.rsplit("/", 1)[1]
        self.assertTrue(container["runtimeId"].startswith(f"{task_id}-"), container)
        target = f"ecs:c_{task_id}_{container['runtimeId']}"
        ssm = lambda body, expect=200: MAIN.call(fixture.account, "ssm", "StartSession", body, expect)[1]
        answer = ssm({"Target": target, "DocumentName": "AWS-StartPortForwardingSession",
                      "Parameters": {"portNumber": ["80"], "localPortNumber": ["8080"]}})
        self.assertEqual(set(answer), {"SessionId", "TokenValue", "StreamUrl"})
        self.assertTrue(answer["StreamUrl"].startswith(
            f"wss://ssmmessages.{REGION}.amazonaws.com/v1/data-channel/{answer['SessionId']}"))
        self.assertEqual(ssm({"Target": "ecs:c_" + task_id + "_nope"}, expect=400)["__type"], "TargetNotConnected")
        self.assertEqual(ssm({"Target": target, "DocumentName": "Nope"}, expect=400)["__type"], "InvalidDocument")

    def test_run_task_client_token_capacity_providers_and_created_at(self):
        fixture = Fixture(MAIN)
        td = fixture.task_definition("nginx:1")
        body = {"cluster": "c", "taskDefinition": td, "networkConfiguration": fixture.network(),
                "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                                             {"capacityProvider": "FARGATE_SPOT", "weight": 2}],
                "clientToken": "retry-1"}
        first = fixture.ecs("RunTask", body)["tasks"]
        again = fixture.ecs("RunTask", body)["tasks"]
        self.assertEqual([t["taskArn"] for t in first], [t["taskArn"] for t in again])
        self.assertEqual(first[0]["launchType"], "FARGATE")
        self.assertEqual(first[0]["capacityProviderName"], "FARGATE")
        self.assertIn("createdAt", first[0])
        self.assertTrue(first[0]["containers"][0]["runtimeId"])
        other = fixture.ecs("RunTask", dict(body, clientToken="retry-2"))["tasks"]
        self.assertNotEqual(other[0]["taskArn"], first[0]["taskArn"])
        listed = fixture.ecs("ListTasks", {"cluster": "c", "family": "web"})["taskArns"]
        self.assertEqual(len(listed), 2)


# ---------------------------------------------------------------------------------------------
# Patches 5 + 8: rolling deployments as service deployments.
# ---------------------------------------------------------------------------------------------
class ServiceDeploymentsTest(unittest.TestCase):
    def test_rolling_deployments_are_listed_and_described(self):
        fixture = Fixture(MAIN)
        first = fixture.task_definition("nginx:1")
        second = fixture.task_definition("nginx:2")
        created = fixture.service("web", first, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        initial_arn = created["currentServiceDeployment"]
        fixture.settle("web")
        fixture.ecs("UpdateService", {"cluster": "c", "service": "web", "taskDefinition": second})
        listed = fixture.ecs("ListServiceDeployments", {"cluster": "c", "service": "web"})["serviceDeployments"]
        self.assertEqual([d["status"] for d in listed], ["IN_PROGRESS", "SUCCESSFUL"])
        self.assertEqual(listed[1]["serviceDeploymentArn"], initial_arn)
        arn = listed[0]["serviceDeploymentArn"]
        self.assertRegex(arn, rf"^arn:aws:ecs:{REGION}:{fixture.account}:service-deployment/c/web/[A-Za-z0-9]{{21}}$")
        running = fixture.service_deployment(arn)
        self.assertNotIn("lifecycleStage", running)
        self.assertEqual(running["targetServiceRevision"]["requestedTaskCount"], 2)
        self.assertEqual(running["deploymentCircuitBreaker"], {"status": "MONITORING", "failureCount": 0, "threshold": 3})
        revision = fixture.ecs("DescribeServiceRevisions", {"serviceRevisionArns": [running["targetServiceRevision"]["arn"]]})["serviceRevisions"][0]
        self.assertEqual(revision["taskDefinition"], second)
        self.assertEqual(revision["containerImages"][0]["image"], "nginx:2")
        self.assertEqual(fixture.describe("web")["currentServiceDeployment"], arn)
        fixture.settle("web")
        done = fixture.service_deployment(arn)
        self.assertEqual(done["status"], "SUCCESSFUL")
        self.assertIn("finishedAt", done)
        self.assertEqual(done["targetServiceRevision"]["runningTaskCount"], 2)
        self.assertEqual(fixture.ecs("ListServiceDeployments", {"cluster": "c", "service": "web", "status": ["IN_PROGRESS"]})["serviceDeployments"], [])
        missing = arn[:-3] + "xyz"
        self.assertEqual(fixture.ecs("DescribeServiceDeployments", {"serviceDeploymentArns": [missing]})["failures"],
                         [{"arn": missing, "reason": "MISSING"}])

    def test_circuit_breaker_rollback_and_stop_rollback_of_a_rolling_deployment(self):
        fixture = Fixture(MAIN)
        good = fixture.task_definition("nginx:1")
        bad = fixture.task_definition("nginx:fail")
        newer = fixture.task_definition("nginx:3")
        fixture.service("web", good, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        fixture.settle("web")
        fixture.ecs("UpdateService", {"cluster": "c", "service": "web", "taskDefinition": bad})
        arn = fixture.describe("web")["currentServiceDeployment"]
        seen = []
        for _ in range(8):
            fixture.describe("web")
            seen.append(fixture.service_deployment(arn)["status"])
        self.assertIn("ROLLBACK_IN_PROGRESS", seen)
        failed = fixture.service_deployment(arn)
        self.assertEqual(failed["status"], "ROLLBACK_SUCCESSFUL")
        self.assertEqual(failed["deploymentCircuitBreaker"]["status"], "TRIGGERED")
        self.assertGreaterEqual(failed["deploymentCircuitBreaker"]["failureCount"], 3)
        self.assertEqual(failed["rollback"]["serviceRevisionArn"], failed["sourceServiceRevisions"][0]["arn"])
        self.assertEqual(fixture.describe("web")["taskDefinition"], good)
        # StopServiceDeployment ROLLBACK of a healthy rolling deployment in flight.
        fixture.ecs("UpdateService", {"cluster": "c", "service": "web", "taskDefinition": newer})
        arn = fixture.describe("web")["currentServiceDeployment"]
        self.assertEqual(fixture.ecs("StopServiceDeployment", {"serviceDeploymentArn": arn, "stopType": "ROLLBACK"}),
                         {"serviceDeploymentArn": arn})
        self.assertEqual(fixture.service_deployment(arn)["status"], "ROLLBACK_IN_PROGRESS")
        settled = fixture.settle("web")
        self.assertEqual(settled["taskDefinition"], good)
        self.assertEqual(fixture.service_deployment(arn)["status"], "ROLLBACK_SUCCESSFUL")
        error = fixture.ecs("StopServiceDeployment", {"serviceDeploymentArn": arn}, expect=400)
        self.assertEqual(error["__type"], "ConflictException")


# ---------------------------------------------------------------------------------------------
# Patch 9: ECS native blue/green, linear and canary.
# ---------------------------------------------------------------------------------------------
def blue_green(fixture, name, strategy="BLUE_GREEN", hooks=(), extra=None):
    first = fixture.task_definition("nginx:1", family=name)
    configuration = {"strategy": strategy, "bakeTimeInMinutes": 1, "lifecycleHooks": list(hooks),
                     "deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    configuration.update(extra or {})
    blue_tg = f"arn:aws:elasticloadbalancing:{REGION}:{fixture.account}:targetgroup/{name}-blue/0123456789abcdef"
    green_tg = f"arn:aws:elasticloadbalancing:{REGION}:{fixture.account}:targetgroup/{name}-green/fedcba9876543210"
    load_balancers = [{"targetGroupArn": blue_tg, "containerName": "app", "containerPort": 80,
                       "advancedConfiguration": {"alternateTargetGroupArn": green_tg,
                                                 "productionListenerRule": "arn:rule/prod",
                                                 "roleArn": "arn:aws:iam::123456789012:role/ecs-lb"}}]
    fixture.service(name, first, deploymentConfiguration=configuration, loadBalancers=load_balancers)
    fixture.settle(name)
    return first, blue_tg, green_tg


def walk(fixture, name, arn, polls):
    """Poll DescribeServiceDeployments; the (status, stage) seen at each poll."""
    seen = []
    for _ in range(polls):
        document = fixture.service_deployment(arn)
        seen.append((document["status"], document.get("lifecycleStage")))
        if document["status"] in ("SUCCESSFUL", "ROLLBACK_SUCCESSFUL", "STOPPED", "ROLLBACK_FAILED"):
            break
    return seen, document


class BlueGreenTest(unittest.TestCase):
    def test_blue_green_walks_its_stages_pauses_at_a_hook_and_continues(self):
        fixture = Fixture(MAIN)
        hooks = [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                  "timeoutConfiguration": {"timeoutInMinutes": 30, "action": "ROLLBACK"}}]
        first, blue_tg, green_tg = blue_green(fixture, "bg", hooks=hooks)
        second = fixture.task_definition("nginx:2", family="bg")
        arn = fixture.ecs("UpdateService", {"cluster": "c", "service": "bg", "taskDefinition": second})["service"]["currentServiceDeployment"]
        pending = fixture.ecs("ListServiceDeployments", {"cluster": "c", "service": "bg"})["serviceDeployments"][0]
        self.assertEqual((pending["serviceDeploymentArn"], pending["status"]), (arn, "PENDING"))
        seen, paused = walk(fixture, "bg", arn, 12)
        stages = [stage for _, stage in seen]
        self.assertEqual(list(dict.fromkeys(stages)), ["PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
                                                       "POST_TEST_TRAFFIC_SHIFT"])
        hook = paused["lifecycleHookDetails"][-1]
        self.assertEqual((hook["targetType"], hook["status"], hook["timeoutAction"]), ("PAUSE", "AWAITING_ACTION", "ROLLBACK"))
        self.assertTrue(hook["hookId"].startswith("ecs-pause-"))
        self.assertEqual(paused["targetServiceRevision"]["requestedTestTrafficWeight"], 100.0)
        self.assertEqual(paused["targetServiceRevision"]["requestedProductionTrafficWeight"], 0.0)
        self.assertEqual(paused["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"], 100.0)
        # Both revisions run at full size while paused; no progress without ContinueServiceDeployment.
        service = fixture.describe("bg")
        self.assertEqual([(d["status"], d["runningCount"]) for d in service["deployments"]], [("PRIMARY", 2), ("ACTIVE", 2)])
        self.assertEqual(fixture.service_deployment(arn)["lifecycleStage"], "POST_TEST_TRAFFIC_SHIFT")
        error = fixture.ecs("ContinueServiceDeployment", {"serviceDeploymentArn": arn, "hookId": "ecs-pause-nope"}, expect=400)
        self.assertEqual(error["__type"], "InvalidParameterException")
        fixture.ecs("ContinueServiceDeployment", {"serviceDeploymentArn": arn, "hookId": hook["hookId"], "action": "CONTINUE"})
        seen, done = walk(fixture, "bg", arn, 12)
        self.assertEqual(done["status"], "SUCCESSFUL")
        stages = list(dict.fromkeys(stage for _, stage in seen))
        self.assertEqual(stages, ["PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"])
        self.assertEqual(done["lifecycleHookDetails"][-1]["status"], "SUCCEEDED")
        service = fixture.describe("bg")
        self.assertEqual([(d["status"], d["rolloutState"], d["taskDefinition"]) for d in service["deployments"]],
                         [("PRIMARY", "COMPLETED", second)])
        # The production listener now forwards to the former alternate target group.
        self.assertEqual(service["loadBalancers"][0]["targetGroupArn"], green_tg)
        self.assertEqual(service["loadBalancers"][0]["advancedConfiguration"]["alternateTargetGroupArn"], blue_tg)

    def test_canary_shifts_traffic_in_two_steps_and_stop_rolls_back(self):
        fixture = Fixture(MAIN)
        first, _, _ = blue_green(fixture, "canary", strategy="CANARY",
                                 extra={"canaryConfiguration": {"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 5}})
        second = fixture.task_definition("nginx:2", family="canary")
        fixture.ecs("UpdateService", {"cluster": "c", "service": "canary", "taskDefinition": second})
        arn = fixture.describe("canary")["currentServiceDeployment"]
        weights = []
        for _ in range(14):
            document = fixture.service_deployment(arn)
            if document.get("lifecycleStage") == "PRODUCTION_TRAFFIC_SHIFT":
                weights.append(document["targetServiceRevision"]["requestedProductionTrafficWeight"])
            if document["status"] == "SUCCESSFUL":
                break
        self.assertEqual(list(dict.fromkeys(weights)), [20.0, 100.0])
        self.assertEqual(document["status"], "SUCCESSFUL")
        # A third deployment stopped with ROLLBACK in flight: back to the second revision.
        third = fixture.task_definition("nginx:3", family="canary")
        fixture.ecs("UpdateService", {"cluster": "c", "service": "canary", "taskDefinition": third})
        arn = fixture.describe("canary")["currentServiceDeployment"]
        for _ in range(4):
            fixture.service_deployment(arn)
        fixture.ecs("StopServiceDeployment", {"serviceDeploymentArn": arn, "stopType": "ROLLBACK"})
        listed = fixture.ecs("ListServiceDeployments", {"cluster": "c", "service": "canary"})["serviceDeployments"][0]
        self.assertEqual(listed["status"], "ROLLBACK_REQUESTED")  # (a List is no step)
        statuses, done = walk(fixture, "canary", arn, 10)
        self.assertEqual(statuses[0][0], "ROLLBACK_IN_PROGRESS")
        self.assertEqual(done["status"], "ROLLBACK_SUCCESSFUL")
        self.assertEqual(done["rollback"]["reason"], "Service deployment rollback requested by the user.")
        self.assertEqual(done["rollback"]["serviceRevisionArn"], done["sourceServiceRevisions"][0]["arn"])
        service = fixture.describe("canary")
        self.assertEqual(service["taskDefinition"], second)
        self.assertEqual([(d["status"], d["taskDefinition"]) for d in service["deployments"]], [("PRIMARY", second)])

    def test_linear_steps_and_a_failing_image_rolls_back(self):
        fixture = Fixture(MAIN)
        blue_green(fixture, "linear", strategy="LINEAR", extra={"linearConfiguration": {"stepPercent": 25.0}})
        second = fixture.task_definition("nginx:2", family="linear")
        fixture.ecs("UpdateService", {"cluster": "c", "service": "linear", "taskDefinition": second})
        arn = fixture.describe("linear")["currentServiceDeployment"]
        weights = []
        for _ in range(16):
            document = fixture.service_deployment(arn)
            if document.get("lifecycleStage") == "PRODUCTION_TRAFFIC_SHIFT":
                weights.append(document["targetServiceRevision"]["requestedProductionTrafficWeight"])
            if document["status"] == "SUCCESSFUL":
                break
        self.assertEqual(list(dict.fromkeys(weights)), [25.0, 50.0, 75.0, 100.0])
        bad = fixture.task_definition("nginx:fail", family="linear")
        fixture.ecs("UpdateService", {"cluster": "c", "service": "linear", "taskDefinition": bad})
        arn = fixture.describe("linear")["currentServiceDeployment"]
        seen, done = walk(fixture, "linear", arn, 12)
        self.assertEqual(done["status"], "ROLLBACK_SUCCESSFUL")
        self.assertEqual(done["deploymentCircuitBreaker"]["status"], "TRIGGERED")
        self.assertIn(("ROLLBACK_IN_PROGRESS", "SCALE_UP"), seen)
        self.assertEqual(fixture.describe("linear")["taskDefinition"], second)

    def test_a_failing_lambda_hook_rolls_back_and_abort_stops(self):
        fixture = Fixture(MAIN)
        hooks = [{"hookTargetArn": f"arn:aws:lambda:{REGION}:{fixture.account}:function:check",
                  "roleArn": "arn:aws:iam::123456789012:role/hook", "lifecycleStages": ["POST_SCALE_UP"]}]
        blue_green(fixture, "hooked", hooks=hooks)
        fixture.ecs("TagResource", {"resourceArn": fixture.describe("hooked")["serviceArn"],
                                    "tags": [{"key": "ristretto-test:hook-result", "value": "FAILED"}]})
        second = fixture.task_definition("nginx:2", family="hooked")
        fixture.ecs("UpdateService", {"cluster": "c", "service": "hooked", "taskDefinition": second})
        arn = fixture.describe("hooked")["currentServiceDeployment"]
        _, done = walk(fixture, "hooked", arn, 14)
        self.assertEqual(done["status"], "ROLLBACK_SUCCESSFUL")
        self.assertEqual(done["lifecycleHookDetails"][0]["status"], "FAILED")
        self.assertEqual(done["lifecycleHookDetails"][0]["targetType"], "AWS_LAMBDA")
        fixture.ecs("UntagResource", {"resourceArn": fixture.describe("hooked")["serviceArn"],
                                      "tagKeys": ["ristretto-test:hook-result"]})
        third = fixture.task_definition("nginx:3", family="hooked")
        fixture.ecs("UpdateService", {"cluster": "c", "service": "hooked", "taskDefinition": third})
        arn = fixture.describe("hooked")["currentServiceDeployment"]
        fixture.ecs("StopServiceDeployment", {"serviceDeploymentArn": arn, "stopType": "ABORT"})
        self.assertEqual(fixture.service_deployment(arn)["status"], "STOPPED")


    def test_a_new_deployment_during_one_stops_it_and_reconciles(self):
        fixture = Fixture(MAIN)
        blue_green(fixture, "again")
        second = fixture.task_definition("nginx:2", family="again")
        third = fixture.task_definition("nginx:3", family="again")
        first_arn = fixture.ecs("UpdateService", {"cluster": "c", "service": "again", "taskDefinition": second})["service"]["currentServiceDeployment"]
        walk(fixture, "again", first_arn, 4)
        second_arn = fixture.ecs("UpdateService", {"cluster": "c", "service": "again", "taskDefinition": third})["service"]["currentServiceDeployment"]
        listed = fixture.ecs("ListServiceDeployments", {"cluster": "c", "service": "again"})["serviceDeployments"]
        self.assertEqual([(d["serviceDeploymentArn"], d["status"]) for d in listed[:2]],
                         [(second_arn, "PENDING"), (first_arn, "STOPPED")])
        seen, done = walk(fixture, "again", second_arn, 16)
        self.assertEqual(seen[0], ("IN_PROGRESS", "RECONCILE_SERVICE"))
        self.assertEqual(done["status"], "SUCCESSFUL")
        self.assertEqual(len(done["sourceServiceRevisions"]), 2)
        service = fixture.describe("again")
        self.assertEqual([(d["status"], d["taskDefinition"]) for d in service["deployments"]], [("PRIMARY", third)])
        self.assertEqual(len(fixture.ecs("ListTasks", {"cluster": "c", "serviceName": "again"})["taskArns"]), 2)
        # DeleteService stops the service's tasks.
        fixture.ecs("DeleteService", {"cluster": "c", "service": "again", "force": True})
        self.assertEqual(fixture.ecs("ListTasks", {"cluster": "c", "desiredStatus": "RUNNING"})["taskArns"], [])


# ---------------------------------------------------------------------------------------------
# Patch 11: CodeDeploy.
# ---------------------------------------------------------------------------------------------
class CodeDeployTest(unittest.TestCase):
    def setUp(self):
        self.fixture = fixture = Fixture(MAIN)
        elb = MAIN.boto(fixture.account, "elbv2")
        self.blue_tg = elb.create_target_group(Name="web-blue", Protocol="HTTP", Port=80, VpcId=fixture.vpc,
                                               TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        self.green_tg = elb.create_target_group(Name="web-green", Protocol="HTTP", Port=80, VpcId=fixture.vpc,
                                                TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        self.first = fixture.task_definition("nginx:1")
        fixture.service("web", self.first, deploymentController={"type": "CODE_DEPLOY"},
                        loadBalancers=[{"targetGroupArn": self.blue_tg, "containerName": "app", "containerPort": 80}])
        fixture.codedeploy("CreateApplication", {"applicationName": "app", "computePlatform": "ECS"})
        fixture.codedeploy("CreateDeploymentGroup", {
            "applicationName": "app", "deploymentGroupName": "dg",
            "serviceRoleArn": f"arn:aws:iam::{fixture.account}:role/codedeploy",
            "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            "blueGreenDeploymentConfiguration": {
                "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
                "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}},
            "loadBalancerInfo": {"targetGroupPairInfoList": [{
                "targetGroups": [{"name": "web-blue"}, {"name": "web-green"}],
                "prodTrafficRoute": {"listenerArns": ["arn:listener/prod"]}}]},
            "ecsServices": [{"serviceName": "web", "clusterName": "c"}],
            "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
        })
        for _ in range(3):
            fixture.describe("web")

    def deploy(self, td, **extra):
        appspec = ("version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n"
                   f"      Properties:\n        TaskDefinition: \"{td}\"\n        LoadBalancerInfo:\n"
                   "          ContainerName: \"app\"\n          ContainerPort: 80\n"
                   "Hooks:\n  - AfterAllowTestTraffic: \"check\"\n")
        body = {"applicationName": "app", "deploymentGroupName": "dg",
                "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec}}}
        body.update(extra)
        return self.fixture.codedeploy("CreateDeployment", body)["deploymentId"]

    def poll(self, deployment_id, polls=20):
        for _ in range(polls):
            info = self.fixture.codedeploy("GetDeployment", {"deploymentId": deployment_id})["deploymentInfo"]
            if info["status"] not in ("Created", "Queued", "InProgress", "Ready"):
                return info
        return info

    def test_discovery_answers_in_the_real_shapes(self):
        fixture = self.fixture
        self.assertEqual(fixture.codedeploy("ListApplications"), {"applications": ["app"]})
        apps = fixture.codedeploy("BatchGetApplications", {"applicationNames": ["app"]})["applicationsInfo"]
        self.assertEqual(apps[0]["computePlatform"], "ECS")
        self.assertIsInstance(apps[0]["createTime"], float)
        self.assertEqual(fixture.codedeploy("ListDeploymentGroups", {"applicationName": "app"}),
                         {"applicationName": "app", "deploymentGroups": ["dg"]})
        groups = fixture.codedeploy("BatchGetDeploymentGroups", {"applicationName": "app", "deploymentGroupNames": ["dg"]})
        group = groups["deploymentGroupsInfo"][0]
        self.assertEqual(group["ecsServices"], [{"serviceName": "web", "clusterName": "c"}])
        self.assertEqual(group["computePlatform"], "ECS")
        self.assertEqual(group["deploymentConfigName"], "CodeDeployDefault.ECSAllAtOnce")
        self.assertNotIn("errorMessage", groups)
        # The CODE_DEPLOY service has a PRIMARY task set instead of deployments.
        service = fixture.describe("web")
        self.assertEqual(service["deployments"], [])
        self.assertEqual([(t["status"], t["runningCount"], t["stabilityStatus"]) for t in service["taskSets"]],
                         [("PRIMARY", 2, "STEADY_STATE")])

    def test_a_deployment_walks_its_lifecycle_events_and_switches_the_task_set(self):
        fixture = self.fixture
        second = fixture.task_definition("nginx:2")
        deployment_id = self.deploy(second)
        self.assertRegex(deployment_id, r"^d-[A-Z0-9]{9}$")
        self.assertEqual(fixture.codedeploy("ListDeploymentTargets", {"deploymentId": deployment_id})["targetIds"], ["c:web"])
        error = fixture.codedeploy("CreateDeployment", {"applicationName": "app", "deploymentGroupName": "dg",
                                                         "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": "x"}}},
                                   expect=400)
        self.assertEqual(error["__type"], "DeploymentLimitExceededException")
        progress = []
        for _ in range(20):
            target = fixture.codedeploy("GetDeploymentTarget", {"deploymentId": deployment_id, "targetId": "c:web"})["deploymentTarget"]
            ecs_target = target["ecsTarget"]
            progress.append(tuple(e["status"] for e in ecs_target["lifecycleEvents"]))
            if ecs_target["status"] == "Succeeded":
                break
        self.assertEqual(target["deploymentTargetType"], "ECSTarget")
        self.assertEqual([e["lifecycleEventName"] for e in ecs_target["lifecycleEvents"]],
                         ["BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
                          "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"])
        self.assertIn(("Succeeded", "InProgress") + ("Pending",) * 6, progress)
        self.assertEqual(progress[-1], ("Succeeded",) * 8)
        green = [t for t in ecs_target["taskSetsInfo"] if t["taskSetLabel"] == "Green"][0]
        self.assertEqual((green["status"], green["trafficWeight"], green["targetGroup"]), ("PRIMARY", 100.0, {"name": "web-green"}))
        info = fixture.codedeploy("GetDeployment", {"deploymentId": deployment_id})["deploymentInfo"]
        self.assertEqual(info["status"], "Succeeded")
        self.assertEqual(info["deploymentOverview"]["Succeeded"], 1)
        self.assertEqual(info["revision"]["appSpecContent"]["sha256"].__len__(), 64)
        service = fixture.describe("web")
        self.assertEqual(service["taskDefinition"], second)
        self.assertEqual([(t["status"], t["taskDefinition"]) for t in service["taskSets"]], [("PRIMARY", second)])
        self.assertEqual(service["loadBalancers"][0]["targetGroupArn"], self.green_tg)
        running = fixture.ecs("DescribeTasks", {"cluster": "c", "tasks": fixture.ecs(
            "ListTasks", {"cluster": "c", "serviceName": "web"})["taskArns"]})["tasks"]
        self.assertEqual({t["taskDefinitionArn"] for t in running}, {second})
        self.assertEqual(fixture.codedeploy("ListDeployments", {"applicationName": "app", "deploymentGroupName": "dg"})["deployments"],
                         [deployment_id])
        revision = fixture.codedeploy("GetApplicationRevision", {"applicationName": "app", "revision": info["revision"]})
        self.assertEqual(revision["revisionInfo"]["deploymentGroups"], ["dg"])

    def test_a_fail_image_fails_the_deployment_and_rolls_back(self):
        fixture = self.fixture
        bad = fixture.task_definition("nginx:fail")
        deployment_id = self.deploy(bad)
        info = self.poll(deployment_id)
        self.assertEqual(info["status"], "Failed")
        self.assertEqual(info["errorInformation"]["code"], "ECS_UPDATE_ERROR")
        rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]
        rollback = fixture.codedeploy("GetDeployment", {"deploymentId": rollback_id})["deploymentInfo"]
        self.assertEqual((rollback["status"], rollback["creator"]), ("Succeeded", "codeDeployRollback"))
        self.assertEqual(rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"], deployment_id)
        target = fixture.codedeploy("GetDeploymentTarget", {"deploymentId": deployment_id, "targetId": "c:web"})["deploymentTarget"]["ecsTarget"]
        events = {e["lifecycleEventName"]: e for e in target["lifecycleEvents"]}
        self.assertEqual(events["Install"]["status"], "Failed")
        self.assertEqual(events["Install"]["diagnostics"]["errorCode"], "UnknownError")
        self.assertEqual(events["AllowTraffic"]["status"], "Skipped")
        service = fixture.describe("web")
        self.assertEqual(service["taskDefinition"], self.first)
        self.assertEqual([(t["status"], t["taskDefinition"]) for t in service["taskSets"]], [("PRIMARY", self.first)])
        self.assertEqual(fixture.codedeploy("ListDeployments", {"applicationName": "app", "deploymentGroupName": "dg"})["deployments"],
                         [rollback_id, deployment_id])

    def test_stop_with_auto_rollback_and_update_service_refusals(self):
        fixture = self.fixture
        second = fixture.task_definition("nginx:2")
        deployment_id = self.deploy(second)
        for _ in range(3):
            fixture.codedeploy("GetDeployment", {"deploymentId": deployment_id})
        stopped = fixture.codedeploy("StopDeployment", {"deploymentId": deployment_id, "autoRollbackEnabled": True})
        self.assertIn(stopped["status"], ("Pending", "Succeeded"))
        info = fixture.codedeploy("GetDeployment", {"deploymentId": deployment_id})["deploymentInfo"]
        self.assertEqual(info["status"], "Stopped")
        self.assertEqual(info["errorInformation"]["code"], "MANUAL_STOP")
        self.assertIn("rollbackDeploymentId", info["rollbackInfo"])
        self.assertEqual([(t["status"], t["taskDefinition"]) for t in fixture.describe("web")["taskSets"]],
                         [("PRIMARY", self.first)])
        error = fixture.codedeploy("StopDeployment", {"deploymentId": deployment_id}, expect=400)
        self.assertEqual(error["__type"], "DeploymentAlreadyCompletedException")
        error = fixture.ecs("UpdateService", {"cluster": "c", "service": "web", "taskDefinition": second}, expect=400)
        self.assertEqual(error, {"__type": "InvalidParameterException",
                                 "message": "Unable to update task definition on services with a CODE_DEPLOY "
                                            "deployment controller. Use AWS CodeDeploy to trigger a new deployment."})
        fixture.ecs("UpdateService", {"cluster": "c", "service": "web", "desiredCount": 3})
        for _ in range(3):
            service = fixture.describe("web")
        self.assertEqual((service["runningCount"], service["taskSets"][0]["computedDesiredCount"]), (3, 3))


    def test_ready_wait_linear_traffic_and_continue(self):
        fixture = self.fixture
        fixture.codedeploy("CreateDeploymentGroup", {
            "applicationName": "app", "deploymentGroupName": "manual",
            "serviceRoleArn": f"arn:aws:iam::{fixture.account}:role/codedeploy",
            "deploymentConfigName": "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
            "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            "blueGreenDeploymentConfiguration": {"deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT",
                                                                            "waitTimeInMinutes": 60}},
            "loadBalancerInfo": {"targetGroupPairInfoList": [{"targetGroups": [{"name": "web-blue"}, {"name": "web-green"}]}]},
            "ecsServices": [{"serviceName": "web", "clusterName": "c"}],
        })
        # One active deployment per group, not per service: the emulator keys it on the group.
        deployment_id = self.deploy(fixture.task_definition("nginx:2"), deploymentGroupName="manual")
        for _ in range(10):  # DescribeServices of the service moves the deployment too
            fixture.describe("web")
        batch = fixture.codedeploy("BatchGetDeployments", {"deploymentIds": [deployment_id]})["deploymentsInfo"][0]
        self.assertEqual((batch["status"], batch["deploymentOverview"]["Ready"]), ("Ready", 1))
        self.assertEqual(fixture.codedeploy("ListDeployments", {"applicationName": "app", "deploymentGroupName": "manual",
                                                                 "includeOnlyStatuses": ["Ready"]})["deployments"], [deployment_id])
        error = fixture.codedeploy("ContinueDeployment", {"deploymentId": deployment_id, "deploymentWaitType": "TERMINATION_WAIT"}, expect=400)
        self.assertEqual(error["__type"], "DeploymentIsNotInReadyStateException")
        fixture.codedeploy("ContinueDeployment", {"deploymentId": deployment_id, "deploymentWaitType": "READY_WAIT"})
        weights = []
        for _ in range(20):
            targets = fixture.codedeploy("BatchGetDeploymentTargets", {"deploymentId": deployment_id, "targetIds": ["c:web"]})
            ecs_target = targets["deploymentTargets"][0]["ecsTarget"]
            weights += [t["trafficWeight"] for t in ecs_target["taskSetsInfo"] if t["taskSetLabel"] == "Green"]
            if ecs_target["status"] == "Succeeded":
                break
        self.assertEqual([w for w in dict.fromkeys(weights) if w], [10.0 * i for i in range(1, 11)])


# ---------------------------------------------------------------------------------------------
# Patch 12: Application Auto Scaling.
# ---------------------------------------------------------------------------------------------
class AutoScalingTest(unittest.TestCase):
    def test_suspended_state_and_policies_of_an_ecs_service(self):
        fixture = Fixture(MAIN)
        fixture.service("web", fixture.task_definition("nginx:1"))
        call = lambda op, body: MAIN.call(fixture.account, "application-autoscaling", op, body)[1]  # noqa: E731
        target = {"ServiceNamespace": "ecs", "ResourceId": "service/c/web", "ScalableDimension": "ecs:service:DesiredCount"}
        call("RegisterScalableTarget", dict(target, MinCapacity=1, MaxCapacity=4))
        described = call("DescribeScalableTargets", {"ServiceNamespace": "ecs", "ResourceIds": ["service/c/web"]})
        self.assertEqual(described["ScalableTargets"][0]["SuspendedState"],
                         {"DynamicScalingInSuspended": False, "DynamicScalingOutSuspended": False, "ScheduledScalingSuspended": False})
        self.assertTrue(described["ScalableTargets"][0]["RoleARN"].endswith("AWSServiceRoleForApplicationAutoScaling_ECSService"))
        call("RegisterScalableTarget", dict(target, SuspendedState={"DynamicScalingInSuspended": True}))
        call("RegisterScalableTarget", dict(target, MinCapacity=2))
        found = call("DescribeScalableTargets", {"ServiceNamespace": "ecs", "ResourceIds": ["service/c/web"]})["ScalableTargets"][0]
        self.assertEqual((found["MinCapacity"], found["MaxCapacity"]), (2, 4))
        self.assertEqual(found["SuspendedState"], {"DynamicScalingInSuspended": True, "DynamicScalingOutSuspended": False,
                                                   "ScheduledScalingSuspended": False})
        call("PutScalingPolicy", dict(target, PolicyName="cpu", PolicyType="TargetTrackingScaling",
                                      TargetTrackingScalingPolicyConfiguration={"TargetValue": 50.0, "PredefinedMetricSpecification": {
                                          "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}))
        policies = call("DescribeScalingPolicies", {"ServiceNamespace": "ecs", "ResourceId": "service/c/web"})["ScalingPolicies"]
        self.assertEqual([(p["PolicyName"], len(p["Alarms"])) for p in policies], [("cpu", 2)])


# ---------------------------------------------------------------------------------------------
# Patch 16: KMS Verify of a bad signature answers KMSInvalidSignatureException.
# ---------------------------------------------------------------------------------------------
class KmsTest(unittest.TestCase):
    def test_a_bad_signature_is_an_error_and_a_good_one_verifies(self):
        account = new_account()
        call = lambda op, body, expect=200: MAIN.call(account, "kms", op, body, expect=expect)  # noqa: E731
        key = call("CreateKey", {"KeyUsage": "SIGN_VERIFY", "KeySpec": "ECC_NIST_P256"})[1]["KeyMetadata"]["KeyId"]
        message = base64.b64encode(b"ristretto").decode()
        signed = call("Sign", {"KeyId": key, "Message": message, "MessageType": "RAW",
                               "SigningAlgorithm": "ECDSA_SHA_256"})[1]
        good = {"KeyId": key, "Message": message, "MessageType": "RAW", "SigningAlgorithm": "ECDSA_SHA_256",
                "Signature": signed["Signature"]}
        self.assertTrue(call("Verify", good)[1]["SignatureValid"])
        other = base64.b64encode(b"another message").decode()
        status, document = call("Verify", dict(good, Message=other), expect=400)
        self.assertEqual((status, document.get("__type")), (400, "KMSInvalidSignatureException"))


# ---------------------------------------------------------------------------------------------
# Patch 14: the realistic mode (second launcher: --latency 50, ecs:ListClusters=5/1, ECS limits).
# ---------------------------------------------------------------------------------------------
class RealisticModeTest(unittest.TestCase):
    def test_latency_overlaps_across_concurrent_requests(self):
        def twenty_at_once(emulator):
            fixture = Fixture(emulator)
            fixture.service("web", fixture.task_definition("nginx:1"))
            body = {"cluster": "c", "services": ["web"]}
            started = time.monotonic()
            fixture.ecs("DescribeServices", body)
            one = time.monotonic() - started
            with concurrent.futures.ThreadPoolExecutor(20) as pool:
                started = time.monotonic()
                list(pool.map(lambda _: fixture.ecs("DescribeServices", body), range(20)))
                return one, time.monotonic() - started

        _, baseline = twenty_at_once(MAIN)  # the same work without latency: moto's CPU time
        one, twenty = twenty_at_once(REALISTIC)
        print(f"\n[latency 50 ms] 1 DescribeServices: {one * 1000:.0f} ms; 20 concurrent: {twenty * 1000:.0f} ms "
              f"(without latency: {baseline * 1000:.0f} ms; serialised latency alone would be 1000 ms)", file=sys.stderr)
        self.assertGreaterEqual(one, 0.05, "each request waits the latency")
        self.assertLess(twenty - baseline, 0.5, "the 20 waits of 50 ms overlap")

    def test_throttling_at_the_configured_rate(self):
        fixture = Fixture(REALISTIC)
        other = new_account()

        def list_clusters(account):
            return REALISTIC.call(account, "ecs", "ListClusters", {}, expect=None)

        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(lambda _: list_clusters(fixture.account), range(10)))
        statuses = sorted(status for status, _ in answers)
        self.assertEqual(statuses, [200] * 5 + [400] * 5, "burst 5")
        self.assertIn((400, {"__type": "ThrottlingException", "message": "Rate exceeded"}), answers)
        self.assertEqual(list_clusters(other)[0], 200, "buckets are per account")
        time.sleep(1.1)  # 1 token a second
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            statuses = sorted(s for s, _ in pool.map(lambda _: list_clusters(fixture.account), range(3)))
        self.assertEqual(statuses, [200, 400, 400], "refilled at 1 per second")
        logged = [r for r in REALISTIC.requests(fixture.account) if r["operation"] == "ListClusters"]
        self.assertEqual(sum(r["throttled"] for r in logged), 7)
        self.assertTrue(all(r["status"] == 400 for r in logged if r["throttled"]))

    def test_documented_ecs_limits_throttle_register_task_definition(self):
        fixture = Fixture(REALISTIC)
        body = {"family": "burst", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 64}]}
        with concurrent.futures.ThreadPoolExecutor(25) as pool:
            statuses = list(pool.map(lambda _: REALISTIC.call(fixture.account, "ecs", "RegisterTaskDefinition", body,
                                                              expect=None)[0], range(25)))
        passed = statuses.count(200)
        print(f"\n[--ecs-rate-limits] 25 concurrent RegisterTaskDefinition: {passed} passed, "
              f"{statuses.count(400)} throttled (bucket 20, 1/s)", file=sys.stderr)
        self.assertIn(passed, (20, 21))
        self.assertEqual(statuses.count(400), 25 - passed)


if __name__ == "__main__":
    unittest.main()
