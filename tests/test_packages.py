"""Each top-level package imports on its own, in a fresh interpreter: no import cycle is held
together by the order in which modules happen to load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("postflow", "integrations", "bot", "hub", "workers", "composition", "cli")
#: Modules that refuse to load before the broker is configured (workers/broker.py says why).
NEED_A_BROKER = ("workers.actors", "workers.chat_actors", "workers.billing_actors",
                 "workers.webhook_actors")

WALK = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
skip = set(sys.argv[2:])
for found in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if found.name not in skip:
        importlib.import_module(found.name)
"""


@pytest.mark.parametrize("package", PACKAGES)
def test_the_package_imports_alone(package: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {package}"],  # noqa: S603 - fixed argv
                          cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_of_the_package_imports_with_the_package_alone(package: str) -> None:
    done = subprocess.run([sys.executable, "-c", WALK, package, *NEED_A_BROKER],  # noqa: S603
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
