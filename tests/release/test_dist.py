"""The x86_64 Linux release archive that scripts/dist.sh builds: its layout, its checksum, that it
is reproducible, that the binary needs nothing newer than GLIBC_2.17 (objdump -T) and runs here.

It needs the archive, which takes a ~9-minute release build: scripts/check-release.sh (run by
.ci/run) builds it and sets RISTRETTO_DIST_DIR; without that variable these tests are skipped,
saying why."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import tarfile
import unittest
from pathlib import Path

from support import COMPLETIONS, HOST_TARGET, ROOT, cargo_version, real_dist, temporary_directory

VERSION = cargo_version()
NAME = f"ristretto-{VERSION}-{HOST_TARGET}"
# The glibc the archives promise (README: "any Linux with glibc 2.17 or newer").
GLIBC_FLOOR = (2, 17)


def glibc_versions(binary: Path) -> set[tuple[int, ...]]:
    symbols = subprocess.run(["objdump", "-T", str(binary)], capture_output=True, text=True, check=True).stdout
    return {tuple(int(part) for part in version.split(".")) for version in re.findall(r"\bGLIBC_([0-9.]+)\b", symbols)}


@unittest.skipIf(
    real_dist() is None,
    "needs the release archive from scripts/dist.sh (a ~9-minute release build); "
    "scripts/check-release.sh builds it and sets RISTRETTO_DIST_DIR",
)
class DistTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.dist = real_dist()
        cls.archive = cls.dist / f"{NAME}.tar.gz"

    def setUp(self) -> None:
        self.directory = temporary_directory(self)

    def unpacked(self) -> Path:
        with tarfile.open(self.archive) as archive:
            archive.extractall(self.directory, filter="tar")
        return self.directory / NAME

    def test_the_archive_holds_the_binary_man_pages_and_completions(self) -> None:
        with tarfile.open(self.archive) as archive:
            members = {member.name: member for member in archive.getmembers()}
        self.assertTrue(all(name == NAME or name.startswith(f"{NAME}/") for name in members), sorted(members))
        files = sorted(name.removeprefix(f"{NAME}/") for name, member in members.items() if member.isfile())
        pages = [name for name in files if name.startswith("man/")]
        self.assertEqual(
            [name for name in files if not name.startswith("man/")],
            sorted(["LICENSE", "README.md", "ristretto", *COMPLETIONS]),
        )
        self.assertIn("man/ristretto.1", pages)
        self.assertIn("man/ristretto-plan.1", pages)
        self.assertIn("man/ristretto-lock-release.1", pages)
        binary = members[f"{NAME}/ristretto"]
        self.assertEqual(stat.S_IMODE(binary.mode), 0o755)
        self.assertEqual((binary.uid, binary.gid), (0, 0))
        print(
            f"\n  archive {self.archive.name}: {self.archive.stat().st_size} bytes; "
            f"binary: {binary.size} bytes; {len(pages)} man pages",
            end=" ",
        )

    def test_sha256sums_verifies_the_archive(self) -> None:
        checked = subprocess.run(
            ["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=self.dist, capture_output=True, text=True
        )
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.assertIn(f"{NAME}.tar.gz: OK", checked.stdout)

    def test_the_binary_needs_nothing_newer_than_glibc_2_17(self) -> None:
        binary = self.unpacked() / "ristretto"
        versions = glibc_versions(binary)
        self.assertTrue(versions, "objdump -T lists the GLIBC symbol versions the binary needs")
        newest = max(versions)
        print(f"\n  newest GLIBC symbol version needed: GLIBC_{'.'.join(map(str, newest))}", end=" ")
        self.assertLessEqual(newest, GLIBC_FLOOR, sorted(versions))
        # Nothing but glibc's own libraries (and libgcc_s for unwinding) is needed.
        headers = subprocess.run(["objdump", "-p", str(binary)], capture_output=True, text=True, check=True).stdout
        needed = set(re.findall(r"^\s+NEEDED\s+(\S+)$", headers, re.MULTILINE))
        allowed = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libgcc_s.so.1", "ld-linux-x86-64.so.2"}
        self.assertLessEqual(needed, allowed, sorted(needed))

    def test_the_binary_runs_here(self) -> None:
        binary = self.unpacked() / "ristretto"
        version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True)
        self.assertEqual(version.stdout, f"ristretto {VERSION}\n")
        # The completion script loads in bash and registers ristretto.
        loaded = subprocess.run(
            ["bash", "-c", f"source {self.directory / NAME / 'completions/ristretto.bash'} && complete -p ristretto"],
            capture_output=True,
            text=True,
        )
        self.assertEqual(loaded.returncode, 0, loaded.stderr)
        self.assertIn("ristretto", loaded.stdout)

    def test_archiving_again_gives_the_same_bytes(self) -> None:
        binary = self.unpacked() / "ristretto"
        again = self.directory / "again"
        subprocess.run(
            ["bash", str(ROOT / "scripts/dist.sh"), "archive", HOST_TARGET, str(binary), str(binary)],
            env={**os.environ, "DIST_DIR": str(again)},
            check=True,
            capture_output=True,
        )
        self.assertEqual((again / self.archive.name).read_bytes(), self.archive.read_bytes())


if __name__ == "__main__":
    unittest.main()
