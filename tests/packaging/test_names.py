"""Only edgecnn.train and edgecnn.export exist: nothing imports a top-level ``train`` or
``export`` (the repository's train/ and export/ folders are shipped under edgecnn)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("edgecnn", "edge_runtime", "camera_demo", "train", "export", "tests", "scripts", "tools")
TOP_LEVEL = re.compile(r"^\s*(from|import)\s+(train|export)\b(?!\s*=)", re.MULTILINE)


def test_nothing_imports_a_top_level_train_or_export() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for folder in FOLDERS
        for path in sorted((REPO / folder).rglob("*.py"))
        if TOP_LEVEL.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_pattern_catches_what_it_is_for() -> None:
    for line in ("from train.data import x", "import export.report", "    from export import y"):
        assert TOP_LEVEL.search(line), line
    for line in ("from edgecnn.train.data import x", "from edgecnn.commands import export"):
        assert not TOP_LEVEL.search(line), line
