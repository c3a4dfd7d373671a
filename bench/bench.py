#!/usr/bin/env python3
"""ristretto's benchmark suite, side by side with the tools users would pick instead.

    python3 bench/bench.py                 # everything; prints Markdown tables
    python3 bench/bench.py --write         # ... and rewrites BENCHMARKS.md
    python3 bench/bench.py --only render   # one part: render, deploy, plan, startup

It installs its reference tools (gojsonnet, jsonnet, ecs-deploy) into bench/.venv when missing,
builds ristretto in release mode, and starts its own AWS emulator (tests/support/moto_launcher.py)
on a free loopback port. Nothing leaves this machine.

Machines are shared and noisy: absolute times drift between runs, so every comparison is a
ratio of numbers measured side by side in the same run, and each number is a median.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "bench" / ".venv"
REFERENCE_PACKAGES = ["gojsonnet==0.22.0", "jsonnet==0.22.0", "ecs-deploy==1.17.0"]
REGION = "ap-northeast-1"
CPP_LIMIT_SECONDS = 180


# --------------------------------------------------------------------------------------------
# Set-up
# --------------------------------------------------------------------------------------------
def venv_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print("==> creating bench/.venv for the reference tools", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run(
        [str(python), "-c", "import _jsonnet, _gojsonnet, ecs_deploy"], capture_output=True
    )
    if probe.returncode != 0:
        print(f"==> installing {' '.join(REFERENCE_PACKAGES)}", file=sys.stderr)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *REFERENCE_PACKAGES], check=True
        )
    return python


def build_ristretto() -> Path:
    print("==> cargo build --release", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout
    )
    return Path(metadata["target_directory"]) / "release" / "ristretto"


class Emulator:
    def __init__(self, workdir: Path):
        self.log = workdir / "requests.jsonl"
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests/support/moto_launcher.py"),
             "--request-log", str(self.log)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.process.stdout.readline()
        if not line.startswith("PORT="):
            raise SystemExit("the emulator did not start (pip install 'moto[server]==5.2.1')")
        self.endpoint = f"http://127.0.0.1:{line.strip().split('=')[1]}"
        self.accounts = 0

    def account(self) -> dict:
        """Environment for a fresh, isolated account (a 12-digit access key is the account)."""
        self.accounts += 1
        account = f"{777000000000 + self.accounts * 1000 + os.getpid() % 1000:012d}"
        env = dict(os.environ)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            env.pop(name, None)
        env.update(
            AWS_ENDPOINT_URL=self.endpoint, AWS_ACCESS_KEY_ID=account,
            AWS_SECRET_ACCESS_KEY="testing", AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION,
            AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null", NO_COLOR="1",
        )
        return env

    def requests(self, account: str) -> list:
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        records = [json.loads(line) for line in lines if line.strip()]
        return [record for record in records if record.get("account") == account]

    def stop(self):
        self.process.kill()


def boto(env: dict, service: str):
    import boto3  # installed with moto

    return boto3.client(
        service, endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key="testing",
    )


def median_seconds(function, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def run(command, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def peak_rss_kib(command, **kwargs) -> int:
    """Peak resident memory of a child, from GNU time."""
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, **kwargs
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command}: {result.stderr[-2000:]}")
    return int(result.stderr.strip().splitlines()[-1])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def ratio(mine: float, theirs) -> str:
    if theirs is None:
        return f"> {CPP_LIMIT_SECONDS / mine:.0f}×"
    return f"{theirs / mine:.1f}×"


def seconds_or_limit(value) -> str:
    return f"> {CPP_LIMIT_SECONDS} s (stopped)" if value is None else ms(value)


def at_least(mine: float, theirs, factor: float) -> bool:
    return theirs is None or theirs / mine >= factor


# --------------------------------------------------------------------------------------------
# 1. Rendering
# --------------------------------------------------------------------------------------------
HEAVY_LIBRARY = r"""
{
  task(index):: {
    family: 'svc-%02d' % index,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '%d' % (256 * (1 + index % 4)),
    memory: '%d' % (512 * (1 + index % 4)),
    containerDefinitions: std.map(function(container) {
      name: 'c%02d' % container,
      image: '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/svc-%02d/c%02d:%s' % [index, container, std.md5('%d-%d' % [index, container])[0:12]],
      essential: container == 0,
      memoryReservation: 64 + container,
      environment: [
        { name: 'VAR_%02d' % variable, value: std.asciiUpper('value-%d-%d-%d' % [index, container, variable]) }
        for variable in std.range(0, 9)
      ],
      portMappings: [{ containerPort: 8000 + container, protocol: 'tcp' }],
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/svc-%02d' % index, 'awslogs-region': 'ap-northeast-1', 'awslogs-stream-prefix': 'c%02d' % container } },
    }, std.range(0, 19)),
  },
}
"""


def make_heavy_project(directory: Path, services: int = 50) -> Path:
    (directory / "lib").mkdir(parents=True, exist_ok=True)
    (directory / "lib" / "heavy.libsonnet").write_text(HEAVY_LIBRARY)
    entries = []
    for index in range(services):
        (directory / f"td-{index:02d}.jsonnet").write_text(
            f"(import 'heavy.libsonnet').task({index})\n"
        )
        entries.append(f"  'svc-{index:02d}': {{ task_definition: 'td-{index:02d}.jsonnet' }},")
    (directory / "ristretto.jsonnet").write_text(
        "{\n region: 'ap-northeast-1',\n cluster: 'heavy',\n services: {\n"
        + "\n".join(entries) + "\n },\n}\n"
    )
    return directory


REFERENCE_RENDER = r"""
import json, os, statistics, sys, time
engine, runs, jpath = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = json.loads(sys.argv[4])
module = __import__('_gojsonnet' if engine == 'go' else '_jsonnet')
natives = {
    'env': (('v', 'd'), lambda v, d: os.environ.get(v, d)),  # one-letter names: longer ones trip a bug in the C++ binding's parameter list
    'must_env': (('v',), lambda v: os.environ[v]),
}
def once():
    for path, tla in files:
        module.evaluate_file(path, jpathdir=[jpath], tla_vars=tla, ext_vars={'env': tla.get('env', '')},
                             native_callbacks=natives)
