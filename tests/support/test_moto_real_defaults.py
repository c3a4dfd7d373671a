# test_moto_real_defaults.py — tests of moto_real_defaults.py against a moto server.
#
# Run: python3 -m unittest tests/support/test_moto_real_defaults.py   (moto[server] 5.2.1 and
# boto3, which moto installs). Starts one moto server in this process, on 127.0.0.1 and a port
# the kernel picks, with the patches installed; each test uses its own account (moto's
# x-moto-account-id header), so the tests are independent. Nothing but 127.0.0.1 is contacted.

import logging
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
import moto.ecs.models as ecs_models  # noqa: E402
import moto.ecs.responses as ecs_responses  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

import moto_real_defaults  # noqa: E402

REGION = "ap-northeast-1"


def setUpModule():
    global SERVER, ENDPOINT
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto_real_defaults.install(ecs_models, ecs_responses)
    moto_real_defaults.install(ecs_models, ecs_responses)  # idempotent: must not wrap twice
    SERVER = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    SERVER.start()
    host, port = SERVER.get_host_and_port()
    ENDPOINT = f"http://{host}:{port}"


def tearDownModule():
    SERVER.stop()


_accounts = iter(range(100000000001, 100000000999))


def ecs_client():
    """An ECS client in a fresh moto account."""
    account = str(next(_accounts))
    client = boto3.client(
        "ecs",
        region_name=REGION,
        endpoint_url=ENDPOINT,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.meta.events.register(
        "before-sign.*.*",
        lambda request, **_: request.headers.__setitem__("x-moto-account-id", account),
    )
    return client, account


class TaskDefinitionDefaults(unittest.TestCase):
    def test_fargate_containers_get_what_ecs_fills_in(self):
        ecs, _ = ecs_client()
        ecs.register_task_definition(
            family="web",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[
                {
                    "name": "web",
                    "image": "nginx",
                    "portMappings": [{"containerPort": 80}, {"containerPort": 53, "protocol": "udp"}],
                    "healthCheck": {"command": ["CMD", "true"], "retries": 5},
                }
            ],
        )
        described = ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]
        container = described["containerDefinitions"][0]
        self.assertEqual(
            container["portMappings"],
            [
                {"containerPort": 80, "hostPort": 80, "protocol": "tcp"},
                {"containerPort": 53, "hostPort": 53, "protocol": "udp"},
            ],
        )
        self.assertEqual(container["systemControls"], [])
        self.assertEqual(
            container["healthCheck"],
            {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 5},
        )
        self.assertIs(described["enableFaultInjection"], False)
        self.assertIn("registeredAt", described)
        self.assertTrue(described["registeredBy"].startswith("arn:aws:iam::"))

    def test_bridge_ports_are_dynamic_unless_set(self):
        ecs, _ = ecs_client()
        ecs.register_task_definition(
            family="worker",
            containerDefinitions=[
                {
                    "name": "worker",
                    "image": "busybox",
                    "memory": 128,
                    "portMappings": [{"containerPort": 8080}, {"containerPort": 9090, "hostPort": 9090}],
                }
            ],
        )
        container = ecs.describe_task_definition(taskDefinition="worker")["taskDefinition"][
            "containerDefinitions"
        ][0]
        self.assertEqual(
            [mapping["hostPort"] for mapping in container["portMappings"]], [0, 9090]
        )

    def test_fault_injection_is_returned_as_sent(self):
        ecs, _ = ecs_client()
        registered = ecs.register_task_definition(
            family="chaos",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            enableFaultInjection=True,
            containerDefinitions=[{"name": "app", "image": "nginx"}],
        )["taskDefinition"]
        self.assertIs(registered["enableFaultInjection"], True)
        described = ecs.describe_task_definition(taskDefinition="chaos")["taskDefinition"]
        self.assertIs(described["enableFaultInjection"], True)

    def test_volume_defaults(self):
        ecs, _ = ecs_client()
        ecs.register_task_definition(
            family="volumes",
            containerDefinitions=[{"name": "app", "image": "busybox", "memory": 64}],
            volumes=[
                {"name": "scratch", "dockerVolumeConfiguration": {"driver": "local"}},
                {"name": "kept", "dockerVolumeConfiguration": {"scope": "shared", "autoprovision": True}},
                {"name": "files", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}},
            ],
        )
        volumes = {
            volume["name"]: volume
            for volume in ecs.describe_task_definition(taskDefinition="volumes")["taskDefinition"][
                "volumes"
            ]
        }
        self.assertEqual(volumes["scratch"]["dockerVolumeConfiguration"]["scope"], "task")
        self.assertEqual(volumes["kept"]["dockerVolumeConfiguration"]["scope"], "shared")
        self.assertEqual(
            volumes["files"]["efsVolumeConfiguration"],
            {"fileSystemId": "fs-1", "rootDirectory": "/", "transitEncryption": "DISABLED"},
        )


class ServiceDefaults(unittest.TestCase):
    def create(self, ecs, name, **extra):
        ecs.create_cluster(clusterName="main")
        ecs.register_task_definition(
            family="app",
            containerDefinitions=[{"name": "app", "image": "busybox", "memory": 64}],
        )
        return ecs.create_service(
            cluster="main", serviceName=name, taskDefinition="app", desiredCount=1, **extra
        )["service"]

    def describe(self, ecs, name):
        return ecs.describe_services(cluster="main", services=[name])["services"][0]

    def test_a_service_created_with_nothing_gets_what_ecs_fills_in(self):
        ecs, account = ecs_client()
        created = self.create(ecs, "plain")
        for service in (created, self.describe(ecs, "plain")):
            self.assertEqual(
                service["roleArn"],
                f"arn:aws:iam::{account}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
            )
            self.assertEqual(service["healthCheckGracePeriodSeconds"], 0)
            self.assertEqual(service["availabilityZoneRebalancing"], "ENABLED")

    def test_what_the_request_set_is_kept(self):
        ecs, account = ecs_client()
        self.create(
            ecs,
            "explicit",
            role="ecsServiceRole",
            availabilityZoneRebalancing="DISABLED",
        )
        service = self.describe(ecs, "explicit")
        self.assertEqual(service["roleArn"], f"arn:aws:iam::{account}:role/ecsServiceRole")
        self.assertEqual(service["availabilityZoneRebalancing"], "DISABLED")
        ecs.update_service(cluster="main", service="explicit", healthCheckGracePeriodSeconds=45)
        self.assertEqual(self.describe(ecs, "explicit")["healthCheckGracePeriodSeconds"], 45)

    def test_daemon_services_get_no_rebalancing_default(self):
        ecs, _ = ecs_client()
        self.create(ecs, "daemon", schedulingStrategy="DAEMON")
        self.assertNotIn("availabilityZoneRebalancing", self.describe(ecs, "daemon"))


if __name__ == "__main__":
    unittest.main()
