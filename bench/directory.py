"""Directory import benchmark: 10,000 people (CSV, many domains, ru/en names) through
`helpdesk directory import` into a fresh SQLite database; then the same file again (must
change nothing), then a file with 1% of phones changed and one malformed row.

Run: python bench/directory.py [--people 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.harness import write_config  # noqa: E402

DOMAINS = ("corp.example.ru", "branch.test", "мойдомен.рф", "firm.com", "uni.example", "mail.ru")
FIRST = ("Иван", "Ольга", "Пётр", "Анна", "John", "Mary", "Сергей", "Елена", "Ahmed", "Lena")
LAST = ("Петров", "Смирнова", "Иванов", "Кузнецова", "Smith", "Brown", "Соколов", "Müller")
DEPTS = ("Бухгалтерия", "Sales", "IT", "Склад", "Legal", "Отдел кадров")
COLUMNS = [
    "email",
    "name",
    "department",
    "phone",
    "location",
    "organisation",
    "equipment",
    "licences",
    "notes",
    "secret:vpn_password",
    "room",
]


def people(n: int, seed: int, changed: float = 0.0) -> list[list[str]]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        domain = DOMAINS[i % len(DOMAINS)]
        phone = f"+7 495 {i // 10000:03d}-{i % 10000 // 100:02d}-{i % 100:02d}"
        if changed and random.Random(i).random() < changed:
            phone = phone.replace("+7 495", "+7 812")
        out.append(
            [
                f"user{i}@{domain}",
                f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}",
                DEPTS[i % len(DEPTS)],
                phone,
                f"корпус {i % 7}, комн. {100 + i % 300}",
                "",
                f"ПК-{i} Dell OptiPlex;Монитор LG {i % 40}",
                "MS Office;1С" if i % 3 else "",
                "",
                f"pw{rnd.randrange(10**8)}",
                str(100 + i % 300),
            ]
        )
    return out


def write(path: Path, rows: list[list[str]], malformed: bool = False) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerows(rows[: len(rows) // 2])
        if malformed:
            w.writerow(["broken-address", "Row With A Bad Address"])
        w.writerows(rows[len(rows) // 2 :])


def run(config: Path, csv_path: Path) -> tuple[float, dict[str, object], str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "--config", str(config), "directory", "import",
         str(csv_path), "--format", "json"],
        capture_output=True, text=True, cwd=config.parent,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 2):
        raise SystemExit(done.stderr)
    return seconds, json.loads(done.stdout), done.stderr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-directory-"))
    work.mkdir(parents=True, exist_ok=True)
    config = write_config(work)
    subprocess.run(
        [sys.executable, "-m", "gateway", "--config", str(config), "db", "upgrade"],
        check=True, capture_output=True, cwd=work,
    )  # fmt: skip
    first = work / "people.csv"
    write(first, people(args.people, 1))
    changed = work / "people-changed.csv"
    write(changed, people(args.people, 1, changed=0.01), malformed=True)
    for label, path in (("first import", first), ("re-import", first), ("1% changed", changed)):
        seconds, report, _ = run(config, path)
        added, changes = report["added"], report["changed"]
        problems = report["problems"]
        assert isinstance(added, list) and isinstance(changes, list)
        assert isinstance(problems, list)
        print(
            f"{label:13s} {args.people} rows: {seconds:6.2f} s "
            f"(process start included): {len(added)} added, {len(changes)} changed, "
            f"{report['unchanged']} unchanged, problems: "
            + "; ".join(f"{p['where']}: {p['reason']}" for p in problems)
        )
    print(f"database: {work / 'var' / 'helpdesk.db'}")


if __name__ == "__main__":
    main()
