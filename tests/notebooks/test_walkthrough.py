"""notebooks/walkthrough.ipynb runs top to bottom, and is committed without outputs.

The notebook is executed by nbclient in a kernel started from this interpreter (the
venv's ipykernel, registered in a temporary kernel folder: no user kernel, no
network), on its default short run; a cell that raises fails the test with the
cell's error.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "walkthrough.ipynb"
KERNEL = "edgecnn-test-venv"
STRIP = "in JupyterLab, Edit > Clear Outputs of All Cells, then save"

pytestmark = [pytest.mark.tensorflow, pytest.mark.slow]


def test_the_committed_notebook_has_no_outputs():
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "the walkthrough has no code cells"
    for number, cell in enumerate(code, 1):
        assert cell.outputs == [], f"code cell {number} has outputs: {STRIP}"
        assert cell.execution_count is None, f"code cell {number} has a count: {STRIP}"
    assert "widgets" not in notebook.metadata
    # Small on disk as well: the committed file is source, not pictures.
    assert NOTEBOOK.stat().st_size < 40_000


def test_the_notebook_uses_no_shell_and_no_private_names():
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            stripped = line.strip()
            assert not stripped.startswith(("!", "%%bash", "%sx", "%system")), line
            assert "subprocess" not in stripped, line
            assert "._" not in stripped.replace("__", ""), f"a private name: {line}"


def _kernel_folder(root: Path) -> Path:
    """A kernelspec for this very interpreter, in a folder of our own."""
    folder = root / "kernels"
    spec = folder / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    content = {"argv": argv, "display_name": "edgecnn venv", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(content))
    return folder


def test_the_walkthrough_runs_top_to_bottom(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("pandas")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    out = tmp_path / "artifacts"
    monkeypatch.setenv("EDGECNN_NOTEBOOK_OUT", str(out))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    specs = KernelSpecManager(kernel_dirs=[str(_kernel_folder(tmp_path))])
    manager = KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        km=manager,
        timeout=600,  # per cell; the whole run takes about a minute
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    started = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # IPython colours its tracebacks
        pytest.fail(f"a cell of {NOTEBOOK.name} failed:\n{plain}", pytrace=False)
    print(f"{NOTEBOOK.name} ran in {time.perf_counter() - started:.0f} s")

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    images = sum(
        1 for cell in code for output in cell.outputs if "image/png" in output.get("data", {})
    )
    assert images >= 6, f"expected a picture per step (6), got {images}"
    assert (out / "model.keras").is_file()
    assert (out / "model_int8.tflite").is_file()
    assert (out / "model_int8.json").is_file()
