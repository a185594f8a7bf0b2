"""An S3-compatible server on 127.0.0.1 for the object-store tests: moto's server mode, started once
per session in a thread on a free port. Every test that uses it runs with the developer's AWS_*
environment cleared (no real account, no network beyond loopback)."""

from __future__ import annotations

import pytest
from s3_helpers import S3Server, clear_aws_env

from pipeline.config import Settings


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
    clear_aws_env(monkeypatch, tmp_path)
    return _moto_server


@pytest.fixture
def s3_settings(s3_server, tmp_path) -> Settings:
    """Settings whose lake, quarantine and history are on a fresh bucket of the moto server."""
    return s3_server.lake_settings(tmp_path / "s3-data")
