# moto_ecs_services.py — what CreateService / UpdateService keep, and where DescribeServices
# returns it (patches 4, 11b and 13 of tests/support/moto_launcher.py; read its header first).
#
# Responsible for: each service's settings exactly as the API was sent them (the raw JSON body,
# so nothing depends on which members the botocore model next to moto knows), the split between
# settings DescribeServices returns at service level and those it returns only inside the
# deployments, the Service Connect namespace as a Cloud Map ARN, and UpdateService's refusals for
# CODE_DEPLOY services.
# Must not: decide when deployments start or progress (moto_ecs_rollouts.py does).

import json

from moto_ecs_common import api_error, deployment_controller_type, role_arn, utcnow

# =============================================================================================
# Patch 4 — CreateService / UpdateService keep every parameter, and DescribeServices returns each
# one where real ECS does.
#
# Wrong in moto: CreateService accepts but drops deploymentConfiguration, enableExecuteCommand,
# healthCheckGracePeriodSeconds, enableECSManagedTags, capacityProviderStrategy,
# placementConstraints/placementStrategy, availabilityZoneRebalancing, serviceConnectConfiguration,
# volumeConfigurations, vpcLatticeConfigurations and never returns createdAt/createdBy
# (research/moto.md §2.4); UpdateService stores what it gets under snake_case attributes, so
# serviceConnectConfiguration/volumeConfigurations never reach a deployment; and its request
# parser and response serializer both follow the installed botocore model, so members newer than
# that model (e.g. `monitoring`, `gatewayConnectors`, nested ones) vanish both ways.
# Real ECS (API reference, Service and Deployment shapes):
#   * at service level: loadBalancers (incl. advancedConfiguration), serviceRegistries,
#     desiredCount, launchType, capacityProviderStrategy, platformVersion, taskDefinition (ARN),
#     deploymentConfiguration (with defaults: REPLICA 200/100, DAEMON 100/0, circuit breaker
#     off), roleArn (from `role`, a name or an ARN), createdAt, createdBy, placementConstraints,
#     placementStrategy, networkConfiguration, healthCheckGracePeriodSeconds, schedulingStrategy,
#     deploymentController, tags (with include=TAGS), enableECSManagedTags, propagateTags,
#     enableExecuteCommand, availabilityZoneRebalancing;
#   * only inside each deployment (the PRIMARY one carries the current value):
#     serviceConnectConfiguration, volumeConfigurations, vpcLatticeConfigurations — plus the
#     deployment's own copy of launchType, capacityProviderStrategy, platformVersion,
#     networkConfiguration and taskDefinition;
#   * never in DescribeServices: clientToken (idempotency only), cluster (→ clusterArn), role
#     (→ roleArn), forceNewDeployment; monitoring and gatewayConnectors only in the service
#     revision (DescribeServiceRevisions, patch 8).
#   With a capacityProviderStrategy real ECS reports no launchType (moto forces "EC2"), and a
#   CreateService with both is refused: InvalidParameterException "Specifying both a launch type
#   and capacity provider strategy is not supported. Remove one and try again." (modelled).
# Fix: the request's raw JSON is kept per service (`svc._api` for service-level members,
# `svc._deployment_settings` for deployment-level and revision-only ones); UpdateService merges
# the members it is given (a member given replaces the old value whole, as in ECS); every answer
# that carries a Service (Create/Update/Delete/DescribeServices) is rewritten from these after
# moto serialised it, and its `deployments` are written from the rollout simulation's records.
# A change of a deployment-level member starts a new deployment (patch 5).
# =============================================================================================

SERVICE_LEVEL_FIELDS = (
    "loadBalancers",
    "serviceRegistries",
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "placementConstraints",
    "placementStrategy",
    "networkConfiguration",
    "healthCheckGracePeriodSeconds",
    "schedulingStrategy",
    "deploymentController",
    "enableECSManagedTags",
    "propagateTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
)
DEPLOYMENT_LEVEL_FIELDS = (
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
)
# Members of newer API versions that real ECS returns only in the service revision.
REVISION_ONLY_FIELDS = ("monitoring", "gatewayConnectors")

