"""The two halves of ``scripts/pi_smoke.sh``: x86 reference answers, then the aarch64 check.

``reference`` runs on the x86 host (the repo's .venv): it reads MNIST test digits straight
from ``data/mnist/t10k-*.gz``, draws a few non-MNIST crops (ink on paper, BGR, BGRA, a thin
pen stroke, a blank page), and saves the images and ``edge_runtime``'s answers as .npy.

``reference`` also writes ``predict_*.png`` (a few of those digits and crops as image
files) for the ``edgecnn predict`` run the shell script makes on both sides.

``check`` runs under ``qemu-aarch64-static -cpu <cortex-a53|a72|a76>`` with Debian
bookworm's Python 3.11 and only what ``pip install edgecnn-*.whl[edge]`` put in a folder
(the wheel and the aarch64 wheels of its dependencies) on the path. It repeats the same
predictions with ``edge_runtime`` and compares: same digits for every image,
probabilities within one output quantization step, same ``to_mnist`` crops; with
``--cli-ref``/``--cli-out`` it also compares the two sides' ``edgecnn predict --json``
and ``edgecnn camera --headless`` outputs. It reads the CPU's own MIDR_EL1 (what qemu
emulates, not the fake /proc/cpuinfo) and fails when it is not the ``--cpu`` asked for.
It prints one ``PASS:`` or ``FAIL:`` line last and exits 0 or 1.

The ``check`` half imports only numpy, LiteRT, OpenCV and ``edge_runtime`` (no ``train``,
no TensorFlow), so the emulated side needs nothing else; ``reference`` also uses
``edgecnn.train.data`` (numpy only) to read the IDX files.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
MNIST_DIR = REPO / "data" / "mnist"
IMAGES_FILE = "t10k-images-idx3-ubyte.gz"
LABELS_FILE = "t10k-labels-idx1-ubyte.gz"
# How many MNIST digits also go through the one-image `predict` path.
PREDICT_COUNT = 10
# How many of the reference images are also written as PNG files for `edgecnn predict`.
PNG_DIGITS = 5
#: The Raspberry Pi CPUs: qemu's -cpu name -> (MIDR_EL1 part number, boards).
CPUS = {
    "cortex-a53": (0xD03, "Raspberry Pi 3, Zero 2 W"),
    "cortex-a72": (0xD08, "Raspberry Pi 4"),
    "cortex-a76": (0xD0B, "Raspberry Pi 5"),
}
# Float outputs have no quantization step; allow this much difference between CPUs.
FLOAT_TOLERANCE = 1e-4
#: Two values each rounded to 4 decimals differ by up to this much more than they did.
JSON_ROUNDING = 1e-4
# OpenCV's NEON and SSE code paths may round a resized pixel differently by one level.
CROP_TOLERANCE = 1


class SmokeFailure(Exception):
    """A check failed; the message is the FAIL line's reason."""


# --------------------------------------------------------------------------- inputs
def spread_indices(total: int, count: int) -> np.ndarray:
    """``count`` indices spread evenly over ``total`` (not just the first digits)."""
    return np.linspace(0, total - 1, num=min(count, total)).round().astype(np.int64)


def draw_crops() -> list[np.ndarray]:
    """Non-MNIST crops of one digit each, as a camera might give them (needs OpenCV).

    Returns:
        grey dark-on-light, BGR coloured ink with a lighting gradient, BGRA with ink on a
        transparent canvas, a thin pen stroke in a large crop, and a blank page.
    """
    import cv2

    rng = np.random.default_rng(0)
    font = cv2.FONT_HERSHEY_SIMPLEX
    crops: list[np.ndarray] = []

    grey = np.full((96, 80), 210, np.uint8)
    cv2.putText(grey, "7", (12, 80), font, 3.0, 30, 9, cv2.LINE_AA)
    grey = np.clip(grey + rng.normal(0, 6, grey.shape), 0, 255).astype(np.uint8)
    crops.append(grey)

    bgr = np.zeros((110, 90, 3), np.uint8)
    bgr[:] = np.linspace(150, 235, 90, dtype=np.float32)[None, :, None].astype(np.uint8)
    cv2.putText(bgr, "3", (14, 92), font, 3.2, (110, 40, 20), 10, cv2.LINE_AA)
    crops.append(cv2.GaussianBlur(bgr, (3, 3), 0))

    bgra = np.zeros((80, 70, 4), np.uint8)
    cv2.putText(bgra, "4", (8, 68), font, 2.6, (20, 20, 20, 255), 8, cv2.LINE_AA)
    crops.append(bgra)

    thin = np.full((200, 160), 235, np.uint8)
    cv2.putText(thin, "2", (20, 170), font, 6.0, 40, 2, cv2.LINE_AA)
    crops.append(thin)

    crops.append(np.clip(200 + rng.normal(0, 3, (60, 50)), 0, 255).astype(np.uint8))
    return crops


