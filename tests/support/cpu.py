"""CPU accounting for the benchmarks, from /proc (Linux): a process's CPU seconds, its children, the machine's."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_seconds() -> tuple[float, float]:
    """CPU seconds all processes of the machine have used (user, nice, system, irq, softirq) and the seconds the
    hypervisor took from this VM (steal)."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (f[0] + f[1] + f[2] + f[5] + f[6]) / TICK, f[7] / TICK


def children(pid: int) -> dict[int, str]:
    """The direct children of a process and their command lines."""
    out: dict[int, str] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                out[int(child)] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except FileNotFoundError:
                continue
    return out


class CpuWindow:
    """CPU seconds used from its start to stop(): by the watched processes (each), by this process, by everything
    else on the machine (the broker, servers, the system), and taken by the hypervisor (steal)."""

    def __init__(self, watched: Iterable[int]) -> None:
        self._watched = {pid: cpu_seconds(pid) for pid in watched}
        self._machine = machine_seconds()
        self._own = time.process_time()

    def stop(self) -> dict[str, float]:
        watched = {pid: cpu_seconds(pid) - start for pid, start in self._watched.items()}
        used, steal = machine_seconds()
        own = time.process_time() - self._own
        return {**{f"pid_{pid}": v for pid, v in watched.items()}, "watched": sum(watched.values()), "own": own,
                "others": used - self._machine[0] - sum(watched.values()) - own, "steal": steal - self._machine[1]}  # fmt: skip
