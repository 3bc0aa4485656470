"""The `xiaoer` command line."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

app = typer.Typer(help="xiaoer: an offline-first customer-service assistant for online shops.", no_args_is_help=True)
# Piped into a file or a program, output is as wide as its content: rich's 80-column
# default for a non-terminal cut table cells short ("resoluti…").
console = Console() if sys.stdout.isatty() else Console(width=100_000)
err = Console(stderr=True)

MerchantOpt = Annotated[str, typer.Option("--merchant", "-m", help="Merchant id (letters, digits, - and _).", envvar="XIAOER_MERCHANT")]


def _assistant():
    from bot.turn import ShopAssistant

    return ShopAssistant()


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _require_merchant(merchant: str) -> None:
    """Exit with a clear message (code 2) unless MERCHANT is a valid, existing merchant id."""
    from knowledge import repository
    from retrieval.vector_store import validate_merchant_id
    from xiaoer.db import session_scope

    try:
        validate_merchant_id(merchant)
    except ValueError as exc:
        _fail(str(exc), code=2)
    with session_scope() as session:
        if repository.get_merchant(session, merchant) is None:
            _fail(f"unknown merchant {merchant!r}: ingest its knowledge first (xiaoer ingest -m {merchant} FILES)", code=2)


def _ingest(assistant, merchant: str, paths: list[Path]) -> None:
    from knowledge.service import IngestBatchError

    with Progress(
        TextColumn("[bold]embedding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("embed", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            report = assistant.knowledge.ingest_paths(merchant, paths, progress=tick)
        except IngestBatchError as exc:
            for e in exc.errors:
                err.print(f"[red]✗[/] {e.name}: {e.reason}")
            _fail("nothing was ingested; fix the files above and try again", code=2)
        except ValueError as exc:
            _fail(str(exc), code=2)
        # The English model's sentence vectors follow the upload in the background; a
        # one-shot command finishes them before it exits.
        assistant.sentences.wait()
    for f in report.files:
        console.print(f"[green]✓[/] {f.name}: {f.status}, {f.chunks} chunks")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders: FAQ .csv, .md/.txt, catalog .json/.csv, .pdf.")],
    merchant: MerchantOpt,
) -> None:
    """Add or replace knowledge files for a merchant (a changed file replaces its old chunks);
    knowledge gaps the new knowledge answers are closed."""
    from knowledge.loop import recheck_gaps

    assistant = _assistant()
    _ingest(assistant, merchant, paths)
    for question in recheck_gaps(assistant, merchant):
        console.print(f"[green]✓[/] gap closed: {question}")


@app.command()
def docs(merchant: MerchantOpt, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List a merchant's documents."""
    documents = _assistant().knowledge.list_documents(merchant)
    if as_json:
        print(json.dumps([d.model_dump() for d in documents], ensure_ascii=False, indent=2))
        return
    table = Table("id", "name", "kind", "chunks", "bytes")
    for d in documents:
        table.add_row(str(d.id), d.name, d.kind, str(d.chunks), f"{d.size_bytes:,}")
    console.print(table)


@app.command()
def delete(
    document: Annotated[str, typer.Argument(help="Document name or id.")],
    merchant: MerchantOpt,
) -> None:
    """Delete a document from the database and every index."""
    if not _assistant().knowledge.delete_document(merchant, document):
        _fail(f"merchant {merchant!r} has no document {document!r}", code=2)
    console.print(f"deleted {document}")


