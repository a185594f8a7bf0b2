"""Helpers of the object-store tests: moto's S3 server on 127.0.0.1, settings and child-process
environments pointing at it, and the warehouse compared table by table."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import date

import duckdb
import pytest

from pipeline.config import S3Settings, Settings
from pipeline.storage.layout import DataLayout

ACCESS_KEY, SECRET_KEY, REGION = "testing-key", "testing-secret", "us-east-1"
AS_OF = date(2026, 1, 1)
VOLATILE = {"quality_runs": ("run_id", "checked_at")}  # differ between any two runs, local or not


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def settings(self) -> S3Settings:
        return S3Settings(
            endpoint_url=self.endpoint_url, access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY, region=REGION
        )

    def filesystem(self):
        import s3fs

        return s3fs.S3FileSystem(
            key=ACCESS_KEY,
            secret=SECRET_KEY,
            endpoint_url=self.endpoint_url,
            client_kwargs={"region_name": REGION},
            use_listings_cache=False,
            skip_instance_cache=True,
        )

    def new_bucket(self) -> str:
        name = f"lake-{uuid.uuid4().hex[:12]}"
        self.filesystem().call_s3("create_bucket", Bucket=name)  # us-east-1: no location constraint
        return name

    def lake_settings(self, data_dir, bucket: str | None = None, **overrides) -> Settings:
        """Settings whose lake, quarantine and history are on ``bucket`` (a fresh one by default)."""
        bucket = bucket or self.new_bucket()
        return Settings(
            data_dir=data_dir,
            lake_uri=f"s3://{bucket}/lake",
            quarantine_uri=f"s3://{bucket}/quarantine",
            history_uri=f"s3://{bucket}/history",
            as_of=AS_OF,
            workers=1,
            s3=self.settings(),
            **overrides,
        )


def clear_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in list(os.environ):
        if name.startswith(("AWS_", "PIPELINE_S3__", "PIPELINE_LOCK__")):
            monkeypatch.delenv(name, raising=False)
    # no ~/.aws files, no instance-metadata lookups
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def subprocess_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that gives a child process ``settings``' lake, S3 access and lock settings
    (and no AWS_* of the developer's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PIPELINE_"))}
    s3 = settings.s3
    env.update(
        {
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "PIPELINE_DATA_DIR": str(settings.data_dir),
            "PIPELINE_LAKE_URI": settings.lake_uri,
            "PIPELINE_QUARANTINE_URI": settings.quarantine_uri,
            "PIPELINE_HISTORY_URI": settings.history_uri,
            "PIPELINE_AS_OF": settings.as_of.isoformat(),
            "PIPELINE_WORKERS": "1",
            "PIPELINE_S3__ENDPOINT_URL": s3.endpoint_url,
            "PIPELINE_S3__ACCESS_KEY_ID": s3.access_key_id,
            "PIPELINE_S3__SECRET_ACCESS_KEY": s3.secret_access_key.get_secret_value(),
            "PIPELINE_S3__REGION": s3.region,
            "PIPELINE_LOCK__LEASE_SECONDS": str(settings.lock.lease_seconds),
            "PIPELINE_LOCK_TIMEOUT_SECONDS": str(settings.lock_timeout_seconds),
        }
    )
    if settings.lock.postgres_dsn is not None:
        env["PIPELINE_LOCK__POSTGRES_DSN"] = settings.lock.postgres_dsn.get_secret_value()
    env.update(extra)
    return env


def warehouse_rows(settings: Settings) -> dict[str, list[tuple]]:
    """Every table of the published warehouse, as sorted rows (volatile columns left out)."""
    con = duckdb.connect(str(DataLayout.of(settings).warehouse_path), read_only=True)
    try:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main' order by 1"
            ).fetchall()
        ]
        rows = {}
        for table in tables:
            columns = [c[0] for c in con.execute(f"select * from {table} limit 0").description]
            kept = ", ".join(f'"{c}"' for c in columns if c not in VOLATILE.get(table, ()))
            rows[table] = con.execute(f"select {kept} from {table} order by all").fetchall()
        return rows
    finally:
        con.close()


def published_rows(settings: Settings) -> dict[str, list[tuple]]:
    publish = DataLayout.of(settings).publish_dir
    con = duckdb.connect()
    try:
        return {
            path.name: con.execute(f"select * from read_parquet('{path}') order by all").fetchall()
            for path in sorted(publish.glob("*.parquet"))
            if path.stem not in VOLATILE
        }
    finally:
        con.close()