# --------------------------------------------------------------------------- predictions
def run_model(model: Path, images: np.ndarray, crops: list[np.ndarray]) -> dict[str, Any]:
    """Everything both sides compute, with the repo's ``edge_runtime``.

    Returns:
        probabilities (N, 10) float32; digits of ``predict`` on the first images; the
        ``to_mnist`` result of each crop (None when blank), their probabilities; the
        backend and the output quantization step.
    """
    from edge_runtime import DigitClassifier
    from edge_runtime.preprocess import to_mnist

    with DigitClassifier(str(model)) as clf:
        probabilities = np.asarray(clf.probabilities(images), dtype=np.float32)
        predicted = [clf.predict(image).digit for image in images[:PREDICT_COUNT]]
        mnist_crops = [to_mnist(crop) for crop in crops]
        found = [m for m in mnist_crops if m is not None]
        crop_probs = (
            np.asarray(clf.probabilities(np.stack(found)), dtype=np.float32)
            if found
            else np.zeros((0, 10), np.float32)
        )
        output = (clf.metadata or {}).get("output") or {}
        step = float(output.get("scale") or 0.0)
        backend = getattr(clf, "backend", None)
    return {
        "probabilities": probabilities,
        "predict_digits": predicted,
        "mnist_crops": mnist_crops,
        "crop_probabilities": crop_probs,
        "step": step,
        "backend": str(getattr(backend, "value", backend)),
    }


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "machine": platform.machine()}
    for name in ("edgecnn", "ai-edge-litert", "numpy", "opencv-python-headless"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


# --------------------------------------------------------------------------- x86 side
def reference(model: Path, out: Path, count: int) -> None:
    """Save the MNIST digits, the crops and the host's answers under ``out``."""
    from edgecnn.train.data import read_idx  # the x86 half only: the repo's own IDX reader

    images = read_idx(MNIST_DIR / IMAGES_FILE)
    labels = read_idx(MNIST_DIR / LABELS_FILE)
    if len(images) != len(labels):
        raise SmokeFailure(f"{MNIST_DIR}: {len(images)} images but {len(labels)} labels")
    pick = spread_indices(len(images), count)
    images, labels = np.ascontiguousarray(images[pick]), labels[pick]
    crops = draw_crops()
    result = run_model(model, images, crops)

    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "images.npy", images)
    np.save(out / "labels.npy", labels)
    np.save(out / "probabilities.npy", result["probabilities"])
    np.save(out / "crop_probabilities.npy", result["crop_probabilities"])
    for i, (crop, mnist) in enumerate(zip(crops, result["mnist_crops"], strict=True)):
        np.save(out / f"crop_{i}.npy", crop)
        if mnist is not None:
            np.save(out / f"crop_{i}_mnist.npy", mnist)
    info = {
        "count": len(images),
        "crops": len(crops),
        "predict_digits": result["predict_digits"],
        "step": result["step"],
        "backend": result["backend"],
        "versions": versions(),
        "edge_runtime": str(Path(sys.modules["edge_runtime"].__file__ or "").parent),
    }
    (out / "reference.json").write_text(json.dumps(info, indent=1))
    import cv2

    for i in range(PNG_DIGITS):
        cv2.imwrite(str(out / f"predict_digit_{i}.png"), 255 - images[i])  # ink on paper
    for i, crop in enumerate(crops):
        cv2.imwrite(str(out / f"predict_crop_{i}.png"), crop)
    digits = result["probabilities"].argmax(axis=1)
    accuracy = float((digits == labels).mean())
    print(
        f"[pi-smoke] x86 reference: {len(images)} digits, accuracy {accuracy:.2%}, "
        f"backend {result['backend']}, python {platform.python_version()}"
    )


# --------------------------------------------------------------------------- aarch64 side
def read_midr() -> int:
    """MIDR_EL1 as this CPU reports it (``mrs x0, midr_el1``; Linux and qemu-user let EL0
    read it). Unlike /proc/cpuinfo, which the smoke test fakes, this is the emulated CPU."""
    import ctypes
    import mmap

    code = (0xD5380000).to_bytes(4, "little") + (0xD65F03C0).to_bytes(4, "little")
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code)
    function = ctypes.CFUNCTYPE(ctypes.c_uint64)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
    return int(function())


