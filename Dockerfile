# The project image: the code server, the webserver, the daemon and every run container use it.
# Dependencies are installed from uv.lock exactly (`uv sync --frozen`, hashes checked), with the
# `deploy` extra (dagster-docker, the run launcher) and without the test tools.
#
# BASE_IMAGE: a Debian 12 image with Python 3.11 on PATH. The default is the public image; where no
# registry is reachable, make deploy-test builds one locally (deploy/images/python.Dockerfile).
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ARG UV_VERSION=0.13.9
ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    PATH=/opt/venv/bin:$PATH

# Extra CA certificates to trust, e.g. a TLS-intercepting proxy's: any *.crt staged in
# deploy/build-ca/ before the build (empty in the repository; see its .gitignore).
COPY deploy/build-ca/ /usr/local/share/ca-certificates/build-ca/
RUN update-ca-certificates \
 && python3 -m venv /opt/uv \
 && /opt/uv/bin/pip install --no-cache-dir uv==${UV_VERSION} \
 && ln -s /opt/uv/bin/uv /usr/local/bin/uv \
 && useradd --create-home --uid 1000 dagster \
 && mkdir -p /opt/dagster/app /opt/dagster/dagster_home/storage /data \
 && chown -R dagster:dagster /opt/dagster /data

WORKDIR /opt/dagster/app

# Dependencies first (cached until the lock changes), then the project itself.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --extra deploy --no-install-project --no-cache
COPY README.md ./
COPY analytics_assets ./analytics_assets
RUN uv sync --frozen --no-dev --extra deploy --no-editable --no-cache

COPY deploy/dagster.yaml /opt/dagster/dagster_home/dagster.yaml
COPY deploy/workspace.yaml /opt/dagster/app/workspace.yaml

USER dagster
EXPOSE 4000
# The code server: the only place the image names the code location's module.
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "analytics_assets.definitions", "--location-name", "analytics_assets"]