samples = []
for _ in range(runs):
    started = time.perf_counter(); once(); samples.append(time.perf_counter() - started)
print(statistics.median(samples))
"""


def render_benchmark(ristretto: Path, python: Path, quick: bool) -> list:
    rows = []
    runs = 3 if quick else 9
    example = ROOT / "examples" / "multi-env"
    env = dict(os.environ, NO_COLOR="1")
    env.pop("IMAGE_TAG", None)

    mine = median_seconds(
        lambda: run([str(ristretto), "--env", "prod", "render", "taskdef", "servicedef"],
                    cwd=example, env=env),
        runs * 3,
    )
    files = [
        (str(example / f"services/{service}/{kind}.jsonnet"), {"env": "prod"})
        for service in ("api", "worker") for kind in ("task", "service")
    ] + [(str(example / "environments/prod/ristretto.jsonnet"), {})]
    reference = {}
    for engine in ("go", "cpp"):
        output = run([str(python), "-c", REFERENCE_RENDER, engine, str(runs * 3),
                      str(example / "lib"), json.dumps(files)], env=env)
        reference[engine] = float(output.stdout.strip())
    rows.append(("examples/multi-env prod (5 files)", mine, reference["go"], reference["cpp"]))

    with tempfile.TemporaryDirectory() as scratch:
        heavy = make_heavy_project(Path(scratch))
        mine = median_seconds(
            lambda: run([str(ristretto), "render", "taskdef"], cwd=heavy, env=env), runs
        )
        files = [(str(heavy / f"td-{index:02d}.jsonnet"), {}) for index in range(50)]
        # C++ jsonnet implements `%` and manifestation in Jsonnet itself and needs minutes here;
        # it gets one run and a time limit, and a run that hits the limit is reported as "more
        # than the limit" (the ratio is then a lower bound).
        for engine, engine_runs, limit in (("go", 1 if quick else 3, 900), ("cpp", 1, CPP_LIMIT_SECONDS)):
            try:
                output = run([str(python), "-c", REFERENCE_RENDER, engine, str(engine_runs),
                              str(heavy / "lib"), json.dumps(files)], env=env, timeout=limit)
                reference[engine] = float(output.stdout.strip())
            except subprocess.TimeoutExpired:
                reference[engine] = None
        rows.append(("synthetic: 50 services × 20 containers", mine, reference["go"], reference["cpp"]))
    return rows


def twenty_container_render(ristretto: Path, quick: bool) -> float:
    """The foundation issue's target: one 20-container Jsonnet definition with imports."""
    with tempfile.TemporaryDirectory() as scratch:
        heavy = make_heavy_project(Path(scratch), services=1)
        env = dict(os.environ, NO_COLOR="1")
        return median_seconds(
            lambda: run([str(ristretto), "render", "taskdef"], cwd=heavy, env=env),
            10 if quick else 30,
        )


