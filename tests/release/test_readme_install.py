"""The README's Install section, run as a new user would run it, against a local stand-in for
GitHub's releases: the action snippet (through action.yml) and the archive commands. Its
`cargo install` command is run by scripts/check-release.sh (a build of its own)."""

from __future__ import annotations

import os
import re
import subprocess
import unittest

import yaml

from support import (
    COMPLETIONS,
    REPOSITORY,
    ROOT,
    CompositeRunner,
    ReleaseServer,
    cargo_version,
    make_release,
    real_dist,
    temporary_directory,
)

VERSION = cargo_version()
PUBLISHED_AS = "https://github.com/OWNER/ristretto"


def install_section() -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^## Install\n(.*?)^## ", readme, re.MULTILINE | re.DOTALL)
    assert match, "README.md has an Install section"
    return match.group(1)


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", install_section(), re.MULTILINE | re.DOTALL)


class ReadmeInstallTest(unittest.TestCase):
    def setUp(self) -> None:
        self.directory = temporary_directory(self)
        releases = self.directory / "releases"
        releases.mkdir()
        make_release(releases, f"v{VERSION}")
        self.server = ReleaseServer(releases, latest=f"v{VERSION}")
        self.server.__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)

    def test_the_section_leads_with_the_action_then_archives_then_cargo_install(self) -> None:
        section = install_section()
        positions = [section.index("```yaml"), section.index("```sh\nversion="), section.index("cargo install")]
        self.assertEqual(positions, sorted(positions))
        self.assertEqual(code_blocks("sh")[-1], "cargo install --locked --path .\n")

    def test_the_action_snippet_installs_ristretto(self) -> None:
        [snippet] = code_blocks("yaml")
        steps = yaml.safe_load(snippet)
        setup, use = steps
        self.assertEqual(setup["uses"], f"OWNER/ristretto@v{VERSION}")
        workspace = self.directory / "workspace"
        workspace.mkdir()
        runner = CompositeRunner(ROOT, workspace, {"token": "t", "action_repository": REPOSITORY})
        environment = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.directory),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "RUNNER_TOOL_CACHE": str(self.directory / "toolcache"),
            "RUNNER_TEMP": str(workspace),
            "GITHUB_SERVER_URL": self.server.url,
            "GITHUB_API_URL": f"{self.server.url}/api",
        }
        # Every input the snippet sets is one action.yml declares (the runner asserts it).
        result = runner.run({name: str(value) for name, value in setup["with"].items()}, environment)
        path = os.pathsep.join([*result.path_additions, os.environ["PATH"]])
        finished = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", use["run"]],
            env={"PATH": path},
            capture_output=True,
            text=True,
        )
        self.assertEqual(finished.returncode, 0, finished.stderr)
        self.assertEqual(finished.stdout, f"ristretto {VERSION}\n")

    def test_the_archive_commands_install_ristretto_and_its_man_pages(self) -> None:
        script = code_blocks("sh")[0]
        self.assertIn(f"version={VERSION}\n", script, "the README names the current version")
        self.assertEqual(script.count(PUBLISHED_AS), 1)
        script = script.replace(PUBLISHED_AS, f"{self.server.url}/{REPOSITORY}")
        home = self.directory / "home"
        home.mkdir()
        working = self.directory / "downloads"
        working.mkdir()
        finished = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=working,
            env={"PATH": os.environ["PATH"], "HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(finished.returncode, 0, finished.stderr)
        self.assertIn(f"ristretto-{VERSION}-x86_64-unknown-linux-gnu.tar.gz: OK", finished.stdout)
        self.assertTrue(finished.stdout.endswith(f"ristretto {VERSION}\n"), finished.stdout)
        self.assertTrue((home / ".local/bin/ristretto").is_file())
        pages = sorted(page.name for page in (home / ".local/share/man/man1").iterdir())
        self.assertIn("ristretto.1", pages)
        if real_dist() is not None:
            self.assertIn("ristretto-plan.1", pages)
            rendered = subprocess.run(
                ["man", "-l", str(home / ".local/share/man/man1/ristretto-plan.1")],
                env={"PATH": os.environ["PATH"], "MANPAGER": "cat", "MANWIDTH": "80"},
                capture_output=True,
                text=True,
            )
            self.assertEqual(rendered.returncode, 0, rendered.stderr)
            self.assertIn("--detailed-exitcode", rendered.stdout)

    def test_the_completion_files_named_are_the_archives(self) -> None:
        # test_dist checks that the real archive holds exactly these files.
        section = install_section()
        for name in COMPLETIONS:
            self.assertIn(f"`{name}`", section)


if __name__ == "__main__":
    unittest.main()
