"""The ``edgecnn`` console command: a thin composition root.

Each area (train, export, runtime, camera, zoo) contributes its commands from
``edgecnn.commands.<area>``; those modules import only typer at import time, so
``edgecnn --help`` is instant. Every command runs inside one error boundary that
turns an :class:`edge_runtime.errors.EdgeCNNError` into a one-line message and
its documented exit code (see ``edge_runtime/errors.py``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import typer

from edge_runtime.errors import EdgeCNNError
from edgecnn.commands import camera, export, runtime, train, zoo

USAGE_EXIT = 2
INTERRUPTED_EXIT = 130

app = typer.Typer(
    name="edgecnn",
    help="Train a digit CNN, quantize it to int8 TFLite, and run it on a Raspberry Pi.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: no "<bool>" after every flag
)


def _version(value: bool) -> None:
    if value:
        from edgecnn import __version__

        typer.echo(f"edgecnn {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Train a digit CNN, quantize it to int8 TFLite, and run it on a Raspberry Pi."""


def _fail(message: str, code: int) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command so that expected failures end in one line and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except EdgeCNNError as exc:
            raise _fail(str(exc), exc.exit_code) from None
        except ValueError as exc:  # configuration validation (__post_init__)
            raise _fail(str(exc), USAGE_EXIT) from None
        except KeyboardInterrupt:
            raise _fail("interrupted", INTERRUPTED_EXIT) from None
        except Exception as exc:
            if os.environ.get("EDGECNN_DEBUG"):
                raise
            raise _fail(
                f"unexpected {type(exc).__name__}: {exc} (set EDGECNN_DEBUG=1 for the traceback)",
                EdgeCNNError.exit_code,
            ) from None

    return wrapper


for area in (train, export, runtime, camera, zoo):
    for info in area.app.registered_commands:
        info.callback = guarded(info.callback) if info.callback else None
    app.add_typer(area.app)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="edgecnn")


if __name__ == "__main__":
    main()
