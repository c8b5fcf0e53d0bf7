# Compa's container image. Build: `docker build -t compa .`; run it with compose.yaml (Caddy in
# front for HTTPS) or see "Deploying on a server" in README.md.
#
# - runs as the unprivileged user `compa` (uid 10001), never root;
# - the data folder is the volume /data (database, backups); the keys file is NOT in it: mount
#   it read-only at /run/secrets/compa-keys.toml (owned by uid 10001, mode 600);
# - the config is mounted at /etc/compa/config.toml; secrets come as environment variables;
# - HEALTHCHECK asks /healthz on the web server (set `[web] always_on = true`, host 0.0.0.0).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY alerts ./alerts
COPY content ./content
RUN python -m venv /opt/compa \
    && /opt/compa/bin/pip install . \
    && /opt/compa/bin/compa content check

FROM python:3.11-slim AS runtime
RUN groupadd --system --gid 10001 compa \
    && useradd --system --uid 10001 --gid compa --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin compa \
    && mkdir -p /data /etc/compa \
    && chown compa:compa /data \
    && chmod 700 /data
COPY --from=build /opt/compa /opt/compa
ENV PATH=/opt/compa/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PTB_TIMEDELTA=1 \
    COMPA_CONFIG=/etc/compa/config.toml \
    COMPA_DATA_DIR=/data
VOLUME ["/data"]
USER compa
WORKDIR /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]
# SIGTERM (docker stop) lets sends in flight finish and records them before exiting.
STOPSIGNAL SIGTERM
ENTRYPOINT ["compa"]
CMD ["run"]
