#!/usr/bin/env bash
# Prove the Raspberry Pi (aarch64) path under emulation: run edge_runtime on a
# Debian bookworm arm64 userland with Python 3.11 and aarch64 wheels, inside
# qemu-aarch64-static, and check its answers against the x86 host's.
#
# Usage: scripts/pi_smoke.sh [MODEL.tflite]
#   MODEL      default: artifacts/model_int8.tflite if present, else data/models/seed_int8.tflite
# Environment:
#   PI_CACHE   cache folder (default .cache/pi in the repo): sysroot + wheels, reused
#   PI_COUNT   how many MNIST test digits to compare (default 300)
#   PI_MIRROR  Debian mirror for the arm64 sysroot (default: from the machine's apt sources)
#
# Needs: Debian/Ubuntu with root on the first run (apt-get, debootstrap), network to
# the Debian mirror and PyPI on the first run. Later runs reuse the cache, offline.
# Timings under emulation say nothing about a real Pi: this is a correctness check.
set -euo pipefail

say() { printf '[pi-smoke] %s\n' "$*"; }
fail() { printf 'FAIL: pi-smoke: %s\n' "$*" >&2; exit 1; }

# Resolve the model against the caller's cwd before moving to the repo root.
MODEL_ARG=""
if [[ $# -gt 1 ]]; then
    fail "usage: scripts/pi_smoke.sh [MODEL.tflite]"
elif [[ $# -eq 1 ]]; then
    [[ -f "$1" ]] || fail "model not found: $1"
    MODEL_ARG="$(realpath "$1")"
fi
if [[ -n "${PI_CACHE:-}" ]]; then
    mkdir -p "$PI_CACHE"
    PI_CACHE="$(realpath "$PI_CACHE")"
fi

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

CACHE="${PI_CACHE:-$REPO/.cache/pi}"
ROOT="$CACHE/rootfs"          # Debian bookworm arm64 userland
WHEELS="$CACHE/wheels"        # downloaded aarch64 wheels
SITE="$CACHE/site"            # the wheels unpacked: goes on PYTHONPATH
COUNT="${PI_COUNT:-300}"
SUITE=bookworm
# Pure-Python packages are resolved for aarch64 too; binary ones must be cp311 aarch64.
PACKAGES=(ai-edge-litert numpy opencv-python-headless)
mkdir -p "$CACHE"

T_START=$SECONDS
STEP_T=$SECONDS
STEP_NAME=""
TIMINGS=""
# Prints the step's header and records how long the previous step took.
step() {
    [[ -z "$STEP_NAME" ]] || TIMINGS+="${STEP_NAME%%:*}=$((SECONDS - STEP_T))s "
    STEP_NAME="$1"
    STEP_T=$SECONDS
    say "step $1"
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

if [[ -x "$REPO/.venv/bin/python" ]]; then
    HOST_PY="$REPO/.venv/bin/python"
else
    HOST_PY="$(command -v python3 || true)"
    [[ -n "$HOST_PY" ]] || fail "no host Python: create .venv (make test) or install python3"
fi

# ---------------------------------------------------------------- 1. tools
step "1/5: emulator and debootstrap"
if command -v qemu-aarch64-static >/dev/null && command -v debootstrap >/dev/null; then
    say "tools present: $(qemu-aarch64-static --version | head -n1)"
else
    is_root || fail "qemu-aarch64-static/debootstrap missing and not root: run as root or 'sudo apt-get install -y qemu-user-static debootstrap'"
    command -v apt-get >/dev/null || fail "qemu-aarch64-static/debootstrap missing and no apt-get: install qemu-user-static and debootstrap"
    say "installing qemu-user-static debootstrap with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || fail "apt-get update failed (no access to the Debian mirror?)"
    apt-get install -y -qq qemu-user-static debootstrap >/dev/null \
        || fail "apt-get install qemu-user-static debootstrap failed"
    command -v qemu-aarch64-static >/dev/null || fail "qemu-aarch64-static still missing after apt-get install"
fi

# ---------------------------------------------------------------- 2. sysroot
# The first Debian mirror in the apt sources that serves $SUITE itself (not
# bookworm-security or a third-party "cloud-sdk-bookworm").
find_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] || continue
        awk -v suite="$SUITE" '
            function flush() { if (uri != "" && hit) { print uri; found = 1; exit } uri = ""; hit = 0 }
            /^[[:space:]]*$/ { flush(); next }
            /^[[:space:]]*#/ { next }
            tolower($1) == "uris:" { uri = $2 }
            tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) hit = 1 }
            END { if (!found) flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f "$f" ]] || continue
        # deb [options] URI SUITE COMPONENTS...
        sed -e 's/\[[^]]*\]//' "$f" | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2 }'
    done
}

