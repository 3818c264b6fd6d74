"""The store port by record type: one small protocol per kind of record.

:class:`postflow.store.port.Store` composes them; a function that needs one kind of record can
be typed with its protocol alone.
"""
