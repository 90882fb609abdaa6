"""Runs extractions for the HTTP service: off the event loop, bounded, with a deadline.

OCR costs seconds of CPU per receipt. Running it on the event loop would stall
every other request (health checks, the review UI), so each extraction runs in
one of `workers` threads (onnxruntime and Pillow release the GIL, so threads
really run in parallel). At most `max_queue` further requests may wait; beyond
that a request is refused at once with 503 instead of piling up, and a request
whose deadline passes gets 504 (if it was still waiting, it never runs).

Each worker thread builds its own `Pipeline` when the server starts (and one per
extra --ocr/--model combination on first use), so stages that hold
thread-bound resources (SQLite connections, ONNX sessions) are never shared.
When a reviewer approves a receipt, its shop and address enter the entity
database; `reload()` makes every thread rebuild its pipelines before its next
request, so no stage answers from a cache that predates the approval.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ..config import PipelineConfig
from ..document import Document
from ..errors import ConfigError, ProcessingTimeoutError, ServerBusyError
from ..io.load import load_document
from ..pipeline import Pipeline

T = TypeVar("T")
PipelineFactory = Callable[[PipelineConfig], Pipeline]


def _warm_up_image() -> bytes:
    """A tiny PNG with a few characters (Pillow's built-in font), enough to load every OCR model."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (240, 60), "white")
    ImageDraw.Draw(img).text((10, 10), "TOTAL 1.00", fill="black", font=ImageFont.load_default(size=28))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _prepare_entity_database(config: PipelineConfig) -> None:
    """Create (and seed) the entity database once, before worker threads open it concurrently.

    The rule stages open it lazily on their first receipt; two threads seeding a new
    file at the same moment would fail with "database is locked".
    """
    try:
        from ..rules.entities import EntityDatabase
    except ImportError:  # rules not installed in this build: nothing to prepare
        return
    EntityDatabase(config.resolved_entity_db()).close()


class ExtractionService:
    def __init__(
        self,
        config: PipelineConfig,
        *,
        workers: int,
        max_queue: int,
        timeout_s: float,
        pipeline: Pipeline | None = None,
        pipeline_factory: PipelineFactory = Pipeline,
    ) -> None:
        if workers < 1:
            raise ConfigError("workers must be at least 1")
        if timeout_s <= 0:
            raise ConfigError("the request timeout must be positive")
        self.config = config
        self.workers = workers
        self.max_queue = max_queue
        self.timeout_s = timeout_s
        self._shared = pipeline  # injected (tests): used by every thread for its own options
        self._factory = pipeline_factory
        self._local = threading.local()
        self._build_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tillroll-extract")
        self._loader = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tillroll-load")
        self._in_flight = 0  # running + waiting; touched only on the event loop
        self._generation = 0  # bumped by reload(); threads rebuild pipelines built before it
        self.completed = 0

    # ---- pipelines ---------------------------------------------------------------
    def options(self, ocr: str | None, model: str | None) -> PipelineConfig:
        """The config for one request; unknown names raise ConfigError (400) listing the valid ones."""
        from ..ocr.base import engine_names

        changes: dict[str, Any] = {}
        if ocr and ocr != self.config.ocr:
            usable = [n for n in engine_names() if n != "static"]  # static replays JSON words, not pixels
            if ocr not in usable:
                raise ConfigError(f"unknown OCR engine {ocr!r} for uploads; choose one of: {', '.join(usable)}")
            changes["ocr"] = ocr
        if model and model != self.config.model:
            changes["model"] = model  # PipelineConfig validates the name
        return self.config.with_(**changes) if changes else self.config

    def pipeline_for(self, config: PipelineConfig) -> Pipeline:
        """This thread's pipeline for `config`, built on first use and kept."""
        if self._shared is not None and config == self._shared.config:
            return self._shared
        cache: dict[PipelineConfig, Pipeline] = getattr(self._local, "pipelines", None) or {}
        if getattr(self._local, "generation", 0) != self._generation:
            cache = {}
            self._local.generation = self._generation
        self._local.pipelines = cache
        if config not in cache:
            # One construction at a time: stages create shared files on first use (the entity
            # database seeds itself), which two threads doing at once would trip over.
            with self._build_lock:
                cache[config] = self._factory(config)
        return cache[config]

    def reload(self) -> None:
        """Rebuild pipelines lazily, thread by thread, e.g. after the entity database learnt something."""
        self._generation += 1

    def warm_up(self, run_sample: bool = True) -> None:
        """Build the default pipeline in every worker thread now, and (`run_sample`) run it once.

        The sample run loads the OCR models (rapidocr loads them lazily), so the
        first client does not pay for it.
        """
        _prepare_entity_database(self.config)
        if self._shared is not None:
            return
        barrier = threading.Barrier(self.workers)
        sample = _warm_up_image()

        def build() -> None:
            try:
                pipe = self.pipeline_for(self.config)
                if run_sample:
                    pipe.process(sample, name="warm-up.png")
            finally:
                # Keep this thread busy until every worker has built its own pipeline, so each
                # job lands on a different thread; reached even on failure, so nobody waits forever.
                try:
                    barrier.wait(timeout=600)
                except threading.BrokenBarrierError:
                    pass

        futures = [self._executor.submit(build) for _ in range(self.workers)]
        errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error

    # ---- running -----------------------------------------------------------------
    async def extract(self, data: bytes, name: str, config: PipelineConfig, finish: Callable[[Document], T] | None = None) -> tuple[T | Document, float]:
        """Load `data`, run the pipeline, then `finish(doc)` (in the worker); returns (result, queue wait in s).

        Loading (format sniffing, decoding, size limits) runs in a separate small
        pool, so a bad upload is refused in milliseconds instead of waiting behind
        seconds-long OCR jobs; only decoded pages queue for an OCR worker.
        """
        if self._in_flight >= self.workers + self.max_queue:
            raise ServerBusyError(f"all {self.workers} workers are busy and {self.max_queue} requests are already waiting; retry in a few seconds")
        self._in_flight += 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        try:
            from ..einvoice.hook import load as load_einvoice

            einvoice: list[Any] = []

            def load() -> Document:
                t0 = time.perf_counter()
                # XML invoices, and PDFs carrying one, are read from their data (issue 17).
                loaded, source, label = load_einvoice(data, name, config)
                if loaded is not None:
                    einvoice.append(loaded)
                    return loaded.doc
                doc = load_document(source, limits=config.limits, name=label)
                doc.timings_ms["load"] = round((time.perf_counter() - t0) * 1000, 2)
                return doc

            doc = await self._wait(loop.run_in_executor(self._loader, load), deadline)
            submitted = time.perf_counter()
            started: list[float] = []

            def work() -> T | Document:
                started.append(time.perf_counter())
                if einvoice and einvoice[0].finished:
                    result = einvoice[0].doc
                else:
                    result = self.pipeline_for(config).run(doc)
                    if einvoice:
                        result = einvoice[0].complete(result)
                return finish(result) if finish else result

            result = await self._wait(loop.run_in_executor(self._executor, work), deadline)
        finally:
            self._in_flight -= 1
        self.completed += 1
        return result, (started[0] - submitted) if started else 0.0

    async def _wait(self, future: asyncio.Future[Any], deadline: float) -> Any:
        try:
            # shield + wait_for: on timeout we stop waiting; a job that has not started is
            # cancelled (it never runs), a running one finishes in the background.
            return await asyncio.wait_for(asyncio.shield(future), timeout=max(0.0, deadline - asyncio.get_running_loop().time()))
        except TimeoutError:
            future.cancel()
            raise ProcessingTimeoutError(
                f"extraction did not finish within {self.timeout_s:g} s; the server is overloaded or the file is very large "
                "(try a smaller scan, or raise --timeout)"
            ) from None

    def stats(self) -> dict[str, Any]:
        return {"workers": self.workers, "max_queue": self.max_queue, "in_flight": self._in_flight, "completed": self.completed}

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._loader.shutdown(wait=False, cancel_futures=True)