def cpuinfo_part() -> int | None:
    """The ``CPU part`` of /proc/cpuinfo (the fake one under the userland), if any."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "CPU part":
            return int(value.strip(), 16)
    return None


def compare_cli(cli_ref: Path, cli_out: Path, step: float, expect: Any) -> str:
    """Compare the two sides' ``edgecnn predict --json`` and ``camera --headless`` output."""
    # --json prints probabilities to 4 decimals: one output step can show as 0.0040
    tolerance = (step * 1.0001 + JSON_ROUNDING) if step > 0 else FLOAT_TOLERANCE
    theirs = json.loads((cli_ref / "predict.json").read_text())["results"]
    mine = json.loads((cli_out / "predict.json").read_text())["results"]
    same = sum(
        a["image"] == b["image"]
        and a["digit"] == b["digit"]
        and max(abs(x - y) for x, y in zip(a["probabilities"], b["probabilities"], strict=True))
        <= tolerance
        for a, b in zip(mine, theirs, strict=False)
    )
    expect(
        len(mine) == len(theirs) == same,
        f"edgecnn predict: {same}/{len(theirs)} images read as on x86 "
        f"({[r['digit'] for r in mine]})",
    )

    def frames(path: Path) -> list[list[int]]:
        lines = path.read_text().splitlines()
        return [[d["digit"] for d in json.loads(line)["digits"]] for line in lines]

    want, got = frames(cli_ref / "camera.jsonl"), frames(cli_out / "camera.jsonl")
    digits = sum(len(f) for f in want)
    expect(
        bool(want) and got == want,
        f"edgecnn camera --headless: {len(got)} frames, {sum(len(f) for f in got)} digits "
        f"(x86: {len(want)} frames, {digits} digits), every frame read the same",
    )
    return f"predict {same}/{len(theirs)} images and camera {len(got)} frames ({digits} digits)"


def check(
    model: Path,
    ref: Path,
    cpu: str,
    site: Path,
    cli_ref: Path | None = None,
    cli_out: Path | None = None,
) -> str:
    """Repeat the predictions here and compare with ``ref``; the PASS summary, or raise.

    Raises:
        SmokeFailure: the first check that failed.
    """
    problems: list[str] = []

    def expect(ok: bool, message: str) -> None:
        print(f"[pi-smoke]   {'ok  ' if ok else 'FAIL'} {message}")
        if not ok:
            problems.append(message)

    machine = platform.machine()
    expect(machine == "aarch64", f"platform.machine() is {machine!r} (want 'aarch64')")
    if cpu not in CPUS:
        raise SmokeFailure(f"--cpu {cpu!r}: not one of {', '.join(CPUS)}")
    part, boards = CPUS[cpu]
    midr = read_midr() if machine == "aarch64" else 0
    fake = cpuinfo_part()
    expect(
        (midr >> 4) & 0xFFF == part and midr >> 24 == 0x41,
        f"MIDR_EL1 {midr:#x}: Arm part {(midr >> 4) & 0xFFF:#x} (want {part:#x}, {cpu})",
    )
    expect(fake == part, f"/proc/cpuinfo CPU part {fake if fake is None else hex(fake)}")
    expect(sys.version_info[:2] == (3, 11), f"python {platform.python_version()} (want 3.11)")
    tf_spec = importlib.util.find_spec("tensorflow")
    expect(tf_spec is None, f"tensorflow importable: {tf_spec is not None} (want False)")

    info = json.loads((ref / "reference.json").read_text())
    images = np.load(ref / "images.npy")
    labels = np.load(ref / "labels.npy")
    want = np.load(ref / "probabilities.npy")
    want_crop_probs = np.load(ref / "crop_probabilities.npy")
    crops = [np.load(ref / f"crop_{i}.npy") for i in range(info["crops"])]
    want_crops = [
        np.load(p) if (p := ref / f"crop_{i}_mnist.npy").exists() else None
        for i in range(info["crops"])
    ]

    result = run_model(model, images, crops)

    import edge_runtime

    where = Path(edge_runtime.__file__ or "").resolve().parent
    expect(
        where == (site / "edge_runtime").resolve(),
        f"edge_runtime imported from {where} (the installed wheel: {site})",
    )
    backend = result["backend"]
    expect(
        "litert" in backend
        and "ai_edge_litert" in sys.modules
        and "tflite_runtime" not in sys.modules,
        f"backend {backend!r} is ai_edge_litert",
    )
    heavy = sorted(m for m in ("tensorflow", "keras", "tflite_runtime") if m in sys.modules)
    expect(not heavy, f"modules imported that a Pi lacks: {heavy or 'none'}")

    got = result["probabilities"]
    expect(got.shape == want.shape, f"probabilities shape {got.shape} (x86: {want.shape})")
    digits, want_digits = got.argmax(axis=1), want.argmax(axis=1)
    same = int((digits == want_digits).sum()) if got.shape == want.shape else 0
    expect(same == len(want), f"{same}/{len(want)} digits equal the x86 ones")
    step = result["step"]
    tolerance = step * 1.0001 if step > 0 else FLOAT_TOLERANCE
    max_diff = float(np.abs(got - want).max()) if got.shape == want.shape else float("inf")
    expect(
        max_diff <= tolerance,
        f"max probability difference {max_diff:.6g} <= {tolerance:.6g} (one output step)",
    )
    expect(
        result["predict_digits"] == info["predict_digits"],
        f"predict() on {PREDICT_COUNT} images: {result['predict_digits']} "
        f"(x86: {info['predict_digits']})",
    )

    crop_diffs = []
    for i, (mine, theirs) in enumerate(zip(result["mnist_crops"], want_crops, strict=True)):
        if mine is None or theirs is None:
            expect(
                mine is None and theirs is None,
                f"to_mnist(crop {i}) blank here: {mine is None}, on x86: {theirs is None}",
            )
            continue
        diff = int(np.abs(mine.astype(np.int16) - theirs.astype(np.int16)).max())
        crop_diffs.append(diff)
        expect(
            mine.shape == theirs.shape == (28, 28) and diff <= CROP_TOLERANCE,
            f"to_mnist(crop {i}) max pixel difference {diff} <= {CROP_TOLERANCE}",
        )
    crop_probs = result["crop_probabilities"]
    if crop_probs.shape == want_crop_probs.shape:
        crop_same = bool((crop_probs.argmax(axis=1) == want_crop_probs.argmax(axis=1)).all())
    else:
        crop_same = False
    expect(
        crop_same,
        f"digits read from the {len(crop_probs)} crops: "
        f"{crop_probs.argmax(axis=1).tolist()} (x86: {want_crop_probs.argmax(axis=1).tolist()})",
    )

    cli = compare_cli(cli_ref, cli_out, step, expect) if cli_ref and cli_out else ""
    accuracy = float((digits == labels).mean()) if len(labels) else 0.0
    host = info["versions"]
    here = versions()
    print(
        f"[pi-smoke]   accuracy on {len(labels)} MNIST test digits: {accuracy:.2%} "
        f"(x86: {float((want_digits == labels).mean()):.2%})"
    )
    print(f"[pi-smoke]   aarch64: {here}")
    print(f"[pi-smoke]   x86:     {host}")
    if problems:
        raise SmokeFailure(f"{len(problems)} check(s) failed, first: {problems[0]}")
    return (
        f"PASS: pi-smoke: {cpu} ({boards}; MIDR_EL1 {midr:#x}, cpuinfo part {part:#x}) "
        f"from the edgecnn {here['edgecnn']} wheel, python {here['python']}, "
        f"backend {backend} ai-edge-litert {here['ai-edge-litert']}, numpy {here['numpy']}, "
        f"opencv {here['opencv-python-headless']}; {cli + '; ' if cli else ''}"
        f"{same}/{len(want)} digits match x86, "
        f"max prob diff {max_diff:.3g} (step {step:.3g}), accuracy {accuracy:.2%}; "
        f"to_mnist {len(crops)}/{len(crops)} crops match (max pixel diff "
        f"{max(crop_diffs, default=0)}); no tensorflow"
    )


