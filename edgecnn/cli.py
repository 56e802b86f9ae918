"""The ``edgecnn`` console command: a thin composition root.

Each area (train, export, runtime, camera, zoo) contributes its commands from
``edgecnn.commands.<area>``; those modules import only typer at import time, so
``edgecnn --help`` is instant. Every command runs inside one error boundary that
turns an error into a one-line message and the exit code of its class
(:data:`EXIT_CODES`; the exception tree itself is ``edge_runtime/errors.py``):

======================  ====  ===================================================
exception               exit  raised when
======================  ====  ===================================================
(success)               0
EdgeCNNError            1     base class; also any unexpected failure
(usage)                 2     a bad option value or command line (typer/click,
                              and ``ValueError`` from a config's validation)
DatasetError            3     a data file is missing, truncated or malformed
ModelFormatError        4     a model file is missing, not a model, or truncated
AccuracyDropError       5     the export gate refused a model: drop > tolerance
MissingDependencyError  6     an optional package (or interpreter backend) is
                              not installed; the message names the extra
ImageError              7     an image file is unreadable or an array has the
                              wrong rank or dtype
SourceError             8     a camera / video source cannot be opened, or
                              ``camera --serve`` cannot listen on its address
(interrupted)           130   Ctrl-C during train, export, evaluate or bench
                              (the camera's normal way to stop is Ctrl-C: it
                              writes its summary and exits 0)
(closed pipe)           141   the reader of stdout went away (``| head``):
                              the command stops quietly, as ``cat`` would
======================  ====  ===================================================
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import typer

from edge_runtime.errors import (
    AccuracyDropError,
    DatasetError,
    EdgeCNNError,
    ImageError,
    MissingDependencyError,
    ModelFormatError,
    SourceError,
)
from edgecnn.commands import camera, data, export, inspect, runtime, service, train, zoo

FAILURE_EXIT = 1
USAGE_EXIT = 2
INTERRUPTED_EXIT = 130
PIPE_CLOSED_EXIT = 141  # 128 + SIGPIPE, as a shell reports a command killed by it
#: Exception class -> exit code; a subclass gets its nearest listed ancestor's code.
EXIT_CODES: dict[type[EdgeCNNError], int] = {
    EdgeCNNError: FAILURE_EXIT,
    DatasetError: 3,
    ModelFormatError: 4,
    AccuracyDropError: 5,
    MissingDependencyError: 6,
    ImageError: 7,
    SourceError: 8,
}

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


def exit_code(exc: EdgeCNNError) -> int:
    """The documented exit code of an error: its class's, else its nearest ancestor's."""
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return FAILURE_EXIT


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command so that expected failures end in one line and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except EdgeCNNError as exc:
            raise _fail(str(exc), exit_code(exc)) from None
        except ValueError as exc:  # configuration validation (__post_init__)
            raise _fail(str(exc), USAGE_EXIT) from None
        except KeyboardInterrupt:
            raise _fail("interrupted", INTERRUPTED_EXIT) from None
        except BrokenPipeError:
            # The reader has what it wanted; writing the rest (or flushing at exit) would
            # only fail again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(PIPE_CLOSED_EXIT) from None
        except Exception as exc:
            if os.environ.get("EDGECNN_DEBUG"):
                raise
            raise _fail(
                f"unexpected {type(exc).__name__}: {exc} (set EDGECNN_DEBUG=1 for the traceback)",
                FAILURE_EXIT,
            ) from None

    return wrapper


for area in (train, export, runtime, camera, zoo, data, inspect, service):
    for info in area.app.registered_commands:
        info.callback = guarded(info.callback) if info.callback else None
    app.add_typer(area.app)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="edgecnn")


if __name__ == "__main__":
    main()
