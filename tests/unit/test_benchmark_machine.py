"""The machine line of the benchmark scripts names the CPU and its int8 instructions (benchmarks/machine.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


@pytest.fixture()
def machine(repo_root: Path):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(repo_root / "benchmarks"))
    try:
        import machine

        yield machine
    finally:
        sys.path.pop(0)


EPYC = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC
flags\t\t: fpu vme sse sse2 avx avx2 fma
processor\t: 1
model name\t: AMD EPYC
flags\t\t: fpu vme sse sse2 avx avx2 fma
"""

SAPPHIRE = """model name\t: Intel(R) Xeon(R) Platinum 8480C
flags\t\t: avx avx2 avx512f avx512bw avx512_vnni amx_int8 amx_tile
"""


def test_an_avx2_only_cpu_is_named_with_no_vnni(machine) -> None:  # type: ignore[no-untyped-def]
    assert machine.cpu_summary(EPYC) == "AMD EPYC; AVX2, no VNNI"


def test_a_cpu_with_int8_instructions_lists_them(machine) -> None:  # type: ignore[no-untyped-def]
    assert machine.cpu_summary(SAPPHIRE) == "Intel(R) Xeon(R) Platinum 8480C; AVX2, AVX-512, AVX-512 VNNI, AMX-INT8"


def test_no_cpuinfo_gives_an_empty_summary_and_the_line_still_says_cores_and_python(machine) -> None:  # type: ignore[no-untyped-def]
    assert machine.cpu_summary("") == ""
    line = machine.describe_machine()
    assert "CPUs" in line and "no GPU" in line and "Python 3." in line
