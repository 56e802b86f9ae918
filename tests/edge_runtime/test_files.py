"""edge_runtime._files: a file is in place whole, or the old one is left untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from edge_runtime._files import PendingFile, atomic_write, file_mode, write_json


def test_a_pending_file_appears_only_on_commit_with_the_usual_mode(tmp_path):
    target = tmp_path / "sub" / "clip.avi"
    pending = PendingFile(target, ".avi")
    pending.tmp.write_bytes(b"frames")
    assert not target.exists() and pending.tmp.parent == target.parent
    assert pending.tmp.name.startswith(".clip.avi.") and pending.tmp.suffix == ".avi"
    assert pending.commit() == target
    assert target.read_bytes() == b"frames"
    assert target.stat().st_mode & 0o777 == file_mode()
    pending.abort()  # after a commit: a no-op, the file stays
    assert [p.name for p in target.parent.iterdir()] == ["clip.avi"]
    with pytest.raises(ValueError):
        pending.commit()


def test_an_aborted_file_leaves_the_old_one(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("good")
    pending = PendingFile(target)
    pending.tmp.write_text("half")
    pending.abort()
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_atomic_write_cleans_up_when_the_writer_fails(tmp_path):
    target = tmp_path / "m.json"

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(target, broken)
    assert os.listdir(tmp_path) == []
    write_json(target, {"a": [1, 2]}, compact=True)
    assert target.read_text() == '{"a":[1,2]}\n'
