# moto_ecs_common.py — helpers shared by the launcher's ECS, CodeDeploy and Auto Scaling patches.
#
# Part of tests/support/moto_launcher.py (read its header first). Nothing here patches moto by
# itself: these are the pieces the patch modules share — the one lock every simulation runs
# under, ids and ARNs in the shapes AWS uses, service events, the `fail` image rule, and JSON
# answers/errors written directly (for operations moto lacks, so their shapes do not depend on
# the botocore model installed next to moto).
#
# Must not: sleep or do I/O while holding LOCK (the realistic mode overlaps requests).

import datetime
import json
import math
import re
import string
import threading

# One process-wide re-entrant lock around every simulated state change (rollouts, deployments,
# task bookkeeping). Held only for the in-memory work of one request, never while sleeping.
LOCK = threading.RLock()

ROLLOUT_STEPS_TAG = "ristretto-test:rollout-steps"
HOOK_RESULT_TAG = "ristretto-test:hook-result"
DEFAULT_STEPS = [3]  # --rollout-steps (a list so the launcher can set it after import)

_last_event_time = [datetime.datetime.min]


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def rand():
    from moto.moto_api._internal import mock_random

    return mock_random


def epoch(value):
    """A naive-UTC datetime (or None) as the JSON protocols send timestamps: epoch seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    return round(value.replace(tzinfo=datetime.timezone.utc).timestamp(), 3)


def jsonable(value):
    """Deep copy for a JSON answer: datetimes become epoch seconds, keys starting with `_`
    (the simulation's private bookkeeping) and None values are dropped."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if not k.startswith("_") and v is not None}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime.datetime):
        return epoch(value)
    return value


def json_answer(document, content_type="application/x-amz-json-1.1"):
    """A moto response-method return value: status 200 with `document` as the JSON body."""
    return 200, {"Content-Type": content_type}, json.dumps(jsonable(document), separators=(",", ":"))


def api_error(code, message, status=400):
    """The JSON error AWS's JSON protocols send: {"__type": code, "message": message}."""
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError(code, message)
    error.code = status
    return error


def alphanumeric(length, alphabet=string.ascii_letters + string.digits):
    r = rand()
    return "".join(r.choice(alphabet) for _ in range(length))


def digits(length):
    r = rand()
    return str(r.randint(10 ** (length - 1), 10**length - 1))


def task_id():
    """ECS task ids are 32 lowercase hex digits."""
    return rand().uuid4().hex


def add_event(svc, message):
    # ECS lists events newest first and keeps the latest 100. Timestamps are kept strictly
    # increasing so that "events newer than the last one seen" works on createdAt too.
    # (Milliseconds: the API's JSON timestamps carry no more.)
    now = utcnow()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    if now <= _last_event_time[0]:
        now = _last_event_time[0] + datetime.timedelta(milliseconds=1)
    _last_event_time[0] = now
    svc.events.insert(0, {"id": str(rand().uuid4()), "createdAt": now, "message": message})
    del svc.events[100:]


def tag_value(svc, key):
    for tag in getattr(svc, "tags", None) or []:
        if tag.get("key") == key:
            return tag.get("value")
    return None


def steps_for(svc):
    value = tag_value(svc, ROLLOUT_STEPS_TAG)
    if value is not None:
        try:
            return max(1, int(value))
        except (TypeError, ValueError):
            pass
    return DEFAULT_STEPS[0]


def image_fails(image):
    # "nginx:fail", "registry:5000/team/app:fail", "app:fail@sha256:..." -> True
    image = (image or "").split("@", 1)[0]
    name_end = image.rfind("/")
    colon = image.rfind(":")
    return colon > name_end and image[colon + 1 :] == "fail"


def task_definition_or_none(backend, td):
    try:
        return backend.describe_task_definition(td)
    except Exception:
        return None


def td_fails(backend, td_arn):
    td = task_definition_or_none(backend, td_arn)
    return td is not None and any(image_fails(c.get("image")) for c in td.container_definitions)


def circuit_breaker_threshold(desired):
    # ECS: ceil(0.5 * desiredCount), bounded to [3, 200].
    return max(3, min(200, math.ceil(0.5 * desired)))


def linear(start, end, k, n):
    if k >= n:
        return end
    return start + int((end - start) * k / n)  # truncates toward `start`


def arn_prefix(backend, service="ecs"):
    from moto.utilities.utils import get_partition

    region = backend.region_name
    return f"arn:{get_partition(region)}:{service}:{region}:{backend.account_id}"


def last_segment(name_or_arn):
    return (name_or_arn or "").rsplit("/", 1)[-1]


_ROLE_NAME = re.compile(r"^[\w+=,.@/-]+$")


def role_arn(backend, role):
    """CreateService takes `role` as a name or an ARN; ECS returns the full ARN as roleArn."""
    if not role or role.startswith("arn:"):
        return role
    if _ROLE_NAME.match(role):
        prefix = arn_prefix(backend, "iam").replace(f":{backend.region_name}:", "::")
        return f"{prefix}:role/{role}"
    return role


def deployment_controller_type(svc):
    return (getattr(svc, "deployment_controller", None) or {}).get("type", "ECS")
