# One image for every PostFlow process; compose.yaml picks the command (hub, worker, scheduler).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# The locked, hash-checked dependencies first: this layer changes only with the lock.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
# Every top-level package (tests/security/test_container_files.py checks none is left out).
COPY pyproject.toml README.md ./
COPY postflow ./postflow
COPY hub ./hub
COPY workers ./workers
COPY integrations ./integrations
COPY bot ./bot
COPY cli ./cli
COPY composition ./composition
COPY templates ./templates
# Not root: its own user, whose only writable place is the data volume (0700).
RUN pip install --no-cache-dir --no-deps . \
 && useradd --system --uid 10001 --home-dir /var/lib/postflow --no-create-home postflow \
 && install -d -o postflow -g postflow -m 0700 /var/lib/postflow
USER postflow
ENV POSTFLOW_HTTP_HOST=0.0.0.0 POSTFLOW_DATA_DIR=/var/lib/postflow
VOLUME ["/var/lib/postflow"]
ENTRYPOINT ["postflow"]
CMD ["hub"]
