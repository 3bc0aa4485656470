"""Throw-away servers on this box, for tests, benchmarks and ``deploy/local-stack.sh``:
Postgres (``initdb`` in a temporary folder), Redis and a Chroma server, each on a
127.0.0.1 port, in its own process group so it can always be killed.

Postgres refuses to run as root, so when we are root its files belong to an unprivileged
user (``postgres`` if Debian's package made one, else ``nobody``) and its programs run as
that user through ``runuser``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)  # Debian's layout, newest first


class StackError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise StackError(f"exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise StackError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def postgres_binary(name: str) -> str | None:
    for folder in PG_BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    return shutil.which(name)


def postgres_available() -> bool:
    return postgres_binary("initdb") is not None and postgres_binary("pg_ctl") is not None


class Postgres:
    """A Postgres cluster in a temporary folder, trust authentication on 127.0.0.1 only."""

    def __init__(self, folder: Path | None = None, port: int | None = None, database: str = "xiaoer") -> None:
        if not postgres_available():
            raise StackError("Postgres is not installed (apt-get install postgresql)")
        self.folder = Path(folder or tempfile.mkdtemp(prefix="xiaoer-pg-"))
        self.data = self.folder / "data"
        self.port = port or free_port()
        self.database = database
        self.user = "xiaoer"
        self._runas = self._unprivileged_user() if os.geteuid() == 0 else None

    @staticmethod
    def _unprivileged_user() -> pwd.struct_passwd:
        for name in ("postgres", "nobody"):
            try:
                return pwd.getpwnam(name)
            except KeyError:
                continue
        raise StackError("running as root and no 'postgres' or 'nobody' user to run Postgres as")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str) -> subprocess.CompletedProcess:
        command = list(argv)
        if self._runas is not None:
            command = ["runuser", "-u", self._runas.pw_name, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise StackError(f"{' '.join(argv[:2])} failed: {result.stderr[-2000:] or result.stdout[-2000:]}")
        return result

    def start(self) -> "Postgres":
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._runas is not None:
            os.chown(self.folder, self._runas.pw_uid, self._runas.pw_gid)
            self.folder.chmod(0o700)
        if not (self.data / "PG_VERSION").exists():
            self._run(postgres_binary("initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust",
                      "-E", "UTF8", "--no-sync", "--locale=C")
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(postgres_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "postgres.log"), "-w", "-t", "60", "start")
        self.create_database(self.database)
        return self

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres", autocommit=True) as c:
            if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                c.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def stop(self, mode: str = "immediate") -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run(postgres_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
            except StackError:
                pass

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class Process:
    """A server program in its own process group, its output in ``log``."""

    def __init__(self, argv: list[str], port: int, log: Path, env: dict | None = None) -> None:
        self.argv, self.port, self.log, self.env = argv, port, log, env
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "Process":
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            wait_for_port(self.port, timeout, self.process)
        except StackError as exc:
            self.kill()
            raise StackError(f"{self.argv[0]} did not come up ({exc}):\n{self.log.read_text(errors='replace')[-3000:]}")
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)


def redis_server(folder: Path, port: int | None = None) -> Process:
    executable = shutil.which("redis-server")
    if executable is None:
        raise StackError("redis-server is not installed (apt-get install redis-server)")
    port = port or free_port()
    argv = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(folder)]
    return Process(argv, port, folder / "redis.log")


def chroma_server(folder: Path, port: int | None = None) -> Process:
    executable = shutil.which("chroma")
    if executable is None:
        raise StackError("no `chroma` CLI (pip install chromadb)")
    port = port or free_port()
    argv = [executable, "run", "--path", str(folder / "chroma"), "--host", "127.0.0.1", "--port", str(port)]
    return Process(argv, port, folder / "chroma.log", env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})


def xiaoer_host(folder: Path, env: dict, port: int | None = None) -> Process:
    """One `xiaoer serve` (a "host": its own XIAOER_HOME for caches, shared servers in env)."""
    import sys

    port = port or free_port()
    folder.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "xiaoer.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return Process(argv, port, folder / "xiaoer.log", env={**env, "XIAOER_HOME": str(folder)})


class Stack:
    """Postgres, Redis, a Chroma server and ``hosts`` xiaoer servers on this box: the
    deploy/compose.yaml set-up without containers (and without the proxy: each host has
    its own port)."""

    def __init__(self, folder: Path | None = None, hosts: int = 2, extra_env: dict | None = None) -> None:
        self.folder = Path(folder or tempfile.mkdtemp(prefix="xiaoer-stack-"))
        self.postgres = Postgres()  # in its own /tmp folder: the unprivileged user must reach it
        self.redis = redis_server(self._dir("redis"))
        self.chroma = chroma_server(self._dir("chroma"))
        self.env = {
            **os.environ,
            "DATABASE_URL": self.postgres.url,
            "CHROMA_HOST": "127.0.0.1",
            "CHROMA_PORT": str(self.chroma.port),
            "XIAOER_REDIS_URL": f"redis://127.0.0.1:{self.redis.port}/0",
            # Searches read each merchant's vectors from memory, loaded from the Chroma server at
            # each knowledge-version check (retrieval/dense_matrix.py); set 0 to query it every time.
            "XIAOER_VECTORS_IN_MEMORY": os.environ.get("XIAOER_VECTORS_IN_MEMORY", "1"),
            "ANONYMIZED_TELEMETRY": "False",
            **(extra_env or {}),
        }
        for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            self.env.pop(var, None)
        self.hosts = [xiaoer_host(self._dir(f"host-{chr(97 + i)}"), self.env) for i in range(hosts)]

    def _dir(self, name: str) -> Path:
        path = self.folder / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def bases(self) -> list[str]:
        return [f"http://127.0.0.1:{h.port}" for h in self.hosts]

    def start(self) -> "Stack":
        """The servers, then every host at once (on an empty database: they race to migrate it)."""
        try:
            self.postgres.start()
            self.redis.start()
            self.chroma.start()
            for host in self.hosts:
                with open(host.log, "ab") as out:
                    host.process = subprocess.Popen(
                        host.argv, env=host.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                        start_new_session=True,
                    )
            for host in self.hosts:
                try:
                    wait_for_port(host.port, 120, host.process)
                except StackError as exc:
                    raise StackError(f"xiaoer on {host.port} did not come up ({exc}):\n"
                                     f"{host.log.read_text(errors='replace')[-3000:]}") from exc
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in (*self.hosts, self.chroma, self.redis):
            process.kill()
        self.postgres.remove()


def main() -> None:  # pragma: no cover - deploy/local-stack.sh
    import argparse

    parser = argparse.ArgumentParser(description="Start Postgres, Redis, Chroma and N xiaoer hosts on 127.0.0.1.")
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--folder", type=Path, help="Where logs and data go (default: a new temporary folder).")
    args = parser.parse_args()
    stack = Stack(args.folder, args.hosts).start()
    print(f"postgres  {stack.postgres.url}")
    print(f"redis     {stack.env['XIAOER_REDIS_URL']}")
    print(f"chroma    http://127.0.0.1:{stack.chroma.port}")
    for base in stack.bases:
        print(f"xiaoer    {base}")
    print(f"logs      {stack.folder}  (Ctrl-C stops everything)", flush=True)
    stopping = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stopping)
    try:
        signal.sigwait(stopping)
    finally:
        stack.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
