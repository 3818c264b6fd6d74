"""Worst-case text validation: every network's ``validate`` on adversarial texts at its cap.

Each network of the provider registry (every built-in one, configured or not, and the plugins)
gets texts of exactly its hard cap (``max_text_code_points``), shaped to be as hard as possible to
count: ``"a."`` runs (the dotted chain that made twitter-text quadratic), links back to back with
and without a scheme, long domains, paths of parentheses, emoji with skin tones, ZWJ families,
flags, unordered combining marks (quadratic in CPython's NFC), CJK, and a mix; plus the text one
over the cap (refused before counting). Each call goes through ``validate_within_cap``, as the
hub, the CLI and chat do, and is timed on its own (warm, after one untimed call).

    .venv/bin/python bench/validate.py [--repeats 10 | --quick]

Prints the slowest case per network, then
``RESULT validate_max_ms=... validate_p99_ms=... cases=...``. Target: max <= 20 ms per call.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _repo_root  # noqa: F401  (puts the repository root on sys.path)

from composition.runtime import open_runtime, validation_registry
from postflow.config import Settings
from postflow.providers import Provider, PublishContent
from postflow.text_caps import text_cap, validate_within_cap

TARGET_MAX_MS = 20.0
REPEATS = 10
QUICK_REPEATS = 3


def _fill(piece: str, length: int) -> str:
    """``piece`` repeated to exactly ``length`` code points."""
    return (piece * (length // len(piece) + 1))[:length]


#: Name -> the text of a given length.
SHAPES: dict[str, Callable[[int], str]] = {
    "dot runs (a.)": lambda n: _fill("a.", n),
    "links without scheme (a.com )": lambda n: _fill("a.com ", n),
    "links, two-letter TLD (a.co )": lambda n: _fill("a.co ", n),
    "links with scheme and path": lambda n: _fill("http://a.co/b ", n),
    "one dotted domain (x.com.x.com...)": lambda n: _fill("x.com.", n - 3) + "com",
    "dotted chain, non-ASCII label last": lambda n: _fill("a.", n - 6) + "\u65e5x.com",
    "path of parentheses": lambda n: "http://a.com/" + _fill("(b)", n - 13),
    "parentheses after a non-ending char": lambda n: "http://a.com/!" + _fill("(!)", n - 14),
    "one long label": lambda n: "http://" + "a" * (n - 11) + ".com",
    "schemes without domain": lambda n: _fill("http://", n),
    "dashes and underscores": lambda n: _fill("a-_", n - 4) + ".com",
    "emoji with skin tones": lambda n: _fill("\U0001F44D\U0001F3FD", n),
    "ZWJ families": lambda n: _fill(
        "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466", n),
    "flags": lambda n: _fill("\U0001F1EB\U0001F1F7", n),
    "keycaps": lambda n: _fill("1\ufe0f\u20e3", n),
    "combining marks, unordered": lambda n: "a" + _fill("\u0301\u0316", n - 1),
    "CJK": lambda n: _fill("\u65e5", n),
    "mixed": lambda n: _fill("a.co \u65e5\U0001F600\u0301 http://x.com/(a) #tag @you ", n),
    "one over the cap": lambda n: _fill("a.", n + 1),
}


def _time_call(provider: Provider, content: PublishContent) -> float:
    started = time.perf_counter()
    validate_within_cap(provider, content)
    return (time.perf_counter() - started) * 1000


async def _providers() -> dict[str, Provider]:
    with tempfile.TemporaryDirectory(prefix="postflow-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "var",
                            secret_key="bench-secret-key-0123456789")
        rt = await open_runtime(settings)
        try:
            registry = validation_registry(rt)
            return {network: registry.get(network) for network in registry.networks()}
        finally:
            await rt.store.close()


def run(repeats: int) -> None:
    providers = asyncio.run(_providers())
    timings: list[float] = []
    for network, provider in providers.items():
        cap = text_cap(provider)
        slowest = (0.0, "")
        for shape, make in SHAPES.items():
            content = PublishContent(text=make(cap))
            _time_call(provider, content)  # warm: first-use tables, caches
            for _ in range(repeats):
                elapsed = _time_call(provider, content)
                timings.append(elapsed)
                slowest = max(slowest, (elapsed, shape))
        print(f"{network:>10}: cap {cap:>6,} code points, slowest {slowest[0]:6.2f} ms "
              f"({slowest[1]})", flush=True)
    worst = max(timings)
    p99 = statistics.quantiles(timings, n=100)[98]
    verdict = "met" if worst <= TARGET_MAX_MS else "NOT met"
    print(f"target max <= {TARGET_MAX_MS:.0f} ms per call: {verdict}")
    print(f"RESULT validate_max_ms={worst:.2f} validate_p99_ms={p99:.2f} "
          f"cases={len(providers) * len(SHAPES)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=REPEATS,
                        help=f"timed calls per case (default {REPEATS})")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_REPEATS} timed calls per case")
    args = parser.parse_args()
    run(QUICK_REPEATS if args.quick else args.repeats)


if __name__ == "__main__":
    main()
