"""The published profile documents, built in DuckDB (pipeline.warehouse.profile_documents), are
byte for byte the pydantic documents ``pipeline.profile_card`` builds (``model_dump_json(indent=2)``),
valid against schemas/json/profile.schema.json, on the bundled sample and on a generated snapshot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import jsonschema
import pytest

from pipeline.config import Settings
from pipeline.profile_card import all_author_ids, profile_documents
from pipeline.run import build, collect_inputs, land_sources
from pipeline.schemas.profile import ProfileDocument, Work
from pipeline.storage.layout import PROFILES_DIR, DataLayout
from pipeline.warehouse import profile_documents as documents

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "json" / "profile.schema.json").read_text())


@pytest.fixture(scope="module", params=["sample", "generated"])
def published(request, tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp(request.param)
    source = "sample"
    if request.param == "generated":
        snapshot = root / "snapshot"
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "generate_snapshot.py"), "--works", "3000", "--out", str(snapshot)],
            check=True,
            capture_output=True,
        )
        source = f"openalex-snapshot:{snapshot}"
    settings = Settings(data_dir=root / "data")
    land_sources(collect_inputs([source]), settings)
    build(settings)
    return settings


def pydantic_documents(settings: Settings) -> dict[str, str]:
    """Today's documents: assembled in Python as ProfileDocument models."""
    layout = DataLayout.of(settings)
    con = duckdb.connect(str(layout.warehouse_path), read_only=True)
    try:
        return pydantic_texts(con, layout.lake)
    finally:
        con.close()


def pydantic_texts(con: duckdb.DuckDBPyConnection, lake) -> dict[str, str]:
    """author id -> the document ``ProfileDocument.model_dump_json(indent=2)`` writes, plus a newline."""
    return {
        d.author_id: d.model_dump_json(indent=2) + "\n" for d in profile_documents(con, all_author_ids(con), lake=lake)
    }


def duckdb_documents(settings: Settings) -> dict[str, str]:
    layout = DataLayout.of(settings)
    con = duckdb.connect(str(layout.warehouse_path), read_only=True)
    try:
        return dict(documents.document_texts(con, lake=layout.lake))
    finally:
        con.close()


def published_files(settings: Settings) -> dict[str, str]:
    folder = DataLayout.of(settings).publish_dir / PROFILES_DIR
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.json"))}


def test_published_documents_are_the_pydantic_documents_byte_for_byte(published):
    expected = pydantic_documents(published)
    files = published_files(published)
    assert len(expected) > 20
    assert sorted(files) == sorted(expected)
    assert [author for author in expected if files[author] != expected[author]] == []
    if published.data_dir.parent.name.startswith("sample"):  # the sample has arXiv listings: they are compared too
        assert sum(json.loads(text)["arxiv"] is not None for text in files.values()) >= 3


def test_documents_built_in_small_chunks_are_the_same_documents_in_the_same_order(published, monkeypatch):
    # each query renders a range of author ids (memory bound); ranges of 7 give the same texts, in id order
    layout = DataLayout.of(published)
    con = duckdb.connect(str(layout.warehouse_path), read_only=True)
    try:
        in_one = list(documents.document_texts(con, lake=layout.lake))
        monkeypatch.setattr(documents, "CHUNK_AUTHORS", 7)
        in_chunks = list(documents.document_texts(con, lake=layout.lake))
        monkeypatch.setattr(documents, "CHUNK_AUTHORS", 10_000)
        monkeypatch.setattr(documents, "CHUNK_WORKS", 5)  # chunks cut by the works their documents list
        by_works = list(documents.document_texts(con, lake=layout.lake))
        batches = [len(batch) for batch in documents.document_batches(con, lake=layout.lake)]
        some = all_author_ids(con)[::3]
        chosen = dict(documents.document_texts(con, some[::-1], lake=layout.lake))
    finally:
        con.close()
    assert len(in_one) > 3 * 7
    assert in_chunks == in_one
    assert by_works == in_one and len(batches) > 4 and min(batches) >= 1
    assert [author for author, _ in in_chunks] == sorted(author for author, _ in in_one)
    assert chosen == {author: text for author, text in in_one if author in set(some)}


