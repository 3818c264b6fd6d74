"""Prometheus metrics: the metric objects (``registry.py``), the core's recorder
(``recorder.py``) and the exposition (``exposition.py``). docs/operations.md lists them."""
