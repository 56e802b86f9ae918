#!/usr/bin/env bash
# Prove the Raspberry Pi (aarch64) path under emulation: install the edgecnn wheel with
# [edge] for a Debian bookworm arm64 userland with Python 3.11 (the wheel plus the
# aarch64 wheels of its dependencies), then, inside qemu-aarch64-static, for the CPUs of
# the Pi 3 / Zero 2 W (cortex-a53), Pi 4 (cortex-a72) and Pi 5 (cortex-a76), run
# `edgecnn predict`, `edgecnn camera --headless` on the bundled sample clip and the
# 300-digit runtime check, and compare every answer with the x86 host's.
#
# Usage: scripts/pi_smoke.sh [MODEL.tflite]
#   MODEL      default: artifacts/model_int8.tflite if present, else the wheel's bundled one
# Environment:
#   PI_CACHE   cache folder (default .cache/pi in the repo): sysroot + wheels, reused
#   PI_COUNT   how many MNIST test digits to compare (default 300)
#   PI_FRAMES  how many frames of the sample clip `edgecnn camera` reads (default 12)
#   PI_CPUS    which qemu CPUs (default "cortex-a53 cortex-a72 cortex-a76")
#   PI_WHEEL   an edgecnn wheel to install (default: built from this checkout)
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
WHEELS="$CACHE/wheels"        # the aarch64 wheels the edgecnn wheel needs, downloaded once
SITE="$CACHE/site"            # what older versions of this script unpacked there: removed
COUNT="${PI_COUNT:-300}"
FRAMES="${PI_FRAMES:-12}"
read -r -a CPUS <<<"${PI_CPUS:-cortex-a53 cortex-a72 cortex-a76}"
SUITE=bookworm
# Pinned to the host's versions, so that both sides run the same code.
PACKAGES=(ai-edge-litert numpy opencv-python-headless typer)
PLATFORM=(--python-version 3.11 --implementation cp --only-binary=:all:
    --platform manylinux_2_17_aarch64 --platform manylinux2014_aarch64
    --platform manylinux_2_27_aarch64 --platform manylinux_2_28_aarch64)
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

# The CPU description LiteRT's CPU detection reads (with the host's x86 view it
# segfaults): two cores of one Raspberry Pi CPU, as qemu's -cpu model reports itself
# (part, variant and revision of its MIDR_EL1).
write_fake_cpu() {
    local root="$1" cpu="${2:-cortex-a72}" n part variant revision features
    case "$cpu" in
        cortex-a53) part=0xd03 variant=0x0 revision=4 features="fp asimd evtstrm crc32 cpuid" ;;
        cortex-a72) part=0xd08 variant=0x0 revision=3 features="fp asimd evtstrm crc32 cpuid" ;;
        cortex-a76) part=0xd0b variant=0x4 revision=1
            features="fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp" ;;
        *) fail "no CPU description for $cpu" ;;
    esac
    mkdir -p "$root/proc" "$root/sys/devices/system/cpu"
    : >"$root/proc/cpuinfo"
    for n in 0 1; do
        cat >>"$root/proc/cpuinfo" <<EOF
processor	: $n
BogoMIPS	: 108.00
Features	: $features
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: $variant
CPU part	: $part
CPU revision	: $revision

EOF
    done
    for f in possible present online; do
        echo "0-1" >"$root/sys/devices/system/cpu/$f"
    done
}