def test_published_documents_validate_against_the_json_schema(published):
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for author_id, text in published_files(published).items():
        errors = [e.message for e in validator.iter_errors(json.loads(text))]
        assert errors == [], author_id
        assert ProfileDocument.model_validate_json(text).author_id == author_id


class _Fields:
    """A stand-in model for object_sql: Work's fields in another order, or with one left out."""

    def __init__(self, names: list[str]) -> None:
        self.__name__ = "Work"
        self.model_fields = dict.fromkeys(names)


@pytest.mark.parametrize("change", ["reordered", "dropped"])
def test_a_reordered_or_dropped_field_is_caught(published, monkeypatch, change):
    """The comparison sees one object's keys in another order, or one key missing."""
    original = documents.object_sql
    names = list(Work.model_fields)

    def altered(model, fields, depth):
        if model is not Work:
            return original(model, fields, depth)
        if change == "reordered":
            swapped = [names[1], names[0], *names[2:]]
            return original(_Fields(swapped), fields, depth)
        return original(_Fields(names[:-1]), {k: v for k, v in fields.items() if k != names[-1]}, depth)

    monkeypatch.setattr(documents, "object_sql", altered)
    expected = pydantic_documents(published)
    texts = duckdb_documents(published)
    with_works = [a for a, text in expected.items() if json.loads(text)["works"]]
    assert with_works
    assert [a for a in with_works if texts[a] == expected[a]] == []
    assert all(json.loads(texts[a]) != json.loads(expected[a]) for a in with_works) == (change == "dropped")


def test_every_model_field_needs_an_expression():
    with pytest.raises(ValueError, match=r"Work: no SQL for \['abstract'\]"):
        documents.object_sql(Work, {name: "null" for name in Work.model_fields if name != "abstract"}, 0)


def test_odd_strings_and_numbers_are_written_as_pydantic_writes_them(published, tmp_path):
    """Control characters (DuckDB's JSON writer spells \\u001F, pydantic \\u001f) and floats far from
    the usual range (1e16, 1e-7) in a copy of the warehouse: the documents still match byte for byte."""
    layout = DataLayout.of(published)
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(layout.warehouse_path.read_bytes())
    con = duckdb.connect(str(copy))
    con.execute(
        "update works set title = title || chr(31) || chr(11) || '\\u001F' where work_id = (select min(work_id) from works)"
    )
    con.execute(
        "update trust_snapshots set components = json_object('big', 1e16, 'tiny', 1e-7, 'plain', 6) "
        "where author_id = (select min(author_id) from profiles)"
    )
    con.close()
    con = duckdb.connect(str(copy), read_only=True)
    try:
        expected = pydantic_texts(con, layout.lake)
        texts = dict(documents.document_texts(con, lake=layout.lake))
    finally:
        con.close()
    odd = [a for a, text in expected.items() if "\\u001f" in text or "1e+16" in text]
    assert len(odd) >= 2
    assert [a for a in expected if texts[a] != expected[a]] == []


