"""Fuzzing, bounded to fit the suite (well under 60 s on a quiet 2-core machine): damaged files
into the loader and the CLI's per-file step, random multipart bodies into the HTTP API.

Every case must end in a document or a typed error (a 4xx JSON record over
HTTP): no uncaught exception, no internal error, no 5xx, and memory stays
bounded. benchmarks/fuzz.py runs the same cases for much longer (see
docs/reliability.md for its counts).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzkit import (
    FUZZ_LIMITS,
    Mutation,
    check_response,
    cli_outcome,
    load_outcome,
    max_rss_mib,
    multipart_body,
    mutated,
    mutations,
    seed_files,
    static_pipeline,
)
from tillroll.config import PipelineConfig
from tillroll.server.app import ServerSettings, create_app

SEEDS = seed_files()
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], database=None)
# Memory a fuzz run may add on top of what the process held before it.
MAX_GROWTH_MIB = 400


def test_seeds_are_valid() -> None:
    for name, data in SEEDS.items():
        assert load_outcome(data) == "ok", name


@settings(FUZZ, max_examples=200)
@given(seed=st.sampled_from(sorted(SEEDS)), chain=st.lists(mutations(), min_size=1, max_size=3))
def test_fuzz_loader_gives_a_document_or_a_typed_error(seed: str, chain: list[Mutation]) -> None:
    load_outcome(mutated(SEEDS[seed], chain))


@pytest.fixture(scope="module")
def pipeline() -> object:
    return static_pipeline(preprocess="auto")


@settings(FUZZ, max_examples=60)
@given(seed=st.sampled_from(sorted(SEEDS)), chain=st.lists(mutations(), min_size=1, max_size=2))
def test_fuzz_cli_step_never_reports_an_internal_error(pipeline: object, seed: str, chain: list[Mutation]) -> None:
    cli_outcome(pipeline, mutated(SEEDS[seed], chain))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp: Path = tmp_path_factory.mktemp("fuzz_server")
    config = PipelineConfig(model="rules", entity_db=tmp / "entities.sqlite3")
    app = create_app(
        ServerSettings(data_dir=tmp / "review", pipeline=config, warm_up=False, workers=1, max_upload_bytes=FUZZ_LIMITS.max_bytes),
        pipeline=static_pipeline(preprocess="none"),
    )
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as c:
        yield c


@settings(FUZZ, max_examples=120)
@given(
    shape=st.integers(0, 2**32 - 1),
    seed=st.sampled_from(sorted(SEEDS)),
    chain=st.lists(mutations(), max_size=2),
    query=st.sampled_from(["", "?store=true", "?ocr=tesseract", "?model=neural", "?ocr=%00", "?store=maybe"]),
)
def test_fuzz_multipart_bodies_never_get_a_5xx(client: TestClient, shape: int, seed: str, chain: list[Mutation], query: str) -> None:
    body, content_type = multipart_body(random.Random(shape), mutated(SEEDS[seed], chain))
    response = client.post(f"/v1/extract{query}", content=body, headers={"Content-Type": content_type.encode("utf-8")})
    check_response(response.status_code, response.headers.get("content-type", ""), response.content)


def test_fuzzing_keeps_memory_bounded() -> None:
    # Runs after the fuzz tests above (file order): the process must not have grown without bound.
    before = max_rss_mib()
    rng = random.Random(18)
    for _ in range(150):
        seed = SEEDS[rng.choice(sorted(SEEDS))]
        load_outcome(mutated(seed, [Mutation(rng.choice(["flip", "header"]), rng.random(), rng.randint(1, 24), rng.randint(0, 255))]))
    assert max_rss_mib() - before < MAX_GROWTH_MIB