@app.command()
def reindex(merchant: MerchantOpt) -> None:
    """Rebuild a merchant's vector index and search words from the database (after changing the embedder or upgrading)."""
    n = _assistant().retriever.rebuild(merchant)
    console.print(f"re-embedded {n} chunks")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The shopper's message.")],
    merchant: MerchantOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Print the turn result as one JSON object.")] = False,
    retriever: Annotated[str, typer.Option(help="hybrid, dense or bm25 (not hybrid: always in this process).")] = "hybrid",
    conversation: Annotated[str | None, typer.Option(help="Continue this conversation (its id is in the JSON output).")] = None,
    order: Annotated[str | None, typer.Option(help="The shopper's order id (offers are priced from the merchant's order record).")] = None,
    shopper: Annotated[str | None, typer.Option(help="Ask as this signed-in shopper (signed with the merchant's identity secret): the bot may read their orders.")] = None,
) -> None:
    """Send one shopper message to MERCHANT (a new conversation unless --conversation is given).

    Uses the xiaoer server at XIAOER_URL, or one answering on 127.0.0.1:8000, and otherwise
    runs the turn in this process (loading the models first: seconds). XIAOER_URL=off
    always runs it here."""
    from xiaoer.remote import ServerError, post_turn, server_url

    if not question.strip():
        _fail("the question is empty", code=2)
    if retriever not in ("hybrid", "dense", "bm25"):
        _fail("--retriever must be hybrid, dense or bm25", code=2)
    body = {"merchant_id": merchant, "message": question, "conversation_id": conversation, "order_id": order, **_signed(merchant, shopper)}
    url = server_url() if retriever == "hybrid" else None  # the server always retrieves hybrid
    if url:
        try:
            result = post_turn(url, body)
        except ServerError as exc:
            _fail(str(exc), code=2 if exc.status and exc.status < 500 else 3)
    else:
        result = _ask_here(body, retriever)
    if as_json:
        payload = {key: result.get(key) for key in ("reply", "intent", "confidence", "offer", "handoff", "conversation_id")}
        payload["citations"] = [{key: c[key] for key in ("document", "chunk", "score")} for c in result["citations"]]
        print(json.dumps(payload, ensure_ascii=False))
        return
    console.print(result["reply"])
    for i, c in enumerate(result["citations"], start=1):
        console.print(f"  [dim][{i}] {c['document']} #{c['chunk']} ({c['score']:.2f})[/]")
    offer, handoff = result["offer"], result["handoff"]
    if offer:
        console.print(f"  [dim]offer #{offer['id']}: {offer['kind']} {offer['amount']} ({offer['status']})[/]")
    handoff_note = f" · handoff: {handoff['reason']} (ticket {handoff['ticket_id']})" if handoff else ""
    console.print(f"  [dim]intent {result['intent']} · confidence {result['confidence']:.2f}{handoff_note}[/]")
    console.print(f"  [dim]conversation {result['conversation_id']}[/]")


def _ask_here(body: dict, retriever: str) -> dict:
    """One turn in this process; the TurnResult as the server would send it."""
    from bot.conversations import ConversationNotFound
    from bot.turn import TurnRequest

    _require_merchant(body["merchant_id"])
    try:
        result = _assistant().handle(TurnRequest(**body), mode=retriever)
    except ConversationNotFound:
        _fail(f"merchant {body['merchant_id']!r} has no conversation {body['conversation_id']!r}", code=2)
    return result.model_dump(mode="json")


