"""The store port's shape: one small protocol per record type, composed into ``Store``."""

from __future__ import annotations

import inspect

from postflow.store.port import Store

RECORD_PROTOCOLS = [base for base in Store.__mro__
                    if base.__module__.startswith("postflow.store.records.")]


def public_methods(protocol: type) -> list[str]:
    return [name for name, value in vars(protocol).items()
            if inspect.isfunction(value) and not name.startswith("_")]


def test_store_adds_only_its_lifecycle_to_the_record_protocols() -> None:
    assert sorted(public_methods(Store)) == ["close", "ping"]


def test_every_store_method_belongs_to_exactly_one_record_protocol() -> None:
    declared = [name for protocol in RECORD_PROTOCOLS for name in public_methods(protocol)]
    every = {name for name, _ in inspect.getmembers(Store, inspect.isfunction)
             if not name.startswith("_")}

    assert len(declared) == len(set(declared))
    assert set(declared) == every - {"close", "ping"}
