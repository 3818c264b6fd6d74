"""Media backends (a local folder, S3) and the safe fetcher for media URLs."""

from __future__ import annotations

from integrations.media.fetch import FetchLimits, SafeMediaFetcher
from integrations.media.local import LocalMediaStore
from integrations.media.staging import remove_stale_files, staging_dir
from postflow.clock import Clock
from postflow.config import Settings
from postflow.media import MediaStore


def open_media_store(settings: Settings, clock: Clock) -> MediaStore:
    """S3 when ``POSTFLOW_S3_BUCKET`` is set, else ``$POSTFLOW_DATA_DIR/media``."""
    if settings.s3_bucket:
        from integrations.media.s3 import S3MediaStore, s3_client  # boto3 loads only for S3

        return S3MediaStore(s3_client(endpoint_url=settings.s3_endpoint_url,
                                      region=settings.s3_region),
                            settings.s3_bucket, settings.s3_prefix)
    return LocalMediaStore(settings.data_dir / "media", base_url=settings.base_url,
                           secret_key=settings.secret_keys()[0], clock=clock)


def open_media_fetcher(settings: Settings) -> SafeMediaFetcher:
    """The fetcher for media URLs, staging in ``$POSTFLOW_DATA_DIR/tmp`` (first cleared of what
    a killed process left there)."""
    remove_stale_files(staging_dir(settings))
    return SafeMediaFetcher(FetchLimits.from_settings(settings), staging_dir(settings))


__all__ = ["LocalMediaStore", "SafeMediaFetcher", "open_media_fetcher", "open_media_store"]
