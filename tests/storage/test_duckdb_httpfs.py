"""DuckDB reads an s3:// store natively over httpfs (loaded from the installed duckdb-extension-httpfs,
never downloaded), with an S3 secret made from the same settings as s3fs; fsspec only as the fallback."""

from __future__ import annotations

import io
import logging

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from s3_helpers import ACCESS_KEY, REGION, SECRET_KEY, clear_aws_env

from pipeline.config import S3Settings
from pipeline.storage import duckdb_s3
from pipeline.storage.layout import DataLayout
from pipeline.storage.object_store import FSSPEC_FALLBACK, open_store

ROWS = pa.table({"work_id": ["W1", "W2", "W3"], "cited_by_count": [3, 1, 4]})
EXPECTED = list(zip(*ROWS.to_pydict().values(), strict=True))


def _put_parquet(store, relative: str) -> str:
    buffer = io.BytesIO()
    pq.write_table(ROWS, buffer)
    return store.write_bytes(store.join(relative), buffer.getvalue())


def _read(con, store, path: str) -> list[tuple]:
    return con.execute(
        f"select * from read_parquet('{store.for_duckdb(path)}', hive_partitioning = false) order by 1"
    ).fetchall()


def test_an_s3_store_is_read_over_httpfs_with_its_settings(s3_settings):
    layout = DataLayout.of(s3_settings)
    path = _put_parquet(layout.lake, "source=x/entity=works/ingest_date=2026-01-01/part-a.parquet")
    quarantined = _put_parquet(layout.quarantine, "source=x/entity=works/ingest_date=2026-01-01/part-a.parquet")
    con = duckdb.connect()
    try:
        assert layout.lake.attach(con) == duckdb_s3.HTTPFS
        assert layout.quarantine.attach(con) == duckdb_s3.HTTPFS  # the same secret serves every store
        assert duckdb_s3.httpfs_loaded(con)
        assert "s3" not in con.list_filesystems()  # no s3fs registered: DuckDB's own S3 client reads
        assert _read(con, layout.lake, path) == EXPECTED
        assert _read(con, layout.quarantine, quarantined) == EXPECTED
        hive = con.execute(
            f"select distinct source, entity from read_parquet('{layout.lake.uri}/source=*/entity=*/*/*.parquet', "
            "hive_partitioning = true)"
        ).fetchall()
        assert hive == [("x", "works")]
        assert con.execute("select count(*) from duckdb_secrets() where type = 's3'").fetchone()[0] == 1
    finally:
        con.close()


def test_the_secret_comes_from_the_standard_aws_environment(s3_server, tmp_path, monkeypatch):
    """Nothing in PIPELINE_S3__*: endpoint, keys and region as botocore finds them (as s3fs does)."""
    bucket = s3_server.new_bucket()
    for name, value in {
        "AWS_ENDPOINT_URL": s3_server.endpoint_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    store = open_store(f"s3://{bucket}/lake", S3Settings())
    path = _put_parquet(store, "part-a.parquet")
    con = duckdb.connect()
    try:
        assert store.attach(con) == duckdb_s3.HTTPFS
        assert _read(con, store, path) == EXPECTED
    finally:
        con.close()


@pytest.mark.parametrize("why", ["extension missing", "disabled in the settings"])
def test_fsspec_is_the_fallback_when_httpfs_cannot_be_used(s3_settings, monkeypatch, caplog, why):
    if why == "extension missing":
        monkeypatch.setattr(duckdb_s3, "httpfs_extension_file", lambda version: None)
        settings = s3_settings
    else:
        settings = s3_settings.model_copy(update={"s3": s3_settings.s3.model_copy(update={"duckdb_httpfs": False})})
    store = DataLayout.of(settings).lake
    path = _put_parquet(store, "part-a.parquet")
    con = duckdb.connect()
    try:
        with caplog.at_level(logging.INFO, logger="pipeline.storage.object_store"):
            assert store.attach(con) == duckdb_s3.FSSPEC
        assert "s3" in con.list_filesystems() and not duckdb_s3.httpfs_loaded(con)
        assert _read(con, store, path) == EXPECTED
        assert FSSPEC_FALLBACK in caplog.text  # the route is in the log
    finally:
        con.close()


def test_httpfs_is_only_loaded_from_a_build_for_the_running_duckdb(tmp_path, monkeypatch):
    import duckdb_extension_httpfs

    monkeypatch.setattr(duckdb_extension_httpfs, "__file__", str(tmp_path / "__init__.py"))
    (tmp_path / "extensions" / "v0.0.1").mkdir(parents=True)
    (tmp_path / "extensions" / "v0.0.1" / "httpfs.duckdb_extension").write_bytes(b"not for this DuckDB")
    con = duckdb.connect()
    try:
        reason = duckdb_s3.load_httpfs(con)
        assert reason is not None and duckdb_s3.duckdb_version(con) in reason
        assert not duckdb_s3.httpfs_loaded(con)
    finally:
        con.close()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            S3Settings(
                endpoint_url="http://minio:9000", region="eu-west-1", access_key_id="AK", secret_access_key="SK"
            ),
            {
                "region": "eu-west-1",
                "key_id": "AK",
                "secret": "SK",
                "endpoint": "minio:9000",
                "use_ssl": False,
                "url_style": "path",
            },
        ),
        (
            S3Settings(
                endpoint_url="https://s3.example.org",
                access_key_id="AK",
                secret_access_key="SK",
                session_token="TOKEN",
                addressing_style="virtual",
            ),
            {
                "region": "us-east-1",
                "key_id": "AK",
                "secret": "SK",
                "session_token": "TOKEN",
                "endpoint": "s3.example.org",
                "use_ssl": True,
                "url_style": "vhost",
            },
        ),
        # AWS itself: DuckDB's default endpoint for the region, its default (virtual-host) URLs
        (
            S3Settings(region="eu-central-1", access_key_id="AK", secret_access_key="SK"),
            {"region": "eu-central-1", "key_id": "AK", "secret": "SK"},
        ),
    ],
)
def test_secret_options_follow_the_settings(settings, expected, monkeypatch, tmp_path):
    clear_aws_env(monkeypatch, tmp_path)
    assert duckdb_s3.s3_secret_options(settings) == expected


def test_no_credentials_anywhere_makes_a_secret_without_keys(monkeypatch, tmp_path):
    """Public buckets: nothing in the settings or the environment, so DuckDB signs nothing."""
    clear_aws_env(monkeypatch, tmp_path)
    options = duckdb_s3.s3_secret_options(S3Settings(endpoint_url="http://127.0.0.1:9"))
    assert "key_id" not in options and "secret" not in options
    assert options["endpoint"] == "127.0.0.1:9"
