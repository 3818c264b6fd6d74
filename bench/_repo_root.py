"""Puts the repository root on ``sys.path``, so a bench run as ``python bench/x.py`` can import
``tests.fakes`` (the fake platform and its provider plugin), which is not an installed package.

Import it before anything from ``tests``.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
