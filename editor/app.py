"""The editor's FastAPI application: pages, the JSON API, static files and the security headers.

``create_app(settings, catalog=None, bucket=None, republish=None)``: ``catalog`` defaults to the one
the settings name; ``bucket`` (a ``chorus.storage.Bucket``) lets ``/media/...`` stream held episodes
(``editor.media``) and lets approval republish; ``republish(episode_id)`` starts a republish (``chorus up`` passes one that
starts the ``republish-episode`` deployment; by default, with a bucket, the release runs in a thread).
Templates and static files are read from this package's folder, whatever the working directory.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from chorus.catalog import Catalog
from chorus.errors import ChorusError
from chorus.settings import Settings

from editor import api, pages, privacy_api
from editor import media
from editor.auth import LoginLimiter, identify
from editor.errors import EditorError
from editor.service import Republisher, thread_republisher

__all__ = ["create_app", "HERE"]

HERE = Path(__file__).resolve().parent


@dataclass
class _State:
    settings: Settings
    catalog: Catalog
    bucket: Any
    republish: Republisher | None
    limiter: LoginLimiter
    templates: Jinja2Templates


def _origins(bucket: Any) -> str:
    """The origins the player may load media and captions from (the bucket's public and S3 endpoints)."""
    if bucket is None:
        return ""
    found = []
    for url in (bucket.url("x"), getattr(bucket, "endpoint_url", None)):
        if url:
            parts = urlsplit(url)
            found.append(f"{parts.scheme}://{parts.netloc}")
    return " ".join(dict.fromkeys(found))


def _csp(bucket: Any) -> str:
    media = f"'self' blob: {_origins(bucket)}".strip()
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"media-src {media}; connect-src 'self' {_origins(bucket)}".strip() + "; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def create_app(settings: Settings, catalog: Catalog | None = None, bucket: Any = None,
               republish: Republisher | None = None) -> FastAPI:
    """The editor application for these settings (see the module docstring)."""
    catalog = catalog or Catalog(settings.catalog)
    if republish is None and bucket is not None:
        republish = thread_republisher(settings, catalog, bucket)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    templates = Jinja2Templates(env=env)
    app = FastAPI(title="Chorus editor", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.editor = _State(settings, catalog, bucket, republish,
                              LoginLimiter(settings.editor.login_attempts, settings.editor.login_window_seconds),
                              templates)
    app.include_router(api.router)
    app.include_router(media.router)
    app.include_router(privacy_api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static", check_dir=False), name="static")
    csp = _csp(bucket)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "private, no-store"
        return response

    def _error(request: Request, status: int, text: str, extra: dict | None = None) -> Response:
        if request.url.path.startswith("/api/"):
            return api.error_response(EditorError(text, status, **(extra or {})))
        if status == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        principal = identify(request, catalog) if status != 429 else None
        return pages.render(request, "base.html", principal, status, message=text)

    @app.exception_handler(EditorError)
    async def _editor_error(request: Request, e: EditorError):
        return _error(request, e.status, str(e), e.extra)

    @app.exception_handler(ChorusError)
    async def _chorus_error(request: Request, e: ChorusError):
        return _error(request, 400, " ".join(str(e).split()))

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, e: RequestValidationError):
        first = e.errors()[0] if e.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
        return _error(request, 400, f"bad request: {where + ': ' if where else ''}{first.get('msg', 'invalid')}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException):
        return _error(request, e.status_code, str(e.detail))

    return app
