"""Load test: N concurrent shopper sessions against a running `xiaoer serve` for D
seconds, then a check in the database that every acknowledged message was stored.

    python bench/load.py --start [--sessions 100] [--duration 60] [--workers 1] [--profile DIR]
    python bench/load.py --stack [--hosts 2]      # Postgres + Chroma server + Redis, N hosts
    python bench/load.py --base http://127.0.0.1:8000 [--base http://127.0.0.1:8001] \
        [--db $XIAOER_HOME/xiaoer.db | DATABASE_URL=postgresql+psycopg://...]

``--stack`` starts xiaoer.localstack.Stack (what deploy/local-stack.sh starts: Postgres in a
temporary folder, redis-server, `chroma run`, N `xiaoer serve` hosts), ingests the demo
shop through it and spreads the sessions over the hosts, rate limits raised as below.
With ``--base`` (one or more hosts) the lost-message check reads ``--db`` (a SQLite file)
or ``DATABASE_URL``; ``CHROMA_HOST`` and ``XIAOER_REDIS_URL`` are the servers' business.

``--start`` runs ``xiaoer demo --no-serve`` and ``xiaoer serve`` in a throw-away
XIAOER_HOME (with ``--workers`` > 1 beside a ``chroma run`` server, which several
processes need) (as tests/conftest.py's live_server does) with the rate limits raised to
1,000,000/minute, so the limiter runs on every call but never refuses (this script sends
everything from 127.0.0.1, and the default 120/minute per IP would stop it in a second).
Against ``--base`` the server's own limits apply: raise them there
(``XIAOER_RATE_LIMIT_PER_IP`` / ``_PER_SESSION``) or expect 429s.

Each session is a loop of conversations: 3-5 distinct messages from
eval/datasets/demo_zh or demo_en (alternating by session), sent one after another with
``POST /v1/chat``, continuing with the returned conversation_id, then a new conversation,
until the deadline (no new turn starts after it; one in flight finishes). Only 127.0.0.1
is contacted. Prints turns/s, latency p50/p95/p99, errors by status, CPU seconds of the
server and of this client, and the lost-message check: every shopper message answered
with HTTP 200 must be in the ``messages`` table of its conversation. Asserts nothing;
``--json OUT`` writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO / "eval" / "datasets"
RAISED_LIMIT = "1000000/minute"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def load_messages() -> dict[str, list[str]]:
    out = {}
    for lang in ("zh", "en"):
        with open(DATASETS / f"demo_{lang}" / "cases.jsonl", encoding="utf-8") as fh:
            out[lang] = [json.loads(line)["message"] for line in fh if line.strip()]
    return out


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, workers: int) -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "XIAOER_HOME": str(home),
        "XIAOER_RATE_LIMIT_PER_IP": RAISED_LIMIT,
        "XIAOER_RATE_LIMIT_PER_SESSION": RAISED_LIMIT,
    }
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "CHROMA_HOST", "XIAOER_REDIS_URL"):
        env.pop(var, None)  # offline, SQLite, embedded Chroma: the default set-up
    chroma = None
    if workers > 1:  # the embedded store is safe for one process only: `xiaoer serve` refuses
        sys.path.insert(0, str(REPO))
        from xiaoer.localstack import chroma_server

        chroma = chroma_server(home).start()
        env.update(CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(chroma.port))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "xiaoer.cli", "demo", "--no-serve"], env=env, check=True,
                   capture_output=True, cwd=REPO)
    print(f"demo shop ingested in {time.perf_counter() - t:.0f} s (XIAOER_HOME={home})", file=sys.stderr)
    port = _free_port()
    log = open(home / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "xiaoer.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
    )
    proc.chroma = chroma  # stopped with the server
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            stop_server(proc)
            raise RuntimeError("server exited: " + (home / "server.log").read_text(errors="replace")[-2000:])
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("server did not start: " + (home / "server.log").read_text(errors="replace")[-2000:])


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()  # uvicorn shuts its workers down on SIGTERM
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if getattr(proc, "chroma", None) is not None:
        proc.chroma.kill()


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry.name))
    return kids


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants (Linux /proc)."""
    total, todo, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
        todo.extend(_children(p))
    return total


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
        todo.extend(_children(p))
    return total / 1024


def tree_cpu_seconds_of(stack) -> float:
    """CPU of the stack's Postgres (all its backends), Redis and Chroma."""
    total = tree_cpu_seconds(stack.redis.process.pid) + tree_cpu_seconds(stack.chroma.process.pid)
    pid_file = stack.postgres.data / "postmaster.pid"
    if pid_file.exists():
        total += tree_cpu_seconds(int(pid_file.read_text().split()[0]))
    return total


