"""The container image's Dockerfile, checked without a container engine (none runs on the test
machine; hadolint lints it in scripts/check-release.sh): a static binary on a distroless or
scratch base, a numeric non-root user, and the binary path release.yml fills for each platform."""

from __future__ import annotations

import re
import unittest

import yaml

from support import ROOT


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, comments dropped and continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


class DockerfileTest(unittest.TestCase):
    def test_a_distroless_static_base_and_a_numeric_non_root_user(self) -> None:
        steps = instructions()
        bases = [arguments for instruction, arguments in steps if instruction == "FROM"]
        self.assertEqual(len(bases), 1, "one stage: nothing is built inside the image")
        self.assertRegex(bases[0], r"^(gcr\.io/distroless/static-debian\d+:nonroot|scratch)$")
        users = [arguments for instruction, arguments in steps if instruction == "USER"]
        self.assertEqual(len(users), 1)
        user, _, group = users[0].partition(":")
        self.assertTrue(user.isdigit() and int(user) != 0, users)
        self.assertTrue(group.isdigit() and int(group) != 0, users)
        # Nothing runs at build time: no shell in the image, no emulation for the other platform.
        self.assertNotIn("RUN", [instruction for instruction, _ in steps])
        [entrypoint] = [arguments for instruction, arguments in steps if instruction == "ENTRYPOINT"]
        [copy] = [arguments for instruction, arguments in steps if instruction == "COPY"]
        destination = copy.split()[-1]
        self.assertEqual(entrypoint, f'["{destination}"]')

    def test_the_release_workflow_puts_a_musl_binary_where_the_dockerfile_copies_from(self) -> None:
        [copy] = [arguments for instruction, arguments in instructions() if instruction == "COPY"]
        source = copy.split()[-2]
        self.assertEqual(source, "dist/docker/${TARGETARCH}/ristretto")
        workflow = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
        image = workflow["jobs"]["image"]
        downloads = {
            step["with"]["path"]: step["with"]["name"]
            for step in image["steps"]
            if step.get("uses", "").startswith("actions/download-artifact@")
        }
        self.assertEqual(
            downloads,
            {
                "dist/docker/amd64": "bin-x86_64-unknown-linux-musl",
                "dist/docker/arm64": "bin-aarch64-unknown-linux-musl",
            },
        )
        built = {entry["target"] for entry in workflow["jobs"]["build"]["strategy"]["matrix"]["include"]}
        self.assertLessEqual({"x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"}, built)
        [push] = [step for step in image["steps"] if step.get("uses", "").startswith("docker/build-push-action@")]
        self.assertEqual(push["with"]["platforms"], "linux/amd64,linux/arm64")

    def test_the_build_context_holds_only_the_binaries(self) -> None:
        lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
        self.assertEqual(lines, ["*", "!dist/docker/"])


if __name__ == "__main__":
    unittest.main()
