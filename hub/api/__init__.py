"""The public REST API under ``/v1``: one route table (:mod:`hub.api.table`) builds both the
aiohttp routes and the OpenAPI document, so what is served and what is documented cannot
drift apart."""