def test_non_ascii_escapes_nulls_and_empty_lists_are_written_as_pydantic_writes_them(published, tmp_path):
    """Names and titles with non-ASCII letters, emoji, quotes, backslashes, slashes, newlines, tabs,
    DEL and U+2028; NULL fields; an author without topics, works or collaborators; a list of one."""
    layout = DataLayout.of(published)
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(layout.warehouse_path.read_bytes())
    con = duckdb.connect(str(copy))
    odd = 'Ünïcødé 日本語 😀 "q" back\\slash a/b line\nbreak\ttab ' + chr(127) + chr(0x2028) + " é"
    first_work = "(select min(work_id) from works)"
    con.execute(
        f"update works set title = ?, abstract = null, doi = null, source = ? where work_id = {first_work}", [odd, odd]
    )
    con.execute(
        "update profiles set display_name = ?, orcid = null where author_id = (select min(author_id) from profiles)",
        [odd],
    )
    bare = "(select max(author_id) from profiles)"
    for table in ("topic_counts", "authorships"):
        con.execute(f"delete from {table} where author_id = {bare}")
    con.execute(f"delete from collaborator_edges where author_a = {bare} or author_b = {bare}")
    con.close()
    con = duckdb.connect(str(copy), read_only=True)
    try:
        expected = pydantic_texts(con, layout.lake)
        texts = dict(documents.document_texts(con, lake=layout.lake))
        bare_id = con.execute(bare).fetchall()[0][0]
    finally:
        con.close()
    assert sum("日本語" in text for text in expected.values()) >= 2  # the author renamed, and the work's authors
    empty = json.loads(expected[bare_id])
    assert empty["topics"] == empty["works"] == empty["collaborators"] == []
    assert [a for a in expected if texts[a] != expected[a]] == []


def test_odd_escapes_are_found_in_the_row_they_lie_in_whole():
    import pyarrow as pa

    rows = ["plain", 'a "\\u001F" b', "ends with \\u00", "1B then", "\\u000B", "\\u001f lower", "\\u000A"]
    chunked = pa.chunked_array([pa.array(rows[:3]), pa.array(rows[3:])])  # several chunks: combined
    for column in (pa.array(rows), chunked, pa.array(["x", *rows]).slice(1)):  # a slice: offsets not from 0
        flagged = documents._Texts(column).flagged()
        # an escape split over two rows ("\u00" + "1B") is in neither; lower-case hex and \u000A are not odd
        assert flagged.tolist() == [False, True, False, False, True, False, False]


def test_chunk_queries_read_only_the_prepared_tables_of_every_author():
    """Each chunk reads its range of tables prepared once for every wanted author: a chunk query that
    read a whole mart (topic_counts, authorships, the collaborator edges, profiles, trust snapshots,
    works) would read it again for every chunk, quadratic in the warehouse's size (the 2M-works export
    took ~10 min that way; the works' texts scanned per chunk, ~2-3 s a chunk). The works' texts are
    rendered once (``work_texts``, after prepare), by rank; a chunk's works query reads ranks only."""
    import re

    def read(sql):
        return set(re.findall(r"\b(?:from|join)\s+([a-z_]+)", sql))

    queries = documents.document_queries(max_collaborators=10, with_arxiv=False)
    prepared = {"doc_profiles", "doc_topics", "doc_work_ranks", "doc_authorships", "doc_top_collaborators"}
    for name, sql in [("header", queries.header), *queries.lists.items()]:
        assert read(sql) - {"chunk_profiles"} <= prepared, (name, read(sql))
        assert "$lo" in sql and "$hi" in sql, name
    assert read(queries.lists["works"]) == {"doc_authorships"}
    assert "order by" not in queries.lists["works"]  # a range scan, in (a_ord, w_rank) order as stored
    assert read(queries.work_texts) == {"doc_work_ranks", "works", "doc_venue_labels"}
    assert "order by" not in queries.work_texts  # the big texts are not sorted
    made = {re.search(r"temp table (\w+)", sql).group(1): sql for sql in queries.prepare}
    assert set(made) == prepared
    assert all("doc_all_wanted" in sql for sql in queries.prepare)
    assert all(
        re.search(r"order by [wt]\.a_ord\s*$", made[t].strip())
        for t in prepared - {"doc_work_ranks", "doc_authorships"}
    )
    assert re.search(r"order by w\.a_ord, r\.w_rank\s*$", made["doc_authorships"].strip())