# --------------------------------------------------------------------------------------------
# 2. Deploy of a new image tag: ristretto deploy vs ecs-deploy
# --------------------------------------------------------------------------------------------
def create_service(env: dict, cluster: str, name: str, steps: int = 3):
    ecs = boto(env, "ecs")
    ec2 = boto(env, "ec2")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    ecs.create_cluster(clusterName=cluster)
    task = ecs.register_task_definition(
        family=name, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512", containerDefinitions=[{"name": "app", "image": "nginx:1", "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=cluster, serviceName=name, taskDefinition=task, desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet]}},
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        tags=[{"key": "ristretto-test:rollout-steps", "value": str(steps)}],
    )
    return subnet


def write_project(directory: Path, cluster: str, service: str, subnet: str, image: str):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ristretto.yml").write_text(
        f"region: {REGION}\ncluster: {cluster}\nservice: {service}\n"
        "task_definition: td.json\nservice_definition: sv.json\ntimeout: 5m\n"
    )
    (directory / "td.json").write_text(json.dumps({
        "family": service, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "256", "memory": "512",
        "containerDefinitions": [{"name": "app", "image": image, "essential": True}],
    }))
    (directory / "sv.json").write_text(json.dumps({
        "launchType": "FARGATE", "desiredCount": 2,
        "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": [subnet]}},
        "tags": [{"key": "ristretto-test:rollout-steps", "value": "3"}],
    }))


def deploy_benchmark(ristretto: Path, python: Path, emulator: Emulator, quick: bool) -> list:
    """Rows of (tool, how, wall seconds, peak RSS KiB, API calls). ecs-deploy decides that a
    deployment is done from the service's tasks (ListTasks/DescribeTasks), which the emulator
    does not create for services, so it can never see one finish there: it is measured
    fire-and-forget (`--timeout -1`) next to ristretto's `--no-wait`; ristretto's full deploy
    with the rollout wait is measured too."""
    rounds = 1 if quick else 3
    ecs_deploy = VENV / "bin" / "ecs"
    cases = {
        ("ristretto deploy --no-wait", "register + update"): [],
        ("ecs deploy --timeout -1 (fabfuel)", "register + update"): [],
        ("ristretto deploy", "… + wait for the rollout"): [],
    }
    for round_number in range(rounds):
        tag = f"nginx:{round_number + 2}"
        for (tool, how) in cases:
            env = emulator.account()
            subnet = create_service(env, "bench", "app")
            with tempfile.TemporaryDirectory() as scratch:
                project = Path(scratch)
                write_project(project, "bench", "app", subnet, tag)
                if tool.startswith("ristretto"):
                    run([str(ristretto), "lock", "init"], cwd=project, env=env)
                    command = [str(ristretto), "deploy", "--poll-interval", "1s"]
                    if "--no-wait" in tool:
                        command.append("--no-wait")
                else:
                    command = [str(ecs_deploy), "deploy", "bench", "app", "--image", "app", tag,
                               "--timeout", "-1"]
                account = env["AWS_ACCESS_KEY_ID"]
                before = len(emulator.requests(account))
                started = time.perf_counter()
                rss = peak_rss_kib(command, cwd=project, env=env)
                elapsed = time.perf_counter() - started
                calls = len(emulator.requests(account)) - before
            cases[(tool, how)].append((elapsed, rss, calls))
    return [
        (
            tool,
            how,
            statistics.median(sample[0] for sample in samples),
            statistics.median(sample[1] for sample in samples),
            statistics.median(sample[2] for sample in samples),
        )
        for (tool, how), samples in cases.items()
    ]


