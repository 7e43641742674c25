"""The report's charts as PNG: daily load, resolution times (pie and histogram), messages
per resolution, tickets by category, SLA compliance per week, first response per agent.

matplotlib is imported here only, with the Agg backend (no display), so that nothing else
of the product pays for it. Labels are Russian or English; DejaVu Sans has the Cyrillic
glyphs (`missing_glyphs` checks a text against the font actually used).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

FONT = "DejaVu Sans"
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
_DPI = 100
_SIZE = (9.0, 4.5)

LABELS = {
    "ru": {
        "daily": "Нагрузка по дням",
        "tickets": "Обращения",
        "messages": "Сообщения",
        "resolution_pie": "Время решения",
        "resolution_hist": "Распределение времени решения",
        "hours": "Часы (рабочее время)",
        "count": "Количество",
        "mpr": "Сообщений на решённое обращение",
        "messages_n": "Сообщений",
        "category": "Обращения по категориям",
        "no_category": "(без категории)",
        "sla_week": "Соблюдение SLA по неделям",
        "percent": "% в срок",
        "week": "Неделя",
        "agent_fr": "Первый ответ по исполнителям (медиана)",
        "unassigned": "(не назначено)",
        "buckets": ("до 1 ч", "1–4 ч", "4–8 ч", "1–3 дня", "более 3 дней"),
        "empty": "Нет данных за период",
    },
    "en": {
        "daily": "Daily load",
        "tickets": "Tickets",
        "messages": "Messages",
        "resolution_pie": "Resolution time",
        "resolution_hist": "Resolution time distribution",
        "hours": "Hours (business time)",
        "count": "Count",
        "mpr": "Messages per resolved ticket",
        "messages_n": "Messages",
        "category": "Tickets by category",
        "no_category": "(no category)",
        "sla_week": "SLA compliance per week",
        "percent": "% on time",
        "week": "Week",
        "agent_fr": "First response per agent (median)",
        "unassigned": "(unassigned)",
        "buckets": ("under 1 h", "1–4 h", "4–8 h", "1–3 days", "over 3 days"),
        "empty": "No data in the period",
    },
}
_BUCKETS = (3600, 4 * 3600, 8 * 3600, 3 * 86400)


def font_path() -> str:
    return str(font_manager.findfont(font_manager.FontProperties(family=FONT)))


def missing_glyphs(text: str, path: str | None = None) -> set[str]:
    """The characters of `text` the chart font has no glyph for (tofu boxes)."""
    charmap = FT2Font(path or font_path()).get_charmap()
    return {c for c in text if not c.isspace() and ord(c) not in charmap}


def _figure(title: str) -> tuple[Any, Any]:
    plt.rcParams["font.family"] = FONT
    fig, ax = plt.subplots(figsize=_SIZE, dpi=_DPI)
    ax.set_title(title, fontsize=13)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_xticks([])
    ax.set_yticks([])


def daily_load(days: dict[str, dict[str, int]], t: dict[str, Any]) -> bytes:
    fig, ax = _figure(t["daily"])
    if not days:
        _empty(ax, t["empty"])
        return _png(fig)
    dates = [dt.date.fromisoformat(d) for d in days]
    ax.bar(dates, [v["opened"] for v in days.values()], color=COLORS[0], label=t["tickets"])
    ax.plot(dates, [v["messages"] for v in days.values()], color=COLORS[1], label=t["messages"])
    ax.legend(frameon=False)
    ax.set_ylabel(t["count"])
    fig.autofmt_xdate()
    return _png(fig)


def resolution_pie(durations: list[int], t: dict[str, Any]) -> bytes:
    fig, ax = _figure(t["resolution_pie"])
    counts = [0] * (len(_BUCKETS) + 1)
    for d in durations:
        counts[sum(1 for b in _BUCKETS if d >= b)] += 1
    shown = [(label, n) for label, n in zip(t["buckets"], counts, strict=True) if n]
    if not shown:
        _empty(ax, t["empty"])
        return _png(fig)
    ax.pie(
        [n for _, n in shown],
        labels=[label for label, _ in shown],
        autopct="%1.0f%%",
        colors=COLORS[: len(shown)],
        startangle=90,
        counterclock=False,
    )
    ax.axis("equal")
    return _png(fig)


def resolution_histogram(durations: list[int], t: dict[str, Any]) -> bytes:
    fig, ax = _figure(t["resolution_hist"])
    if not durations:
        _empty(ax, t["empty"])
        return _png(fig)
    hours = [d / 3600 for d in durations]
    top = sorted(hours)[max(int(len(hours) * 0.98) - 1, 0)] or 1.0
    ax.hist([min(h, top) for h in hours], bins=30, color=COLORS[0])
    ax.set_xlabel(t["hours"])
    ax.set_ylabel(t["count"])
    return _png(fig)


def messages_per_resolution(counts: list[int], t: dict[str, Any]) -> bytes:
    fig, ax = _figure(t["mpr"])
    if not counts:
        _empty(ax, t["empty"])
        return _png(fig)
    tally: dict[int, int] = defaultdict(int)
    for n in counts:
        tally[min(n, 15)] += 1
    xs = sorted(tally)
    ax.bar([str(x) if x < 15 else "15+" for x in xs], [tally[x] for x in xs], color=COLORS[2])
    ax.set_xlabel(t["messages_n"])
    ax.set_ylabel(t["tickets"])
    return _png(fig)


def by_category(groups: list[dict[str, Any]], t: dict[str, Any]) -> bytes:
    fig, ax = _figure(t["category"])
    shown = sorted(groups, key=lambda g: g["opened"])[-15:]
    if not shown:
        _empty(ax, t["empty"])
        return _png(fig)
    ax.barh(
        [g["key"] or t["no_category"] for g in shown], [g["opened"] for g in shown], color=COLORS[4]
    )
    ax.set_xlabel(t["tickets"])
    return _png(fig)


def sla_per_week(days: dict[str, dict[str, int]], t: dict[str, Any]) -> bytes:
    fig, ax = _figure(t["sla_week"])
    weeks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for d, v in days.items():
        year, week, _ = dt.date.fromisoformat(d).isocalendar()
        weeks[f"{year}-{week:02d}"][0] += v["closed"]
        weeks[f"{year}-{week:02d}"][1] += v["breached"]
    shown = [(w, c, b) for w, (c, b) in sorted(weeks.items()) if c][-26:]
    if not shown:
        _empty(ax, t["empty"])
        return _png(fig)
    rates = [100.0 * (c - b) / c for _, c, b in shown]
    ax.bar(
        [w for w, _, _ in shown], rates, color=[COLORS[2] if r >= 90 else COLORS[3] for r in rates]
    )
    ax.set_ylim(0, 100)
    ax.set_ylabel(t["percent"])
    ax.set_xlabel(t["week"])
    ax.tick_params(axis="x", rotation=60, labelsize=8)
    return _png(fig)


def first_response_per_agent(groups: list[dict[str, Any]], t: dict[str, Any]) -> bytes:
    fig, ax = _figure(t["agent_fr"])
    shown = [g for g in groups if g["first_response"]["median_s"] is not None][:20]
    if not shown:
        _empty(ax, t["empty"])
        return _png(fig)
    ax.barh(
        [g["key"] or t["unassigned"] for g in shown],
        [g["first_response"]["median_s"] / 3600 for g in shown],
        color=COLORS[0],
    )
    ax.set_xlabel(t["hours"])
    return _png(fig)


NAMES = (
    "daily_load",
    "resolution_pie",
    "resolution_histogram",
    "messages_per_resolution",
    "by_category",
    "sla_per_week",
    "first_response_per_agent",
)


def render_all(data: dict[str, Any], locale: str) -> dict[str, bytes]:
    """Every chart from the chart data (gateway.reports.chartdata): name -> PNG bytes."""
    t = LABELS.get(locale, LABELS["en"])
    return {
        "daily_load": daily_load(data["days"], t),
        "resolution_pie": resolution_pie(data["resolutions"], t),
        "resolution_histogram": resolution_histogram(data["resolutions"], t),
        "messages_per_resolution": messages_per_resolution(data["messages_per_ticket"], t),
        "by_category": by_category(data["categories"], t),
        "sla_per_week": sla_per_week(data["days"], t),
        "first_response_per_agent": first_response_per_agent(data["agents"], t),
    }
