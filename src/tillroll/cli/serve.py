"""`tillroll serve`: the HTTP API and the review UI (needs the `server` extra)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ..config import DEFAULT_ENGINE
from . import EXIT_USAGE, app


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on. Anything but localhost requires a token."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    token: str | None = typer.Option(
        None, "--token", envvar="TILLROLL_TOKEN", help="Access token for the API and UI; generated and printed when --host is not localhost."
    ),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Review store folder (default: <tillroll data dir>/review; TILLROLL_HOME moves it)."),
    ocr: str = typer.Option(DEFAULT_ENGINE, "--ocr", help="Default OCR engine (a request may pick another)."),
    model: str | None = typer.Option(None, "--model", help="Default model: rules, neural or joint (default: tillroll's default)."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Extractions running at once (default: CPUs, at most 4)."),
    max_upload_mb: float = typer.Option(20.0, "--max-upload-mb", min=0.001, help="Largest accepted upload (413 above)."),
    max_pages: int | None = typer.Option(None, "--max-pages", min=1, help="Most pages per PDF/TIFF (413 above)."),
    max_megapixels: float | None = typer.Option(None, "--max-megapixels", min=0.001, help="Most pixels per page, in millions (413 above)."),
    timeout: float = typer.Option(120.0, "--timeout", min=0.1, help="Seconds one extraction may take, waiting included (504 above)."),
    allowed_host: list[str] | None = typer.Option(
        None,
        "--allowed-host",
        help="A host name the server also answers to (repeatable; also TILLROLL_ALLOWED_HOSTS, comma-separated). "
        "On localhost it answers only to localhost, 127.0.0.1 and [::1] otherwise (DNS-rebinding guard).",
    ),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    warm_up: bool = typer.Option(
        True, "--warm-up/--no-warm-up", help="Read one tiny receipt per worker at start-up, so the first request does not load the OCR models."
    ),
) -> None:
    """Serve POST /v1/extract, /healthz, OpenAPI docs at /docs and the review UI at /review."""
    from ..config import PipelineConfig
    from ..errors import TillrollError

    try:
        import uvicorn

        from ..server.app import ServerSettings, create_app, new_token
        from ..server.security import is_loopback
    except ImportError as exc:
        typer.echo(f"error: the server needs its extra: pip install 'tillroll[server]' ({exc})", err=True)
        raise typer.Exit(EXIT_USAGE) from None

    generated = False
    if not token and not is_loopback(host):
        token, generated = new_token(), True
    try:
        pipeline = PipelineConfig(ocr=ocr, model=model) if model else PipelineConfig(ocr=ocr)
        defaults = ServerSettings()
        settings = ServerSettings(
            host=host,
            port=port,
            token=token,
            data_dir=data_dir,
            pipeline=pipeline,
            max_upload_bytes=int(max_upload_mb * 1024 * 1024),
            max_pages=max_pages or defaults.max_pages,
            max_pixels=int(max_megapixels * 1e6) if max_megapixels else defaults.max_pixels,
            request_timeout_s=timeout,
            workers=workers or defaults.workers,
            warm_up=warm_up,
            allowed_hosts=tuple(allowed_host or ()) + tuple(n.strip() for n in os.environ.get("TILLROLL_ALLOWED_HOSTS", "").split(",") if n.strip()),
        )
        application = create_app(settings)
    except TillrollError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None

    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}/review"
    if token:
        typer.echo(f"review UI: {url}?token={token}" + ("   (token generated for this run; pass --token to fix it)" if generated else ""), err=True)
    else:
        typer.echo(f"review UI: {url}", err=True)
    typer.echo(f"API docs:  http://{shown_host}:{port}/docs   review data: {settings.resolved_data_dir()}", err=True)
    if settings.workers > 1:
        # Several extractions already share the cores; one OCR thread each avoids oversubscription.
        os.environ.setdefault("TILLROLL_OCR_THREADS", "1")
    uvicorn.run(application, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=10)
