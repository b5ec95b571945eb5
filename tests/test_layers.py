"""The package's floors: each module imports only from its own floor or below,
at the top of the module, and the imports form no circle.

Floors, from the ground up: the numbers (checks, numerics, field kinds), the
schedule value (the base), the catalog and its algebra (schedules, composition,
the plateau), and the tools above them (configs, training integration,
plotting, the command line, the ports).
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "jaxdecay"

FLOORS = {
    "_checks": 0,
    "_numerics": 0,
    "_fields": 0,
    "_durations": 0,
    "_elementary": 0,
    "_text": 0,
    "_base": 1,
    "_wrap": 2,
    "_decay": 2,
    "_join": 2,
    "_piecewise": 2,
    "_cycles": 2,
    "_recurrence": 2,
    "_compose": 2,
    "_presets": 2,
    "_plateau": 2,
    "_runs": 2,
    "_warp": 2,
    "_noise": 2,
}
TOOLS = 3  # every other module


def _modules():
    return sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def _floor(name):
    return FLOORS.get(name, TOOLS)


def _imports(name):
    """``(module imported, line, at top level)`` for each import of a sibling."""
    tree = ast.parse((PACKAGE / f"{name}.py").read_text())
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            targets = [node.module] if node.module else [a.name for a in node.names]
            for target in targets:
                found.append((target.split(".")[0], node.lineno, id(node) in top))
    return found


@pytest.mark.parametrize("name", _modules())
def test_a_module_imports_its_siblings_at_the_top(name):
    inner = [(m, line) for m, line, at_top in _imports(name) if not at_top]
    assert not inner, f"{name} imports {inner} inside a function or block"


@pytest.mark.parametrize("name", _modules())
def test_a_module_imports_nothing_from_a_floor_above(name):
    above = [
        m for m, _, _ in _imports(name) if m in _modules() and _floor(m) > _floor(name)
    ]
    assert not above, f"{name} (floor {_floor(name)}) imports {above} from above"


def test_the_imports_form_no_circle():
    graph = {
        name: {m for m, _, _ in _imports(name) if m in _modules()}
        for name in _modules()
    }
    state: dict[str, int] = {}

    def visit(node, path):
        if state.get(node) == 1:
            cycle = path[path.index(node) :] + [node]
            raise AssertionError("import circle: " + " -> ".join(cycle))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in sorted(graph[node]):
            visit(nxt, [*path, node])
        state[node] = 2

    for name in sorted(graph):
        visit(name, [])
