"""`edgecnn zoo`: exports each architecture behind the gate and measures it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edgecnn.cli import app
from edgecnn.export.zoo import README_END, README_START, update_readme
from edgecnn.train.shifts import VARIANTS

runner = CliRunner()


def test_zoo_measures_a_model_and_fills_the_readme_table(
    tmp_path: Path, seed_model: Path, small_data: Path
):
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(seed_model, models / "seed.keras")
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n{README_START}\nold table\n{README_END}\nafter\n")

    result = runner.invoke(
        app,
        [
            "zoo",
            "--arch",
            "seed",
            "--arch",
            "seed",
            "--models-dir",
            str(models),
            "--out",
            str(tmp_path / "zoo"),
            "--data",
            str(small_data),
            "--readme",
            str(readme),
        ],
    )

    assert result.exit_code == 0, result.output
    (entry,) = json.loads((tmp_path / "zoo" / "zoo.json").read_text())
    assert entry["arch"] == "seed" and entry["params"] == 592_074
    assert entry["int8_bytes"] == (tmp_path / "zoo" / "seed_int8.tflite").stat().st_size
    assert abs(entry["drop_pp"]) <= 0.5
    assert entry["latency_p50_us"] > 0 and entry["arena_bytes"] > 0
    assert set(entry["shifted"]) == set(VARIANTS)
    assert all(0.0 <= acc <= 1.0 for acc in entry["shifted"].values())
    text = readme.read_text()
    assert "old table" not in text and "| seed | 592,074 |" in text
    assert text.startswith("# title\n") and text.endswith(f"{README_END}\nafter\n")


def test_zoo_without_a_trained_model_says_how_to_train_one(tmp_path: Path):
    result = runner.invoke(
        app,
        ["zoo", "--arch", "large", "--models-dir", str(tmp_path), "--out", str(tmp_path / "zoo")],
    )
    assert result.exit_code == 4
    assert "edgecnn train --arch large" in result.output


def test_zoo_entries_are_every_architecture_then_the_ensemble():
    from edgecnn.commands.zoo import ZooModel
    from edgecnn.export.zoo import ENSEMBLE
    from edgecnn.train.models import Arch

    assert [m.value for m in ZooModel] == [a.value for a in Arch] + [ENSEMBLE]


def test_zoo_without_an_ensemble_says_how_to_make_one(tmp_path: Path):
    result = runner.invoke(
        app,
        ["zoo", "--arch", "ensemble", "--models-dir", str(tmp_path), "--out", str(tmp_path / "z")],
    )
    assert result.exit_code == 4
    assert "edgecnn ensemble" in result.output


def test_zoo_by_default_measures_the_ensemble_only_when_there_is_one(tmp_path: Path, monkeypatch):
    from edgecnn.export import zoo as zoo_lib

    asked = []
    monkeypatch.setattr(zoo_lib, "run_zoo", lambda archs, *a, **k: asked.append(archs) or [])
    for name in ("seed", "tiny", "large", "wide"):
        (tmp_path / f"{name}.keras").write_bytes(b"")
    args = ["zoo", "--models-dir", str(tmp_path), "--out", str(tmp_path / "z")]
    assert runner.invoke(app, args).exit_code == 0
    (tmp_path / "ensemble.keras").write_bytes(b"")
    assert runner.invoke(app, args).exit_code == 0
    assert asked == [
        ["seed", "tiny", "large", "wide"],
        ["seed", "tiny", "large", "wide", "ensemble"],
    ]


def test_a_missing_model_is_told_before_any_is_measured(tmp_path: Path, monkeypatch):
    import edgecnn.export.pipeline as pipeline

    exported = []
    monkeypatch.setattr(pipeline, "run_export", lambda *a, **k: exported.append(a))
    (tmp_path / "seed.keras").write_bytes(b"")
    result = runner.invoke(
        app,
        ["zoo", "--arch", "seed", "--arch", "tiny", "--models-dir", str(tmp_path),
         "--out", str(tmp_path / "z")],
    )  # fmt: skip
    assert result.exit_code == 4 and "edgecnn train --arch tiny" in result.output
    assert exported == []


def test_update_readme_needs_the_markers(tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_text("no markers here\n")
    with pytest.raises(ValueError, match="markers"):
        update_readme(readme, "| table |\n")
    assert readme.read_text() == "no markers here\n"


def test_zoo_without_tflite_micro_exports_without_the_micro_check(tmp_path: Path, monkeypatch):
    # edgecnn[train,edge] has no tflite_micro: the zoo must not ask the export for it.
    import edgecnn.export.pipeline as pipeline
    from edgecnn.export import zoo as zoo_lib

    asked = []

    class Stop(Exception):
        pass

    def fake_export(config, progress=None):
        asked.append(config.check_micro)
        raise Stop

    (tmp_path / "seed.keras").write_bytes(b"")
    monkeypatch.setattr(pipeline, "run_export", fake_export)
    for available in (False, True):
        monkeypatch.setattr(zoo_lib, "micro_available", lambda available=available: available)
        with pytest.raises(Stop):
            zoo_lib.measure_entry("seed", tmp_path, tmp_path, None, None, 0.5)  # type: ignore[arg-type]
    assert asked == [False, True]
