"""A throwaway PostgreSQL cluster from Debian's ``postgresql`` package, for tests: ``initdb`` into a
temporary folder, ``pg_ctl start`` on a free loopback port (its socket in the same folder), trust
authentication for the ``chorus`` superuser, durability off (a test cluster need not survive a crash).

PostgreSQL refuses to run as root: as root (CI on a fresh Debian), the cluster runs as the ``postgres``
system user that the package creates, through ``runuser`` (util-linux).
"""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PostgresCluster", "pg_bin"]

_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200", "timezone=UTC")


def pg_bin(name: str) -> str:
    """A PostgreSQL server program (``initdb``, ``pg_ctl``): Debian keeps them in
    ``/usr/lib/postgresql/<version>/bin``, off PATH; the newest version wins."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: [int(x) for x in re.findall(r"\d+", p.split("/")[4])])
    program = found[-1] if found else shutil.which(name)
    if not program:
        raise FileNotFoundError(f"PostgreSQL's {name} is missing: install Debian's postgresql package "
                                f"(scripts/ensure-system-deps.sh pg_ctlcluster=postgresql)")
    return program


class PostgresCluster:
    """``PostgresCluster(port).start()``; ``database()`` makes a fresh database and returns its URL;
    ``stop()`` removes everything."""

    def __init__(self, port: int, user: str = "chorus"):
        self.port, self.user = port, user
        self.root = Path(tempfile.mkdtemp(prefix="chorus-pg-"))
        self.data = self.root / "data"
        self._as: list[str] = []
        self._names = itertools.count(1)
        if os.geteuid() == 0:
            runas = pwd.getpwnam("postgres")  # made by Debian's postgresql package
            os.chown(self.root, runas.pw_uid, runas.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {(done.stderr or done.stdout).strip()}")

    def start(self) -> "PostgresCluster":
        self._run(pg_bin("initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        options = " ".join([f"-p {self.port}", f"-k {self.root}", "-c listen_addresses=127.0.0.1",
                            *(f"-c {s}" for s in _SETTINGS)])
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w",
                  "-t", "60", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` (psycopg 3)."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def database(self, prefix: str = "t") -> str:
        """A new, empty database: its URL."""
        import psycopg

        name = f"{prefix}{next(self._names)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