def test_works_are_ranked_in_the_order_profile_card_lists_them():
    """The ranks number the works as pydantic's documents order them: the same keys, ``lower(title)``
    the same expression, the same ties broken by title and then work id."""
    import inspect
    import re

    from pipeline import profile_card

    keys = re.sub(r"\b(publication_year|title|work_id)\b", r"w.\1", documents.WORK_ORDER)
    assert f"order by a.author_id, {keys}\n" in inspect.getsource(profile_card)
    prepare = documents.document_queries(max_collaborators=10, with_arxiv=False).prepare
    assert sum(f"row_number() over (order by {documents.WORK_ORDER})" in sql for sql in prepare) == 1


def test_works_equal_in_year_and_lower_case_title_keep_their_order(published, tmp_path, monkeypatch):
    """Ties: one author's works in one year, titles equal but for case, or equal (then by work id),
    and titles whose case-blind order is not their byte order; in small chunks, as pydantic orders them."""
    layout = DataLayout.of(published)
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(layout.warehouse_path.read_bytes())
    con = duckdb.connect(str(copy))
    (author,) = con.execute(
        "select author_id from authorships group by author_id having count(*) >= 6 order by author_id limit 1"
    ).fetchall()[0]
    works = [
        r[0]
        for r in con.execute(
            "select work_id from authorships where author_id = ? order by work_id desc", [author]
        ).fetchall()
    ]
    titles = ["same title", "Same Title", "SAME TITLE", "same title", "B title", "a title", "Same title"][: len(works)]
    for work_id, title in zip(works, titles, strict=False):
        con.execute("update works set title = ?, publication_year = 2001 where work_id = ?", [title, work_id])
    con.close()
    con = duckdb.connect(str(copy), read_only=True)
    try:
        expected = pydantic_texts(con, layout.lake)
        monkeypatch.setattr(documents, "CHUNK_AUTHORS", 5)
        texts = dict(documents.document_texts(con, lake=layout.lake))
    finally:
        con.close()
    tied = [(w["title"], w["work_id"]) for w in json.loads(texts[author])["works"] if w["publication_year"] == 2001]
    assert len(tied) == len(titles)
    assert tied == sorted(tied, key=lambda t: (t[0].lower(), t[0], t[1]))
    assert tied != sorted(tied)  # the case-blind order is not the byte order of the titles
    assert [a for a in expected if texts[a] != expected[a]] == []


