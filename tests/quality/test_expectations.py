"""Every expectation of the gates fails on a batch that breaks it, naming itself;
a clean build passes. Each case breaks one rule in a copy of a good warehouse."""

from __future__ import annotations

import json
import shutil
from datetime import date

import duckdb
import pytest
from data_paths import warehouse_path
from snapshot_builder import work, write_snapshot

from pipeline.config import Settings
from pipeline.errors import QualityGateError
from pipeline.landing.land import land
from pipeline.quality.gate import check_tables, landing_gate
from pipeline.quality.suites import QualityProject
from pipeline.run import build, collect_inputs, land_sources
from pipeline.sources.openalex.snapshot import OpenAlexSnapshot

AS_OF = date(2026, 1, 1)
A_WORK = "(select min(work_id) from works)"
AN_AUTHOR = "(select min(author_id) from profiles)"


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("good") / "data", as_of=AS_OF)
    land_sources(collect_inputs(["sample"]), settings)
    build(settings)
    return warehouse_path(settings)


@pytest.fixture(scope="module")
def project():
    return QualityProject()


CASES = [
    ("works", f"insert into works select * from works where work_id = {A_WORK}", "expect_column_values_to_be_unique(column='work_id'"),
    ("works", f"update works set work_id = null where work_id = {A_WORK}", "expect_column_values_to_not_be_null(column='work_id'"),
    ("works", f"update works set work_id = 'X1' where work_id = {A_WORK}", "expect_column_values_to_match_regex(column='work_id'"),
    ("works", f"update works set publication_year = 1066 where work_id = {A_WORK}", "expect_column_values_to_be_between(column='publication_year', mostly=0.99, min_value=1500.0, max_value=2027.0"),
    ("works", f"update works set publication_year = 2031 where work_id = {A_WORK}", "expect_column_values_to_be_between(column='publication_year'"),
    ("works", f"update works set doi = 'doi is missing' where work_id = {A_WORK}", "expect_column_values_to_match_regex(column='doi'"),
    ("works", f"update works set cited_by_count = -1 where work_id = {A_WORK}", "expect_column_values_to_be_between(column='cited_by_count'"),
    ("profiles", f"update profiles set orcid = '1234' where author_id = {AN_AUTHOR}", "expect_column_values_to_match_regex(column='orcid'"),
    ("profiles", f"update profiles set orcid = '0000-0002-1825-0098' where author_id = {AN_AUTHOR}", "expect_column_values_to_be_in_set(column='orcid_check_digit_ok'"),
    ("profiles", f"update profiles set trust_score = 101 where author_id = {AN_AUTHOR}", "expect_column_values_to_be_between(column='trust_score'"),
    ("profiles", f"update profiles set trust_tier = 'Gold' where author_id = {AN_AUTHOR}", "expect_column_values_to_be_in_set(column='trust_tier'"),
    ("profiles", f"update profiles set verification_level = 'L9' where author_id = {AN_AUTHOR}", "expect_column_values_to_be_in_set(column='verification_level'"),
    ("profiles", f"update profiles set claim_status = 'maybe' where author_id = {AN_AUTHOR}", "expect_column_values_to_be_in_set(column='claim_status'"),
    ("profiles", f"insert into profiles select * from profiles where author_id = {AN_AUTHOR}", "expect_column_values_to_be_unique(column='author_id'"),
    ("authorships", "insert into authorships select 'W999', author_id, null, null, 0, false, 1 from authorships limit 1", "expect_column_values_to_be_in_set(column='work_id__exists_in_works'"),
    ("authorships", "insert into authorships select work_id, 'A999', null, null, 0, false, 1 from authorships limit 1", "expect_column_values_to_be_in_set(column='author_id__exists_in_profiles'"),
    ("authorships", "insert into authorships select * from authorships limit 1", "expect_compound_columns_to_be_unique(column_list=['work_id', 'author_id']"),
    ("topic_counts", "update topic_counts set works_count = works_count + 100 where author_id = (select min(author_id) from topic_counts)", "expect_column_pair_values_a_to_be_greater_than_b(column_A='author_works_count', column_B='works_count', or_equal=True"),
    ("topic_counts", "update topic_counts set works_count = 0 where author_id = (select min(author_id) from topic_counts)", "expect_column_values_to_be_between(column='works_count', min_value=1"),
    ("topic_counts", "update topic_counts set topic_id = 'X9' where author_id = (select min(author_id) from topic_counts)", "expect_column_values_to_match_regex(column='topic_id'"),
    ("collaborator_edges", "update collaborator_edges set author_a = author_b, author_b = author_a where author_a = (select min(author_a) from collaborator_edges)", "expect_column_pair_values_a_to_be_greater_than_b(column_A='author_b', column_B='author_a'"),
    ("collaborator_edges", "update collaborator_edges set shared_works = 0 where author_a = (select min(author_a) from collaborator_edges)", "expect_column_values_to_be_between(column='shared_works', min_value=1"),
    ("trust_snapshots", f"update trust_snapshots set trust_score = -3 where author_id = {AN_AUTHOR}", "expect_column_values_to_be_between(column='trust_score'"),
    ("trust_snapshots", f"update trust_snapshots set trust_tier = 'Gold' where author_id = {AN_AUTHOR}", "expect_column_values_to_be_in_set(column='trust_tier'"),
    ("quarantine", "insert into quarantine values ('s', 'works', null, 1, 'x:1', 'raw', 'err', date '2026-01-01')", "expect_column_values_to_not_be_null(column='source_file'"),
]  # fmt: skip


