"""``edgecnn service print|install``: run the camera as a systemd service.

The unit runs ``edgecnn camera --headless --quiet`` with the camera options given
(after ``--``, or mixed with this command's own), from this venv's absolute path, in
the current folder, as a non-root user, after the network is up, and restarts it
whatever ends it. systemd stops it with SIGTERM, which the camera treats like Ctrl-C.
Its output goes to the journal, one line per event::

    edgecnn service print --run-as pi -- --source 0 --mqtt mqtt://broker.lan
    sudo edgecnn service install --run-as pi -- --source 0 --mqtt mqtt://broker.lan

A token for ``--serve`` on the network belongs in the environment file the unit reads
(``EDGECNN_TOKEN=...`` in /etc/edgecnn/camera.env), not on its command line.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import typer

app = typer.Typer()

UNIT_NAME = "edgecnn-camera"
SYSTEM_DIR = Path("/etc/systemd/system")
USER_DIR = Path("~/.config/systemd/user")
SYSTEM_ENV = "/etc/edgecnn/camera.env"
USER_ENV = "%h/.config/edgecnn/camera.env"
ALWAYS = ("--headless", "--quiet")


class Action(str, Enum):
    """What to do with the unit."""

    print = "print"
    install = "install"


@dataclass(frozen=True)
class ServiceConfig:
    """One unit: what it runs, as whom, from where."""

    executable: Path
    camera_args: tuple[str, ...]
    workdir: Path
    user: str | None  # None for a --user unit (it runs as its owner)
    name: str = UNIT_NAME

    def __post_init__(self) -> None:
        if not self.executable.is_absolute() or not self.workdir.is_absolute():
            raise ValueError("the unit needs absolute paths for the program and its folder")
        if self.user in ("root", "0"):
            raise ValueError("--run-as root: the camera service runs as a non-root user")
        if not re.fullmatch(r"[A-Za-z0-9_.@-]+", self.name):
            raise ValueError(f"--name {self.name!r}: letters, digits, _ . @ - only")

    def render(self) -> str:
        """The unit file's text."""
        from edgecnn import __version__

        argv = [str(self.executable), "camera", *ALWAYS, *self.camera_args]
        system = self.user is not None
        service = [
            "Type=simple",
            *([f"User={self.user}", "SupplementaryGroups=video"] if system else []),
            f"WorkingDirectory={_quote(str(self.workdir))}",
            "Environment=PYTHONUNBUFFERED=1",
            f"EnvironmentFile=-{SYSTEM_ENV if system else USER_ENV}",
            "ExecStart=" + " ".join(_quote(a) for a in argv),
            "Restart=always",
            "RestartSec=5",
            "KillSignal=SIGTERM",
            "TimeoutStopSec=20",
            f"SyslogIdentifier={self.name}",
            "NoNewPrivileges=yes",
        ]
        return "\n".join(
            [
                f"# Written by `edgecnn service` (edgecnn {__version__}); write it again after",
                "# moving the venv or changing the options.",
                "[Unit]",
                "Description=edgecnn camera: read handwritten digits",
                "Wants=network-online.target",
                "After=network-online.target",
                "",
                "[Service]",
                *service,
                "",
                "[Install]",
                f"WantedBy={'multi-user.target' if system else 'default.target'}",
                "",
            ]
        )


def _quote(word: str) -> str:
    """A word of a systemd command line: % and $ doubled, quoted when it needs it."""
    word = word.replace("%", "%%").replace("$", "$$")
    if word and re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _executable() -> Path:
    for candidate in (Path(sys.prefix) / "bin" / "edgecnn", shutil.which("edgecnn")):
        if candidate is not None and Path(candidate).is_file():
            return Path(candidate).absolute()
    raise ValueError(f"no edgecnn program in {sys.prefix}/bin: pip install edgecnn there first")


def _default_user() -> str:
    import getpass

    user = os.environ.get("SUDO_USER") or getpass.getuser()
    if user == "root":
        raise ValueError("running as root: give --run-as USER (the service is not run as root)")
    return user


def check_camera_args(args: list[str]) -> None:
    """Parse the camera options the way ``edgecnn camera`` would, without running it.

    Raises:
        ValueError: an unknown option or a bad value (exit code 2).
    """
    from edgecnn.commands import camera

    command = typer.main.get_command(camera.app)
    try:
        with command.make_context("camera", [*ALWAYS, *args]) as ctx:
            options = dict(ctx.params)
    except typer.TyperException as exc:  # typer's own click: NoSuchOption, BadParameter
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        raise ValueError(f"camera options: {message}") from None
    options.pop("summary_out")
    if options["token"] is None and options["serve"] is not None:
        options["token"] = "set-by-the-environment-file"  # EDGECNN_TOKEN, at start
    camera.camera_config(**options)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def service(
    ctx: typer.Context,
    action: Action = typer.Argument(..., help="print: show the unit; install: write it."),
    user: bool = typer.Option(
        False, "--user", help="A user unit (~/.config/systemd/user), run as you."
    ),
    run_as: str | None = typer.Option(
        None, help="The user the service runs as (default: you, or sudo's caller)."
    ),
    name: str = typer.Option(UNIT_NAME, help="The unit's name."),
    path: Path | None = typer.Option(
        None, help="Write the unit here instead (install; default: systemd's folder)."
    ),
) -> None:
    """Print or install a systemd unit running `edgecnn camera --headless --quiet ...`.

    Camera options follow `--` (e.g. -- --source 0 --mqtt mqtt://broker.lan). The unit
    restarts the camera always, waits for the network, runs this venv's edgecnn in the
    current folder as a non-root user; systemd's SIGTERM ends it like Ctrl-C.
    """
    args = list(ctx.args)
    check_camera_args(args)
    config = ServiceConfig(
        executable=_executable(),
        camera_args=tuple(a for a in args if a not in ALWAYS),
        workdir=Path.cwd().absolute(),
        user=None if user else (run_as or _default_user()),
        name=name,
    )
    text = config.render()
    if "--token" in args:
        typer.echo(
            "note: --token on ExecStart is readable by every local user; prefer "
            f"EDGECNN_TOKEN=... in {SYSTEM_ENV if not user else USER_ENV}",
            err=True,
        )
    if action is Action.print:
        typer.echo(text, nl=False)
        return
    from edge_runtime._files import atomic_write
    from edgecnn.commands.checks import writable_file

    target = path or ((USER_DIR if user else SYSTEM_DIR) / f"{name}.service").expanduser()
    writable_file(target, "--path")
    atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    ctl = "systemctl --user" if user else "sudo systemctl"
    typer.echo(f"wrote {target}")
    typer.echo(f"start it now and at boot: {ctl} daemon-reload && {ctl} enable --now {name}")
    typer.echo(f"its log: journalctl {'--user ' if user else ''}-u {name} -f")
    if user:
        import getpass

        typer.echo(f"to start before you log in: sudo loginctl enable-linger {getpass.getuser()}")
