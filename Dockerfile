# Airflow image for docker-compose.yml: the official Airflow 3.3.2 image plus the
# scholarly-pipeline package and the exact dependency versions from uv.lock.
# Extending the official image (rather than _PIP_ADDITIONAL_REQUIREMENTS) is what
# https://airflow.apache.org/docs/docker-stack/build.html recommends: deps are
# installed once at build time, not on every container start.
#
# The Airflow version appears three times below (both FROM lines and the pip pin);
# tests/test_docker_compose.py checks they all match pyproject.toml.

# --- stage 1: uv.lock -> pinned requirements.txt -------------------------------
# uv is only needed for `uv export`, so it lives in this throwaway stage and
# never reaches the runtime image.
FROM apache/airflow:3.3.2-python3.11 AS requirements
RUN pip install --no-cache-dir "uv==0.13.8"
WORKDIR /tmp/lock
COPY pyproject.toml uv.lock ./
# --frozen: fail if uv.lock is stale instead of silently re-resolving.
# --no-emit-project: the project itself is installed separately (stage 2).
# --group deploy: the celery provider (CeleryExecutor), locked but not in the dev venv.
RUN python -m uv export --frozen --no-dev --group deploy --no-hashes --no-emit-project \
        -o /tmp/requirements.txt

# --- stage 2: runtime image -------------------------------------------------------
# python3.11 variant: same interpreter as the dev venv the lock is tested with.
FROM apache/airflow:3.3.2-python3.11

COPY --from=requirements /tmp/requirements.txt /tmp/requirements.txt
# - "apache-airflow==3.3.2" is repeated so pip can never swap the image's Airflow.
# - The FAB provider is removed: flask-appbuilder needs python-dateutil<3 and
#   uv.lock pins 4.0.0 (via airflow-core). The compose file uses Airflow 3's
#   default SimpleAuthManager instead.
RUN pip uninstall -y apache-airflow-providers-fab \
 && pip install --no-cache-dir \
        "apache-airflow==3.3.2" \
        -r /tmp/requirements.txt

# Project source goes in after the dependencies, so code edits don't invalidate
# the slow dependency layer. Owned by airflow:0 like the rest of /opt/airflow.
COPY --chown=airflow:0 pyproject.toml README.md /opt/airflow/project/
COPY --chown=airflow:0 pipeline/ /opt/airflow/project/pipeline/
COPY --chown=airflow:0 schemas/ /opt/airflow/project/schemas/
COPY --chown=airflow:0 warehouse/ /opt/airflow/project/warehouse/
# --no-deps: every dependency is already pinned above.
# --editable: the package runs from /opt/airflow/project, so warehouse/*.sql sit
# next to pipeline/ exactly as in a git checkout.
RUN pip install --no-cache-dir --no-deps --editable /opt/airflow/project

# DAGs are baked in so the image works on its own; docker-compose.yml also
# bind-mounts ./dags over this directory for live editing.
COPY --chown=airflow:0 dags/ /opt/airflow/dags/

# PIPELINE_DATA_DIR (named volume `pipeline-data` in compose). Creating it here
# means a fresh named volume inherits airflow:0 ownership; g+rwx because compose
# may run containers as another AIRFLOW_UID, always with group 0.
RUN mkdir -p /opt/airflow/data && chmod g+rwx /opt/airflow/data
