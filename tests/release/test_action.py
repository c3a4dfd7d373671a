"""The GitHub Action (action.yml + scripts/action-install.sh), run step by step as the runner
runs it, against a local stand-in for GitHub's releases: a good archive is installed and put on
PATH, a wrong checksum is refused, an unknown version and a runner without an archive get a
clear error, and a cached install downloads nothing."""

from __future__ import annotations

import os
import subprocess
import unittest
from pathlib import Path

import yaml

from support import (
    HOST_TARGET,
    REPOSITORY,
    ROOT,
    CompositeRunner,
    ReleaseServer,
    StepFailed,
    cargo_version,
    make_release,
    temporary_directory,
)

VERSION = cargo_version()
TAG = f"v{VERSION}"


class ActionTest(unittest.TestCase):
    def setUp(self) -> None:
        self.directory = temporary_directory(self)
        self.releases = self.directory / "releases"
        self.releases.mkdir()
        self.server = ReleaseServer(self.releases, latest=TAG)
        self.server.__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)
        self.workspace = self.directory / "workspace"
        self.workspace.mkdir()
        self.tool_cache = self.directory / "toolcache"
        self.runner = CompositeRunner(
            ROOT, self.workspace, {"token": "ghs_job_token", "action_repository": REPOSITORY}
        )

    def environment(self, **overrides: str) -> dict[str, str]:
        environment = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.directory),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "RUNNER_TOOL_CACHE": str(self.tool_cache),
            "RUNNER_TEMP": str(self.workspace),
            "GITHUB_SERVER_URL": self.server.url,
            "GITHUB_API_URL": f"{self.server.url}/api",
        }
        environment.update(overrides)
        return environment

    def failure(self, inputs: dict[str, str], **environment: str) -> str:
        with self.assertRaises(StepFailed) as failed:
            self.runner.run(inputs, self.environment(**environment))
        self.assertEqual(failed.exception.code, 1)
        self.assertIn("::error title=ristretto setup::", failed.exception.stderr)
        return failed.exception.stderr

    def test_latest_release_is_verified_installed_and_put_on_path(self) -> None:
        make_release(self.releases, TAG)
        result = self.runner.run({}, self.environment())

        directory = self.tool_cache / "ristretto" / VERSION / HOST_TARGET
        self.assertEqual(result.outputs, {"version": VERSION, "path": str(directory)})
        self.assertEqual(result.path_additions, [str(directory)])
        version = subprocess.run(
            ["ristretto", "--version"],
            env={"PATH": f"{directory}:{os.environ['PATH']}"},
            capture_output=True,
            text=True,
            check=True,
        )
        self.assertEqual(version.stdout, f"ristretto {VERSION}\n")
        for shipped in [
            "man/ristretto.1",
            "completions/ristretto.bash",
            "completions/_ristretto",
            "completions/ristretto.fish",
        ]:
            self.assertTrue((directory / shipped).is_file(), shipped)
        self.assertIn(f"Installed ristretto {VERSION} (ristretto-{VERSION}-{HOST_TARGET}.tar.gz, SHA-256 ", result.logs)

        # The token goes to the API only, never with the downloads.
        [api_call] = self.server.api_calls()
        self.assertEqual(api_call.path, f"/api/repos/{REPOSITORY}/releases/latest")
        self.assertEqual(api_call.authorization, "Bearer ghs_job_token")
        self.assertEqual(
            [request.path for request in self.server.downloads()],
            [
                f"/{REPOSITORY}/releases/download/{TAG}/SHA256SUMS",
                f"/{REPOSITORY}/releases/download/{TAG}/ristretto-{VERSION}-{HOST_TARGET}.tar.gz",
            ],
        )
        self.assertTrue(all(request.authorization is None for request in self.server.downloads()))

    def test_a_pinned_version_needs_no_api_call_and_a_cached_one_no_download(self) -> None:
        make_release(self.releases, TAG)
        first = self.runner.run({"version": VERSION}, self.environment())
        self.assertEqual(first.outputs["version"], VERSION)
        self.assertEqual(self.server.api_calls(), [])
        self.assertEqual(len(self.server.downloads()), 2)

        # A new job on a fresh runner: the tool cache is empty, actions/cache restores it.
        self.tool_cache.rename(self.directory / "previous-runner")
        self.server.requests.clear()
        second = self.runner.run({"version": TAG}, self.environment())
        self.assertEqual(self.server.requests, [])
        self.assertIn(f"ristretto {VERSION} is already in", second.logs)
        self.assertEqual(second.path_additions, [first.outputs["path"]])

    def test_a_wrong_checksum_is_refused_and_nothing_is_installed(self) -> None:
        make_release(self.releases, TAG, corrupt_checksum=True)
        stderr = self.failure({"version": VERSION})
        self.assertIn(f"checksum mismatch for ristretto-{VERSION}-{HOST_TARGET}.tar.gz: SHA256SUMS says ", stderr)
        self.assertIn("refusing to install it", stderr)
        self.assertFalse((self.tool_cache / "ristretto").exists())
        self.assertEqual((self.workspace / "github_path").read_text(), "")

    def test_an_unknown_version_is_a_clear_error(self) -> None:
        make_release(self.releases, TAG)
        stderr = self.failure({"version": "9.9.9"})
        self.assertIn(
            f"ristretto v9.9.9 is not released in {REPOSITORY} "
            f"({self.server.url}/{REPOSITORY}/releases/download/v9.9.9/SHA256SUMS answered 404): "
            f"check the version input; releases are listed at {self.server.url}/{REPOSITORY}/releases",
            stderr,
        )

    def test_a_version_that_is_not_one_is_a_clear_error(self) -> None:
        stderr = self.failure({"version": "1.2"})
        self.assertIn('"1.2" is not a ristretto version: use latest or a version such as 0.1.0', stderr)
        self.assertEqual(self.server.requests, [])

    def test_no_release_yet_is_a_clear_error(self) -> None:
        self.server.latest = None
        stderr = self.failure({})
        self.assertIn(f"{REPOSITORY} has no published release", stderr)
        self.assertIn("set the version input", stderr)

    def test_a_rate_limited_api_names_the_token_input(self) -> None:
        self.server.latest_status = 403
        stderr = self.failure({"github-token": ""})
        self.assertIn(
            f"the GitHub API refused to name the latest release of {REPOSITORY} (HTTP 403): "
            "pass a token with the github-token input, or set the version input",
            stderr,
        )
        [api_call] = self.server.api_calls()
        self.assertIsNone(api_call.authorization)

    def test_a_runner_without_an_archive_is_a_clear_error(self) -> None:
        stderr = self.failure({"version": VERSION}, RUNNER_OS="Windows", RUNNER_ARCH="ARM64")
        self.assertIn("ristretto has no release archive for Windows ARM64", stderr)

    def test_a_release_without_this_runners_archive_is_a_clear_error(self) -> None:
        make_release(self.releases, TAG)
        stderr = self.failure({"version": VERSION}, RUNNER_OS="macOS", RUNNER_ARCH="X64")
        self.assertIn(
            f"SHA256SUMS of ristretto {TAG} lists no ristretto-{VERSION}-x86_64-apple-darwin.tar.gz",
            stderr,
        )

    def test_the_repository_comes_from_the_action_path_when_the_runner_leaves_it_empty(self) -> None:
        # `github.action_repository` is empty inside some composite steps; the checkout path
        # .../_actions/OWNER/NAME/REF still names the repository.
        make_release(self.releases, TAG)
        checkout = self.directory / "_work" / "_actions" / "acme" / "ristretto" / "v0"
        checkout.parent.mkdir(parents=True)
        checkout.symlink_to(ROOT)
        runner = CompositeRunner(checkout, self.workspace, {"token": "t", "action_repository": ""})
        result = runner.run({}, self.environment())
        self.assertEqual(result.outputs["version"], VERSION)

    def test_every_runner_gets_a_target_the_release_workflow_builds(self) -> None:
        workflow = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
        built = {entry["target"] for entry in workflow["jobs"]["build"]["strategy"]["matrix"]["include"]}
        archived = {target for target in built if "musl" not in target}
        chosen = set()
        for runner_os, arch in [("Linux", "X64"), ("Linux", "ARM64"), ("macOS", "X64"), ("macOS", "ARM64"), ("Windows", "X64")]:
            resolved = subprocess.run(
                ["bash", str(ROOT / "scripts/action-install.sh"), "resolve"],
                env={**self.environment(RUNNER_OS=runner_os, RUNNER_ARCH=arch), "RISTRETTO_VERSION": VERSION, "RISTRETTO_REPOSITORY": REPOSITORY},
                capture_output=True,
                text=True,
                check=True,
            )
            outputs = dict(line.split("=", 1) for line in resolved.stdout.splitlines())
            chosen.add(outputs["target"])
            suffix = ".zip" if runner_os == "Windows" else ".tar.gz"
            self.assertEqual(outputs["archive"], f"ristretto-{VERSION}-{outputs['target']}{suffix}")
        self.assertEqual(chosen, archived)


if __name__ == "__main__":
    unittest.main()
