"""Issue 15, item 17 and "also found": the image holds every package PostFlow imports (a missing
``bot/`` once broke any image with Slack configured), runs as a user other than root with its
data under ``/var/lib/postflow``, and compose gives the hub, the workers and the scheduler one
shared data volume (the workers read media the hub stored). Docker does not run here, so these
tests read the Dockerfile and compose.yaml the way Docker would."""

from __future__ import annotations

import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = "/var/lib/postflow"
#: Top-level folders that are never part of the image.
NOT_SHIPPED = {"tests"}
#: Folders the processes read at run time that are not Python packages.
DATA_FOLDERS = {"templates"}
SERVICES = ("hub", "worker", "scheduler")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def dockerfile() -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip()))
        pending = ""
    return instructions


def copied_folders() -> set[str]:
    """Top-level folders of the build context that a COPY puts into the image."""
    folders: set[str] = set()
    for step in dockerfile():
        if step.keyword != "COPY":
            continue
        words = [w for w in shlex.split(step.args) if not w.startswith("--")]
        for source in words[:-1]:
            top = PurePosixPath(source).parts[0]
            folders |= {top} if top not in (".", "*") else set(package_folders())
    return folders


def package_folders() -> set[str]:
    """Every top-level Python package of the repository, and every one pyproject installs."""
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_SHIPPED
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["packages"]["find"]["include"]
    declared = {p.split("*")[0].split(".")[0] for p in patterns}
    return on_disk | declared


def test_pyproject_installs_every_top_level_package() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["packages"]["find"]["include"]
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_SHIPPED
    assert on_disk <= {p.split("*")[0] for p in patterns}


def test_the_image_holds_every_package_and_the_templates() -> None:
    needed = package_folders() | DATA_FOLDERS

    assert "bot" in needed
    assert needed - copied_folders() == set()


def test_the_image_runs_as_a_user_other_than_root() -> None:
    users = [step.args.split(":")[0] for step in dockerfile() if step.keyword == "USER"]

    assert users, "the Dockerfile sets no USER: the processes would run as root"
    assert users[-1] not in ("root", "0")


def test_the_image_keeps_its_data_in_a_volume_its_user_owns() -> None:
    steps = dockerfile()
    user = [s.args.split(":")[0] for s in steps if s.keyword == "USER"][-1]
    env = " ".join(s.args for s in steps if s.keyword == "ENV")
    volumes = " ".join(s.args for s in steps if s.keyword == "VOLUME")
    runs = [s.args for s in steps if s.keyword == "RUN"]

    assert f"POSTFLOW_DATA_DIR={DATA_DIR}" in env
    assert DATA_DIR in volumes
    assert any(DATA_DIR in run and user in run for run in runs), \
        f"no RUN step creates {DATA_DIR} for {user}"


def test_compose_gives_hub_workers_and_scheduler_one_data_volume() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    mounts: dict[str, set[str]] = {}
    for name in SERVICES:
        service = compose["services"][name]
        volumes = [v if isinstance(v, str) else f"{v['source']}:{v['target']}"
                   for v in service.get("volumes", [])]
        mounts[name] = {v.split(":")[0] for v in volumes if v.split(":")[1] == DATA_DIR}
        assert service.get("environment", {}).get("POSTFLOW_DATA_DIR", DATA_DIR) == DATA_DIR

    named = set.union(*mounts.values())
    assert len(named) == 1 and all(m == named for m in mounts.values()), mounts
    assert named <= set(compose.get("volumes") or {}), "the data volume must be a named volume"
