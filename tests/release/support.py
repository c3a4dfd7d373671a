"""Shared by the release tests: a local stand-in for GitHub's release downloads and API, release
directories to serve, and a small runner for composite actions (action.yml).

Nothing here leaves the loopback interface. The stand-in answers only what the installer asks:
  GET /api/repos/OWNER/NAME/releases/latest           -> {"tag_name": ...} or 404
  GET /OWNER/NAME/releases/download/TAG/ASSET         -> the file, or 404
and records every request (method, path, Authorization header) for the tests to check.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY = "acme/ristretto"
HOST_TARGET = "x86_64-unknown-linux-gnu"
# The completion scripts every archive holds (scripts/dist.sh), as the README names them.
COMPLETIONS = ["completions/ristretto.bash", "completions/_ristretto", "completions/ristretto.fish"]


def cargo_version() -> str:
    match = re.search(r'^version = "([^"]+)"$', (ROOT / "Cargo.toml").read_text(), re.MULTILINE)
    assert match, "Cargo.toml has a version"
    return match.group(1)


# ---------------------------------------------------------------------------------------------
# Releases


@dataclass
class Release:
    """One release as GitHub would serve it: TAG/ASSET files under a directory."""

    tag: str
    directory: Path

    @property
    def version(self) -> str:
        return self.tag.removeprefix("v")


def fake_archive(version: str, target: str = HOST_TARGET) -> bytes:
    """A release archive in dist.sh's layout whose `ristretto` is a shell script that answers
    `--version` as the real binary does. Used when no real archive was built (see real_dist)."""
    name = f"ristretto-{version}-{target}"
    files = {
        f"{name}/ristretto": (f'#!/bin/sh\necho "ristretto {version}"\n', 0o755),
        f"{name}/LICENSE": ("MIT\n", 0o644),
        f"{name}/README.md": ("# ristretto\n", 0o644),
        f"{name}/completions/ristretto.bash": ("complete -F _ristretto ristretto\n", 0o644),
        f"{name}/completions/_ristretto": ("#compdef ristretto\n", 0o644),
        f"{name}/completions/ristretto.fish": ("complete -c ristretto\n", 0o644),
        f"{name}/man/ristretto.1": (".TH ristretto 1\n", 0o644),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, (text, mode) in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = mode
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def real_dist() -> Path | None:
    """The dist/ directory of a real `scripts/dist.sh` run, when the caller built one.

    The real archive takes a ~9-minute release build, so developer runs of these tests use a
    fake archive instead; scripts/check-release.sh (run by .ci/run) builds the real one first and
    sets RISTRETTO_DIST_DIR, so CI checks the action and the README against the real thing."""
    value = os.environ.get("RISTRETTO_DIST_DIR")
    return Path(value) if value else None


def make_release(releases: Path, tag: str, *, corrupt_checksum: bool = False) -> Release:
    """Lays out TAG/ with the host archive and SHA256SUMS (the real ones from dist/ when there
    is a real build of this version, else a fake archive). corrupt_checksum: SHA256SUMS names a
    different digest than the archive has."""
    release = Release(tag, releases / tag)
    release.directory.mkdir(parents=True)
    name = f"ristretto-{release.version}-{HOST_TARGET}.tar.gz"
    dist = real_dist()
    if dist is not None and (dist / name).exists():
        data = (dist / name).read_bytes()
    else:
        data = fake_archive(release.version)
    (release.directory / name).write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    if corrupt_checksum:
        digest = hashlib.sha256(data + b"tampered").hexdigest()
    # Another target listed too, as in a real release.
    other = hashlib.sha256(b"other").hexdigest()
    (release.directory / "SHA256SUMS").write_text(
        f"{digest}  {name}\n{other}  ristretto-{release.version}-aarch64-apple-darwin.tar.gz\n"
    )
    return release


# ---------------------------------------------------------------------------------------------
# The stand-in server


@dataclass
class Request:
    method: str
    path: str
    authorization: str | None


@dataclass
class ReleaseServer:
    """Serves `releases` (TAG/ASSET directories) as REPOSITORY's GitHub releases."""

    releases: Path
    latest: str | None = None
    # Set to make the latest-release API call fail as a rate-limited API does (403).
    latest_status: int | None = None
    requests: list[Request] = field(default_factory=list)

    def __enter__(self) -> "ReleaseServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server name)
                server.requests.append(
                    Request("GET", self.path, self.headers.get("Authorization"))
                )
                if self.path == f"/api/repos/{REPOSITORY}/releases/latest":
                    if server.latest_status is not None:
                        return self.answer(server.latest_status, b'{"message": "API rate limit exceeded"}')
                    if server.latest is None:
                        return self.answer(404, b'{"message": "Not Found"}')
                    body = json.dumps({"tag_name": server.latest, "name": server.latest}, indent=2)
                    return self.answer(200, body.encode())
                prefix = f"/{REPOSITORY}/releases/download/"
                if self.path.startswith(prefix):
                    tag, _, asset = self.path[len(prefix) :].partition("/")
                    file = server.releases / tag / asset
                    if "/" not in asset and ".." not in tag and file.is_file():
                        return self.answer(200, file.read_bytes())
                return self.answer(404, b"Not Found")

            def answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *arguments) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exception) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()

    def downloads(self) -> list[Request]:
        return [request for request in self.requests if "/releases/download/" in request.path]

    def api_calls(self) -> list[Request]:
        return [request for request in self.requests if request.path.startswith("/api/")]