write_fake_cpu() {
    # LiteRT's CPU detection reads these; with the host's x86 view it segfaults.
    # Two Cortex-A72 cores, as on a Raspberry Pi 4.
    local root="$1" n
    mkdir -p "$root/proc" "$root/sys/devices/system/cpu"
    : >"$root/proc/cpuinfo"
    for n in 0 1; do
        cat >>"$root/proc/cpuinfo" <<EOF
processor	: $n
BogoMIPS	: 108.00
Features	: fp asimd evtstrm crc32 cpuid
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x0
CPU part	: 0xd08
CPU revision	: 3

EOF
    done
    for f in possible present online; do
        echo "0-1" >"$root/sys/devices/system/cpu/$f"
    done
}

step "2/5: Debian $SUITE arm64 sysroot in $ROOT"
if [[ -f "$ROOT/.edgecnn-ready" && -x "$ROOT/usr/bin/python3.11" ]]; then
    say "reusing cached sysroot"
else
    is_root || fail "building the arm64 sysroot needs root (debootstrap): run as root once, or set PI_CACHE to a ready cache"
    MIRROR="${PI_MIRROR:-$(find_mirror | head -n1)}"
    MIRROR="${MIRROR:-http://deb.debian.org/debian}"
    say "debootstrap --foreign from $MIRROR (downloads ~40 MB)"
    rm -rf "$ROOT" "$ROOT.partial"
    debootstrap --arch=arm64 --foreign --variant=minbase --include=python3,libgomp1 \
        "$SUITE" "$ROOT.partial" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
        || fail "debootstrap failed (see $CACHE/debootstrap.log): $(tail -n1 "$CACHE/debootstrap.log")"
    # The second stage would need the emulator and a chroot; unpacking is enough.
    n=0
    for deb in "$ROOT.partial"/var/cache/apt/archives/*.deb; do
        dpkg -x "$deb" "$ROOT.partial" || fail "dpkg -x failed on $deb"
        n=$((n + 1))
    done
    [[ -x "$ROOT.partial/usr/bin/python3.11" ]] || fail "no usr/bin/python3.11 in the sysroot after unpacking $n packages"
    rm -f "$ROOT.partial"/var/cache/apt/archives/*.deb
    write_fake_cpu "$ROOT.partial"
    touch "$ROOT.partial/.edgecnn-ready"
    mv "$ROOT.partial" "$ROOT"
    say "sysroot ready: $n packages unpacked"
fi
# A cache from before the fake CPU description existed gets one (LiteRT needs it).
if [[ ! -s "$ROOT/proc/cpuinfo" || ! -s "$ROOT/sys/devices/system/cpu/online" ]]; then
    write_fake_cpu "$ROOT" || fail "cannot write the fake CPU description under $ROOT"
fi

# ---------------------------------------------------------------- 3. wheels
# Pin to the host's versions when the host has them: both sides then run the same code.
SPEC="$("$HOST_PY" - "${PACKAGES[@]}" <<'EOF'
import sys
from importlib import metadata
out = []
for name in sys.argv[1:]:
    try:
        out.append(f"{name}=={metadata.version(name)}")
    except metadata.PackageNotFoundError:
        out.append(name)
print(" ".join(out))
EOF
)"
step "3/5: aarch64 cp311 wheels ($SPEC)"
if [[ -f "$SITE/.edgecnn-ready" && "$(cat "$SITE/.edgecnn-ready")" == "$SPEC" ]]; then
    say "reusing cached wheels in $SITE"
else
    if "$HOST_PY" -m pip --version >/dev/null 2>&1; then
        PIP=("$HOST_PY" -m pip)
    else
        PIP=(python3 -m pip)
    fi
    rm -rf "$WHEELS.partial" "$SITE.partial"
    # shellcheck disable=SC2086  # SPEC is a space-separated list of requirements
    "${PIP[@]}" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        --python-version 3.11 --implementation cp \
        --platform manylinux_2_17_aarch64 --platform manylinux2014_aarch64 \
        --platform manylinux_2_27_aarch64 --platform manylinux_2_28_aarch64 \
        -d "$WHEELS.partial" $SPEC || fail "pip download of the aarch64 wheels failed (no access to PyPI?)"
    mkdir -p "$SITE.partial"
    "$HOST_PY" - "$WHEELS.partial" "$SITE.partial" <<'EOF' || fail "unpacking the wheels failed"
import pathlib, sys, zipfile
wheels, site = map(pathlib.Path, sys.argv[1:])
for whl in sorted(wheels.glob("*.whl")):
    if "aarch64" not in whl.name and not whl.name.endswith("-none-any.whl"):
        sys.exit(f"not an aarch64 wheel: {whl.name}")
    with zipfile.ZipFile(whl) as zf:
        for info in zf.infolist():
            path = site / info.filename
            zf.extract(info, site)
            # zip keeps the Unix mode in the high bits; shared libraries need +x.
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                path.chmod(mode)
    print(f"[pi-smoke] unpacked {whl.name}")
EOF
    rm -rf "$WHEELS" "$SITE"
    mv "$WHEELS.partial" "$WHEELS"
    printf '%s\n' "$SPEC" >"$SITE.partial/.edgecnn-ready"
    mv "$SITE.partial" "$SITE"
fi

# ---------------------------------------------------------------- 4. x86 reference
if [[ -n "$MODEL_ARG" ]]; then
    MODEL="$MODEL_ARG"
elif [[ -f artifacts/model_int8.tflite ]]; then
    MODEL="$REPO/artifacts/model_int8.tflite"
else
    MODEL="$REPO/data/models/seed_int8.tflite"
fi
[[ -f "$MODEL" ]] || fail "model not found: $MODEL (train and export first, or pass a .tflite)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pi-smoke.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

step "4/5: x86 reference answers ($HOST_PY, $COUNT digits, $(basename "$MODEL"))"
"$HOST_PY" scripts/pi_smoke_check.py reference --model "$MODEL" --out "$WORK" --count "$COUNT" \
    || fail "the x86 reference run failed"

# ---------------------------------------------------------------- 5. aarch64 check
step "5/5: same predictions under qemu-aarch64-static -cpu cortex-a72"
# -cpu cortex-a72 (the Pi 4's CPU), never the default "max": with it, XNNPACK's int8
# kernels give wrong answers under emulation. -L makes absolute paths resolve under ROOT
# first (loader, libc, the fake /proc/cpuinfo). -s: no user site; PYTHONPATH holds only the
# wheels and the repo, so `import edge_runtime` is the repo's package and nothing else leaks in.
set +e
env -i PATH=/usr/bin:/bin HOME="$WORK" LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH="$SITE:$REPO" \
    qemu-aarch64-static -cpu cortex-a72 -L "$ROOT" "$ROOT/usr/bin/python3.11" -s \
    scripts/pi_smoke_check.py check --model "$MODEL" --ref "$WORK"
rc=$?
set -e
step "done"
say "timings: ${TIMINGS}total=$((SECONDS - T_START))s"
if [[ $rc -ne 0 ]]; then
    fail "the aarch64 check failed (exit $rc): see the FAIL line above"
fi
