"""Running the editor: in a thread beside ``chorus up``, or in the foreground for ``chorus editor``.

Approval republishes through the ``republish-episode`` deployment when ``chorus up`` serves it (the
run then shows in the Prefect UI); a standalone ``chorus editor`` with no ``chorus up`` for its data
directory runs the release itself, in a background thread (``editor.service.thread_republisher``).
"""
from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import uvicorn

from chorus.catalog import Catalog
from chorus.errors import ChorusError
from chorus.settings import Settings

from editor.app import create_app
from editor.service import Republisher

__all__ = ["EditorServer", "deployment_republisher", "served_republish", "port_is_free"]


def port_is_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be listened on now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def deployment_republisher(start: Callable[[str, dict], Any]) -> Republisher:
    """A republisher that starts the ``republish-episode`` deployment with ``start(name, parameters)``."""
    def republish(episode_id: int) -> str:
        start("republish-episode", {"episode_id": episode_id})
        return "started"
    return republish


def served_republish(settings: Settings, config: Path | None) -> Republisher | None:
    """A republisher through ``chorus up``'s ``republish-episode`` deployment when a Prefect server that
    knows it is running for this data directory (``PREFECT_API_URL``); None otherwise."""
    if not os.environ.get("PREFECT_API_URL"):
        return None
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    from chorus.service import deployment_name

    try:
        with get_client(sync_client=True) as client:
            client.read_deployment_by_name(deployment_name("republish-episode"))
    except Exception:  # noqa: BLE001 - not served (or not reachable): the editor releases by itself
        return None
    common = {"config": str(config) if config else None, "data_dir": str(settings.data_dir)}

    def start(name: str, parameters: dict) -> None:
        run_deployment(deployment_name(name), parameters={**parameters, **common}, timeout=0, as_subflow=False)

    return deployment_republisher(start)


def proxy_options(settings: Settings) -> dict:
    """uvicorn's proxy options: X-Forwarded-Proto and X-Forwarded-For are read only from ``[editor]
    trusted_proxies`` (none by default, so a client cannot fake its address or scheme).

    >>> proxy_options(Settings(editor={"trusted_proxies": ["127.0.0.1", "10.1.2.3/8"]}))
    {'proxy_headers': True, 'forwarded_allow_ips': ['127.0.0.1', '10.0.0.0/8']}
    >>> proxy_options(Settings())
    {'proxy_headers': False}
    """
    proxies = settings.editor.trusted_proxies
    return {"proxy_headers": True, "forwarded_allow_ips": list(proxies)} if proxies else {"proxy_headers": False}


@dataclass
class EditorServer:
    """The editor on ``host:port`` under uvicorn, in a background thread (``start``/``stop``) or the
    foreground (``run``)."""

    settings: Settings
    catalog: Catalog
    bucket: Any = None
    republish: Republisher | None = None
    host: str | None = None
    port: int | None = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.host = self.host or self.settings.editor.host
        self.port = self.settings.editor.port if self.port is None else self.port

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/"

    def _config(self) -> uvicorn.Config:
        if not port_is_free(self.host, self.port):
            raise ChorusError(f"the editor's port {self.port} on {self.host} is taken; set [editor] port "
                              f"(CHORUS_EDITOR__PORT) or --port")
        app = create_app(self.settings, self.catalog, self.bucket, self.republish)
        return uvicorn.Config(app, host=self.host, port=self.port, log_level="warning", access_log=False,
                              server_header=False, **proxy_options(self.settings))

    def start(self, timeout: float = 30.0) -> "EditorServer":
        """Serve in a daemon thread; returns once it accepts connections."""
        self._server = uvicorn.Server(self._config())
        self._thread = threading.Thread(target=self._server.run, name="chorus-editor", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ChorusError(f"the editor did not start on {self.url}")
            time.sleep(0.05)
        return self

    def run(self, ready: Callable[[str], None] = print) -> None:
        """Serve in the foreground until Ctrl+C; ``ready(url)`` is called once it accepts connections."""
        self.start()
        ready(self.url)
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