def _broken_copy(good, tmp_path, mutation: str):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(good, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute(mutation)
    finally:
        con.close()
    return copy


def test_a_clean_warehouse_passes_every_suite(good, project):
    results = check_tables(good, today=AS_OF, project=project, previous=good)
    assert all(r.success for r in results), [r.failures for r in results if not r.success]
    assert {r.name for r in results} >= {"works", "profiles", "authorships", "topic_counts", "run_over_run"}
    assert sum(len(r.expectations) for r in results) > 80


@pytest.mark.parametrize(("table", "mutation", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_expectation_fails_on_a_batch_that_breaks_it(good, project, tmp_path, table, mutation, expected):
    broken = _broken_copy(good, tmp_path, mutation)
    results = {r.name: r for r in check_tables(broken, today=AS_OF, project=project)}
    assert not results[table].success
    assert any(f.startswith(expected) for f in results[table].failures), results[table].failures


def test_run_over_run_fails_a_build_that_drops_a_fifth_of_the_profiles(good, project, tmp_path):
    broken = _broken_copy(good, tmp_path, "delete from profiles where hash(author_id) % 2 = 0")
    results = {r.name: r for r in check_tables(broken, today=AS_OF, project=project, previous=good)}
    failures = results["run_over_run"].failures
    assert failures[0].startswith("expect_column_values_to_be_between(column='kept_ratio', min_value=0.8")
    assert any(f.startswith("profiles would drop from 26 to ") and "limit 20%" in f for f in failures)
    lenient = {r.name: r for r in check_tables(broken, today=AS_OF, project=project, previous=good, max_drop_ratio=0.9)}
    assert lenient["run_over_run"].success


def test_a_landed_batch_of_implausible_years_is_refused(tmp_path, settings):
    """30% of works claiming 1066 pass pydantic (a valid year) but not the gate."""
    records = [work(f"W{i}", ["A1"], year=1066 if i % 10 < 3 else 2020) for i in range(1, 21)]
    root = write_snapshot(tmp_path / "snap", works={"2024-01-01": records})
    with pytest.raises(QualityGateError, match=r"expect_column_values_to_be_between\(column='publication_year'"):
        land(OpenAlexSnapshot(root).files(), settings, ingest_date=AS_OF, gate=landing_gate(settings))
    report = json.loads((settings.data_dir / "reports" / "quality-landing-latest.json").read_text())
    (suite,) = report["suites"]
    year = next(e for e in suite["expectations"] if e["column"] == "publication_year" and "1500" in e["arguments"])
    assert year["success"] is False and year["unexpected_count"] == 6 and year["element_count"] == 20
    # every expectation that ran is in the report, passed ones too
    assert any(e["success"] for e in suite["expectations"])
