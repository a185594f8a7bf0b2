"""In the DAG tasks, an s3:// lake may take its endpoint and credentials from an Airflow Connection."""

from __future__ import annotations

import json

from pipeline.orchestration import tasks


def test_task_settings_fill_s3_access_from_the_named_connection(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    connection = {
        "conn_type": "aws",
        "login": "lake-access-key",
        "password": "lake-secret-key",
        "extra": {"endpoint_url": "http://minio:9000", "region_name": "eu-west-1"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_LAKE_S3", json.dumps(connection))
    monkeypatch.setenv("PIPELINE_S3__CONN_ID", "lake_s3")
    monkeypatch.setenv("PIPELINE_S3__REGION", "us-east-2")  # set in the environment: wins over the connection
    monkeypatch.setenv("PIPELINE_LAKE_URI", "s3://lake/prefix")

    s3 = tasks.settings({"data_dir": str(tmp_path)}).s3
    assert (s3.endpoint_url, s3.region, s3.access_key_id) == ("http://minio:9000", "us-east-2", "lake-access-key")
    assert s3.secret_access_key.get_secret_value() == "lake-secret-key"

    monkeypatch.delenv("PIPELINE_S3__CONN_ID")
    assert tasks.settings({"data_dir": str(tmp_path)}).s3.endpoint_url is None  # no connection named: none read
