# Witaj's production image: `docker compose up` builds it (see docker-compose.yml and the
# README's "Deploy"). The operator builds and runs it; the test suite checks this file's
# structure and installs the same wheel in a fresh virtualenv (tests/test_deploy.py).

# --- build: the wheel, its pinned dependencies, compiled message catalogues -----------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/witaj
COPY constraints.txt ./
COPY pyproject.toml README.md ./
COPY cli ./cli
COPY bot ./bot
COPY flows ./flows
COPY knowledge ./knowledge
COPY locales ./locales
COPY workspace ./workspace
COPY sandbox ./sandbox
RUN /opt/witaj/bin/pip install -c constraints.txt babel \
 && for domain in messages workspace; do \
      /opt/witaj/bin/pybabel compile --domain "$domain" -d locales || exit 1; \
    done \
 && /opt/witaj/bin/pip install -c constraints.txt . \
 && /opt/witaj/bin/python -m compileall -q /opt/witaj

# --- run: no compilers, no sources, not root -------------------------------------------------
FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 witaj \
 && useradd --system --uid 10001 --gid witaj --home-dir /var/lib/witaj --create-home witaj
COPY --from=build /opt/witaj /opt/witaj
ENV PATH=/opt/witaj/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json \
    INDEX_CACHE=/var/lib/witaj/index \
    BOT_MODE=webhook \
    WEBHOOK_HOST=0.0.0.0 \
    WEBHOOK_PORT=8081 \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8090
USER witaj
WORKDIR /var/lib/witaj
EXPOSE 8081 8090
# The bot's port serves /healthz (the workspace service overrides the port in compose).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HEALTH_PORT', os.environ.get('WEBHOOK_PORT', '8081')), timeout=4)"]
STOPSIGNAL SIGTERM
CMD ["witaj", "run"]
