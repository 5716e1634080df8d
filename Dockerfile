# Flywheel Coach: HTTP mode by default (`serve`), the data dir as a volume, health checked on /healthz.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLYWHEEL_DATA_DIR=/data \
    PORT=3000

RUN groupadd --gid 10001 coach && useradd --create-home --uid 10001 --gid 10001 coach \
    && mkdir -p /data /app \
    && chown coach:coach /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install --no-cache-dir .

USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

ENTRYPOINT ["flywheel-coach"]
CMD ["serve", "--port", "3000"]
