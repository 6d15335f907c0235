"""What running a model costs the machine: resident memory, GPU memory, and energy where counters exist.

Resident memory is read from *this* process, because Foundry Local runs models in-process; for a
remote endpoint the model lives in another process and Pickwise reports memory as unknown rather
than a misleading figure. Energy comes from Linux RAPL (CPU package) when readable; otherwise "n/a".
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import psutil

_RAPL = Path("/sys/class/powercap/intel-rapl:0/energy_uj")
_RAPL_MAX = Path("/sys/class/powercap/intel-rapl:0/max_energy_range_uj")


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def gpu_memory_used_mb() -> float | None:
    """Total used memory over NVIDIA GPUs (nvidia-smi), or None when there is no such GPU."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=5, check=False)
        return float(sum(float(x) for x in out.stdout.split()))
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


class EnergyMeter:
    """CPU-package energy between ``start`` and ``stop`` in joules; ``None`` where RAPL is not readable."""

    def __init__(self) -> None:
        self._start: int | None = None

    @staticmethod
    def _read() -> int | None:
        try:
            return int(_RAPL.read_text())
        except (OSError, ValueError):
            return None

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> float | None:
        end = self._read()
        if self._start is None or end is None:
            return None
        delta = end - self._start
        if delta < 0:  # the counter wrapped
            try:
                delta += int(_RAPL_MAX.read_text())
            except (OSError, ValueError):
                return None
        return delta / 1e6


class PeakRssSampler:
    """Samples this process's resident memory every ``interval_s`` while generation runs."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="pickwise-rss", daemon=True)
        self.peak_mb = rss_mb()

    def _loop(self) -> None:
        process = psutil.Process()
        while not self._stop.wait(self._interval):
            self.peak_mb = max(self.peak_mb, process.memory_info().rss / 2**20)

    def __enter__(self) -> PeakRssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, rss_mb())
