"""One line that says which machine a benchmark ran on, CPU model and int8 instructions included.

Two "2-core VMs" can differ by a factor of three on the same int8 model: the
int8 text detector ran 3x faster than fp32 on one and at the same speed on
another (AMD EPYC, AVX2 only), because onnxruntime's int8 kernels gain most
from VNNI dot-product instructions. So every benchmark's machine line names
the CPU and which of those instructions it has.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

# cpuinfo flags that decide how fast onnxruntime's int8 (and fp32) kernels run, in the order printed.
INT8_FLAGS: tuple[tuple[str, str], ...] = (
    ("avx2", "AVX2"),
    ("avx512f", "AVX-512"),
    ("avx512_vnni", "AVX-512 VNNI"),
    ("avx_vnni", "AVX-VNNI"),
    ("amx_int8", "AMX-INT8"),
)


def cpu_summary(cpuinfo: str) -> str:
    """'AMD EPYC; AVX2, no VNNI' from the text of /proc/cpuinfo ('' when it names no CPU)."""
    model, flags = "", set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = " ".join(value.split())
        elif key == "flags" and not flags:
            flags = set(value.split())
    if not model and not flags:
        return ""
    found = [name for flag, name in INT8_FLAGS if flag in flags]
    if not any("VNNI" in name or "AMX" in name for name in found):
        found.append("no VNNI")
    return "; ".join(part for part in (model or "unknown CPU", ", ".join(found)) if part)


def describe_machine() -> str:
    """E.g. 'x86_64, 2 CPUs (AMD EPYC; AVX2, no VNNI), no GPU, Python 3.11.9'."""
    try:
        cpu = cpu_summary(Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace"))
    except OSError:  # not Linux
        cpu = platform.processor()
    inside = f" ({cpu})" if cpu else ""
    return f"{platform.machine()}, {os.cpu_count()} CPUs{inside}, no GPU, Python {platform.python_version()}"


if __name__ == "__main__":
    print(describe_machine())
