"""The installed `pipeline` command explains itself: defaults in every --help, --version,
shell completion, and each error of issue 11 as one line naming the right thing, exit 1."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from cli_helpers import run_cli

from pipeline.config import Settings
from pipeline.storage.layout import DataLayout

AS_OF = ("--as-of", "2026-01-01")
WAREHOUSE = Path(__file__).resolve().parents[2] / "warehouse"
BAD_EVENT = '{"event_id": "ev-bad", "type": "author.exploded", "author_id": "A5012345678", "occurred_at": "x"}'
GOOD_EVENT = (
    '{{"event_id": "ev-{n}", "type": "author.followed", "author_id": "A5012345678", "actor_id": "u-{n}", '
    '"occurred_at": "2024-06-02T09:00:00Z"}}'
)


def one_line_error(result) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_as_of_that_is_not_a_date(tmp_path):
    line = one_line_error(run_cli("run", "--as-of", "notadate", "--data-dir", str(tmp_path), check=False))
    assert line.startswith("error: --as-of 'notadate' is not a date") and "YYYY-MM-DD" in line


def test_platform_events_given_a_folder(tmp_path):
    line = one_line_error(
        run_cli("run", "--source", f"platform-events:{tmp_path}", "--data-dir", str(tmp_path / "d"), check=False)
    )
    assert line == f"error: platform events path {tmp_path} is a folder; pass the JSON Lines file itself"


@pytest.mark.parametrize(
    ("spec", "needs"),
    [
        ("openalex-snapshot:", "a PATH"),
        ("platform-events:", "a PATH"),
        ("openalex-api:", "authors=A1,A2 or orcid=ORCID"),
    ],
)
def test_known_source_with_nothing_after_the_colon(tmp_path, spec, needs):
    line = one_line_error(run_cli("run", "--source", spec, "--data-dir", str(tmp_path), check=False))
    assert line.startswith(f"error: source '{spec}' needs {needs} after the colon, e.g. ")


def test_corrupt_lake_file_is_named(sample_run, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(sample_run / "lake", data_dir / "lake")
    victim = sorted((data_dir / "lake").rglob("*.parquet"))[0]
    victim.write_bytes(b"not parquet at all")
    fix = "delete it, then run again with its --source to land that input again"
    # met while landing (its input is in this run) ...
    line = one_line_error(run_cli("run", "--data-dir", str(data_dir), check=False))
    assert line.startswith(f"error: {victim} is not a readable Parquet file (") and line.endswith(fix)
    # ... or while building (it is not)
    events = tmp_path / "events.jsonl"
    events.write_text(GOOD_EVENT.format(n=1) + "\n")
    line = one_line_error(
        run_cli("run", "--source", f"platform-events:{events}", "--data-dir", str(data_dir), check=False)
    )
    assert line.startswith(f"error: {victim} is not a readable Parquet file (") and line.endswith(fix)
    # and the advice works
    victim.unlink()
    assert "ok warehouse" in run_cli("run", "--data-dir", str(data_dir), "--as-of", "2026-01-01").stdout


def test_build_out_of_memory_names_the_model_and_the_setting(tmp_path):
    """A memory limit too small for the lake: one line naming the model, the limit and the setting
    to raise; nothing published; the same run with the limit raised succeeds."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import incremental_bench

    data_dir = tmp_path / "data"
    layout = DataLayout.of(Settings(data_dir=data_dir))
    incremental_bench.generate(layout, 20_000, 20_000, lambda *_: None, 50, 60_000)
    tiny = {"PIPELINE_DUCKDB_MEMORY_LIMIT": "8MB"}
    line = one_line_error(run_cli("run", "--data-dir", str(data_dir), *AS_OF, check=False, env=tiny))
    found = re.fullmatch(
        r"error: the warehouse build ran out of memory in (\w+/\w+) under DuckDB's memory limit of [\d.]+ MiB "
        r"\(PIPELINE_DUCKDB_MEMORY_LIMIT; DuckDB: could not allocate block of size .+\); nothing was published: "
        r"raise PIPELINE_DUCKDB_MEMORY_LIMIT \(e\.g\. 2GB\) and run again",
        line,
    )
    assert found, line
    assert (WAREHOUSE / f"{found[1]}.sql").exists(), found[1]  # a real model
    assert not layout.warehouse_path.exists() and not layout.publish_dir.exists()
    assert not list(data_dir.glob("*.building*"))  # the half-built file is gone
    assert "ok warehouse" in run_cli("run", "--data-dir", str(data_dir), *AS_OF).stdout