# --------------------------------------------------------------------------------------------
# 3. Plan latency and scaling
# --------------------------------------------------------------------------------------------
def create_services(env: dict, count: int) -> tuple:
    ecs = boto(env, "ecs")
    ec2 = boto(env, "ec2")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    ecs.create_cluster(clusterName="scale")
    for index in range(count):
        name = f"svc-{index:03d}"
        task = ecs.register_task_definition(
            family=name, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", containerDefinitions=[{"name": "app", "image": "nginx:1", "essential": True}],
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(
            cluster="scale", serviceName=name, taskDefinition=task, desiredCount=1,
            launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet]}},
        )
    return subnet


def write_scale_project(directory: Path, count: int, subnet: str):
    entries = []
    for index in range(count):
        name = f"svc-{index:03d}"
        (directory / f"{name}.json").write_text(json.dumps({
            "family": name, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512",
            "containerDefinitions": [{"name": "app", "image": "nginx:1", "essential": True}],
        }))
        entries.append(f"  {name}:\n    task_definition: {name}.json\n    service_definition: sv.json\n")
    (directory / "sv.json").write_text(json.dumps({
        "launchType": "FARGATE",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": [subnet]}},
    }))
    (directory / "ristretto.yml").write_text(
        f"region: {REGION}\ncluster: scale\nservices:\n" + "".join(entries)
    )


def floor_seconds(env: dict, count: int, runs: int) -> float:
    """The calls a plan cannot avoid, issued back to back by a minimal client (boto3, already
    warm, so no interpreter or client start-up is counted): DescribeServices per 10 services
    and one DescribeTaskDefinition per service."""
    ecs = boto(env, "ecs")
    names = [f"svc-{index:03d}" for index in range(count)]
    ecs.describe_services(cluster="scale", services=names[:1])

    def calls():
        for start in range(0, count, 10):
            ecs.describe_services(cluster="scale", services=names[start:start + 10], include=["TAGS"])
        for name in names:
            ecs.describe_task_definition(taskDefinition=name, include=["TAGS"])

    return median_seconds(calls, runs)


def plan_benchmark(ristretto: Path, emulator: Emulator, quick: bool, sizes=(1, 10, 50, 200)) -> list:
    rows = []
    for count in sizes:
        runs = 3 if quick or count >= 200 else 7
        env = emulator.account()
        subnet = create_services(env, count)
        with tempfile.TemporaryDirectory() as scratch:
            project = Path(scratch)
            write_scale_project(project, count, subnet)
            run([str(ristretto), "plan"], cwd=project, env=env)  # the emulator's first calls
            mine = median_seconds(lambda: run([str(ristretto), "plan"], cwd=project, env=env), runs)
            rss = peak_rss_kib([str(ristretto), "plan"], cwd=project, env=env) if count == 50 else None
        floor = floor_seconds(env, count, runs)
        rows.append((count, mine, floor, rss))
    return rows


def apply_to_update_service(ristretto: Path, emulator: Emulator) -> float:
    """From `apply` start to its UpdateService call reaching the emulator."""
    env = emulator.account()
    subnet = create_service(env, "bench", "app")
    samples = []
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch)
        write_project(project, "bench", "app", subnet, "nginx:1")
        run([str(ristretto), "lock", "init"], cwd=project, env=env)
        for round_number in range(5):
            write_project(project, "bench", "app", subnet, f"nginx:{round_number + 2}")
            run([str(ristretto), "plan", "-o", "plan.json"], cwd=project, env=env)
            started = datetime.datetime.now(datetime.timezone.utc)
            run([str(ristretto), "apply", "plan.json", "--no-wait"], cwd=project, env=env)
            updates = [
                record for record in emulator.requests(env["AWS_ACCESS_KEY_ID"])
                if record["operation"] == "UpdateService"
            ]
            reached = datetime.datetime.fromisoformat(updates[-1]["time"].replace("Z", "+00:00"))
            samples.append((reached - started).total_seconds())
    return statistics.median(samples)


