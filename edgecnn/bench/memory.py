"""This process's memory, for the benchmarks: psutil when installed, else /proc."""

from __future__ import annotations

import os
import sys


def memory_source() -> str:
    """How :func:`rss_bytes` measures: say it beside every memory figure."""
    try:
        import psutil  # noqa: F401
    except ImportError:
        if os.path.exists("/proc/self/statm"):
            return "/proc/self/statm RSS"
        return "getrusage peak RSS (install edgecnn[bench] for psutil)"
    return "psutil RSS"


def rss_bytes() -> int:
    """This process's resident memory now (psutil, else /proc, else the peak so far)."""
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except ImportError:
        pass
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)  # KiB on Linux


def rss_mb() -> float:
    """This process's resident memory in MB."""
    return rss_bytes() / 1e6
