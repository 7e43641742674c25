"""The commands: canonical names, Russian and English aliases, who may use them, arguments."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Spec:
    name: str
    aliases: tuple[str, ...]
    # "none": no argument; "text": optional free text; "value": a required argument;
    # "values": optional list (e.g. "#ham 12 15").
    argument: str
    # Requesters may use it on their own ticket (agents always may).
    requester: bool = False
    usage: str = ""


SPECS = (
    Spec("note", ("заметка", "скрыто", "hidden"), "none", usage="#note"),
    Spec("spam", ("спам",), "none", usage="#spam"),
    Spec("ham", ("неспам", "не-спам", "notspam"), "values", usage="#ham [ID ...]"),
    Spec("close", ("закрыть", "закрыта", "решено"), "text", requester=True, usage="#close [text]"),
    Spec("reopen", ("открыть", "переоткрыть"), "none", usage="#reopen"),
    Spec("status", ("статус", "состояние"), "value", usage="#status NAME"),
    Spec("assign", ("назначить", "исполнитель"), "value", usage="#assign EMAIL|me"),
    Spec("take", ("взять", "беру"), "none", usage="#take"),
    Spec(
        "priority",
        ("приоритет", "важность", "критичность", "criticality"),
        "value",
        usage="#priority LEVEL",
    ),
    Spec("category", ("категория",), "value", usage="#category NAME"),
    Spec("canned", ("шаблон", "заготовка"), "value", usage="#canned NAME"),
    Spec("cc", ("копия",), "value", usage="#cc EMAIL"),
    Spec("extra", ("доп", "допработа", "дополнительно"), "none", usage="#extra"),
    Spec("report", ("отчет", "отчёт"), "text", usage="#report [week|month|quarter|year]"),
    Spec("uncc", ("убратькопию", "без-копии"), "value", usage="#uncc EMAIL"),
    Spec("card", ("карточка", "клиент"), "text", usage="#card [set KEY=VALUE ...]"),
    Spec("faq", ("чаво", "справка"), "value", usage="#faq NAME|WORDS"),
    Spec("send", ("отправить",), "none", usage="#send"),
    Spec("for", ("от", "за"), "value", usage="#for EMAIL [via phone|walk-in]"),
    Spec("name", ("имя",), "value", usage='#name "Имя Фамилия"'),
)

_BY_NAME = {alias: spec for spec in SPECS for alias in (spec.name, *spec.aliases)}


def lookup(name: str) -> Spec | None:
    """The command for a name or alias, in any letter case."""
    return _BY_NAME.get(name.lower().replace("ё", "е"))


def known_names() -> str:
    return ", ".join(f"#{spec.name}" for spec in SPECS)
