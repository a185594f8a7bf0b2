"""An s3:// lake (moto's S3 server on 127.0.0.1) lands, builds and publishes exactly as a local lake does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from cli_helpers import run_cli
from s3_helpers import ACCESS_KEY, AS_OF, REGION, SECRET_KEY, VOLATILE, published_rows, warehouse_rows

from pipeline.config import S3Settings, Settings
from pipeline.run import build, collect_inputs, land_sources
from pipeline.storage.layout import DataLayout
from pipeline.storage.object_store import ObjectStore, open_store, s3_options, s3_settings_from_connection
from pipeline.storage.publish_mirror import read_manifest
from pipeline.storage.store import Store

REPO = Path(__file__).resolve().parents[2]


def test_sample_on_s3_builds_the_same_warehouse_as_a_local_lake(s3_settings, s3_server, tmp_path):
    local = Settings(data_dir=tmp_path / "local-data", as_of=AS_OF, workers=1)
    bucket = s3_settings.lake_uri.split("/")[2]
    s3_settings = s3_settings.model_copy(update={"publish_uri": f"s3://{bucket}/publish"})
    reports = {}
    for settings in (local, s3_settings):
        landed = land_sources(collect_inputs(["sample"]), settings)
        reports[settings.data_dir.name] = (landed, build(settings))

    (local_landed, local_built), (s3_landed, s3_built) = reports["local-data"], reports["s3-data"]
    assert [(f.source_file, f.valid, f.quarantined) for f in s3_landed.files] == [
        (f.source_file, f.valid, f.quarantined) for f in local_landed.files
    ]
    assert s3_built.row_counts == local_built.row_counts and s3_built.row_counts["works"] == 19
    assert warehouse_rows(s3_settings) == warehouse_rows(local)
    assert published_rows(s3_settings) == published_rows(local)

    layout = DataLayout.of(s3_settings)
    assert isinstance(layout.lake, ObjectStore)
    fs = s3_server.filesystem()
    objects = fs.find(bucket)
    # the marts are also published to S3, behind a manifest, for readers on other machines
    manifest = read_manifest(layout.publish_store)
    assert set(manifest["tables"]) == {p.stem for p in layout.publish_dir.glob("*.parquet")}
    con = duckdb.connect()
    layout.publish_store.attach(con)
    for table, entry in manifest["tables"].items():
        rows = con.execute(
            f"select * from read_parquet('s3://{bucket}/publish/{entry['path']}*.parquet') order by all"
        ).fetchall()
        assert len(rows) == entry["rows"]
        if table not in VOLATILE:
            assert rows == published_rows(local)[f"{table}.parquet"], table
    assert fs.exists(f"{bucket}/publish/{manifest['profiles']}A5020000002.json")
    assert len([o for o in objects if o.startswith(f"{bucket}/lake/source=")]) == len(s3_landed.files)
    assert any(o.startswith(f"{bucket}/history/trust_snapshots/as_of=2026-01-01/") for o in objects)
    local_quarantine = DataLayout.of(local).quarantine.files("source=*/entity=*/ingest_date=*/*.parquet")
    assert len([o for o in objects if o.startswith(f"{bucket}/quarantine/source=")]) == len(local_quarantine)
    assert not [o for o in objects if "/_staging/" in o or "/_locks/" in o]  # no staged objects, no lease left
    assert not (s3_settings.data_dir / "lake").exists() and not (s3_settings.data_dir / "history").exists()

    # the README's DuckDB-over-S3 example, as a reader on another machine runs it
    example = subprocess.run(
        [sys.executable, "-c", readme_example("duckdb-over-s3")],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")},
            "AWS_ENDPOINT_URL": s3_server.endpoint_url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "LAKE_BUCKET": bucket,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert example.returncode == 0, example.stderr
    assert "trust_score" in example.stdout and "openalex-snapshot" in example.stdout, example.stdout

    # a re-run recognises every landed input by the version in its S3 object's Parquet metadata
    assert land_sources(collect_inputs(["sample"]), s3_settings).no_op
    assert build(s3_settings).up_to_date


def readme_example(name: str) -> str:
    """The Python block that follows ``<!-- {name} example: … -->`` in the README."""
    text = (REPO / "README.md").read_text()
    after = text.split(f"<!-- {name} example:", 1)[1]
    return after.split("```python\n", 1)[1].split("\n```", 1)[0]


def test_pipeline_run_reads_the_standard_aws_environment(s3_server, tmp_path):
    """`pipeline run` configured only by environment variables: the lake URIs plus AWS_ENDPOINT_URL and friends."""
    bucket = s3_server.new_bucket()
    env = {
        "AWS_ENDPOINT_URL": s3_server.endpoint_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "PIPELINE_LAKE_URI": f"s3://{bucket}/lake",
        "PIPELINE_QUARANTINE_URI": f"s3://{bucket}/quarantine",
        "PIPELINE_HISTORY_URI": f"s3://{bucket}/history",
        "PIPELINE_WORKERS": "1",
    }
    data_dir = tmp_path / "data"
    run_cli("run", "--data-dir", str(data_dir), "--as-of", "2026-01-01", env=env)
    objects = s3_server.filesystem().find(bucket)
    assert any(o.startswith(f"{bucket}/lake/source=openalex-snapshot/entity=works/") for o in objects)
    assert not (data_dir / "lake").exists()
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from works").fetchone()[0] == 19
    finally:
        con.close()


def test_s3_options_come_from_settings_and_leave_the_rest_to_botocore():
    assert s3_options(S3Settings()) == {"use_listings_cache": False}
    options = s3_options(
        S3Settings(
            endpoint_url="http://minio:9000",
            region="eu-west-1",
            access_key_id="AK",
            secret_access_key="SK",
            addressing_style="path",
        )
    )
    assert options == {
        "use_listings_cache": False,
        "endpoint_url": "http://minio:9000",
        "key": "AK",
        "secret": "SK",
        "client_kwargs": {"region_name": "eu-west-1"},
        "config_kwargs": {"s3": {"addressing_style": "path"}},
    }
    assert "SK" not in repr(S3Settings(secret_access_key="SK"))


def test_an_airflow_connection_fills_only_what_the_environment_left_unset():
    filled = s3_settings_from_connection(
        "AK", "SK", {"endpoint_url": "http://minio:9000", "region_name": "eu-west-1"}, S3Settings(region="us-east-2")
    )
    assert filled.access_key_id == "AK" and filled.secret_access_key.get_secret_value() == "SK"
    assert filled.endpoint_url == "http://minio:9000" and filled.region == "us-east-2"
    nested = s3_settings_from_connection(None, None, {"service_config": {"s3": {"endpoint_url": "http://s3.local"}}})
    assert nested.endpoint_url == "http://s3.local" and nested.access_key_id is None


@pytest.mark.parametrize(
    ("uri", "kind"),
    [("data/lake", Store), ("file:///tmp/lake", Store), ("memory://lake", Store), ("s3://bucket/lake", ObjectStore)],
)
def test_open_store_picks_the_commit_protocol_by_uri(uri, kind):
    assert type(open_store(uri, S3Settings(endpoint_url="http://127.0.0.1:9"))) is kind


def test_s3_specifics_stay_in_the_storage_layer():
    """s3fs, botocore and S3 requests are the storage layer's business (settings are plain values)."""
    markers = ("import s3fs", "import botocore", "import boto3", "call_s3(", "IfNoneMatch", "IfMatch")
    offenders = [
        f"{path.relative_to(REPO)}: {marker}"
        for root in ("pipeline", "dags")
        for path in sorted((REPO / root).rglob("*.py"))
        if "storage" not in path.relative_to(REPO).parts
        for marker in markers
        if marker in path.read_text()
    ]
    assert offenders == []
