"""`helpdesk spam train/eval/stats/reset/digest` on small Maildir and mbox fixtures."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gateway.cli.main import main
from gateway.store.model import Inbound, Outbox
from tests.harness import text_of, write_config
from tests.spam.conftest import Desk
from tests.spam.corpus import ham, spam, write_maildir, write_mbox


def cli(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), *args])


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = write_config(tmp_path)
    assert cli(path, "db", "upgrade").exit_code == 0
    return path


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, Path]:
    return {
        "ham": write_maildir(tmp_path / "ham", [ham(i) for i in range(40)]),
        "spam": write_mbox(tmp_path / "spam.mbox", [spam(i) for i in range(40)]),
        "ham2": write_maildir(tmp_path / "ham2", [ham(i) for i in range(100, 120)]),
        "spam2": write_mbox(tmp_path / "spam2.mbox", [spam(i) for i in range(100, 120)]),
    }


def stats(config: Path) -> dict[str, object]:
    result = cli(config, "spam", "stats", "--format", "json")
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_train_eval_stats_reset(config: Path, sources: dict[str, Path]) -> None:
    empty = stats(config)
    assert empty["trained"] is False and empty["version"] == 0
    result = cli(
        config, "spam", "train", "--ham", str(sources["ham"]), "--spam", str(sources["spam"])
    )
    assert result.exit_code == 0, result.output
    assert "learned 40 ham and 40 spam" in result.stdout
    after = stats(config)
    assert after["trained"] is True and after["version"] == 1
    assert (after["ham_learned"], after["spam_learned"]) == (40, 40)
    assert after["load_error"] is None and isinstance(after["size"], int) and after["size"] > 0

    result = cli(
        config,
        "spam",
        "eval",
        "--ham",
        str(sources["ham2"]),
        "--spam",
        str(sources["spam2"]),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert set(metrics) == {"accuracy", "spam_recall", "false_positive_rate", "n_ham", "n_spam"}
    assert (metrics["n_ham"], metrics["n_spam"]) == (20, 20)
    assert metrics["accuracy"] >= 0.9 and metrics["false_positive_rate"] == 0.0
    assert stats(config)["version"] == 1  # eval learns nothing

    table = cli(
        config, "spam", "eval", "--ham", str(sources["ham2"]), "--spam", str(sources["spam2"])
    )
    assert table.exit_code == 0 and "false_positive_rate" in table.stdout

    assert cli(config, "spam", "reset", "--yes").exit_code == 0
    gone = stats(config)
    assert gone["trained"] is False and gone["version"] == 2 and gone["ham_learned"] == 0


def test_train_repeatable_sources_and_directories(
    config: Path, sources: dict[str, Path], tmp_path: Path
) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    for i in range(5):
        (loose / f"{i}.eml").write_bytes(spam(200 + i))
    result = cli(
        config,
        "spam",
        "train",
        "--ham",
        str(sources["ham"]),
        "--ham",
        str(sources["ham2"]),
        "--spam",
        str(sources["spam"]),
        "--spam",
        str(loose),
    )
    assert result.exit_code == 0, result.output
    assert "learned 60 ham and 45 spam" in result.stdout


def test_user_errors_are_one_line(config: Path, sources: dict[str, Path]) -> None:
    missing = cli(config, "spam", "train", "--ham", "/nonexistent/box")
    assert missing.exit_code != 0
    assert missing.stderr.strip() == "error: no such mailbox, file or directory: /nonexistent/box"
    nothing = cli(config, "spam", "train")
    assert nothing.exit_code != 0 and "nothing to learn" in nothing.stderr
    untrained = cli(
        config, "spam", "eval", "--ham", str(sources["ham"]), "--spam", str(sources["spam"])
    )
    assert untrained.exit_code != 0 and "no model has been trained" in untrained.stderr
    imap = cli(config, "spam", "train", "--imap-folder", "Junk")
    assert imap.exit_code != 0 and "no [[imap]] mailbox" in imap.stderr


def test_stats_reports_a_model_that_does_not_load(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    desk.install(b"not a model at all")
    result = cli(desk.cfg.base_dir / "helpdesk.toml", "spam", "stats", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["load_error"].startswith("cannot load spam model (corrupt)")
    assert "error: cannot load spam model" in result.stderr
    desk.db.dispose()


def test_quarantine_release_learns_ham_and_digest_lists_held(
    tmp_path: Path, trained_model: bytes
) -> None:
    desk = Desk(tmp_path)
    desk.install(trained_model)
    config = desk.cfg.base_dir / "helpdesk.toml"
    held = desk.take(spam(3000))
    assert desk.inbound(held).state == "held"
    listing = cli(config, "quarantine", "list", "--format", "json")
    [row] = json.loads(listing.stdout)
    assert row["id"] == held and "held as spam" in row["reason"]

    digest = cli(config, "spam", "digest")
    assert digest.exit_code == 0 and "listing 1 message" in digest.stdout
    [mail] = desk.outbox("spam_digest")
    assert mail.rcpt_to == ["alice@example.com"]  # the admin; bob is an agent
    parsed = email.message_from_bytes(mail.raw, policy=email.policy.default)
    text = text_of(parsed)
    assert f"#ham {held}" in text and "REPLICA WATCHES" in text and "promo3000@mail0.biz" in text
    assert str(parsed["Subject"]).startswith("Карантин: 1 письмо задержано как спам")
    assert str(parsed["Reply-To"]).endswith("<support@example.com>")  # no token: plain intake
    assert str(parsed["Message-ID"]).startswith("<hd.spam-digest.")
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert cli(config, "spam", "digest").stdout.strip() == "nothing new is held"

    before = desk.score(spam(3000))
    result = cli(config, "quarantine", "release", str(held))
    assert result.exit_code == 0, result.output
    assert desk.score(spam(3000)) < before
    desk.runner.drain()
    assert desk.inbound(held).state == "done"
    assert desk.count(Inbound, Inbound.state == "held") == 0
    assert desk.count(Outbox, Outbox.kind == "confirmation") == 1
    desk.db.dispose()


def test_training_spam_alone_warns_that_wanted_mail_will_be_held(
    config: Path, sources: dict[str, Path]
) -> None:
    result = cli(config, "spam", "train", "--spam", str(sources["spam"]))
    assert result.exit_code == 0, result.output
    assert "learned no" not in result.stdout and "learned 0 ham and 40 spam" in result.stdout
    assert "warning: the filter has learned spam but no wanted mail" in result.stderr
    shown = cli(config, "spam", "stats")
    assert shown.exit_code == 0 and "no wanted mail" in shown.stderr
    cli(config, "spam", "train", "--ham", str(sources["ham"]))
    assert "warning" not in cli(config, "spam", "stats").stderr


def test_train_starter_records_the_corpus_and_scores(config: Path) -> None:
    result = cli(config, "spam", "train", "--starter")
    assert result.exit_code == 0, result.output
    assert "learned " in result.stdout and " spam; model version 1" in result.stdout
    data = stats(config)
    assert data["trained"] is True
    corpora = data["corpora"]
    assert isinstance(corpora, list) and [c["name"] for c in corpora] == ["starter"]
    assert corpora[0]["ham"] > 300 and corpora[0]["spam"] > 300
    table = cli(config, "spam", "stats")
    assert "corpus starter" in table.stdout
    mixed = cli(config, "spam", "train", "--starter", "--ham", str(config.parent))
    assert mixed.exit_code != 0 and "--starter learns the shipped corpus alone" in mixed.output
    assert stats(config)["version"] == 1  # nothing learnt by the refused command


def test_train_from_paths_names_them_in_stats(config: Path, sources: dict[str, Path]) -> None:
    result = cli(
        config, "spam", "train", "--ham", str(sources["ham"]), "--spam", str(sources["spam"])
    )
    assert result.exit_code == 0, result.output
    corpora = stats(config)["corpora"]
    assert isinstance(corpora, list)
    assert corpora == [
        {"name": f"ham:{sources['ham']} spam:{sources['spam']}", "ham": 40, "spam": 40}
    ]
