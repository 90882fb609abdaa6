"""The lean malloc policy of `tillroll extract` (tillroll.ocr.memory): when it applies and when it stays out of the way."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = "from tillroll.ocr.memory import apply_lean_memory_policy as a; print(a(), a())"


def _probe(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "TILLROLL_LEAN_MEMORY"}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_policy_applies_once_when_asked() -> None:
    assert _probe(TILLROLL_LEAN_MEMORY="1") == "True True"


def test_policy_stays_off_by_default_and_when_switched_off() -> None:
    assert _probe() == "False False"
    assert _probe(TILLROLL_LEAN_MEMORY="0") == "False False"


def test_a_users_own_malloc_settings_win() -> None:
    assert _probe(TILLROLL_LEAN_MEMORY="1", MALLOC_MMAP_THRESHOLD_="65536") == "False False"
    assert _probe(TILLROLL_LEAN_MEMORY="1", MALLOC_TRIM_THRESHOLD_="65536") == "False False"


def test_releasing_free_memory_is_safe_with_and_without_the_policy() -> None:
    probe = (
        "import os; from tillroll.ocr import memory as m; m.release_free_memory(); print(m.apply_lean_memory_policy()); m.release_free_memory(); print('ok')"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "TILLROLL_LEAN_MEMORY"}
    for value, applied in (("0", "False"), ("1", "True" if sys.platform.startswith("linux") else "False")):
        out = subprocess.run([sys.executable, "-c", probe], env={**clean, "TILLROLL_LEAN_MEMORY": value}, capture_output=True, text=True, check=True)
        assert out.stdout.split() == [applied, "ok"]
