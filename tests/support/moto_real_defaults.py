# moto_real_defaults.py — the defaults real Amazon ECS fills into its answers, for moto 5.2.1.
#
# Usage, in moto_launcher.py next to its other patches (after `import moto.ecs.models as
# ecs_models` and `import moto.ecs.responses as ecs_responses`; the launcher's directory is on
# sys.path because it runs as a script):
#
#     __import__("moto_real_defaults").install(ecs_models, ecs_responses)
#
# moto answers with what it was sent plus a few defaults of its own; real ECS fills in more. A
# tool tested only against moto then shows a change in every plan on real AWS. These patches
# make moto's DescribeTaskDefinition / RegisterTaskDefinition / DeregisterTaskDefinition and
# CreateService / UpdateService / DescribeServices answers carry the defaults listed below, and
# change nothing a request set explicitly. They only add members to answers: no validation, no
# behaviour. `install` is idempotent. tests/support/test_moto_real_defaults.py tests each patch
# against a moto server (python3 -m unittest tests/support/test_moto_real_defaults.py).
#
# The sources are the ones of ristretto's normalization rules (src/normalize/mod.rs lists every
# default with its source) and of tests/fixtures/real-ecs/ (real-shaped answers).
#
# ---------------------------------------------------------------------------------------------
# PATCHES (each says what moto leaves out and what real ECS returns)
# ---------------------------------------------------------------------------------------------
# D1. Container definitions. moto merges {cpu: 0, portMappings: [], essential: true,
#     environment: [], mountPoints: [], volumesFrom: []} into each container and nothing more.
#     Real ECS also returns, when the request left them out:
#     - portMappings[].protocol "tcp" (API reference, PortMapping);
#     - portMappings[].hostPort: the containerPort in awsvpc network mode (developer guide, task
#       definition parameters), 0 (a dynamic port) in the other modes;
#     - systemControls [] (terraform-aws-consul-ecs#318 shows it coming back);
#     - healthCheck interval 30, timeout 5, retries 3 (API reference, HealthCheck).
# D2. Task definition. moto drops enableFaultInjection (not even stored) and never returns
#     registeredAt/registeredBy. Real ECS returns enableFaultInjection as sent, false by default
#     (API reference, TaskDefinition; issue 15), and registeredAt/registeredBy (AWS CLI example
#     describe-task-definition).
# D3. Task definition volumes. moto fills an EFS volume's rootDirectory "/" only. Real ECS
#     reports a Docker volume's scope "task" when none was given (terraform-provider-aws treats it
#     as computed: inferred) and an EFS volume's transitEncryption "DISABLED" (API reference,
#     EFSVolumeConfiguration: the default; its echo is inferred).
# D4. Services. moto returns no roleArn unless a role was given (and then the role as given),
#     no healthCheckGracePeriodSeconds unless set, and ignores availabilityZoneRebalancing at
#     create. Real ECS returns roleArn: the service-linked role's ARN
#     (arn:aws:iam::<account>:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS) when no
#     role was given and the role's ARN when a name was (AWS CLI examples create-service 1 and 4);
#     healthCheckGracePeriodSeconds 0 (AWS CLI examples update-service); and
#     availabilityZoneRebalancing as sent at create, ENABLED when not sent (API reference,
#     CreateService/UpdateService: "For create service requests, when no value is specified ...
#     Amazon ECS defaults the value to ENABLED"; only for REPLICA services here, since the
#     default for DAEMON services is not documented).

import datetime

_INSTALLED = "_ristretto_real_defaults_installed"

SERVICE_LINKED_ROLE = "role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"


def install(ecs_models, ecs_responses) -> None:
    """Applies D1–D4 to moto's ECS models and responses (once)."""
    if getattr(ecs_models, _INSTALLED, False):
        return
    patch_task_definition_defaults(ecs_models)
    patch_fault_injection(ecs_responses)
    patch_service_defaults(ecs_models, ecs_responses)
    setattr(ecs_models, _INSTALLED, True)


def _account_of(arn: str) -> str:
    # arn:aws:ecs:<region>:<account>:...
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 4 else ""


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


# D1, D3 and the registeredAt/By half of D2: applied to every stored task definition.
def fill_container_defaults(container: dict, network_mode) -> None:
    for mapping in container.get("portMappings") or []:
        mapping.setdefault("protocol", "tcp")
        if "hostPort" not in mapping and "containerPort" in mapping:
            mapping["hostPort"] = mapping["containerPort"] if network_mode == "awsvpc" else 0
    container.setdefault("systemControls", [])
    health_check = container.get("healthCheck")
    if isinstance(health_check, dict):
        health_check.setdefault("interval", 30)
        health_check.setdefault("timeout", 5)
        health_check.setdefault("retries", 3)


def fill_volume_defaults(volume: dict) -> None:
    docker = volume.get("dockerVolumeConfiguration")
    if isinstance(docker, dict):
        docker.setdefault("scope", "task")
    efs = volume.get("efsVolumeConfiguration")
    if isinstance(efs, dict):
        efs.setdefault("transitEncryption", "DISABLED")


def patch_task_definition_defaults(ecs_models) -> None:
    original = ecs_models.TaskDefinition.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        for container in self.container_definitions:
            fill_container_defaults(container, self.network_mode)
        for volume in self.volumes or []:
            if isinstance(volume, dict):
                fill_volume_defaults(volume)
        self.enable_fault_injection = False
        self.registered_at = _utcnow()
        self.registered_by = f"arn:aws:iam::{_account_of(self.arn)}:user/moto"

    ecs_models.TaskDefinition.__init__ = __init__


# D2: enableFaultInjection as sent.
def patch_fault_injection(ecs_responses) -> None:
    response_class = ecs_responses.EC2ContainerServiceResponse
    original = response_class.register_task_definition

    def register_task_definition(self):
        result = original(self)
        task_definition = result.result["taskDefinition"]
        task_definition.enable_fault_injection = bool(
            self._get_param("enableFaultInjection", False)
        )
        return result

    response_class.register_task_definition = register_task_definition


# D4.
def role_arn_of(role, account_id: str) -> str:
    if not role:
        return f"arn:aws:iam::{account_id}:{SERVICE_LINKED_ROLE}"
    if role.startswith("arn:"):
        return role
    return f"arn:aws:iam::{account_id}:role/{role}"


def patch_service_defaults(ecs_models, ecs_responses) -> None:
    original_init = ecs_models.Service.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.role_arn = role_arn_of(self.role_arn, self._account_id)
        if getattr(self, "health_check_grace_period_seconds", None) is None:
            self.health_check_grace_period_seconds = 0
        if self.scheduling_strategy == "REPLICA":
            self.availability_zone_rebalancing = "ENABLED"

    ecs_models.Service.__init__ = __init__

    response_class = ecs_responses.EC2ContainerServiceResponse
    original_create = response_class.create_service

    def create_service(self):
        result = original_create(self)
        requested = self._get_param("availabilityZoneRebalancing")
        # Under the launcher's patch 4 the answer is already the request's members as sent
        # (a raw (status, headers, body) answer); only moto's own answer needs the fix.
        if requested and hasattr(result, "result"):
            result.result["service"].availability_zone_rebalancing = requested
        return result

    response_class.create_service = create_service
