# One image for every PostFlow process; compose.yaml picks the command (hub, worker, scheduler).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY postflow ./postflow
COPY hub ./hub
COPY workers ./workers
COPY integrations ./integrations
COPY templates ./templates
RUN pip install --no-cache-dir . && useradd --system --uid 10001 postflow
USER postflow
ENV POSTFLOW_HTTP_HOST=0.0.0.0 POSTFLOW_DATA_DIR=/tmp/postflow
ENTRYPOINT ["postflow"]
CMD ["hub"]