def lock_latency(emulator: Emulator) -> tuple:
    """A conditional acquire and release against the emulator, as the lock makes them."""
    env = emulator.account()
    dynamodb = boto(env, "dynamodb")
    dynamodb.create_table(
        TableName="locks", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
    )
    acquire, release = [], []
    for _ in range(21):
        started = time.perf_counter()
        dynamodb.update_item(
            TableName="locks", Key={"LockID": {"S": "bench"}},
            UpdateExpression="SET #o = :o, #e = :e",
            ConditionExpression="attribute_not_exists(LockID) OR #e < :now",
            ExpressionAttributeNames={"#o": "Owner", "#e": "ExpiresAt"},
            ExpressionAttributeValues={":o": {"S": "me"}, ":e": {"N": "9999999999"}, ":now": {"N": "0"}},
        )
        acquire.append(time.perf_counter() - started)
        started = time.perf_counter()
        dynamodb.delete_item(
            TableName="locks", Key={"LockID": {"S": "bench"}}, ConditionExpression="#o = :o",
            ExpressionAttributeNames={"#o": "Owner"}, ExpressionAttributeValues={":o": {"S": "me"}},
        )
        release.append(time.perf_counter() - started)
    return statistics.median(acquire), statistics.median(release)


# --------------------------------------------------------------------------------------------
# 4. Start-up and footprint
# --------------------------------------------------------------------------------------------
def startup_benchmark(ristretto: Path, quick: bool) -> tuple:
    version = median_seconds(lambda: run([str(ristretto), "--version"]), 20 if quick else 100)
    return version, ristretto.stat().st_size


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------
def mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test of the suite)")
    parser.add_argument("--write", action="store_true", help="rewrite BENCHMARKS.md with the results")
    parser.add_argument("--only", choices=["render", "deploy", "plan", "startup"], action="append")
    arguments = parser.parse_args()
    parts = set(arguments.only or ["render", "deploy", "plan", "startup"])

    python = venv_python()
    ristretto = build_ristretto()
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.date.today().isoformat()} on {os.cpu_count()} cores, "
        f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}; "
        "ristretto built with `cargo build --release`.",
        "",
        f"Command: `python3 bench/bench.py{' --quick' if arguments.quick else ''} --write`. "
        "Every number is a median; comparisons are ratios measured side by side in one run "
        "(the machine is shared, so absolute times drift between runs).",
        "",
    ]
    workdir = Path(tempfile.mkdtemp(prefix="ristretto-bench-"))
    emulator = Emulator(workdir) if parts & {"deploy", "plan"} else None
    try:
        if "render" in parts:
            rows = render_benchmark(ristretto, python, arguments.quick)
            single = twenty_container_render(ristretto, arguments.quick)
            lines += [
                "## 1. Rendering",
                "",
                "ristretto is timed as a whole process (start-up, config, Jsonnet, templates, "
                "validation against the ECS model, JSON output). go-jsonnet (`gojsonnet`, the engine "
                "ecspresso embeds) and C++ jsonnet (`jsonnet`) are timed inside Python around "
                "`evaluate_file` only, so they are not charged for interpreter start-up.",
                "",
                "| input | ristretto | go-jsonnet | C++ jsonnet | vs go-jsonnet (target ≥10×) | vs C++ (target ≥2×) |",
                "| --- | --- | --- | --- | --- | --- |",
            ]
            for name, mine, go, cpp in rows:
                lines.append(
                    f"| {name} | {ms(mine)} | {seconds_or_limit(go)} | {seconds_or_limit(cpp)} | "
                    f"{ratio(mine, go)} ({mark(at_least(mine, go, 10))}) | "
                    f"{ratio(mine, cpp)} ({mark(at_least(mine, cpp, 2))}) |"
                )
            lines += [
                "",
                f"`ristretto render taskdef` of one 20-container Jsonnet definition with imports: "
                f"{ms(single)} (target < 20 ms: {mark(single < 0.020)}).",
                "",
            ]
        if "deploy" in parts:
            rows = deploy_benchmark(ristretto, python, emulator, arguments.quick)
            mine, theirs, full = rows
            lines += [
                "## 2. Deploy of a new image tag (emulator)",
                "",
                "Identical services (2 tasks, circuit breaker on). API calls are counted from the "
                "emulator's request log; ristretto's include its lock (DynamoDB). ecs-deploy decides "
                "that a deployment has finished by listing the service's tasks, which the emulator "
                "does not create for services, so it cannot finish a waiting deploy there: both tools "
                "are compared without the wait, and ristretto's whole deploy with the wait (the "
                "emulator completes a rollout in 3 DescribeServices calls, polled every second) is "
                "shown below them.",
                "",
                "| tool | what | wall time | peak RSS | AWS API calls |",
                "| --- | --- | --- | --- | --- |",
            ]
            for tool, how, elapsed, rss, calls in rows:
                lines.append(f"| {tool} | {how} | {ms(elapsed)} | {rss / 1024:.1f} MiB | {calls} |")
            lines += [
                "",
                f"Without the wait: ristretto {ratio(mine[2], theirs[2])} less wall time "
                f"(target ≥5×: {mark(theirs[2] / mine[2] >= 5)}), {mine[4]} vs {theirs[4]} API calls "
                f"(target fewer: {mark(mine[4] < theirs[4])}). The end-to-end target including the "
                "wait cannot be measured against ecs-deploy on the emulator (see above).",
                "",
            ]
        if "plan" in parts:
            rows = plan_benchmark(ristretto, emulator, arguments.quick)
            one = rows[0][1]
            lines += [
                "## 3. Plan latency and scaling (emulator)",
                "",
                "`ristretto plan` of N unchanged services (whole process), next to the floor: the "
                "DescribeServices (per 10) and DescribeTaskDefinition calls a plan cannot avoid, "
                "issued back to back by a warm boto3 client.",
                "",
                "| services | ristretto plan | floor | ratio to floor (target ≤1.5×) | vs 1 service |",
                "| --- | --- | --- | --- | --- |",
            ]
            for count, mine, floor, _ in rows:
                lines.append(
                    f"| {count} | {ms(mine)} | {ms(floor)} | {mine / floor:.2f}× ({mark(mine / floor <= 1.5)}) "
                    f"| {mine / one:.1f}× |"
                )
            fifty = next(row for row in rows if row[0] == 50)
            two_hundred = next(row for row in rows if row[0] == 200)
            update_latency = apply_to_update_service(ristretto, emulator)
            acquire, release = lock_latency(emulator)
            lines += [
                "",
                f"50 services take {fifty[1] / one:.1f}× one (target <3×: {mark(fifty[1] / one < 3)}); "
                f"200 take {two_hundred[1] / one:.1f}× (target <3×: {mark(two_hundred[1] / one < 3)}).",
                "",
                f"`apply` start → its UpdateService call at the emulator: {ms(update_latency)} "
                f"(target < 150 ms: {mark(update_latency < 0.150)}). Lock round trips on the emulator: "
                f"acquire {ms(acquire)}, release {ms(release)}.",
                "",
            ]
        if "startup" in parts:
            version, size = startup_benchmark(ristretto, arguments.quick)
            plan_rss = None
            if "plan" in parts:
                plan_rss = next(row[3] for row in rows if row[0] == 50)
            lines += [
                "## 4. Start-up and footprint",
                "",
                "| measure | value | target |",
                "| --- | --- | --- |",
                f"| `ristretto --version` wall time | {ms(version)} | < 5 ms ({mark(version < 0.005)}) |",
                f"| release binary (stripped) | {size / 2**20:.1f} MiB | < 25 MB ({mark(size < 25e6)}) |",
            ]
            if plan_rss:
                lines.append(
                    f"| peak RSS, 50-service plan | {plan_rss / 1024:.1f} MiB | < 50 MB ({mark(plan_rss * 1024 < 50e6)}) |"
                )
            lines.append("")
    except Exception as error:  # the report so far is still worth having
        lines += ["", f"**The suite stopped early:** {type(error).__name__}: {error}", ""]
        print("\n".join(lines))
        raise
    finally:
        if emulator:
            emulator.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    report = "\n".join(lines)
    print(report)
    if arguments.write:
        # The analysis of the misses is written by people (bench/analysis.md) and kept with
        # the generated tables.
        analysis = ROOT / "bench" / "analysis.md"
        extra = "\n" + analysis.read_text() if analysis.exists() else ""
        (ROOT / "BENCHMARKS.md").write_text(report + "\n" + extra)


if __name__ == "__main__":
    main()
