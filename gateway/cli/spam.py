"""`helpdesk spam`: bootstrap, evaluate, inspect and reset the learning spam filter."""

from __future__ import annotations

import contextlib
import getpass
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gateway.cli.context import get_config
from gateway.cli.output import emit, format_option, iso, to_json
from gateway.errors import HelpdeskError

if TYPE_CHECKING:
    from gateway.services import Services
    from gateway.spam.tools import Trained
    from gateway.store.db import Database

_PATH = click.Path(path_type=Path)


UNCALIBRATED = (
    "the filter has learned spam but no wanted mail: it holds most mail until a release "
    "or an answered ticket teaches it what is wanted"
)


def _actor() -> str:
    with contextlib.suppress(Exception):
        return f"cli:{getpass.getuser()}"
    return "cli"


@contextlib.contextmanager
def _progress(what: str) -> Iterator[Callable[[int], None]]:
    """A rich progress line on stderr (off when stderr is not a terminal)."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}: {task.completed} messages"),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    ) as progress:
        task = progress.add_task(what, total=None)

        def advance(done: int) -> None:
            progress.update(task, completed=done)

        yield advance


def _open(ctx: click.Context) -> tuple[Database, Services]:
    from gateway.services import Services
    from gateway.store.db import Database

    cfg = get_config(ctx)
    return Database.from_config(cfg), Services.from_config(cfg)


def _sources(paths: tuple[Path, ...]) -> Iterator[bytes]:
    from classifier import iter_messages

    for path in paths:
        yield from iter_messages(path)


def _check_paths(*groups: tuple[Path, ...]) -> None:
    for path in (p for group in groups for p in group):
        if not path.exists():
            raise HelpdeskError(f"no such mailbox, file or directory: {path}")


@click.group("spam")
def spam_group() -> None:
    """The learning spam filter: train, evaluate, inspect, reset."""


@spam_group.command("train")
@click.option("--ham", "ham", multiple=True, type=_PATH, help="Maildir, mbox or directory.")
@click.option("--spam", "spam", multiple=True, type=_PATH, help="Maildir, mbox or directory.")
@click.option("--imap-folder", "imap_spam", multiple=True, help="IMAP folder of spam (Junk).")
@click.option(
    "--imap-ham-folder",
    "imap_ham",
    multiple=True,
    help="IMAP folder of wanted mail (default INBOX when --imap-folder is given).",
)
@click.option("--mailbox", default=None, help="The [[imap]] mailbox by name (default: first).")
@click.option(
    "--starter",
    is_flag=True,
    help="Learn the starter corpus the package ships (public ham and spam, en and ru).",
)
@click.pass_context
def spam_train(
    ctx: click.Context,
    ham: tuple[Path, ...],
    spam: tuple[Path, ...],
    imap_spam: tuple[str, ...],
    imap_ham: tuple[str, ...],
    mailbox: str | None,
    starter: bool,
) -> None:
    """Learn labelled mail (each option may be repeated); the daemons pick it up at once."""
    from gateway.spam import tools
    from gateway.spam.imap_source import fetch_folder, pick_mailbox

    if starter:
        if ham or spam or imap_spam or imap_ham:
            raise HelpdeskError("--starter learns the shipped corpus alone: train it first")
        _train_starter(ctx)
        return
    if not (ham or spam or imap_spam or imap_ham):
        raise HelpdeskError(
            "nothing to learn: give --ham/--spam paths, --imap-folder, or --starter"
        )
    _check_paths(ham, spam)
    cfg = get_config(ctx)
    box = pick_mailbox(cfg, mailbox) if imap_spam or imap_ham else None
    if imap_spam and not imap_ham:
        imap_ham = ("INBOX",)

    def items() -> Iterator[tuple[bytes, bool]]:
        for raw in _sources(ham):
            yield raw, False
        for raw in _sources(spam):
            yield raw, True
        if box is not None:
            for folder in imap_ham:
                yield from ((raw, False) for raw in fetch_folder(cfg, box, folder))
            for folder in imap_spam:
                yield from ((raw, True) for raw in fetch_folder(cfg, box, folder))

    source = " ".join(
        [f"ham:{p}" for p in ham]
        + [f"spam:{p}" for p in spam]
        + [f"imap-ham:{f}" for f in imap_ham if box is not None]
        + [f"imap-spam:{f}" for f in imap_spam]
    )
    db, services = _open(ctx)
    with _progress("reading and learning") as advance:
        done = tools.train(db, services, items(), _actor(), advance, source)
    _report_trained(done)


def _train_starter(ctx: click.Context) -> None:
    """Learn the shipped starter corpus into the stored model."""
    from classifier.starter import NAME, StarterCorruptError, iter_starter
    from gateway.spam import tools

    def items() -> Iterator[tuple[bytes, bool]]:
        for raw, is_spam, _source in iter_starter():
            yield raw, is_spam

    db, services = _open(ctx)
    try:
        with _progress("learning the starter corpus") as advance:
            done = tools.train(db, services, items(), _actor(), advance, NAME)
    except StarterCorruptError as exc:
        raise HelpdeskError(f"{exc} (reinstall the package)") from None
    _report_trained(done)


def _report_trained(done: Trained) -> None:
    click.echo(
        f"learned {done.ham} ham and {done.spam} spam; model version {done.version} "
        f"({done.counts['ham']} ham, {done.counts['spam']} spam in all)"
    )
    from classifier.model import uncalibrated

    if uncalibrated(done.counts):
        click.echo(f"warning: {UNCALIBRATED}; train wanted mail too (--ham)", err=True)


@spam_group.command("eval")
@click.option("--ham", "ham", multiple=True, type=_PATH, required=True)
@click.option("--spam", "spam", multiple=True, type=_PATH, required=True)
@click.option("--threshold", type=float, default=None, help="Default: [spam] threshold.")
@format_option
@click.pass_context
def spam_eval(
    ctx: click.Context,
    ham: tuple[Path, ...],
    spam: tuple[Path, ...],
    threshold: float | None,
    fmt: str,
) -> None:
    """Score labelled mail with the current model, learning nothing."""
    from classifier import evaluate
    from gateway.spam import tools
    from gateway.spam.store import feature_context

    _check_paths(ham, spam)
    cfg = get_config(ctx)
    db, services = _open(ctx)
    model = tools.current_model(db, services)
    cut = cfg.spam.threshold if threshold is None else threshold
    with _progress("scoring") as advance:
        metrics = evaluate(
            model,
            tools.counted(_sources(ham), advance),
            tools.counted(_sources(spam), advance),
            threshold=cut,
            context=feature_context(cfg),
        )
    if fmt == "json":
        click.echo(to_json(metrics.as_dict()))
        return
    row = {
        "threshold": cut,
        "accuracy": f"{metrics.accuracy:.2%}",
        "spam_recall": f"{metrics.spam_recall:.2%}",
        "false_positive_rate": f"{metrics.false_positive_rate:.2%}",
        "n_ham": metrics.n_ham,
        "n_spam": metrics.n_spam,
    }
    emit([row], list(row), fmt, title="Spam filter evaluation")


@spam_group.command("stats")
@format_option
@click.pass_context
def spam_stats(ctx: click.Context, fmt: str) -> None:
    """Model version, counts learned, corrections in the last 7/30 days, load errors."""
    from gateway.spam import tools

    db, services = _open(ctx)
    data = tools.stats(db, services)
    if fmt == "json":
        click.echo(to_json({**data, "updated_at": iso(data["updated_at"])}))
    else:
        rows = [
            {"key": k, "value": v} for k, v in data.items() if k not in ("corpora", "last_rebuild")
        ]
        rows += [
            {"key": f"corpus {c['name']}", "value": f"{c['ham']} ham, {c['spam']} spam"}
            for c in data["corpora"]
        ]
        rebuilt = data["last_rebuild"]
        if rebuilt:
            rows.append(
                {
                    "key": "last_rebuild",
                    "value": f"{rebuilt['at']}: version {rebuilt['version']} "
                    f"(was: {rebuilt['reason']}) from {rebuilt['summary']}",
                }
            )
        emit(rows, ("key", "value"), fmt, title="Spam filter")
    if data["load_error"]:
        click.echo(f"error: {data['load_error']}", err=True)
        click.echo(
            "the daemon rebuilds it from the learning log at start; "
            "`helpdesk spam rebuild` does it now",
            err=True,
        )
        sys.exit(1)
    if data["uncalibrated"]:
        click.echo(f"warning: {UNCALIBRATED}", err=True)


@spam_group.command("rebuild")
@click.pass_context
def spam_rebuild(ctx: click.Context) -> None:
    """Rebuild a stored model that no longer loads (after an upgrade) from the learning log.

    The daemon does this itself at start; this does it now and says what it relearnt.
    """
    from gateway.spam.rebuild import rebuild

    db, services = _open(ctx)
    done = rebuild(db, services, _actor())
    if done is None:
        click.echo("the stored spam model loads; nothing to rebuild")
        return
    if not done.stored:
        click.echo("the stored model changed during the rebuild (kept it); run again to check")
        return
    state = f"version {done.version}" if done.version else "nothing"
    click.echo(f"spam model rebuilt ({state}; was: {done.reason}) from {done.summary()}")


@spam_group.command("reset")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def spam_reset(ctx: click.Context, yes: bool) -> None:
    """Forget everything learned: nothing is held until the filter is trained again."""
    from gateway.spam import tools

    if not yes:
        click.confirm("Forget everything the spam filter has learned?", abort=True)
    db, services = _open(ctx)
    version = tools.reset(db, services, _actor())
    click.echo(f"spam model reset (version {version}); nothing is held until it is trained")


@spam_group.command("digest")
@click.option("--all", "everything", is_flag=True, help="List every held message.")
@click.pass_context
def spam_digest(ctx: click.Context, everything: bool) -> None:
    """Queue the quarantine digest to the agents now (held mail since the last one)."""
    from gateway.spam.digest import last_sent, send_digest

    db, services = _open(ctx)
    with db.write() as session:
        since = None if everything else last_sent(session, lock=True)
        listed = send_digest(session, services, since)
    click.echo(f"digest queued listing {listed} message(s)" if listed else "nothing new is held")