# UpdateService members that real ECS refuses for a CODE_DEPLOY service (the change must go
# through a CodeDeploy deployment). ECS developer guide, UpdateService: "If your service uses the
# blue/green (CODE_DEPLOY) deployment controller, only the desired count, deployment
# configuration, health check grace period, task placement constraints and strategies, enable
# ECS managed tags option, and propagate tags can be updated using this API. If the network
# configuration, platform version, task definition, or load balancer need to be updated, create
# a new CodeDeploy deployment."
CODE_DEPLOY_REFUSED = (
    ("taskDefinition", "task definition"),
    ("networkConfiguration", "network parameters"),
    ("platformVersion", "platform version"),
    ("loadBalancers", "load balancers"),
    ("capacityProviderStrategy", "capacity provider strategy"),
    ("serviceRegistries", "service registries"),
    ("serviceConnectConfiguration", "service connect configuration"),
    ("volumeConfigurations", "volume configurations"),
)


def raw_request(resp):
    """The request's JSON body as sent (camelCase), or {}."""
    body = getattr(resp, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        document = json.loads(body or "{}")
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


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


def refuse_launch_type_with_capacity_providers(raw):
    """ECS takes a launch type or a capacity provider strategy, not both (CreateService)."""
    if raw.get("launchType") and raw.get("capacityProviderStrategy"):
        raise api_error(
            "InvalidParameterException",
            "Specifying both a launch type and capacity provider strategy is not supported. "
            "Remove one and try again.",
        )


def on_create_request(resp, backend, svc):
    """Patch 4 at CreateService: keep every member (moto's attributes too, for its own code)."""
    raw = raw_request(resp)
    api = {key: raw[key] for key in SERVICE_LEVEL_FIELDS if key in raw}
    api["deploymentConfiguration"] = fill_deployment_configuration(
        raw.get("deploymentConfiguration"), svc.scheduling_strategy
    )
    if raw.get("role"):
        api["roleArn"] = role_arn(backend, raw["role"])
        svc.role_arn = api["roleArn"]
    if raw.get("capacityProviderStrategy") and not raw.get("launchType"):
        svc.launch_type = None
    svc._api = api
    svc._deployment_settings = {
        key: raw[key] for key in DEPLOYMENT_LEVEL_FIELDS + REVISION_ONLY_FIELDS if key in raw
    }
    resolve_service_connect_namespace(backend, svc)
    # moto's own attributes, which its other operations read.
    svc.deployment_configuration = api["deploymentConfiguration"]
    svc.enable_execute_command = bool(raw.get("enableExecuteCommand", False))
    svc.enable_ecs_managed_tags = bool(raw.get("enableECSManagedTags", False))
    if raw.get("healthCheckGracePeriodSeconds") is not None:
        svc.health_check_grace_period_seconds = int(raw["healthCheckGracePeriodSeconds"])
    svc.placement_constraints = raw.get("placementConstraints") or []
    svc.placement_strategy = raw.get("placementStrategy") or []
    if raw.get("capacityProviderStrategy"):
        svc.capacity_provider_strategy = raw["capacityProviderStrategy"]
    svc.created_at = utcnow()
    svc.created_by = f"arn:aws:iam::{svc._account_id}:user/moto"


def refuse_code_deploy_update(svc, raw):
    """Patch 11b: UpdateService on a CODE_DEPLOY service refuses what only CodeDeploy may change.
    Stricter than ECS in one way, on purpose: any presence of the member is refused, even with
    the current value, so a client that sends it is caught on the emulator."""
    if deployment_controller_type(svc) != "CODE_DEPLOY":
        return
    if (raw.get("deploymentController") or {}).get("type") not in (None, "CODE_DEPLOY"):
        return  # switching controllers: ECS decides on the new controller's rules
    for key, words in CODE_DEPLOY_REFUSED:
        if raw.get(key) is not None:
            raise api_error(
                "InvalidParameterException",
                f"Unable to update {words} on services with a CODE_DEPLOY deployment controller. "
                "Use AWS CodeDeploy to trigger a new deployment.",
            )


def on_update_request(raw, backend, svc):
    """Patch 4 at UpdateService (after moto stored its attributes): merge the members given."""
    api = dict(getattr(svc, "_api", None) or {})
    for key in SERVICE_LEVEL_FIELDS:
        if key in raw and raw[key] is not None:
            api[key] = raw[key]
    if raw.get("capacityProviderStrategy"):
        api.pop("launchType", None)
        svc.launch_type = None
    if raw.get("launchType"):
        api.pop("capacityProviderStrategy", None)
        svc.capacity_provider_strategy = None
    if raw.get("deploymentConfiguration") is not None:
        api["deploymentConfiguration"] = raw["deploymentConfiguration"]
    api["deploymentConfiguration"] = fill_deployment_configuration(
        api.get("deploymentConfiguration"), svc.scheduling_strategy
    )
    svc.deployment_configuration = api["deploymentConfiguration"]
    svc._api = api
    settings = dict(getattr(svc, "_deployment_settings", None) or {})
    for key in DEPLOYMENT_LEVEL_FIELDS + REVISION_ONLY_FIELDS:
        if key in raw and raw[key] is not None:
            settings[key] = raw[key]
    svc._deployment_settings = settings
    resolve_service_connect_namespace(backend, svc)


# =============================================================================================
# Patch 13 — the Service Connect namespace comes back as the Cloud Map namespace ARN.
# Wrong in moto: whatever string was sent is stored (and moto never returns it at all).
# Real ECS (DescribeServices, Deployment.serviceConnectConfiguration.namespace): "The namespace
# name or full Amazon Resource Name (ARN) of the Cloud Map namespace" is accepted, the ARN is
# returned; without a namespace the cluster's serviceConnectDefaults namespace is used.
# Fix: a name, id or ARN of a namespace that exists in moto's servicediscovery backend (same
# account and region; CreateHttpNamespace / CreatePrivateDnsNamespace / CreatePublicDnsNamespace)
# is replaced by its ARN. Lenient where ECS is not: an unknown namespace is kept as sent (real ECS
# refuses the request), so tests that do not create Cloud Map namespaces keep working.
# =============================================================================================
def namespace_arn(backend, namespace):
    if not namespace:
        return namespace
    try:
        from moto.servicediscovery.models import servicediscovery_backends

        cloud_map = servicediscovery_backends[backend.account_id][backend.region_name]
        for candidate in cloud_map.namespaces.values():
            if namespace in (candidate.name, candidate.id, candidate.arn):
                return candidate.arn
    except Exception:  # servicediscovery unavailable: keep the value
        pass
    return namespace


def resolve_service_connect_namespace(backend, svc):
    settings = getattr(svc, "_deployment_settings", None) or {}
    connect = settings.get("serviceConnectConfiguration")
    if not isinstance(connect, dict):
        return
    connect = dict(connect)
    namespace = connect.get("namespace")
    if not namespace and connect.get("enabled"):
        cluster = backend.clusters.get(svc.cluster_name)
        namespace = ((getattr(cluster, "service_connect_defaults", None) or {}).get("namespace"))
    if namespace:
        connect["namespace"] = namespace_arn(backend, namespace)
    settings["serviceConnectConfiguration"] = connect
    svc._deployment_settings = settings


def deployment_settings(svc):
    """The deployment-level members a new deployment of `svc` carries (a copy)."""
    settings = getattr(svc, "_deployment_settings", None) or {}
    return {key: json.loads(json.dumps(settings[key])) for key in DEPLOYMENT_LEVEL_FIELDS if key in settings}


def overlay_service(document, svc):
    """Rewrite one serialised Service (a dict from moto's JSON answer) from what was sent."""
    api = getattr(svc, "_api", None)
    if api is None:
        return document
    for key, value in api.items():
        document[key] = value
    if "capacityProviderStrategy" in api and "launchType" not in api:
        document.pop("launchType", None)
    if "launchType" in api and "capacityProviderStrategy" not in api:
        document.pop("capacityProviderStrategy", None)
    for key in DEPLOYMENT_LEVEL_FIELDS + REVISION_ONLY_FIELDS:
        document.pop(key, None)  # never at service level in ECS
    return document