def test_the_scratch_file_of_the_works_texts_is_gone_after_the_export(published, tmp_path, monkeypatch):
    """The works' texts, rendered once into one scratch file, are read back per chunk; the file is
    deleted when the batches are done, when the consumer stops early (generator closed) or on an error."""
    layout = DataLayout.of(published)
    monkeypatch.setattr(documents, "CHUNK_AUTHORS", 7)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    con = duckdb.connect(str(layout.warehouse_path), read_only=True)
    try:
        batches = documents.document_batches(con, lake=layout.lake, scratch_dir=scratch)
        next(batches)
        assert [p.name.startswith("profile-work-texts-") for p in scratch.iterdir()] == [True]
        assert sum(1 for _ in batches) > 2
        assert list(scratch.iterdir()) == []

        batches = documents.document_batches(con, lake=layout.lake, scratch_dir=scratch)
        next(batches)
        batches.close()  # the consumer stops early
        assert list(scratch.iterdir()) == []

        calls = []
        original = documents._batch

        def failing(*args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("mid-way")
            return original(*args, **kwargs)

        monkeypatch.setattr(documents, "_batch", failing)
        with pytest.raises(RuntimeError, match="mid-way"):
            for _ in documents.document_batches(con, lake=layout.lake, scratch_dir=scratch):
                assert len(list(scratch.iterdir())) == 1
        assert len(calls) == 2 and list(scratch.iterdir()) == []
        monkeypatch.setattr(documents, "_batch", original)

        # by default in DuckDB's temp directory (the export's spill folder), made and removed here
        spill = tmp_path / "spill"
        con.execute(f"set temp_directory = '{spill}'")
        seen = []
        for _ in documents.document_batches(con, lake=layout.lake):
            seen.append(sorted(p.name[:19] for p in spill.iterdir()))
        assert seen and all(names == ["profile-work-texts-"] for names in seen)
        assert not spill.exists()
    finally:
        con.close()


def _memory(con: duckdb.DuckDBPyConnection) -> tuple[str, int]:
    """DuckDB's memory limit as it spells it, and the bytes it has spilled to its temp directory."""
    limit = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    spilled = con.execute("select coalesce(sum(temporary_storage_bytes), 0) from duckdb_memory()").fetchall()[0][0]
    return limit, int(spilled)


def _rendered_under(settings: Settings, tmp_path, limit: str) -> dict:
    """The documents rendered with ``memory_limit=limit`` on a connection limited to 300MB (temp directory:
    ``tmp_path``), the texts rendered without it, the limit and spill seen at each batch, and the
    connection's limit before and after."""
    layout = DataLayout.of(settings)
    con = duckdb.connect(str(layout.warehouse_path), read_only=True)
    try:
        con.execute(f"set temp_directory = '{tmp_path}'")
        con.execute("set memory_limit = '300MB'")
        before = _memory(con)[0]
        expected = list(documents.document_texts(con, lake=layout.lake))
        seen, got = [], []
        for batch in documents.document_batches(con, lake=layout.lake, memory_limit=limit):
            seen.append(_memory(con))
            got += [(author, batch.document(i).decode()) for i, author in enumerate(batch.author_ids)]
        return {"expected": expected, "got": got, "seen": seen, "before": before, "after": _memory(con)[0]}
    finally:
        con.close()


def test_documents_rendered_under_a_lower_memory_limit_spill_and_are_the_same(published, tmp_path):
    """``memory_limit``: the chunks render under it once their tables are prepared; the prepared tables
    spill beyond it (the export's memory stays below the connection's limit), the texts are the same,
    and the connection's limit is set back when the batches end."""
    run = _rendered_under(published, tmp_path, "12MB")
    assert run["got"] == run["expected"] and len(run["got"]) > 3
    twelve = duckdb.connect()
    twelve.execute("set memory_limit = '12MB'")
    assert {limit for limit, _ in run["seen"]} == {_memory(twelve)[0]}
    twelve.close()
    if published.data_dir.parent.name.startswith("generated"):  # the sample's prepared tables fit in 12 MB
        assert max(spilled for _, spilled in run["seen"]) > 0
    assert run["after"] == run["before"]


def test_a_memory_limit_duckdb_cannot_lower_to_is_skipped_with_a_warning(published, caplog):
    """An in-memory scratch database with no temp directory cannot spill its prepared tables: DuckDB
    refuses the lower limit, the documents render under the limit the connection had; a misspelt limit
    raises."""
    layout = DataLayout.of(published)
    con = duckdb.connect(str(layout.warehouse_path), read_only=True)
    try:
        expected = list(documents.document_texts(con, lake=layout.lake))
        con.execute("set temp_directory = ''")
        with caplog.at_level("WARNING", logger=documents.__name__):
            got = [
                (author, batch.document(i).decode())
                for batch in documents.document_batches(con, lake=layout.lake, memory_limit="1KB", scratch_dir=None)
                for i, author in enumerate(batch.author_ids)
            ]
        with pytest.raises(duckdb.ParserException, match="Memory must have a number"):
            list(documents.document_batches(con, lake=layout.lake, memory_limit="lots"))
    finally:
        con.close()
    assert got == expected
    assert "could not lower it to 1KB" in caplog.text


def test_a_chunk_out_of_memory_under_the_lower_limit_renders_again_under_the_connections(published, tmp_path, caplog):
    """1 MB is too little for the chunk queries (DuckDB runs out of memory): the chunk is rendered again
    under the connection's own limit, as are the rest; the texts are the same."""
    with caplog.at_level("WARNING", logger=documents.__name__):
        run = _rendered_under(published, tmp_path, "1MB")
    assert run["got"] == run["expected"]
    assert "out of memory under 1MB, the rest render under" in caplog.text
    assert run["after"] == run["before"]
