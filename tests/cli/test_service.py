"""`edgecnn service print|install`: a systemd unit that systemd itself accepts
(`systemd-analyze verify`, from Debian's systemd package, installed when missing and
root), whose command line really starts the camera."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edgecnn.cli import app

REPO = Path(__file__).resolve().parents[2]
CLIP = REPO / "data" / "samples" / "digits_clip.avi"
CAMERA = ["--source", "0", "--mqtt", "mqtt://127.0.0.1:1883/home/meter", "--stable", "2/3"]


def systemd_analyze() -> str | None:
    """systemd-analyze, installed from Debian's packages if missing and root (or CI)."""
    found = shutil.which("systemd-analyze")
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    if found or (os.geteuid() != 0 and not ci):
        return found  # None: the parse check alone
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "test_packages.sh"), "systemd-analyze=systemd"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"cannot install systemd: {result.stdout}{result.stderr}")
    return shutil.which("systemd-analyze")


def unit(*args: str) -> str:
    result = CliRunner().invoke(app, ["service", "print", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def parse(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive in systemd
    parser.read_string(text)
    return parser


def verify(text: str, tmp_path: Path) -> None:
    path = tmp_path / "edgecnn-camera.service"
    path.write_text(text)
    tool = systemd_analyze()
    if tool is None:
        return
    result = subprocess.run(
        [tool, "verify", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert str(path) not in result.stdout + result.stderr, result.stderr  # no warning


def test_the_system_unit(tmp_path):
    text = unit("--run-as", "daemon", "--", *CAMERA)
    parsed = parse(text)
    service = parsed["Service"]
    assert parsed["Unit"]["After"] == "network-online.target"
    assert parsed["Unit"]["Wants"] == "network-online.target"
    assert service["Restart"] == "always" and service["User"] == "daemon"
    assert parsed["Install"]["WantedBy"] == "multi-user.target"
    argv = shlex.split(service["ExecStart"])
    assert Path(argv[0]).is_absolute() and Path(argv[0]).parent == Path(sys.prefix) / "bin"
    assert argv[1:4] == ["camera", "--headless", "--quiet"] and argv[4:] == CAMERA
    assert service["WorkingDirectory"] == str(Path.cwd())
    assert service["EnvironmentFile"] == "-/etc/edgecnn/camera.env"
    verify(text, tmp_path)


def test_the_user_unit(tmp_path):
    text = unit("--user", "--", *CAMERA)
    parsed = parse(text)
    assert "User" not in parsed["Service"] and parsed["Install"]["WantedBy"] == "default.target"
    assert parsed["Service"]["Restart"] == "always"
    verify(text, tmp_path)  # a user manager cannot start here; the system one checks it


def test_its_command_line_starts_the_camera():
    service = parse(unit("--run-as", "daemon", "--", "--source", str(CLIP), "--max-frames", "3"))
    argv = shlex.split(service["Service"]["ExecStart"])
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "frames: 3" in result.stderr  # --quiet: events only


def test_odd_characters_are_quoted_for_systemd(tmp_path):
    text = unit("--run-as", "daemon", "--", "--source", "my cam%1 $HOME")
    assert '--source "my cam%%1 $$HOME"' in text
    verify(text, tmp_path)


def test_install_writes_the_unit_and_says_how_to_enable_it(tmp_path):
    target = tmp_path / "units" / "edgecnn-camera.service"
    args = ["service", "install", "--run-as", "daemon", "--path", str(target), "--", *CAMERA]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert target.read_text() == unit("--run-as", "daemon", "--", *CAMERA)
    assert "systemctl daemon-reload && sudo systemctl enable --now edgecnn-camera" in result.stdout
    assert "journalctl -u edgecnn-camera" in result.stdout
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # no temp left


@pytest.mark.parametrize(
    "args, message",
    [
        (["--run-as", "root", "--", "--source", "0"], "non-root"),
        (["--run-as", "daemon", "--", "--sorce", "0"], "No such option"),
        (["--run-as", "daemon", "--", "--mqtt", "tcp://x"], "--mqtt"),
        (["--run-as", "daemon", "--name", "a b"], "--name"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = CliRunner().invoke(app, ["service", "print", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_a_network_bind_takes_its_token_from_the_environment_file():
    text = unit("--run-as", "daemon", "--", "--serve", "0.0.0.0:8080")
    assert "--token" not in text and "EnvironmentFile=-/etc/edgecnn/camera.env" in text
