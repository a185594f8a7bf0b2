"""How DuckDB reads ``s3://`` stores: natively over **httpfs**, configured from the same settings as s3fs.

httpfs comes from PyPI's ``duckdb-extension-httpfs`` (a locked dependency, built for exactly the locked
DuckDB version) and is loaded from the installed package's file: never ``INSTALL httpfs``, which downloads
from extensions.duckdb.org. Only the file built for the running DuckDB version is ever loaded (a mismatched
extension can crash the process instead of failing).

The connection gets one temporary S3 secret (``CREATE SECRET (TYPE s3, …)``) whose values botocore resolves
exactly as it does for s3fs: ``Settings.s3`` (``PIPELINE_S3__…``, or an Airflow Connection filled in by the
DAG tasks) first, the standard AWS environment for whatever is unset (``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_DEFAULT_REGION``, profiles,
instance roles). An endpoint other than AWS's gets path-style URLs (unless ``__ADDRESSING_STYLE=virtual``)
and plain HTTP when its URL says ``http://``.

When httpfs cannot be loaded (the package missing, or built for another DuckDB) or ``PIPELINE_S3__DUCKDB_HTTPFS``
is false, the caller falls back to fsspec: the store's s3fs filesystem registered on the connection. Either
way the route is logged (a fallback as a warning) and returned, so callers and tests can tell them apart.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from pipeline.config import S3Settings
from pipeline.sql_text import sql_string

log = logging.getLogger(__name__)

HTTPFS = "httpfs"
FSSPEC = "fsspec"
SECRET_NAME = "pipeline_s3"
_URL_STYLES = {"path": "path", "virtual": "vhost"}


def duckdb_version(con: duckdb.DuckDBPyConnection) -> str:
    """The running DuckDB's version as its extensions name it (``v1.5.5``)."""
    return con.execute("select library_version from pragma_version()").fetchone()[0]


def httpfs_extension_file(version: str) -> Path | None:
    """The httpfs build of ``duckdb-extension-httpfs`` for DuckDB ``version``, if that package is installed
    and has one (it keeps its file under ``extensions/<version>/``)."""
    try:
        import duckdb_extension_httpfs
    except ImportError:
        return None
    path = Path(duckdb_extension_httpfs.__file__).parent / "extensions" / version / "httpfs.duckdb_extension"
    return path if path.is_file() else None


def httpfs_loaded(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("select loaded from duckdb_extensions() where extension_name = 'httpfs'").fetchone()
    return bool(row and row[0])


def load_httpfs(con: duckdb.DuckDBPyConnection) -> str | None:
    """Load httpfs into ``con`` from the installed package (no network); None when it is loaded,
    otherwise why it cannot be."""
    if httpfs_loaded(con):
        return None
    version = duckdb_version(con)
    path = httpfs_extension_file(version)
    if path is None:
        return f"duckdb-extension-httpfs has no httpfs build for DuckDB {version} (pip install duckdb-extension-httpfs)"
    try:
        con.execute(f"load {sql_string(path)}")
    except duckdb.Error as exc:
        return f"loading {path} failed: {exc}"
    return None


def s3_secret_options(s3: S3Settings) -> dict[str, str | bool]:
    """The options of DuckDB's S3 secret, resolved by botocore from ``s3`` and the AWS environment
    (the same lookup s3fs makes)."""
    import botocore.session
    from botocore.config import Config

    session = botocore.session.Session()
    if s3.access_key_id and s3.secret_access_key is not None:
        token = s3.session_token.get_secret_value() if s3.session_token is not None else None
        session.set_credentials(s3.access_key_id, s3.secret_access_key.get_secret_value(), token)
    config = Config(s3={"addressing_style": s3.addressing_style}) if s3.addressing_style else None
    client = session.create_client("s3", endpoint_url=s3.endpoint_url, region_name=s3.region, config=config)
    options: dict[str, str | bool] = {"region": client.meta.region_name or "us-east-1"}
    credentials = session.get_credentials()
    if credentials is not None:
        frozen = credentials.get_frozen_credentials()
        options["key_id"], options["secret"] = frozen.access_key, frozen.secret_key
        if frozen.token:
            options["session_token"] = frozen.token
    endpoint = urlsplit(client.meta.endpoint_url)
    style = (client.meta.config.s3 or {}).get("addressing_style")
    if not (endpoint.hostname or "").endswith(".amazonaws.com"):  # MinIO, moto, other S3-compatible servers
        options["endpoint"] = endpoint.netloc
        options["use_ssl"] = endpoint.scheme == "https"
        options["url_style"] = _URL_STYLES.get(style or "", "path")
    elif style in _URL_STYLES:
        options["url_style"] = _URL_STYLES[style]
    return options


def create_s3_secret(con: duckdb.DuckDBPyConnection, s3: S3Settings) -> None:
    """The connection's temporary S3 secret (replaced if it exists), from :func:`s3_secret_options`."""
    values = [
        f"{name} {str(value).lower() if isinstance(value, bool) else sql_string(value)}"
        for name, value in s3_secret_options(s3).items()
    ]
    con.execute(f"create or replace temporary secret {SECRET_NAME} (type s3, {', '.join(values)})")


def has_s3_secret(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("select 1 from duckdb_secrets() where name = ?", [SECRET_NAME]).fetchone())


def configure_httpfs(con: duckdb.DuckDBPyConnection, s3: S3Settings, uri: str) -> str | None:
    """Let ``con`` read ``s3://`` over httpfs with ``s3``'s endpoint and credentials; None when it can,
    otherwise why not (the caller falls back to fsspec)."""
    if not s3.duckdb_httpfs:
        return "PIPELINE_S3__DUCKDB_HTTPFS is false"
    if httpfs_loaded(con) and has_s3_secret(con):
        return None
    reason = load_httpfs(con)
    if reason is not None:
        return reason
    create_s3_secret(con, s3)
    log.info("DuckDB reads %s over httpfs", uri)
    return None
