"""Issue 15, item 16: no dependency may resolve to a release with a known advisory, and what
``make up``/``make test`` install is the locked set: every package pinned, with its hashes, and
the lock agreeing with pyproject's ranges. ``make lock`` refreshes it, ``make audit`` audits it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements-dev.lock"
RUN_LOCK = ROOT / "requirements.lock"
#: The advisories the floors step past: package -> (first fixed release, advisories).
ADVISORIES: dict[str, tuple[str, str]] = {
    "aiohttp": ("3.14.3", "CVE-2026-59881, CVE-2026-69243 (3.14.2), GHSA-cq5v-8q36-5273 / "
                          "CVE-2026-69244 (3.14.3)"),
    "jinja2": ("3.1.6", "CVE-2024-56201, CVE-2024-56326 (3.1.5), CVE-2025-27516 (3.1.6)"),
    "authlib": ("1.7.2", "CVE-2026-27962, CVE-2026-28802 (1.6.9), CVE-2026-41425, "
                         "CVE-2026-44681 (1.6.12/1.7.2)"),
    "cryptography": ("50.0.0", "CVE-2026-39892 (46.0.7), CVE-2026-69247, CVE-2026-69248, "
                               "CVE-2026-69249 (50.0.0)"),
}
#: The machine the lock is made for (README: Python 3.11 on Linux x86_64).
LOCK_TARGET = default_environment() | {"python_version": "3.11", "python_full_version": "3.11.0",
                                       "sys_platform": "linux", "platform_system": "Linux",
                                       "platform_machine": "x86_64", "os_name": "posix",
                                       "implementation_name": "cpython",
                                       "platform_python_implementation": "CPython"}


def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def declared(*, extras: tuple[str, ...] = ("dev",)) -> dict[str, Requirement]:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    found = {}
    for line in lines:
        requirement = Requirement(line)
        found[canonicalize_name(requirement.name)] = requirement
    return found


def locked(lock: Path = LOCK) -> dict[str, tuple[Version, list[str]]]:
    """package -> (pinned version, hashes) for every requirement in ``lock``."""
    text = lock.read_text(encoding="utf-8")
    entries = re.sub(r"\\\n\s*", " ", text).splitlines()
    pins: dict[str, tuple[Version, list[str]]] = {}
    for entry in entries:
        entry = entry.split(" #")[0].strip()
        if not entry or entry.startswith(("#", "-")):
            continue
        spec, *options = entry.split(" --")
        requirement = Requirement(spec.strip())
        (pinned,) = list(requirement.specifier)
        assert pinned.operator == "==", f"{spec} is not pinned"
        hashes = [o.removeprefix("hash=") for o in options if o.startswith("hash=")]
        pins[canonicalize_name(requirement.name)] = (Version(pinned.version), hashes)
    return pins


@pytest.mark.parametrize("package", sorted(ADVISORIES))
def test_the_floor_is_past_every_known_advisory(package: str) -> None:
    fixed, advisories = ADVISORIES[package]
    requirement = declared(extras=())[package]
    floors = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==")]

    assert floors and max(floors) >= Version(fixed), f"{package}: {advisories}"


def test_dev_extras_bring_the_audit_and_property_test_tools() -> None:
    dev = declared()
    assert "pip-audit" in dev
    assert Version("6.100") in dev["hypothesis"].specifier


@pytest.mark.parametrize("lock", [LOCK, RUN_LOCK], ids=lambda p: p.name)
def test_every_locked_package_is_pinned_with_hashes(lock: Path) -> None:
    pins = locked(lock)

    assert pins
    assert [name for name, (_, hashes) in pins.items() if not hashes] == []


@pytest.mark.parametrize(("lock", "extras"), [(LOCK, ("dev",)), (RUN_LOCK, ())],
                         ids=["dev", "runtime"])
def test_the_lock_satisfies_pyproject(lock: Path, extras: tuple[str, ...]) -> None:
    pins = locked(lock)
    wrong = []
    for name, requirement in declared(extras=extras).items():
        if requirement.marker is not None and not requirement.marker.evaluate(LOCK_TARGET):
            continue
        if name == "postflow":
            continue
        if name not in pins or pins[name][0] not in requirement.specifier:
            wrong.append(f"{requirement} (locked: {pins.get(name, ('missing',))[0]})")
    assert wrong == []


@pytest.mark.parametrize("lock", [LOCK, RUN_LOCK], ids=lambda p: p.name)
def test_the_lock_holds_no_release_with_a_known_advisory(lock: Path) -> None:
    pins = locked(lock)
    for package, (fixed, advisories) in ADVISORIES.items():
        assert pins[package][0] >= Version(fixed), f"{package}: {advisories}"


def test_the_image_and_the_tests_run_the_same_releases() -> None:
    runtime, dev = locked(RUN_LOCK), locked(LOCK)

    assert {n: v for n, (v, _) in runtime.items()} == {n: dev[n][0] for n in runtime}
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"pip install .*--require-hashes -r requirements\.lock", dockerfile)
    assert re.search(r"pip install .*--no-deps \.", dockerfile)


def test_make_installs_the_lock_and_refreshes_it() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    stamp_rule = next(line for line in makefile.splitlines() if line.startswith("$(STAMP):"))

    assert "requirements.lock" in stamp_rule or "$(LOCK)" in stamp_rule
    assert re.search(r"pip install .*--require-hashes .*-r \$\(LOCK\)", makefile)
    assert re.search(r"pip install .*--no-deps .*-e", makefile)
    assert re.search(r"^lock:", makefile, re.MULTILINE)
    assert re.search(r"^audit:.*\n(\t.*\n)*\t.*pip-audit", makefile, re.MULTILINE)
    assert "make lock" in (ROOT / "README.md").read_text(encoding="utf-8")
