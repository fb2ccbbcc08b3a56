"""A PostgreSQL server with the pgvector extension, for the tests of the semantic path.

The project's PostgreSQL may not have pgvector (Debian 12 does not package it), so these tests
start their own: PostgreSQL 16 and pgvector as built by the `pgserver` wheel (a dev
dependency), in a fresh cluster on a free port, stopped and removed at the end. PostgreSQL
refuses to run as root, so as root the cluster belongs to the `postgres` (or `nobody`) user.
"""

import contextlib
import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.e2e.stack import free_port


def _pginstall() -> Path:
    # Found, not imported: importing pgserver sets up its own server management.
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise AssertionError("the pgserver wheel (a dev dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _owner() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise AssertionError("running as root with neither a postgres nor a nobody user")


def _run(argv: list[str], owner: pwd.struct_passwd | None, timeout: float = 120) -> None:
    if owner is not None:
        argv = ["runuser", "-u", owner.pw_name, "--", *argv]
    subprocess.run(argv, check=True, capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def pgvector_postgres() -> Iterator[str]:
    """A running server with pgvector available; yields the URL of its `postgres` database."""
    bin_dir = _pginstall() / "bin"
    owner = _owner()
    # Not pytest's tmp_path: that is private to the user running the tests.
    root = Path(tempfile.mkdtemp(prefix="pgvector-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if owner is not None:
        for path in (root, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = free_port()
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"], owner)
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-l",
                str(root / "server.log"),
                "start",
            ],
            owner,
        )
        try:
            yield f"postgres://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], owner)
    finally:
        shutil.rmtree(root, ignore_errors=True)
