"""A throw-away PostgreSQL server for the tests: Debian's `postgresql` package (`make postgres` installs it
where it is missing, as CI does), a cluster made by initdb in a temporary folder, listening only on a unix
socket in that folder. As root (CI), the cluster belongs to the `postgres` user (or `nobody`) through
runuser, since the server refuses to run as root. A server that cannot be started fails the tests that
need it with the reason, never skips them.

`PILOTS_TEST_DATABASE_URL` points the tests at a server of your own instead (each test gets a schema).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

PORT = 5432  # only names the socket file (.s.PGSQL.5432) in the cluster's own folder: no TCP port is opened
START_TIMEOUT = 60  # seconds for pg_ctl to see the server accept connections


class ServerError(RuntimeError):
    """The test server could not be found, made or started."""


def bin_dir() -> Path:
    """The newest installed PostgreSQL's programs (Debian puts them in /usr/lib/postgresql/<major>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise ServerError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run `make postgres` "
                          "(apt-get install -y postgresql, as root) or set PILOTS_TEST_DATABASE_URL")
    return Path(found[-1]).parent


def _owner() -> str | None:
    """The user the cluster runs as when the tests run as root: the package's `postgres`, else `nobody`."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise ServerError("running as root, and neither a `postgres` nor a `nobody` user exists to own the cluster")


class Server:
    """A running cluster in a temporary folder; `url(schema)` gives a store address inside it."""

    def __init__(self):
        self.bin = bin_dir()
        self.user = _owner()
        self.folder = Path(tempfile.mkdtemp(prefix="pilots-pg-"))
        self.data = self.folder / "data"
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "pilots", "-A", "trust", "-E", "UTF8", "--locale=C",
                  "--no-sync")
        options = (f"-k {self.folder} -p {PORT} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log"),
                  "-w", "-t", str(START_TIMEOUT), "start")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.folder)
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise ServerError(f"{program} failed ({done.returncode}): {done.stderr.strip()[-2000:]}\n{tail}")

    def url(self) -> str:
        """The address of the server's `postgres` database over the unix socket."""
        return f"postgresql://pilots@/postgres?host={self.folder}&port={PORT}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def new_schema() -> str:
    """A fresh schema name (a test's own store inside the shared server)."""
    return "t_" + uuid.uuid4().hex[:16]


def schema_url(base: str, schema: str) -> str:
    """A store address inside `base`'s database, in `schema` (created)."""
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')  # our own identifier, from new_schema
    glue = "&" if "?" in base else "?"
    return f"{base}{glue}options=-csearch_path%3D{schema}"