# --------------------------------------------------------------------------- the load


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.status: collections.Counter = collections.Counter()
        self.acked: dict[str, list[str]] = collections.defaultdict(list)  # conversation → messages answered 200


async def session(base: str, index: int, messages: dict[str, list[str]], deadline: float, tally: Tally, seed: int) -> None:
    # One client (one keep-alive connection) per session: a shared pool of 100 connections
    # costs httpcore O(connections) work per request, and on this 2-core box the client then
    # took ~0.6 of a core from the server (py-spy: AsyncConnectionPool._assign_requests_to_connections).
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0)) as client:
        await _conversations(client, base, index, messages, deadline, tally, seed)


async def _conversations(client: httpx.AsyncClient, base: str, index: int, messages: dict[str, list[str]],
                         deadline: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed * 1000 + index)
    pool = messages["zh" if index % 2 == 0 else "en"]
    while time.monotonic() < deadline:
        conversation = None
        for message in rng.sample(pool, rng.randint(3, 5)):
            if time.monotonic() >= deadline:
                return
            body = {"merchant_id": "demo", "message": message}
            if conversation:
                body["conversation_id"] = conversation
            started = time.perf_counter()
            try:
                response = await client.post(f"{base}/v1/chat", json=body)
            except httpx.HTTPError as exc:
                tally.status[type(exc).__name__] += 1
                break  # start a new conversation
            tally.latencies.append((time.perf_counter() - started) * 1000)
            tally.status[response.status_code] += 1
            if response.status_code != 200:
                break
            conversation = response.json()["conversation_id"]
            tally.acked[conversation].append(message)


