# The project image: the code server, the webserver, the daemon and every run container use it.
# Dependencies are installed from uv.lock exactly (`uv sync --frozen`), with the `deploy` extra
# (dagster-docker, the run launcher) and without the test tools.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    PATH=/opt/venv/bin:$PATH

RUN pip install --no-cache-dir uv==0.13.9 \
 && useradd --create-home --uid 1000 dagster \
 && mkdir -p /opt/dagster/app /opt/dagster/dagster_home/storage /data \
 && chown -R dagster:dagster /opt/dagster /data

WORKDIR /opt/dagster/app

# Dependencies first (cached until the lock changes), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --extra deploy --no-install-project
COPY analytics_assets ./analytics_assets
RUN uv sync --frozen --no-dev --extra deploy --no-editable

COPY deploy/dagster.yaml /opt/dagster/dagster_home/dagster.yaml
COPY deploy/workspace.yaml /opt/dagster/app/workspace.yaml

USER dagster
EXPOSE 4000
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "analytics_assets.definitions", "--location-name", "analytics_assets"]
