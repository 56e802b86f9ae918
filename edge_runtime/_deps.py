"""Optional dependencies, and errors of other libraries wrapped in ours."""

from __future__ import annotations

import importlib
from types import ModuleType

from edge_runtime.errors import MissingDependencyError


def require(module: str, extra: str) -> ModuleType:
    """Import an optional dependency or raise one clear line naming the extra.

    Args:
        module: the module to import, e.g. ``"cv2"``.
        extra: the edgecnn extra that provides it, e.g. ``"edge"``.

    Returns:
        The imported module.

    Raises:
        MissingDependencyError: it does not import.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module} is not installed: pip install 'edgecnn[{extra}]'"
        ) from exc


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its class name when it has none),
    for wrapping a library's error in one of ours without its multi-line detail."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
