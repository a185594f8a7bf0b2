"""The quality gate as an operator meets it: `pipeline run` refuses an implausible
batch with one line naming the expectation; `pipeline quality` re-checks the
published warehouse and says where the Data Docs are."""

from __future__ import annotations

from cli_helpers import run_cli
from snapshot_builder import work, write_snapshot


def test_run_exits_non_zero_naming_the_failing_expectation(tmp_path):
    records = [work(f"W{i}", ["A1"], year=1066 if i % 10 < 3 else 2020) for i in range(1, 21)]
    root = write_snapshot(tmp_path / "snap", works={"2024-01-01": records})
    result = run_cli("run", "--source", f"openalex-snapshot:{root}", "--data-dir", str(tmp_path / "data"), check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: landing gate failed, nothing added to the lake: works: ")
    assert "expect_column_values_to_be_between(column='publication_year'" in lines[0]
    assert "Data Docs: " in lines[0] and (tmp_path / "data" / "quality" / "docs" / "index.html").exists()


def test_quality_command_rechecks_the_published_warehouse(sample_run):
    result = run_cli("quality", "--data-dir", str(sample_run))
    assert f"Data Docs: {sample_run / 'quality' / 'docs' / 'index.html'}" in result.stdout
    assert "FAILED" not in result.stdout and "profiles" in result.stdout


def test_quality_without_a_warehouse_is_one_clear_line(tmp_path):
    result = run_cli("quality", "--data-dir", str(tmp_path), check=False)
    assert result.returncode == 1 and result.stderr.strip().startswith("error: no warehouse at")
