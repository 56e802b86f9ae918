#!/usr/bin/env bash
# Install the Debian packages that tests with real services need (the MQTT broker, its
# clients, systemd-analyze), the way scripts/pi_smoke.sh installs its emulator: only
# what is missing, with apt-get, as root.
#
# Usage: scripts/test_packages.sh COMMAND=PACKAGE ...
#   e.g. scripts/test_packages.sh mosquitto=mosquitto mosquitto_sub=mosquitto-clients
# Exit 0 when every COMMAND is there afterwards; else one FAIL line and exit 1.
set -euo pipefail

fail() { printf 'FAIL: test-packages: %s\n' "$*" >&2; exit 1; }
# mosquitto lives in /usr/sbin, which a non-login PATH may lack.
have() { PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" command -v "$1" >/dev/null; }

[[ $# -gt 0 ]] || fail "usage: scripts/test_packages.sh COMMAND=PACKAGE ..."
missing=()
for pair in "$@"; do
    [[ "$pair" == *=* ]] || fail "not COMMAND=PACKAGE: $pair"
    have "${pair%%=*}" || missing+=("${pair#*=}")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

[[ "$(id -u)" -eq 0 ]] || fail "${missing[*]} missing and not root: run as root or 'sudo apt-get install -y ${missing[*]}'"
command -v apt-get >/dev/null || fail "${missing[*]} missing and no apt-get: install them"
printf '[test-packages] installing %s with apt-get\n' "${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || fail "apt-get update failed (no access to the Debian mirror?)"
# policy-rc.d: a package's own service (mosquitto on :1883) is not started; the tests
# start theirs on free loopback ports.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
fi
status=0
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
[[ $made_policy -eq 1 ]] && rm -f "$policy"
[[ $status -eq 0 ]] || fail "apt-get install ${missing[*]} failed"
for pair in "$@"; do
    have "${pair%%=*}" || fail "${pair%%=*} still missing after apt-get install ${pair#*=}"
done
