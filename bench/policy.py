#!/usr/bin/env python3
"""What the example policy set (examples/policies) adds to `ristretto plan`, for 1 and 50
unchanged services on the emulator.

    python3 bench/policy.py --ristretto PATH/TO/release/ristretto [--runs 15]

Two numbers per size:
- in-process: the times ristretto itself reports with -v — reading and parsing the policy
  files, and evaluating them on the plan (median of the runs);
- whole process: the median wall time of `ristretto plan` with `--policy` minus the median
  without it (noisier: the emulator's latency varies more than the difference).

The services run `nginx:1` from Docker Hub, so the example data file is copied with docker.io
allowed: the plans pass, as the plans of a team using the examples would. It reuses
bench/bench.py's emulator and project helpers; nothing leaves this machine.
"""

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (bench/bench.py, next to this file)

PARSED = re.compile(r"policies: (\d+) files read and parsed in ([0-9.]+) ms")
EVALUATED = re.compile(r"policies: evaluated on (\d+) services in ([0-9.]+) ms")


def policy_copy(directory: Path) -> Path:
    policies = directory / "policies"
    shutil.copytree(bench.ROOT / "examples" / "policies", policies)
    data = policies / "data.yaml"
    data.write_text(data.read_text().replace("    - public.ecr.aws\n", "    - public.ecr.aws\n    - docker.io\n"))
    return policies


def plan(ristretto: Path, project: Path, env: dict, policies: Path | None) -> tuple:
    command = [str(ristretto), "-v", "plan"]
    if policies is not None:
        command += ["--policy", str(policies)]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{command}: exit {result.returncode}\n{result.stderr[-3000:]}")
    parsed = PARSED.search(result.stderr)
    evaluated = EVALUATED.search(result.stderr)
    return elapsed, parsed and float(parsed.group(2)), evaluated and float(evaluated.group(2))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ristretto", type=Path, required=True, help="a release build of ristretto")
    parser.add_argument("--runs", type=int, default=15)
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ristretto-policy-bench-"))
    emulator = bench.Emulator(workdir)
    try:
        policies = policy_copy(workdir)
        print("| services | parse policies | evaluate | plan without | plan with | difference |")
        print("| --- | --- | --- | --- | --- | --- |")
        for count in (1, 50):
            env = emulator.account()
            subnet = bench.create_services(env, count)
            project = workdir / f"project-{count}"
            project.mkdir()
            bench.write_scale_project(project, count, subnet)
            plan(ristretto=arguments.ristretto, project=project, env=env, policies=policies)  # warm-up
            without, with_policies, parse_times, evaluate_times = [], [], [], []
            for _ in range(arguments.runs):
                # Interleaved, so that drift of the shared machine hits both sides alike.
                without.append(plan(arguments.ristretto, project, env, None)[0])
                elapsed, parsed, evaluated = plan(arguments.ristretto, project, env, policies)
                with_policies.append(elapsed)
                parse_times.append(parsed)
                evaluate_times.append(evaluated)
            median = statistics.median
            print(
                f"| {count} | {median(parse_times):.2f} ms | {median(evaluate_times):.2f} ms | "
                f"{bench.ms(median(without))} | {bench.ms(median(with_policies))} | "
                f"{(median(with_policies) - median(without)) * 1000:+.1f} ms |"
            )
    finally:
        emulator.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
