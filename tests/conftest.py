"""Shared test fixtures and options.

- `--slow` opts in to long tests (marked `@pytest.mark.slow`).
- `shared_datasets` points at ../shared/datasets and skips cleanly when it is absent
  (a user's fresh clone has no datasets; CI does).
- Every test gets its own TILLROLL_HOME and cache dir, so nothing touches the user's data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("TILLROLL_DATASETS", REPO.parent / "shared" / "datasets"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", default=False, help="run slow tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("tillroll_home")
    monkeypatch.setenv("TILLROLL_HOME", str(home))
    if "TILLROLL_CACHE_DIR" not in os.environ:
        monkeypatch.setenv("TILLROLL_CACHE_DIR", str(home / "cache"))
    # `tillroll extract` asks glibc for its lean allocation mode, which lasts for the whole
    # process and slows OCR; an in-process CLI test must not leave it on for the server and
    # browser tests that follow (benchmarks/extract_memory.py measures the lean mode).
    monkeypatch.setenv("TILLROLL_LEAN_MEMORY", "0")


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    if not (DATASETS / "sroie").is_dir():
        pytest.skip(f"shared datasets not found at {DATASETS}")
    return DATASETS


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
