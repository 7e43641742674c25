"""The spam bench reads the layouts public corpora come in, and orders undated mail."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bench.spam_corpus import EPOCH, clocked, date_of, read, stream_order
from tests.classifier.test_spam_model import HAM_EN, SPAM


def _write(path: Path, raw: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


def test_trec_index_ham_spam_folders_and_explicit_paths(tmp_path: Path) -> None:
    trec = tmp_path / "trec"
    _write(trec / "data" / "inmail.1", SPAM)
    _write(trec / "data" / "inmail.2", HAM_EN)
    _write(trec / "full" / "index", b"spam ../data/inmail.1\nham ../data/inmail.2\n\n")
    got = read(trec, [], [])
    assert got.labels == [True, False] and got.raws == [SPAM, HAM_EN]
    assert got.layout.startswith("TREC index")

    enron = tmp_path / "enron"
    _write(enron / "ham" / "0001.txt", HAM_EN)
    _write(enron / "spam" / "0001.txt", SPAM)
    got = read(enron, [], [])
    assert got.labels == [False, True] and got.layout == "ham/ and spam/ folders"

    got = read(tmp_path / "unused", [enron / "spam"], [enron / "ham"])  # labels as given
    assert got.labels == [False, True] and got.raws == [SPAM, HAM_EN]


def test_unknown_layouts_and_one_class_corpora_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no known corpus layout"):
        read(tmp_path, [], [])
    _write(tmp_path / "ham" / "1", HAM_EN)
    (tmp_path / "spam").mkdir()
    with pytest.raises(SystemExit, match="both ham and spam are needed"):
        read(tmp_path, [], [])


def test_undated_mail_is_interleaved_and_dated_mail_keeps_its_order() -> None:
    assert date_of(b"Subject: no date\n\nbody") == EPOCH
    dated = b"Date: Mon, 2 Dec 2002 10:00:00 +0000\n\n"
    earlier = b"Date: Sun, 1 Dec 2002 10:00:00 +0000\n\n"
    dates = [date_of(r) for r in (dated, earlier)] + [EPOCH] * 20
    order = stream_order(dates)
    assert order[-2:] == [1, 0]  # dated mail after the undated, by its Date
    assert order[:20] != list(range(2, 22))  # undated mail shuffled, not in load order
    assert sorted(order) == list(range(22)) and stream_order(dates) == order


def test_undated_mail_gets_a_clock_of_a_minute_a_message() -> None:
    dated = date_of(b"Date: Mon, 2 Dec 2002 10:00:00 +0000\n\n")
    dates = [EPOCH, dated, EPOCH, EPOCH]
    order = stream_order(dates)
    clock = clocked(dates, order)
    assert clock[1] == dated
    assert sorted(clock[i] for i in (0, 2, 3)) == [EPOCH + timedelta(minutes=m) for m in range(3)]
    assert [clock[i] for i in order] == sorted(clock)  # the clock follows the stream


def test_the_starter_online_run_leaves_out_the_mail_the_starter_holds(tmp_path: Path) -> None:
    """SpamAssassin files start with an mbox ``From `` line, which the bench's reader drops
    and the starter file keeps: the starter's messages are still found in the stream."""
    import lzma

    from bench.spam_starter import start_and_order
    from classifier.starter import iter_starter

    corpus = tmp_path / "sa"
    files: dict[str, list[bytes]] = {
        "easy-ham-1": [HAM_EN, HAM_EN.replace(b"Subject: ", b"Subject: Re: ")],
        "easy-ham-2": [],
        "hard-ham-1": [],
        "spam-1": [SPAM, SPAM.replace(b"Subject: ", b"Subject: FW: ")],
        "spam-2": [],
    }
    stored: list[bytes] = []
    for folder, raws in files.items():
        (corpus / folder).mkdir(parents=True)
        for n, raw in enumerate(raws):
            with_from = b"From someone@example.com  Mon Jan  1 00:00:00 2002\n" + raw
            _write(corpus / folder / f"{n:04d}", with_from)
            if n == 0:  # the starter holds the first of each class, as its file reads
                label = "spam" if folder.startswith("spam") else "ham"
                stored.append(f"{label} spamassassin/{folder} {len(with_from)}\n".encode())
                stored.append(with_from)
    starter = tmp_path / "starter.bin.xz"
    starter.write_bytes(lzma.compress(b"".join(stored)))
    assert len(list(iter_starter(starter))) == 2
    labelled = read(corpus, [], [])
    assert not labelled.raws[0].startswith(b"From ")  # the reader dropped the line
    start, left = start_and_order(labelled.raws, list(range(4)), starter)
    assert [labelled.raws[i] for i in left] == [files["easy-ham-1"][1], files["spam-1"][1]]
    model = start()
    assert model.counts == {"ham": 1, "spam": 1} and model.provisional
