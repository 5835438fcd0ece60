"""The architecture as the folder tree shows it, kept true: data flows one way, ingest -> store ->
metrics -> figures -> cli (and pages on top), so no module imports from a layer above its own; nothing in
analysis/ knows Streamlit or the pages; and no two modules import each other, directly or round a circle.
A new import that breaks a rule fails here with the line that made it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# schema.py and memory.py are the floor every layer stands on; the command line sits on top of analysis/.
LAYERS = {"schema": 0, "memory": 0, "ingest": 1, "store": 2, "metrics": 3, "figures": 4, "cli": 5, "__main__": 6}


def modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "analysis").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(path: Path) -> list[tuple[str, int]]:
    """The modules a file imports (absolute names), with the line of each import."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, node.lineno))
            out += [(f"{node.module}.{a.name}", node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
    return out


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "analysis" and len(parts) > 1 else None


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    wrong = []
    for name, path in modules().items():
        own = layer(name)
        for target, line in imports(path):
            theirs = layer(target)
            if own in LAYERS and theirs in LAYERS and LAYERS[theirs] > LAYERS[own]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({own}) imports {target} ({theirs})")
    assert wrong == []


def test_analysis_knows_neither_streamlit_nor_the_pages() -> None:
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {target}" for path in modules().values()
             for target, line in imports(path) if target.split(".")[0] in ("streamlit", "pages")]
    assert wrong == []


def test_no_import_circles() -> None:
    known = modules()
    graph = {name: {t for t, _ in imports(path) if t in known and t != name} for name, path in known.items()}
    graph = {n: {t for t in ts if not n.startswith(t + ".")} for n, ts in graph.items()}  # a package's own init
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_the_layers_are_the_folders() -> None:
    folders = {p.name for p in (ROOT / "analysis").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == {"ingest", "store", "metrics", "figures", "cli"}
    top = {p.stem for p in (ROOT / "analysis").glob("*.py")} - {"__init__"}
    assert top == {"schema", "memory", "__main__"}
