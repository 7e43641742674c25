"""The import rules of docs/architecture.md: no circle, and every import goes down the layers.

Every module of gateway/ and classifier/ is read with `ast` (nothing is imported). All its
imports count: module level, under `if TYPE_CHECKING:`, and inside functions — a lazy import
still ties the two modules together, so it obeys the same rules. `from a.b import c` is an
import of the module `a.b.c` when there is one, else of `a.b`; a package's `__init__` counts
only where it is named.

LAYERS is the layer table; docs/architecture.md shows the same table (checked below).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gateway", "classifier")
DOC = ROOT / "docs" / "architecture.md"

# Lowest first. A module may import modules of its own layer and of layers above it in this
# list, never of a layer below it. A module's layer is that of the longest prefix naming
# it (`gateway.spam.store` before `gateway.spam`); "gateway" alone is the package's
# __init__ only.
LAYERS: tuple[tuple[str, str], ...] = (
    ("classifier", "the learning spam filter; stands alone"),
    ("gateway gateway.errors", "the package; exceptions named by condition"),
    ("gateway.settings", "the configuration, read and validated"),
    ("gateway.guard", "bounds against hostile mail: auto-reply signs, HTML work, header values"),
    (
        "gateway.addresses gateway.parse gateway.bounces",
        "our own addresses; raw mail to parsed parts; bounce reports read",
    ),
    ("gateway.store", "schema, engine, migrations, rows, ticket operations, views"),
    ("gateway.spool", "raw mail committed before any acknowledgement; intake pressure"),
    ("gateway.intake", "the SMTP, pipe and IMAP edges that fill the spool"),
    ("gateway.spam.errors gateway.spam.store", "the stored spam model"),
    ("gateway.outgoing gateway.services", "templates, MIME, tokens, outbox, transports"),
    (
        "gateway.directory gateway.faq gateway.similar",
        "the agents' context: client cards, the FAQ, similar tickets",
    ),
    ("gateway.desk", "the service-desk rules: statuses, roles, SLA, notices"),
    ("gateway.disclosure", "hidden notes never reach a requester: answers held"),
    ("gateway.escalation gateway.reports", "SLA escalations; reports, charts, report mail"),
    ("gateway.pipeline.context gateway.commands.report", "what one message carries"),
    ("gateway.spam gateway.commands", "the spam filter in the product; `#` commands"),
    ("gateway.pipeline", "the stages and their order"),
    ("gateway.monitor", "health figures: status, metrics"),
    ("gateway.daemon", "the processes: supervisor, processing, runner"),
    ("gateway.cli gateway.__main__", "the `helpdesk` command line"),
)


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of PACKAGES."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = module_files()


def _known(name: str) -> str | None:
    """The longest prefix of `name` that is one of our modules (None: not ours)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imported(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    base = node.module or ""
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        yield sub if sub in MODULES else base


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports anywhere in its text."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for name in _imported(module, node):
                    target = _known(name)
                    if target is not None and target != module:
                        targets.add(target)
        graph[module] = targets
    return graph


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for rank, (names, _what) in enumerate(LAYERS):
        for prefix in names.split():
            named = module == prefix or (prefix != "gateway" and module.startswith(prefix + "."))
            if named and (best is None or len(prefix) > best[0]):
                best = (len(prefix), rank)
    return None if best is None else best[1]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def loop_in(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete circle through the component's first module: a -> b -> ... -> a."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return component


def layer_table() -> str:
    """LAYERS as the Markdown table docs/architecture.md carries."""
    lines = ["| layer | modules | what |", "|---|---|---|"]
    for rank, (names, what) in enumerate(LAYERS):
        modules = ", ".join(f"`{name}`" for name in names.split())
        lines.append(f"| {rank} | {modules} | {what} |")
    return "\n".join(lines)


def test_the_graph_is_read() -> None:
    graph = import_graph()
    assert "gateway.pipeline.stages.store" in graph
    assert "gateway.pipeline.context" in graph["gateway.pipeline.stages.store"]
    assert "classifier.features" in graph["classifier.model"]


def test_no_import_circle() -> None:
    graph = import_graph()
    circles = [" -> ".join(loop_in(graph, c)) for c in cycles(graph)]
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_every_module_has_a_layer() -> None:
    assert [m for m in MODULES if layer_of(m) is None] == []


def test_imports_go_down_the_layers() -> None:
    wrong = []
    for module, targets in sorted(import_graph().items()):
        own = layer_of(module)
        for target in sorted(targets):
            theirs = layer_of(target)
            if own is not None and theirs is not None and theirs > own:
                wrong.append(f"{module} (layer {own}) imports {target} (layer {theirs})")
    assert not wrong, "imports up the layers:\n" + "\n".join(wrong)


def test_the_rules_catch_a_circle_and_an_upward_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert loop_in(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert layer_of("gateway.store.model") == layer_of("gateway.store")
    assert layer_of("gateway.spam.store") != layer_of("gateway.spam")
    store, pipeline = layer_of("gateway.store.model"), layer_of("gateway.pipeline.stages.store")
    assert store is not None and pipeline is not None and store < pipeline
    assert layer_of("gateway.somewhere_new") is None


def test_the_document_shows_the_same_table() -> None:
    assert layer_table() in DOC.read_text(encoding="utf-8"), (
        "docs/architecture.md must carry this table:\n" + layer_table()
    )
