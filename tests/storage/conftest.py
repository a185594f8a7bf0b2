"""An S3-compatible server on 127.0.0.1 for the object-store tests: moto's server mode, started once
per session in a thread on a free port. Every test that uses it runs with the developer's AWS_*
environment cleared (no real account, no network beyond loopback)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import date

import pytest

from pipeline.config import S3Settings, Settings

ACCESS_KEY, SECRET_KEY, REGION = "testing-key", "testing-secret", "us-east-1"
AS_OF = date(2026, 1, 1)


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


def _clear_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_") or name.startswith("PIPELINE_S3__") or name.startswith("PIPELINE_LOCK__"):
            monkeypatch.delenv(name, raising=False)
    # no ~/.aws files, no instance-metadata lookups
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def _moto_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def s3_server(_moto_server, monkeypatch, tmp_path) -> S3Server:
    _clear_aws_env(monkeypatch, tmp_path)
    return _moto_server


@pytest.fixture
def s3_settings(s3_server, tmp_path) -> Settings:
    """Settings whose lake, quarantine and history are on a fresh bucket of the moto server."""
    bucket = s3_server.new_bucket()
    return Settings(
        data_dir=tmp_path / "s3-data",
        lake_uri=f"s3://{bucket}/lake",
        quarantine_uri=f"s3://{bucket}/quarantine",
        history_uri=f"s3://{bucket}/history",
        as_of=AS_OF,
        workers=1,
        s3=s3_server.settings(),
    )
