"""Resident memory, read from the kernel: this process's peak, and another process's current and peak."""

import resource
from pathlib import Path

KIB_PER_MB = 1024


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB_PER_MB


def process_memory_mb(pid: int) -> tuple[float, float]:
    """A running process's resident set size now (VmRSS) and its peak so far (VmHWM), in MB, from /proc.

    (0.0, 0.0) when the process is gone or the system has no /proc.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0, 0.0
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)

    def megabytes(name: str) -> float:
        value = fields.get(name, "0 kB").split()
        return int(value[0]) / KIB_PER_MB if value else 0.0

    return megabytes("VmRSS"), megabytes("VmHWM")
