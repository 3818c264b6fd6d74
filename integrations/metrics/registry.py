"""Every metric PostFlow exports, defined once. Other modules increment these objects (or call
the recorder's functions); nothing else defines a ``postflow_`` metric.

Values measured when /metrics is scraped (queue depth, scheduler lag, connections by health)
are not here: the hub computes them per scrape (``exposition.py``), so they hold across
processes without Prometheus's multiprocess gauge modes.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

#: Seconds buckets for things that take milliseconds to seconds (HTTP, hook ingestion).
FAST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Seconds buckets for network calls that may upload video.
PUBLISH_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

HTTP_REQUESTS = Counter(
    "postflow_http_requests_total", "HTTP requests the hub answered, by route pattern "
    "(never the raw path), method and status.", ["route", "method", "status"])
HOOK_INGEST_SECONDS = Histogram(
    "postflow_hook_ingest_seconds", "Time to answer an incoming hook's POST, from the request "
    "to the answer, by status.", ["status"], buckets=FAST_BUCKETS)
PUBLISH_TOTAL = Counter(
    "postflow_publish", "Publish attempts by network and outcome (published, retry, failed, "
    "unconfirmed, reconciled, not_sent).", ["network", "outcome"])
PUBLISH_SECONDS = Histogram(
    "postflow_publish_duration_seconds", "Duration of a publish attempt (the network call and "
    "its slot wait), by network.", ["network"], buckets=PUBLISH_BUCKETS)
PUBLISH_RETRIES = Counter(
    "postflow_publish_retries", "Targets put back on the schedule to be tried again, by "
    "network.", ["network"])
CHAT_DELIVERIES = Counter(
    "postflow_chat_deliveries", "Chat messages delivered by platform and outcome (sent, "
    "rate_limited = the platform's 429, refused, unreachable).", ["platform", "outcome"])
JOBS = Counter(
    "postflow_jobs", "Jobs the workers finished, by queue and outcome (done, retry, failed, "
    "skipped).", ["queue", "outcome"])
EMAIL_DELIVERIES = Counter(
    "postflow_email_deliveries", "Emails a worker tried, by outcome (sent, retry, refused, "
    "failed).", ["outcome"])