@app.command("eval")
def eval_command(
    datasets: Annotated[list[Path], typer.Argument(help="Dataset folders, each with knowledge/ and cases.jsonl.")],
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the metrics as JSON to this file (several sets: name → metrics).")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write an HTML report with plots to this folder (several sets: one subfolder each).")] = None,
    markdown: Annotated[Path | None, typer.Option("--markdown", help="Write one table row per dataset as Markdown to this file.")] = None,
    retriever: Annotated[str, typer.Option(help="hybrid, dense or bm25.")] = "hybrid",
    limit: Annotated[int | None, typer.Option(help="Score an evenly spaced sample of this many cases.")] = None,
    judge: Annotated[bool, typer.Option("--judge", help="Also have the configured LLM grade each answer (needs OPENAI_API_KEY).")] = False,
    cases_out: Annotated[Path | None, typer.Option("--cases", help="Write every case's outcome (reply, intent, confidence, verdicts) as JSON lines to this file.")] = None,
    threshold: Annotated[float | None, typer.Option(help="The shop's answer threshold (0.3-0.95), as a merchant sets it in the policy; default: the deployment's.")] = None,
) -> None:
    """Score the real turn pipeline on labelled datasets (a throw-away merchant each)."""
    from bot.turn import ShopAssistant
    from eval.dataset import DatasetError, load_dataset
    from eval.judge import LLMJudge
    from eval.runner import run_eval
    from eval.table import markdown_table
    from xiaoer.settings import get_settings

    if retriever not in ("hybrid", "dense", "bm25"):
        _fail("--retriever must be hybrid, dense or bm25", code=2)
    if threshold is not None and not 0.3 <= threshold <= 0.95:
        _fail("--threshold must be between 0.3 and 0.95", code=2)
    grader = None
    if judge:
        try:
            grader = LLMJudge(get_settings())
        except ValueError as exc:
            _fail(f"--judge: {exc}", code=2)
    try:  # every set is checked before the first one runs
        loaded = [load_dataset(folder, limit=limit) for folder in datasets]
    except DatasetError as exc:
        _fail(str(exc), code=2)
    names = [data.name for data in loaded]
    if len(set(names)) < len(names):
        _fail(f"datasets need distinct folder names, got {', '.join(names)}", code=2)
    assistant = ShopAssistant()
    runs = []
    for data in loaded:
        with Progress(
            TextColumn(f"[bold]{data.name}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=err, transient=True,
        ) as progress:
            task = progress.add_task("cases", total=len(data.cases))
            runs.append(run_eval(
                data, mode=retriever, assistant=assistant, judge=grader, threshold=threshold,
                progress=lambda done, total: progress.update(task, completed=done),
            ))
    summaries = {run.dataset: run.summary for run in runs}
    if len(runs) == 1:
        summary = runs[0].summary
        table = Table("metric", "value", title=f"{runs[0].dataset} ({retriever}, {summary['cases']} cases)")
        for key, value in summary.items():
            if key == "shop" or isinstance(value, (dict, list)):  # the shop below; curves and bins: --json, --report
                continue
            table.add_row(key, "-" if value is None else f"{value}")
        console.print(table)
        if summary["shop"]:
            console.print(f"shop: {json.dumps(summary['shop'], ensure_ascii=False)}")
        if summary["answer_accuracy_by_lang"]:
            console.print("answer accuracy by language: " + ", ".join(f"{k} {v}" for k, v in summary["answer_accuracy_by_lang"].items()))
    else:
        # Plain Markdown, unwrapped: eleven columns do not fit a boxed table in 80 characters.
        console.print(f"xiaoer eval ({retriever})\n" + markdown_table(summaries), soft_wrap=True, markup=False, highlight=False)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        payload = runs[0].summary if len(runs) == 1 else summaries
        json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    if markdown:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(markdown_table(summaries), encoding="utf-8")
        console.print(f"table: {markdown}")
    if cases_out:
        # One line per case, for reading failures: what was asked, what came back, and why it counts as wrong.
        cases_out.parent.mkdir(parents=True, exist_ok=True)
        with cases_out.open("w", encoding="utf-8") as out:
            for run in runs:
                for outcome in run.outcomes:
                    out.write(json.dumps({"dataset": run.dataset, "failed": outcome.failed, **outcome.model_dump()}, ensure_ascii=False) + "\n")
    if report:
        from eval.report import write_report

        for run in runs:
            console.print(f"report: {write_report(run, report if len(runs) == 1 else report / run.dataset)}")


@app.command("metrics")
def metrics_command(
    merchant: MerchantOpt,
    days: Annotated[int, typer.Option(min=1, help="The period: conversations started in the last N days.")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print everything as one JSON object.")] = False,
) -> None:
    """Service score, response / resolution / transfer rates, recovery, agent tiers and knowledge gaps."""
    from datetime import timedelta

    from handoff.gaps import knowledge_gaps
    from handoff.metrics import EXCELLENT_SCORE, merchant_metrics
    from retrieval.embedders import get_embedder
    from xiaoer.db import utcnow

    _require_merchant(merchant)
    now = utcnow()
    since = now - timedelta(days=days)
    m = merchant_metrics(merchant, since=since, now=now)
    gaps = knowledge_gaps(merchant, get_embedder(), since=since, until=now)
    score = m.service_score
    components = {
        c.name: {"value": c.value, "normalised": c.normalised, "weight": c.weight, "included": c.included}
        for c in score.components
    }
    components["response_rate"].update(
        messages=m.shopper_messages, in_sla=m.responded_in_sla, pending=m.pending_messages
    )
    components["resolution_rate"].update(
        conversations=m.conversations, resolved=m.resolved, bot_resolved=m.bot_resolved,
        bot_resolution_rate=m.bot_resolution_rate, reopened=m.reopened,
    )
    components["csat"].update(ratings=m.csat.ratings)
    components["transfer_rate"].update(escalated=m.escalated)
    if as_json:
        payload = {
            "service_score": {
                "score": score.score, "display": score.display, "excellent": score.excellent,
                "excellent_line": EXCELLENT_SCORE, "left_out": score.left_out,
            },
            "components": components,
            "resolution": m.resolution.model_dump(),
            "adoption": m.adoption.model_dump(),
            "recovery": m.recovery.model_dump(),
            "agents": [a.model_dump() for a in m.agents],
            "knowledge_gaps": [g.model_dump(mode="json") for g in gaps],
            "period": {
                "days": days, "since": since.isoformat(), "until": now.isoformat(), "conversations": m.conversations,
                "daily": [d.model_dump(mode="json") for d in m.daily],
            },
        }
        print(json.dumps(payload, ensure_ascii=False))
        return

    from rich.markup import escape  # shopper questions and agent names are not markup

    def _pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.1%}"

    line = f"excellent ≥ {EXCELLENT_SCORE}"
    mark = f"[bold green]★ {line}[/]" if score.excellent else f"[dim]({line})[/]"
    console.print(f"[bold]{merchant}[/] · last {days} days · {m.conversations} conversations")
    console.print(f"service score [bold]{score.display}[/] / 5  {mark}")
    table = Table("component", "value", "normalised", "weight", title="service score components")
    for c in score.components:
        shown = "-" if c.value is None else (f"{c.value:.1f} s" if c.name == "first_response" else
                                             f"{c.value:.2f}" if c.name == "csat" else _pct(c.value))
        table.add_row(c.name, shown, "-" if c.normalised is None else f"{c.normalised:.3f}",
                      f"{c.weight:.2f}" if c.included else f"[dim]{c.weight:.2f} (no data, left out)[/]")
    table.add_row("bot_resolution_rate", _pct(m.bot_resolution_rate), "", "[dim]not scored[/]")
    console.print(table)
    res = m.resolution
    table = Table("confirmed", "assumed", "reopened", "pending (< 24 h)", title="resolutions (rates: of confirmed + assumed + reopened)")
    table.add_row(f"{res.confirmed} ({_pct(res.confirmed_rate)})", f"{res.assumed} ({_pct(res.assumed_rate)})",
                  f"{res.reopened} ({_pct(res.reopened_rate)})", str(res.pending))
    console.print(table)
    r = m.recovery
    table = Table("offers made", "accepted", "declined", "rate", "value kept", "compensation", title="order recovery")
    table.add_row(str(r.offers_made), str(r.offers_accepted), str(r.offers_declined), _pct(r.recovery_rate),
                  f"{r.amount_saved:,.2f} ({r.accepted_with_order} of {r.offers_accepted} with a known order)",
                  f"{r.compensation_given:,.2f}")
    console.print(table)
    o = m.orders
    table = Table("orders looked up", "abnormal found", "actions taken", "bot-resolved with an order", "share", title="orders")
    table.add_row(str(o.lookups), str(o.abnormal), str(o.actions), str(o.bot_resolved_with_order), _pct(o.share_of_bot_resolved))
    console.print(table)
    table = Table("agent", "tickets", "resolved", "response", "resolution", "handling", "QA", "suggestions used", "tier", title="agents")
    for a in m.agents:
        handling = "-" if a.avg_handling_seconds is None else f"{a.avg_handling_seconds / 60:.1f} min"
        name = escape(a.name) if a.name == a.agent_id else f"{escape(a.name)} [dim]{escape(a.agent_id)}[/]"
        table.add_row(name, str(a.tickets_claimed),
                      str(a.tickets_resolved), _pct(a.response_rate), _pct(a.resolution_rate), handling,
                      "-" if a.qa_score is None else f"{a.qa_score:.0f}",
                      f"{_pct(a.adoption_rate)} ({a.replies_from_suggestion}/{a.replies})", f"{a.tier_label} {a.tier}")
    console.print(table)
    table = Table("asked", "question", "other phrasings", "reasons", "last seen (UTC)", title="knowledge gaps")
    for g in gaps:
        others = [e for e in g.examples if e != g.question]
        table.add_row(str(g.count), escape(g.question), escape(" / ".join(others)), escape(", ".join(g.reasons)),
                      f"{g.last_seen:%m-%d %H:%M}")
    console.print(table)


@app.command("qa")
def qa_command(
    merchant: MerchantOpt,
    since: Annotated[datetime | None, typer.Option(help="Tickets created on or after this UTC date (default: all).", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"])] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
) -> None:
    """Quality inspection (质检): each agent's QA score (0-100) and the flagged messages."""
    from rich.markup import escape

    from handoff.qa import merchant_qa

    _require_merchant(merchant)
    report = merchant_qa(merchant, since=since)
    if as_json:
        print(report.model_dump_json())
        return
    console.print(f"[bold]{merchant}[/] · quality inspection · {len(report.tickets)} tickets"
                  + (f" since {since:%Y-%m-%d %H:%M}" if since else ""))
    table = Table("agent", "tickets", "QA score", "flags", title="agents")
    for a in report.agents:
        table.add_row(escape(a.name), str(a.tickets), "-" if a.score is None else f"{a.score:.1f}", str(a.flags))
    console.print(table)
    table = Table("when (UTC)", "agent", "ticket", "rule", "detail", "message", title="flagged")
    for f in report.flags:
        table.add_row("-" if f.at is None else f"{f.at:%m-%d %H:%M}", escape(f.agent_id), str(f.ticket_id),
                      f.rule, escape(f.detail), escape(f.text[:60]))
    console.print(table)


db_app = typer.Typer(help="The SQL schema: alembic migrations (DATABASE_URL, or SQLite under XIAOER_HOME).", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _raw_engine():
    """The engine without the migrate-on-first-use of get_engine()."""
    from xiaoer.db import get_settings, _engine_for

    settings = get_settings()
    if settings.sqlalchemy_url.startswith("sqlite"):
        settings.home.mkdir(parents=True, exist_ok=True)
    return _engine_for(settings.sqlalchemy_url, ())


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the database (run once at deploy; processes also upgrade on first use, under a lock)."""
    from xiaoer.schema import upgrade

    typer.echo(f"database at revision {upgrade(_raw_engine(), revision)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and the newest one the code knows."""
    from xiaoer.schema import current, head

    with _raw_engine().connect() as connection:
        typer.echo(f"database: {current(connection) or 'empty'}; code: {head()}")


@db_app.command("revision")
def db_revision(message: Annotated[str, typer.Argument(help="What the migration does.")]) -> None:
    """Write a new migration for what the models changed since the database's revision."""
    from xiaoer.schema import new_revision, upgrade

    engine = _raw_engine()
    upgrade(engine)
    new_revision(engine, message)


policy_app = typer.Typer(help="The merchant's order-recovery (挽单) policy.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@policy_app.command("show")
def policy_show(merchant: MerchantOpt) -> None:
    """Print the policy in force as YAML (the default until one is set)."""
    import yaml

    from bot.recovery import load_policy
    from xiaoer.db import session_scope

    _require_merchant(merchant)
    with session_scope() as session:
        policy = load_policy(session, merchant)
    print(yaml.safe_dump(policy.model_dump(mode="json"), allow_unicode=True, sort_keys=False), end="")


@policy_app.command("set")
def policy_set(
    file: Annotated[Path, typer.Argument(help="A YAML or JSON policy file (see bot/data/recovery_default.yaml).")],
    merchant: MerchantOpt,
) -> None:
    """Replace the policy; an invalid file changes nothing."""
    from bot.recovery import PolicyError, parse_policy, save_policy
    from xiaoer.db import session_scope

    _require_merchant(merchant)
    try:
        policy = parse_policy(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {file}: {exc}", code=2)
    except PolicyError as exc:
        _fail(str(exc), code=2)
    with session_scope() as session:
        save_policy(session, merchant, policy)
    console.print(f"policy set for {merchant}")


def _signed(merchant: str, shopper: str | None) -> dict:
    """The shopper fields a merchant's page would send for a signed-in ``shopper``."""
    if not shopper:
        return {}
    from bot.order_access import order_settings, shopper_fields
    from xiaoer.db import session_scope

    _require_merchant(merchant)
    with session_scope() as session:
        secret = order_settings(session, merchant).identity_secret
    return shopper_fields(secret, shopper)


@app.command("orders")
def orders_import(
    file: Annotated[Path, typer.Argument(help="Orders as .json or .csv: order_id, amount, optional status, items, shopper_id, "
                                             "phone, carrier, tracking_no, events, refund, address and times (README: Orders and logistics).")],
    merchant: MerchantOpt,
) -> None:
    """Import or update order records (offers, the high-value rule and order answers read them)."""
    from bot.orders import OrderImportError, parse_orders, upsert_orders
    from xiaoer.db import session_scope

    _require_merchant(merchant)
    try:
        records = parse_orders(file.name, file.read_bytes())
    except OSError as exc:
        _fail(f"cannot read {file}: {exc}", code=2)
    except OrderImportError as exc:
        _fail(str(exc), code=2)
    with session_scope() as session:
        n = upsert_orders(session, merchant, records)
    console.print(f"imported {n} orders")


@app.command("agent")
def agent_add(
    agent_id: Annotated[str, typer.Argument(help="Agent id (letters, digits, - and _).")],
    name: Annotated[str, typer.Argument(help="Display name.")],
    merchant: MerchantOpt,
) -> None:
    """Create a human agent and print their key (shown once)."""
    from handoff.service import create_agent
    from xiaoer.db import session_scope

    _require_merchant(merchant)
    try:
        with session_scope() as session:
            _agent, key = create_agent(session, merchant, agent_id, name)
    except ValueError as exc:
        _fail(str(exc), code=2)
    console.print(f"agent {agent_id} created; key (shown once): {key}")


def log_config() -> dict:
    """uvicorn's logging set-up with personal data masked on every handler, and the
    project's own warnings (root logger) through the same masked handler."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["pii"] = {"()": "xiaoer.privacy.PIIFilter"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("pii")
    config["handlers"]["warnings"] = {
        "class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "default", "level": "WARNING",
        "filters": ["pii"],
    }
    config.setdefault("loggers", {})[""] = {"handlers": ["warnings"], "level": "WARNING"}
    return config


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (more than 1 needs CHROMA_HOST; rate limits are shared only with XIAOER_REDIS_URL).")] = 1,
) -> None:
    """Serve the API (and the web pages) with uvicorn."""
    import uvicorn

    from xiaoer.settings import get_settings

    if workers > 1 and not get_settings().chroma_host:
        # Chroma's embedded store is not process-safe: a second worker's copy goes stale
        # and fails on ids the first one wrote.
        _fail("--workers > 1 needs a Chroma server (CHROMA_HOST, e.g. `chroma run`): "
              "the embedded store under XIAOER_HOME is safe for one process only.", 2)

    from api.app import MAX_REQUEST_BYTES

    uvicorn.run(
        "api.app:create_app", factory=True, host=host, port=port, log_level="info", log_config=log_config(),
        workers=workers,
        ws_max_size=MAX_REQUEST_BYTES,  # a bigger WebSocket frame closes the socket (1009), like a 413
    )


@app.command()
def purge(
    days: Annotated[
        int | None, typer.Option(min=0, help="Delete conversations idle longer than this (default: XIAOER_RETENTION_DAYS).")
    ] = None,
    merchant: Annotated[str | None, typer.Option("--merchant", "-m", help="Only this merchant's conversations.")] = None,
) -> None:
    """Delete old conversations (messages, offers, tickets, photos); keep their metric events,
    with the shopper's words in them masked."""
    from xiaoer.privacy import purge as purge_conversations
    from xiaoer.settings import get_settings

    days = get_settings().retention_days if days is None else days
    if days is None:
        _fail("give --days N or set XIAOER_RETENTION_DAYS", code=2)
    if merchant:
        _require_merchant(merchant)
    report = purge_conversations(days, merchant_id=merchant)
    console.print(
        f"purged {report.conversations} conversations idle since before {report.cutoff:%Y-%m-%d %H:%M} UTC: "
        f"{report.messages} messages, {report.offers} offers, {report.tickets} tickets, {report.photos} photos; "
        f"masked personal data in {report.events_masked} metric events"
    )


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Only ingest the demo shop.")] = False,
) -> None:
    """Ingest the bundled demo shop (merchant 'demo') and serve it."""
    from xiaoer.demo import DEMO_MERCHANT, DEMO_NAME, demo_files

    from bot.orders import parse_orders, upsert_orders
    from xiaoer.db import session_scope
    from xiaoer.demo import DEMO_ORDERS, demo_credentials, install_demo_policy
    from xiaoer.settings import get_settings

    assistant = _assistant()
    assistant.knowledge.ensure_merchant(DEMO_MERCHANT, DEMO_NAME)
    _ingest(assistant, DEMO_MERCHANT, demo_files())
    with session_scope() as session:
        upsert_orders(session, DEMO_MERCHANT, parse_orders(DEMO_ORDERS.name, DEMO_ORDERS.read_bytes()))
    install_demo_policy()
    credentials = demo_credentials()
    console.print(f"dashboard key (merchant {DEMO_MERCHANT}): {credentials['merchant_key']}")
    for agent_id, key in credentials["agent_keys"].items():
        console.print(f"console key for agent {agent_id}: {key}")
    console.print(f"[dim](saved in {get_settings().home / 'demo-keys.json'})[/]")
    if no_serve:
        return
    console.print(
        f"demo shop ready: try  xiaoer ask -m {DEMO_MERCHANT} \"退货运费谁出？\"  or open http://{host}:{port}/ "
        f"(agents: /console, merchant: /dashboard)"
    )
    serve(host=host, port=port)


def main() -> None:
    """The console script: a store that cannot be reached is one clear line and exit code 3,
    not a traceback (the command changed nothing; run it again once the store is back)."""
    try:
        app()
    except Exception as exc:
        # Imported only now: a command that never touches the stores (ask through a
        # server) should not pay for importing them.
        from sqlalchemy.exc import OperationalError

        from retrieval.vector_store import VectorStoreUnavailable

        if isinstance(exc, VectorStoreUnavailable):
            err.print(f"[bold red]error:[/] {exc}; nothing was changed, retry once it is back")
            sys.exit(3)
        if isinstance(exc, OperationalError):
            err.print(f"[bold red]error:[/] the database is unavailable ({exc.orig}); nothing was changed, retry shortly")
            sys.exit(3)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
