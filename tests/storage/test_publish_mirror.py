"""The publish mirror on an S3-compatible server (moto on 127.0.0.1): every export is complete under
its own prefix behind the manifest, and only the files that differ from the current mirrored export
are uploaded (the others are server-side copies)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.storage.object_store import open_store
from pipeline.storage.publish_mirror import FILES_INDEX, mirror_export, read_manifest


def _export(root: Path, stamp: str, documents: dict[str, str], rows: int) -> Path:
    folder = root / stamp
    (folder / "profiles").mkdir(parents=True)
    pq.write_table(pa.table({"author_id": [f"A{i}" for i in range(rows)]}), folder / "profiles_table.parquet")
    pq.write_table(pa.table({"n": [1, 2, 3]}), folder / "quarantine.parquet")  # the same bytes every time
    for author_id, text in documents.items():
        (folder / "profiles" / f"{author_id}.json").write_text(text, encoding="utf-8")
    return folder


def _mirrored(store, manifest: dict) -> dict[str, bytes]:
    """relative path -> bytes of every object of the manifest's export (its file index left out)."""
    prefix = store.join(manifest["export"]) + "/"
    return {
        path[len(prefix) :]: store.fs.cat_file(path) for path in store.fs.find(prefix) if not path.endswith(FILES_INDEX)
    }


def _local(folder: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        table = path.suffix == ".parquet" and path.parent == folder
        out[f"{path.stem}/part-0.parquet" if table else path.relative_to(folder).as_posix()] = path.read_bytes()
    return out


def test_a_second_export_uploads_only_the_files_that_changed(s3_server, tmp_path, monkeypatch):
    store = open_store(f"s3://{s3_server.new_bucket()}/publish", s3_server.settings())
    uploaded: list[list[str]] = []
    put = store.fs.put

    def recording_put(lpath, rpath, *args, **kwargs):
        uploaded.append([store.relative(p).split("/", 2)[2] for p in rpath])
        return put(lpath, rpath, *args, **kwargs)

    monkeypatch.setattr(store.fs, "put", recording_put)
    documents = {f"A{i}": f'{{\n  "author_id": "A{i}",\n  "name": "Müller {i}"\n}}\n' for i in range(1, 30)}

    first = _export(tmp_path, "20260101T000000000000Z-1", documents, rows=5)
    manifest = mirror_export(store, first)
    assert sorted(uploaded.pop()) == sorted(_local(first))  # nothing to compare with: everything
    assert _mirrored(store, manifest) == _local(first)

    # an incremental build: one document changed, one new, one author gone, one table grew
    changed = {**documents, "A2": documents["A2"].replace("Müller", "Muller"), "A30": '{\n  "author_id": "A30"\n}\n'}
    del changed["A7"]
    second = _export(tmp_path, "20260102T000000000000Z-1", changed, rows=6)
    manifest = mirror_export(store, second)
    assert sorted(uploaded.pop()) == ["profiles/A2.json", "profiles/A30.json", "profiles_table/part-0.parquet"]
    assert (manifest["uploaded"], manifest["copied"]) == (3, len(_local(second)) - 3)
    assert read_manifest(store)["export"] == manifest["export"] == "exports/20260102T000000000000Z-1"
    assert _mirrored(store, manifest) == _local(second)  # complete: the copies are there, A7 is not

    # the next one compares with the second export, whose files are partly copies of the first
    third = _export(tmp_path, "20260103T000000000000Z-1", {**changed, "A3": "{}\n"}, rows=6)
    manifest = mirror_export(store, third)
    assert uploaded.pop() == ["profiles/A3.json"]
    assert _mirrored(store, manifest) == _local(third)
    exports = sorted(p.rsplit("/", 1)[-1] for p in store.fs.ls(store.join("exports"), detail=False))
    assert exports == ["20260102T000000000000Z-1", "20260103T000000000000Z-1"]  # the 2 newest kept


def test_an_export_without_a_file_index_is_uploaded_whole(s3_server, tmp_path):
    """A mirror written before the file index (or with its index gone) is no reason to skip a file."""
    store = open_store(f"s3://{s3_server.new_bucket()}/publish", s3_server.settings())
    documents = {"A1": "{}\n", "A2": "[]\n"}
    manifest = mirror_export(store, _export(tmp_path, "20260101T000000000000Z-1", documents, rows=2))
    store.fs.rm_file(store.join(manifest["files"]))
    second = _export(tmp_path, "20260102T000000000000Z-1", documents, rows=2)
    manifest = mirror_export(store, second)
    assert (manifest["uploaded"], manifest["copied"]) == (len(_local(second)), 0)
    assert _mirrored(store, manifest) == _local(second)