def test_quarantine_of_a_missing_data_dir(tmp_path):
    line = one_line_error(run_cli("quarantine", "--data-dir", str(tmp_path / "nonexistent"), check=False))
    assert (
        line
        == f"error: no data dir at {tmp_path / 'nonexistent'}; pass --data-dir of a pipeline run, or run `pipeline run`"
    )


def test_version():
    result = run_cli("--version")
    assert result.stdout.strip() == "pipeline 0.1.0"


@pytest.mark.parametrize(
    ("command", "defaults"),
    [
        (["run"], ["[default: ./data]", "[default: sample]", "[default: today, UTC]", "[default: no-rebuild]"]),
        (["profile"], ["[default: ./data]", "[default: abstracts]"]),
        (["quarantine"], ["[default: ./data]", "[default: 20;", "[default: table]", "[default: all]"]),
        (["report"], ["[default: ./data]"]),
        (["request", "list"], ["[default: ./data]", "[default: all]"]),
    ],
)
def test_help_shows_defaults(command, defaults):
    out = " ".join(run_cli(*command, "--help").stdout.split())
    for default in defaults:
        assert default in out, (default, out)


def test_shell_completion_is_enabled():
    assert "--install-completion" in run_cli("--help").stdout
    result = run_cli(env={"_PIPELINE_COMPLETE": "complete_bash", "COMP_WORDS": "pipeline qua", "COMP_CWORD": "1"})
    assert set(result.stdout.split()) == {"quarantine", "quality"}


@pytest.fixture(scope="module")
def quarantined(tmp_path_factory) -> tuple[Path, Path]:
    """A run whose events file has one bad line, under a path too long for 80 columns."""
    root = tmp_path_factory.mktemp("quarantine")
    folder = root / "a-rather-long-folder-name-for-an-inbox" / "of-platform-events-delivered-by-the-app"
    folder.mkdir(parents=True)
    events = folder / "events.jsonl"
    events.write_text("\n".join([GOOD_EVENT.format(n=1), BAD_EVENT, *(GOOD_EVENT.format(n=n) for n in (2, 3))]) + "\n")
    data_dir = root / "data"
    run_cli("run", "--source", f"platform-events:{events}", "--data-dir", str(data_dir), "--as-of", "2026-01-01")
    return data_dir, events


def test_quarantine_table_keeps_file_and_line_on_one_line(quarantined):
    data_dir, events = quarantined
    out = run_cli("quarantine", "--data-dir", str(data_dir), env={"COLUMNS": "80"}).stdout
    assert "Quarantine: 1 rejected record(s)" in out
    assert len(f"{events}:2") > 80
    assert f"{events}:2" in out.splitlines()  # a line of its own, not wrapped at 80 columns
    assert "author.exploded" in out


def test_quarantine_json_and_csv(quarantined):
    data_dir, events = quarantined
    doc = json.loads(run_cli("quarantine", "--format", "json", "--data-dir", str(data_dir)).stdout)
    assert doc["total"] == 1
    (record,) = doc["records"]
    assert (record["source_file"], record["line_number"], record["location"]) == (str(events), 2, f"{events}:2")
    assert record["raw"] == BAD_EVENT and record["entity"] == "events" and record["error"]
    rows = list(
        csv.DictReader(io.StringIO(run_cli("quarantine", "--format", "csv", "--data-dir", str(data_dir)).stdout))
    )
    assert [(r["location"], r["raw"]) for r in rows] == [(f"{events}:2", BAD_EVENT)]