async def warm_up(bases: list[str]) -> None:
    """Not timed, and its CPU not counted: the embedder and indexes load (and a host
    without a cached intent classifier trains one) on the first call in each worker
    process, so three rounds of 20 concurrent calls (each worker gets some)."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(300.0)) as client:
        for _ in range(3):
            await asyncio.gather(*(client.post(f"{base}/v1/chat", json={"merchant_id": "demo", "message": m})
                                   for base in bases for m in ("几天发货？", "How long does delivery take?") * 10))


async def run_load(bases: list[str], sessions: int, duration: float, seed: int) -> tuple[Tally, float]:
    messages = load_messages()
    tally = Tally()
    started = time.monotonic()
    deadline = started + duration
    await asyncio.gather(*(session(bases[i % len(bases)], i, messages, deadline, tally, seed) for i in range(sessions)))
    elapsed = time.monotonic() - started
    return tally, elapsed


def check_stored(database_url: str, acked: dict[str, list[str]]) -> dict:
    """Every message acknowledged with 200 is a shopper row of its conversation (read
    through SQLAlchemy: SQLite or Postgres)."""
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(database_url)
    query = text("SELECT conversation_id, text FROM messages WHERE role = 'shopper' AND conversation_id IN :ids")
    query = query.bindparams(bindparam("ids", expanding=True))
    stored: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    ids = list(acked)
    try:
        with engine.connect() as connection:
            for start in range(0, len(ids), 500):
                for conversation_id, text_ in connection.execute(query, {"ids": ids[start:start + 500]}):
                    stored[conversation_id][text_] += 1
    finally:
        engine.dispose()
    lost = extra = 0
    for conversation_id, texts in acked.items():
        want = collections.Counter(texts)
        lost += sum((want - stored[conversation_id]).values())
        extra += sum((stored[conversation_id] - want).values())
    return {"acknowledged": sum(len(v) for v in acked.values()), "conversations": len(acked), "lost": lost,
            "stored_but_not_acknowledged": extra}


def start_stack(hosts: int):
    """Postgres, Redis, a Chroma server and ``hosts`` xiaoer hosts; the demo shop ingested."""
    sys.path.insert(0, str(REPO))
    from xiaoer.localstack import Stack

    stack = Stack(hosts=hosts, extra_env={"XIAOER_RATE_LIMIT_PER_IP": RAISED_LIMIT,
                                          "XIAOER_RATE_LIMIT_PER_SESSION": RAISED_LIMIT}).start()
    t = time.perf_counter()
    demo_home = stack.folder / "demo"
    subprocess.run([sys.executable, "-m", "xiaoer.cli", "demo", "--no-serve"], check=True, capture_output=True,
                   cwd=REPO, env={**stack.env, "XIAOER_HOME": str(demo_home)})
    print(f"demo shop ingested in {time.perf_counter() - t:.0f} s; stack in {stack.folder}", file=sys.stderr)
    return stack


def profile(pid: int, seconds: float, out: Path, workers: int) -> subprocess.Popen | None:
    if not shutil.which("py-spy"):
        print("--profile: py-spy is not installed (pip install py-spy); no profile", file=sys.stderr)
        return None
    out.mkdir(parents=True, exist_ok=True)
    cmd = ["py-spy", "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "50",
           "--format", "raw", "-o", str(out / "load.folded"), "--nonblocking"]
    if workers > 1:
        cmd.append("--subprocesses")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# Frames every sample of a request thread passes through: not informative.
_PLUMBING = ("Thread._bootstrap", "Thread.run ", "WorkerThread.run", "_run_sync_endpoint", "run_endpoint_function",
             "process ", "thread (", "<module>", "_run_module_as_main", "_run_code")


def _frame(raw: str) -> str:
    name, _, where = raw.partition(" (")
    return f"{name} ({where.split(':')[0].rsplit('/', 1)[-1]})" if where else name


def summarise_profile(folded: Path, top: int = 15) -> dict[str, list[tuple[str, float]]]:
    """From py-spy's raw output: the share of (non-idle) samples in which a function is on
    the stack (inclusive) and at the top of it (self)."""
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    samples = 0
    for line in folded.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [_frame(f) for f in stack.split(";")]
        for frame in set(frames):
            if not frame.startswith(_PLUMBING):
                inclusive[frame] += n
        own[frames[-1]] += n
    if not samples:
        return {}
    return {
        "inclusive": [(f, round(n / samples, 3)) for f, n in inclusive.most_common(top)],
        "self": [(f, round(n / samples, 3)) for f, n in own.most_common(top)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--base", action="append", help="A running server, e.g. http://127.0.0.1:8000 (127.0.0.1 "
                       "only); repeat for several hosts (sessions are spread over them).")
    where.add_argument("--start", action="store_true", help="Start `xiaoer demo --no-serve` + `xiaoer serve` in a temp home.")
    where.add_argument("--stack", action="store_true", help="Start Postgres + Redis + a Chroma server + --hosts hosts.")
    parser.add_argument("--db", type=Path, help="With --base: the servers' SQLite file (else DATABASE_URL), for the lost-message check.")
    parser.add_argument("--hosts", type=int, default=2, help="With --stack: xiaoer hosts.")
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds.")
    parser.add_argument("--workers", type=int, default=1, help="With --start: uvicorn worker processes.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=Path, help="With --start: py-spy record the server into this folder.")
    parser.add_argument("--json", type=Path, help="Write the figures here.")
    args = parser.parse_args()

    proc = home = stack = None
    pids: list[int] = []
    if args.start:
        home = Path(tempfile.mkdtemp(prefix="xiaoer-load-"))
        proc, base = start_server(home, args.workers)
        bases, database_url = [base], f"sqlite:///{home / 'xiaoer.db'}"
        pids = [proc.pid]
        print(f"server {base} (pid {proc.pid}, {args.workers} worker(s)); rate limits raised to {RAISED_LIMIT} "
              f"per IP and per session", file=sys.stderr)
    elif args.stack:
        stack = start_stack(args.hosts)
        bases, database_url = stack.bases, stack.postgres.url
        pids = [h.process.pid for h in stack.hosts]
        print(f"hosts {' '.join(bases)}; Postgres, Redis and Chroma beside them; rate limits raised to "
              f"{RAISED_LIMIT}", file=sys.stderr)
    else:
        bases = [b.rstrip("/") for b in args.base]
        database_url = f"sqlite:///{args.db}" if args.db else os.environ.get("DATABASE_URL")
        if any(httpx.URL(b).host not in ("127.0.0.1", "localhost", "::1") for b in bases):
            parser.error("--base must be a loopback address")
    base = " ".join(bases)
    try:
        asyncio.run(warm_up(bases))
        print("warmed up; timing", file=sys.stderr, flush=True)
        server_cpu0 = sum(tree_cpu_seconds(p) for p in pids)
        servers_cpu0 = tree_cpu_seconds_of(stack) if stack else 0.0
        client0 = resource.getrusage(resource.RUSAGE_SELF)
        spy = profile(proc.pid, args.duration, args.profile, args.workers) if proc and args.profile else None
        tally, elapsed = asyncio.run(run_load(bases, args.sessions, args.duration, args.seed))
        client1 = resource.getrusage(resource.RUSAGE_SELF)
        server_cpu = sum(tree_cpu_seconds(p) for p in pids) - server_cpu0 if pids else None
        servers_cpu = tree_cpu_seconds_of(stack) - servers_cpu0 if stack else None
        server_rss = sum(tree_rss_mib(p) for p in pids) if pids else None
        if spy is not None:
            spy.wait(timeout=60)
        stored = check_stored(database_url, tally.acked) if database_url else None
    finally:
        if proc is not None:
            stop_server(proc)
        if stack is not None:
            stack.stop()
    restarts = None
    if home is not None:
        log_text = (home / "server.log").read_text(errors="replace")
        # uvicorn's supervisor kills a worker that misses its 5 s health check and starts another.
        restarts = max(0, log_text.count("Started server process") - args.workers)
        if restarts:
            kept = Path(tempfile.gettempdir()) / f"xiaoer-load-server-{proc.pid}.log"
            kept.write_text(log_text)
            print(f"server log kept: {kept}", file=sys.stderr)

    turns = len(tally.latencies)
    ok = tally.status.get(200, 0)
    result = {
        "base": base, "sessions": args.sessions, "duration_s": args.duration, "elapsed_s": round(elapsed, 2),
        "workers": args.workers if args.start else None, "hosts": len(bases), "cpus": os.cpu_count(),
        "turns": turns, "turns_ok": ok, "turns_per_s": round(ok / elapsed, 1),
        "latency_ms": {"p50": round(statistics.median(tally.latencies), 1) if turns else None,
                       "p95": round(percentile(tally.latencies, 95), 1), "p99": round(percentile(tally.latencies, 99), 1),
                       "max": round(max(tally.latencies), 1) if turns else None},
        "errors": {str(k): v for k, v in tally.status.items() if k != 200},
        "server_cpu_s": round(server_cpu, 1) if server_cpu is not None else None,
        "server_rss_mib": round(server_rss) if server_rss is not None else None,
        "postgres_redis_chroma_cpu_s": round(servers_cpu, 1) if servers_cpu is not None else None,
        "worker_restarts": restarts,
        "client_cpu_s": round((client1.ru_utime + client1.ru_stime) - (client0.ru_utime + client0.ru_stime), 1),
        "stored_check": stored,
        "rate_limits": f"raised to {RAISED_LIMIT} (per IP and per session)" if args.start or args.stack else "the server's own",
    }
    if args.profile and (args.profile / "load.folded").exists():
        result["profile"] = summarise_profile(args.profile / "load.folded")
    print(f"{args.sessions} sessions × {args.duration:.0f} s against {base}"
          + (f" ({args.workers} worker(s), {os.cpu_count()} CPUs)" if args.start else "")
          + (f" (Postgres + Redis + Chroma server, {len(bases)} hosts, {os.cpu_count()} CPUs)" if args.stack else ""))
    print(f"  turns answered 200: {ok} in {elapsed:.1f} s = {result['turns_per_s']} turns/s")
    print(f"  latency p50 / p95 / p99 / max: {result['latency_ms']['p50']} / {result['latency_ms']['p95']} / "
          f"{result['latency_ms']['p99']} / {result['latency_ms']['max']} ms")
    print(f"  errors by status: {result['errors'] or 'none'}")
    if server_cpu is not None:
        print(f"  CPU: server {result['server_cpu_s']} s ({server_cpu / elapsed:.2f} cores), "
              f"this client {result['client_cpu_s']} s; server memory {result['server_rss_mib']} MiB RSS; "
              f"worker processes restarted: {restarts}")
    if servers_cpu is not None:
        print(f"  CPU of Postgres, Redis and Chroma: {result['postgres_redis_chroma_cpu_s']} s ({servers_cpu / elapsed:.2f} cores)")
    if stored is None:
        print("  lost-message check: SKIPPED (give --db or DATABASE_URL with --base)")
    else:
        print(f"  stored: {stored['acknowledged']} acknowledged messages in {stored['conversations']} conversations, "
              f"{stored['lost']} lost, {stored['stored_but_not_acknowledged']} stored but not acknowledged")
    for kind, rows in result.get("profile", {}).items():
        print(f"  profile, {kind} (share of busy samples of the server's threads):")
        for frame, share in rows:
            print(f"    {share:6.1%}  {frame}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