# --------------------------------------------------------------------------- entry point
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    ref_p = sub.add_parser("reference", help="x86 side: save images and answers")
    ref_p.add_argument("--model", type=Path, required=True)
    ref_p.add_argument("--out", type=Path, required=True)
    ref_p.add_argument("--count", type=int, default=300)
    chk_p = sub.add_parser("check", help="aarch64 side: repeat and compare")
    chk_p.add_argument("--model", type=Path, required=True)
    chk_p.add_argument("--ref", type=Path, required=True)
    chk_p.add_argument("--cpu", required=True, choices=sorted(CPUS), help="qemu's -cpu")
    chk_p.add_argument("--site", type=Path, required=True, help="where the wheel is installed")
    chk_p.add_argument("--cli-ref", type=Path, help="x86's predict.json and camera.jsonl")
    chk_p.add_argument("--cli-out", type=Path, help="this side's predict.json and camera.jsonl")
    args = parser.parse_args(argv)
    try:
        if args.mode == "reference":
            if args.count < 1:
                raise SmokeFailure(f"--count must be >= 1, got {args.count}")
            reference(args.model, args.out, args.count)
            return 0
        print(check(args.model, args.ref, args.cpu, args.site, args.cli_ref, args.cli_out))
        return 0
    except SmokeFailure as exc:
        print(f"FAIL: pi-smoke ({args.mode}): {exc}")
        return 1
    except Exception as exc:  # report anything else as one FAIL line too
        # edgecnn's own errors carry a complete one-line message; others get a traceback.
        if not any(cls.__name__ == "EdgeCNNError" for cls in type(exc).__mro__):
            traceback.print_exc()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"FAIL: pi-smoke ({args.mode}): {type(exc).__name__}: {reason}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
