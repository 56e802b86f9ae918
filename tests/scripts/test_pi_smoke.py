"""The Raspberry Pi path under emulation: ``scripts/pi_smoke.sh`` must print PASS per CPU.

The script builds (once, cached in .cache/pi) a Debian bookworm arm64 userland and
fetches the aarch64 wheels the edgecnn wheel needs, installs the wheel built from this
checkout with [edge], then runs ``edgecnn predict``, ``edgecnn camera --headless`` and the
runtime check under ``qemu-aarch64-static`` for the Pi 3, 4 and 5 CPUs and compares the
answers with the x86 ones. Set ``EDGECNN_SKIP_PI=1`` to skip it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "pi_smoke.sh"
CHECK = REPO / "scripts" / "pi_smoke_check.py"
SEED_MODEL = REPO / "data" / "models" / "seed_int8.tflite"


def _skip_reason() -> str | None:
    if os.environ.get("EDGECNN_SKIP_PI") == "1":
        return "EDGECNN_SKIP_PI=1"
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    can_install = is_root and shutil.which("apt-get") is not None
    if shutil.which("qemu-aarch64-static") is None and not can_install:
        return "qemu-aarch64-static is absent and it cannot be installed (needs root and apt-get)"
    cache = Path(os.environ.get("PI_CACHE", REPO / ".cache" / "pi"))
    if not is_root and not (cache / "rootfs" / ".edgecnn-ready").exists():
        return "building the arm64 sysroot needs root (debootstrap) and none is cached"
    return None


@pytest.mark.slow
def test_reference_half_runs_on_the_host(tmp_path: Path) -> None:
    # The x86 half alone: answers for a few digits and crops, saved for the aarch64 half.
    assert SEED_MODEL.is_file(), f"the bundled model {SEED_MODEL} is missing"
    result = subprocess.run(
        [
            sys.executable,
            str(CHECK),
            "reference",
            "--model",
            str(SEED_MODEL),
            "--out",
            str(tmp_path),
            "--count",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    info = json.loads((tmp_path / "reference.json").read_text())
    assert info["count"] == 20
    assert np.load(tmp_path / "images.npy").shape == (20, 28, 28)
    probabilities = np.load(tmp_path / "probabilities.npy")
    assert probabilities.shape == (20, 10)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=0.05)


@pytest.mark.slow
def test_pi_smoke_passes_under_emulation() -> None:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    result = subprocess.run(
        ["bash", str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    passed = [line for line in result.stdout.splitlines() if line.startswith("PASS: pi-smoke:")]
    # Each CPU's line, once, naming the CPU its MIDR_EL1 showed, from the wheel.
    for cpu, part in (("cortex-a53", "0xd03"), ("cortex-a72", "0xd08"), ("cortex-a76", "0xd0b")):
        lines = [line for line in passed if line.startswith(f"PASS: pi-smoke: {cpu} (")]
        assert len(lines) == 1, output[-6000:]
        assert f"cpuinfo part {part}" in lines[0] and "wheel" in lines[0], lines[0]
        assert "predict 10/10 images and camera" in lines[0], lines[0]