# ---------------------------------------------------------------------------------------------
# A composite-action runner


class StepFailed(Exception):
    def __init__(self, step: str, code: int, stderr: str) -> None:
        super().__init__(f"step {step!r} exited {code}: {stderr}")
        self.code = code
        self.stderr = stderr


@dataclass
class JobResult:
    outputs: dict[str, str]
    path_additions: list[str]
    logs: str


EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class CompositeRunner:
    """Runs an action.yml the way the Actions runner does, for the parts this action uses:
    `shell: bash` steps with `env:` and `${{ inputs.* }}`, `${{ steps.ID.outputs.* }}` and
    `${{ github.* }}` expressions, GITHUB_OUTPUT and GITHUB_PATH files, and `actions/cache`
    (restore before, save after the job, in `cache` which outlives jobs). Any other expression or
    action is an error, so the runner never silently runs something else than the file says."""

    def __init__(self, action_path: Path, workspace: Path, github: dict[str, str]) -> None:
        self.action = yaml.safe_load((ROOT / "action.yml").read_text())
        self.action_path = action_path
        self.workspace = workspace
        self.github = github
        self.cache: dict[str, Path] = {}

    def run(self, inputs: dict[str, str], environment: dict[str, str]) -> JobResult:
        declared = self.action["inputs"]
        unknown = set(inputs) - set(declared)
        assert not unknown, f"inputs not declared in action.yml: {unknown}"
        values = {
            name: inputs.get(name, self.expand(str(spec.get("default", "")), {}, {}))
            for name, spec in declared.items()
        }
        steps: dict[str, dict[str, str]] = {}
        pending_saves: list[tuple[str, Path]] = []
        path_file = self.workspace / "github_path"
        path_file.write_text("")
        logs = []
        for index, step in enumerate(self.action["runs"]["steps"]):
            step_id = step.get("id", f"step{index}")
            if "uses" in step:
                assert step["uses"].startswith("actions/cache@"), step["uses"]
                key = self.expand(step["with"]["key"], values, steps)
                path = Path(self.expand(step["with"]["path"], values, steps))
                if key in self.cache:
                    shutil.copytree(self.cache[key], path, dirs_exist_ok=True)
                    steps[step_id] = {"cache-hit": "true"}
                else:
                    pending_saves.append((key, path))
                    steps[step_id] = {"cache-hit": "false"}
                continue
            assert step["shell"] == "bash", step
            output_file = self.workspace / f"output_{index}"
            output_file.write_text("")
            env = {
                **environment,
                "GITHUB_ACTION_PATH": str(self.action_path),
                "GITHUB_OUTPUT": str(output_file),
                "GITHUB_PATH": str(path_file),
            }
            for name, value in (step.get("env") or {}).items():
                env[name] = self.expand(str(value), values, steps)
            script = self.expand(step["run"], values, steps)
            finished = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                env=env,
                cwd=self.workspace,
                capture_output=True,
                text=True,
                timeout=120,
            )
            logs.append(finished.stdout + finished.stderr)
            if finished.returncode != 0:
                raise StepFailed(step_id, finished.returncode, finished.stderr)
            steps[step_id] = dict(
                line.split("=", 1) for line in output_file.read_text().splitlines() if line
            )
        # actions/cache saves in its post step, after a successful job, only on a miss.
        for key, path in pending_saves:
            if path.exists():
                saved = self.workspace / "cache-store" / re.sub(r"[^\w.-]", "_", key)
                shutil.copytree(path, saved)
                self.cache[key] = saved
        outputs = {
            name: self.expand(spec["value"], values, steps)
            for name, spec in self.action["outputs"].items()
        }
        return JobResult(outputs, path_file.read_text().splitlines(), "".join(logs))

    def expand(self, text: str, inputs: dict[str, str], steps: dict[str, dict[str, str]]) -> str:
        def value(match: re.Match) -> str:
            expression = match.group(1)
            parts = expression.split(".")
            if parts[0] == "inputs" and len(parts) == 2:
                return inputs[parts[1]]
            if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
                return steps.get(parts[1], {}).get(parts[3], "")
            if parts[0] == "github" and len(parts) == 2:
                return self.github.get(parts[1], "")
            raise AssertionError(f"the test runner does not evaluate ${{{{ {expression} }}}}")

        return EXPRESSION.sub(value, text)


def temporary_directory(test) -> Path:
    directory = Path(tempfile.mkdtemp(prefix="ristretto-release-test-"))
    test.addCleanup(shutil.rmtree, directory, ignore_errors=True)
    return directory
