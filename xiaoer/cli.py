"""The `xiaoer` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

app = typer.Typer(help="xiaoer: an offline-first customer-service assistant for online shops.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

MerchantOpt = Annotated[str, typer.Option("--merchant", "-m", help="Merchant id (letters, digits, - and _).", envvar="XIAOER_MERCHANT")]


def _assistant():
    from bot.turn import ShopAssistant

    return ShopAssistant()


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


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
    for f in report.files:
        console.print(f"[green]✓[/] {f.name}: {f.status}, {f.chunks} chunks")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders: FAQ .csv, .md/.txt, catalog .json/.csv, .pdf.")],
    merchant: MerchantOpt,
) -> None:
    """Add or replace knowledge files for a merchant (a changed file replaces its old chunks)."""
    _ingest(_assistant(), merchant, paths)


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
    """Rebuild a merchant's vector index from the database (after changing the embedder)."""
    n = _assistant().retriever.rebuild(merchant)
    console.print(f"re-embedded {n} chunks")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The shopper's message.")],
    merchant: MerchantOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Print the turn result as one JSON object.")] = False,
    retriever: Annotated[str, typer.Option(help="hybrid, dense or bm25.")] = "hybrid",
) -> None:
    """Ask one question as a shopper of MERCHANT."""
    from bot.turn import TurnRequest

    if not question.strip():
        _fail("the question is empty", code=2)
    if retriever not in ("hybrid", "dense", "bm25"):
        _fail("--retriever must be hybrid, dense or bm25", code=2)
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
    result = _assistant().handle(TurnRequest(merchant_id=merchant, message=question), mode=retriever)
    if as_json:
        payload = result.model_dump(include={"reply", "intent", "confidence", "offer", "handoff"})
        payload["citations"] = [c.model_dump(include={"document", "chunk", "score"}) for c in result.citations]
        print(json.dumps(payload, ensure_ascii=False))
        return
    console.print(result.reply)
    for i, c in enumerate(result.citations, start=1):
        console.print(f"  [dim][{i}] {c.document} #{c.chunk} ({c.score:.2f})[/]")
    console.print(f"  [dim]confidence {result.confidence:.2f}{' · handoff' if result.handoff else ''}[/]")


@app.command("eval")
def eval_command(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder with knowledge/ and cases.jsonl.")],
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the metrics as JSON to this file.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write an HTML report with plots to this folder.")] = None,
    retriever: Annotated[str, typer.Option(help="hybrid, dense or bm25.")] = "hybrid",
    limit: Annotated[int | None, typer.Option(help="Score an evenly spaced sample of this many cases.")] = None,
) -> None:
    """Score the real turn pipeline on a labelled dataset (throw-away merchant)."""
    from eval.dataset import DatasetError, load_dataset
    from eval.runner import run_eval

    if retriever not in ("hybrid", "dense", "bm25"):
        _fail("--retriever must be hybrid, dense or bm25", code=2)
    try:
        data = load_dataset(dataset, limit=limit)
    except DatasetError as exc:
        _fail(str(exc), code=2)
    with Progress(
        TextColumn(f"[bold]{data.name}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, transient=True,
    ) as progress:
        task = progress.add_task("cases", total=len(data.cases))
        run = run_eval(data, mode=retriever, progress=lambda done, total: progress.update(task, completed=done))
    summary = run.summary
    table = Table("metric", "value", title=f"{data.name} ({retriever}, {summary['cases']} cases)")
    for key, value in summary.items():
        if key in ("intent_per_label", "intent_confusion", "intent_labels"):
            continue
        table.add_row(key, "-" if value is None else f"{value}")
    console.print(table)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    if report:
        from eval.report import write_report

        console.print(f"report: {write_report(run, report)}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve the API (and the web pages) with uvicorn."""
    import uvicorn

    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info")


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Only ingest the demo shop.")] = False,
) -> None:
    """Ingest the bundled demo shop (merchant 'demo') and serve it."""
    from xiaoer.demo import DEMO_MERCHANT, DEMO_NAME, demo_files

    assistant = _assistant()
    assistant.knowledge.ensure_merchant(DEMO_MERCHANT, DEMO_NAME)
    _ingest(assistant, DEMO_MERCHANT, demo_files())
    if no_serve:
        return
    console.print(f"demo shop ready: try  xiaoer ask -m {DEMO_MERCHANT} \"退货运费谁出？\"  or open http://{host}:{port}/")
    serve(host=host, port=port)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