# One userland for every CPU: a folder of links to ROOT's top-level entries, with its
# own proc/ and sys/ holding that CPU's description (qemu -L looks paths up there).
# No tmp link: a symlinked /tmp would send realpath() of our $WORK files into ROOT/tmp.
cpu_root() {
    local cpu="$1" dir="$2" entry
    mkdir -p "$dir"
    for entry in "$ROOT"/*; do
        case "$(basename "$entry")" in proc | sys | tmp) ;; *) ln -s "$entry" "$dir/" ;; esac
    done
    write_fake_cpu "$dir" "$cpu"
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
if "$HOST_PY" -m pip --version >/dev/null 2>&1; then
    PIP=("$HOST_PY" -m pip --disable-pip-version-check)
else
    PIP=(python3 -m pip --disable-pip-version-check)
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pi-smoke.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

step "3/5: the edgecnn wheel, installed with [edge] for aarch64 cp311"
if [[ -n "${PI_WHEEL:-}" ]]; then
    WHEEL="$(realpath "$PI_WHEEL")"
    [[ -f "$WHEEL" ]] || fail "PI_WHEEL not found: $PI_WHEEL"
else
    "$HOST_PY" -m build --wheel --no-isolation --outdir "$WORK/dist" "$REPO" >"$WORK/build.log" 2>&1 \
        || fail "building the wheel failed (needs the dev extra's build): $(tail -n1 "$WORK/build.log")"
    WHEEL="$(ls "$WORK"/dist/edgecnn-*-py3-none-any.whl)"
fi
"$HOST_PY" - "${PACKAGES[@]}" >"$WORK/constraints.txt" <<'EOF'
import sys
from importlib import metadata
for name in sys.argv[1:]:
    try:
        print(f"{name}=={metadata.version(name)}")
    except metadata.PackageNotFoundError:
        pass
EOF
SPEC="$(tr '\n' ' ' <"$WORK/constraints.txt")"
# What the wheel needs, for aarch64: fetched once (pip's cache helps), then offline. pip
# byte-compiles with the host's 3.11, whose .pyc the emulated 3.11 loads: compiling
# every module again under emulation, on each run, took most of its time.
INSTALL=("${PIP[@]}" install --quiet --no-index --find-links "$WHEELS"
    "${PLATFORM[@]}" -c "$WORK/constraints.txt" --target "$WORK/site" "$WHEEL[edge]")
if [[ ! -f "$WHEELS/.edgecnn-ready" || "$(cat "$WHEELS/.edgecnn-ready")" != "$SPEC" ]] \
    || ! "${INSTALL[@]}" >"$WORK/pip.log" 2>&1; then
    say "downloading the aarch64 wheels ($SPEC)"
    rm -rf "$WHEELS" "$SITE" && mkdir -p "$WHEELS"  # $SITE: the unpacked wheels of before
    "${PIP[@]}" download --quiet "${PLATFORM[@]}" -c "$WORK/constraints.txt" -d "$WHEELS" \
        "$WHEEL[edge]" || fail "pip download of the aarch64 wheels failed (no access to PyPI?)"
    rm -f "$WHEELS"/edgecnn-*.whl  # the wheel itself is rebuilt each run
    printf '%s\n' "$SPEC" >"$WHEELS/.edgecnn-ready"
    rm -rf "$WORK/site"
    "${INSTALL[@]}" >"$WORK/pip.log" 2>&1 || fail "pip install of the wheel failed: $(tail -n3 "$WORK/pip.log")"
fi
if grep -qi deprecat "$WORK/pip.log"; then
    fail "pip install printed a deprecation warning: $(grep -i deprecat "$WORK/pip.log" | head -n1)"
fi
for whl in "$WHEELS"/*.whl; do
    if [[ "$whl" != *aarch64* && "$whl" != *-none-any.whl ]]; then
        fail "not an aarch64 wheel: $(basename "$whl")"
    fi
done
mb() { du -k "$@" | awk '{ t += $1 } END { printf "%.1f MB", t / 1024 }'; }
PULLS="$(cd "$WHEELS" && for w in *.whl; do printf '%s %s\n' "$(du -k "$w" | cut -f1)" "${w%%-*}"; done \
    | sort -rn | awk '{ printf "%s%s %.1f MB", (NR > 1 ? ", " : ""), $2, $1 / 1024 }')"
say "pip pulls for aarch64: $(mb "$WHEEL" "$WHEELS"/*.whl) of wheels: $(basename "$WHEEL") $(mb "$WHEEL"), $PULLS; installed: $(du -sm "$WORK/site" | cut -f1) MB"

# ---------------------------------------------------------------- 4. x86 reference
# An explicit model goes to both sides; without one each side uses its default, which
# here (no artifacts/ in the working folder) is the bundled one.
MODEL=""
MODEL_OPT=()
if [[ -n "$MODEL_ARG" ]]; then
    MODEL="$MODEL_ARG"
elif [[ -f artifacts/model_int8.tflite ]]; then
    MODEL="$REPO/artifacts/model_int8.tflite"
fi
if [[ -n "$MODEL" ]]; then
    MODEL_OPT=(--model "$MODEL")
    PI_MODEL="$MODEL"
else
    MODEL="$REPO/data/models/seed_int8.tflite"
    PI_MODEL="$WORK/site/edgecnn/data/models/seed_int8.tflite"
fi
[[ -f "$MODEL" ]] || fail "model not found: $MODEL (train and export first, or pass a .tflite)"
CLIP="$WORK/site/edgecnn/data/samples/digits_clip.avi"
[[ -f "$CLIP" ]] || fail "the wheel holds no sample clip: $CLIP"

step "4/5: x86 reference answers ($HOST_PY, $COUNT digits, $(basename "$MODEL"))"
"$HOST_PY" scripts/pi_smoke_check.py reference --model "$MODEL" --out "$WORK/ref" --count "$COUNT" \
    || fail "the x86 reference run failed"
# The same two commands on both sides: predict on the PNGs, camera on the clip's first frames.
cli() {  # cli OUT COMMAND...: `COMMAND predict` and `COMMAND camera`, their outputs in OUT
    local out="$1" t0=$SECONDS t1
    shift
    mkdir -p "$out"
    (cd "$WORK" && "$@" predict --json "${MODEL_OPT[@]}" "$WORK"/ref/predict_*.png \
        >"$out/predict.json" 2>"$out/predict.log") || return 1
    t1=$SECONDS
    (cd "$WORK" && "$@" camera --headless "${MODEL_OPT[@]}" --source "$CLIP" \
        --max-frames "$FRAMES" --json-out "$out/camera.jsonl" >"$out/camera.log" 2>&1) || return 1
    say "edgecnn predict $((t1 - t0))s, edgecnn camera ($FRAMES frames) $((SECONDS - t1))s"
}
cli "$WORK/ref/cli" "$HOST_PY" -m edgecnn.cli \
    || fail "edgecnn predict/camera failed on x86: $(tail -n2 "$WORK"/ref/cli/*.log)"

# ---------------------------------------------------------------- 5. aarch64 check
# -cpu names a Raspberry Pi's CPU, never the default "max": with it, XNNPACK's int8
# kernels give wrong answers under emulation. -L makes absolute paths resolve under the
# CPU's root first (loader, libc, the fake /proc/cpuinfo). -s: no user site; PYTHONPATH
# holds only what pip installed from the wheel, so `edge_runtime` is the wheel's.
# The CPUs run side by side (qemu-user is one host thread per guest thread), each into
# its own log, printed in order once all are done.
run_cpu() {
    local cpu="$1"
    cpu_root "$cpu" "$WORK/root-$cpu"
    emulate=(env -i PATH=/usr/bin:/bin HOME="$WORK" LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1
        PYTHONPATH="$WORK/site" qemu-aarch64-static -cpu "$cpu" -L "$WORK/root-$cpu"
        "$ROOT/usr/bin/python3.11" -s)
    cli "$WORK/$cpu" "${emulate[@]}" "$WORK/site/bin/edgecnn" || {
        echo "FAIL: pi-smoke: $cpu: edgecnn predict/camera failed under emulation:"
        tail -n3 "$WORK/$cpu"/*.log
        return 1
    }
    "${emulate[@]}" scripts/pi_smoke_check.py check --model "$PI_MODEL" --ref "$WORK/ref" \
        --cpu "$cpu" --site "$WORK/site" --cli-ref "$WORK/ref/cli" --cli-out "$WORK/$cpu"
}
step "5/5: under qemu-aarch64-static -cpu ${CPUS[*]}: edgecnn predict, camera, the runtime check"
declare -A PIDS=()
for cpu in "${CPUS[@]}"; do
    mkdir -p "$WORK/$cpu"
    run_cpu "$cpu" >"$WORK/$cpu/run.log" 2>&1 &
    PIDS[$cpu]=$!
done
PASSED=()
FAILED=()
for cpu in "${CPUS[@]}"; do
    set +e
    wait "${PIDS[$cpu]}"
    rc=$?
    set -e
    say "---- $cpu"
    grep -v "^PASS:" "$WORK/$cpu/run.log" || true  # the PASS lines come together, last
    if [[ $rc -eq 0 ]] && grep -q '^PASS:' "$WORK/$cpu/run.log"; then
        PASSED+=("$(grep '^PASS:' "$WORK/$cpu/run.log")")
    else
        FAILED+=("$cpu")
    fi
done
step "done"
say "timings: ${TIMINGS}total=$((SECONDS - T_START))s"
if [[ ${#FAILED[@]} -gt 0 ]]; then
    fail "the aarch64 check failed on ${FAILED[*]}: see the FAIL line above"
fi
printf '%s\n' "${PASSED[@]}"
