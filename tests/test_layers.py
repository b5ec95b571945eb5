"""The package's floors: each module imports only from its own room (its
subpackage) or from a lower floor, at the top of the module, and the imports
form no circle.

A room is a subpackage (``_core``, ``_catalog``, ...) or a public module at the
top (``torch``, ``design``, ...).  Floors, from the ground up:

0. ``_core``: the numbers (checks, numerics, elementary functions, field
   kinds, durations, docstring text);
1. ``_core.base``: the schedule value;
2. ``_catalog``: the schedules built from numbers;
3. ``_compose``: the schedules built from schedules (joins, the algebra, the
   presets, warps, noise, runs);
4. ``_train`` (optax integration, the rate finder), ``_design`` (the designer
   and the analysis it rests on) and the ports (``torch``, ``transformers``,
   ``keras``, ``timm``);
5. ``design``: the designer's public module;
6. ``_tools``: configs and specs, plots, the command line;
7. ``__main__``: ``python -m jaxdecay``.

Rooms on one floor import nothing from each other, so the rooms too form no
circle.  ``jaxdecay/__init__.py`` (the public surface) imports from every
floor; a subpackage's ``__init__.py`` holds a docstring and imports nothing.
"""

from __future__ import annotations

import ast
import functools
import pathlib
import shutil

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "jaxdecay"

# By room, or by module where a module stands above the rest of its room.
FLOORS = {
    "_core": 0,
    "_core.base": 1,
    "_catalog": 2,
    "_compose": 3,
    "_train": 4,
    "_design": 4,
    "torch": 4,
    "transformers": 4,
    "keras": 4,
    "timm": 4,
    "design": 5,
    "_tools": 6,
    "__main__": 7,
}


def _modules(package=PACKAGE):
    """Every module by dotted name under the package (``_core.base``,
    ``torch``), ``__init__`` files left out."""
    return sorted(
        ".".join(p.relative_to(package).with_suffix("").parts)
        for p in package.rglob("*.py")
        if p.name != "__init__.py"
    )


def _room(name):
    return name.split(".")[0]


def _floor(name):
    return FLOORS.get(name, FLOORS.get(_room(name)))


def _path(package, name):
    return package.joinpath(*name.split(".")).with_suffix(".py")


def _resolve(package, name, node):
    """The modules of the package that ``node`` (an import in module ``name``)
    imports, by dotted name ("" for the package itself)."""
    if isinstance(node, ast.Import):
        paths = [a.name for a in node.names if a.name.split(".")[0] == "jaxdecay"]
        return [p.partition(".")[2] for p in paths]
    if node.level == 0:
        if not (node.module or "").split(".")[0] == "jaxdecay":
            return []
        base = node.module.split(".")[1:]
    else:
        here = name.split(".")[:-1]  # the module's package, below jaxdecay
        if node.level - 1 > len(here):
            raise AssertionError(f"{name}: an import above the package")
        base = here[: len(here) - (node.level - 1)]
        base += node.module.split(".") if node.module else []
    found = []
    for alias in node.names:
        sub = [*base, alias.name]
        if _path(package, ".".join(sub)).exists():
            found.append(".".join(sub))  # from a package import a module
        else:
            found.append(".".join(base))
    return found


@functools.cache
def _parse(source):
    """A module's syntax tree, parsed once per text (the checks below read
    every module several times, and a broken copy differs in one file)."""
    return ast.parse(source)


def _imports(name, package=PACKAGE):
    """``(module imported, line, at top level)`` for each import of the package."""
    path = package / "__init__.py" if name == "" else _path(package, name)
    tree = _parse(path.read_text())
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in _resolve(package, name, node):
                found.append((target, node.lineno, id(node) in top))
    return found


def inner_imports(package=PACKAGE):
    """``{module: [(imported, line)]}`` for imports inside a function or block."""
    found = {}
    for name in _modules(package):
        inner = [(m, line) for m, line, at_top in _imports(name, package) if not at_top]
        if inner:
            found[name] = inner
    return found


def imports_from_above(package=PACKAGE):
    """``{module: [imported]}`` for imports from a higher floor, or from another
    room on the same floor."""
    found = {}
    for name in _modules(package):
        bad = []
        for m, _, _ in _imports(name, package):
            if m == "":
                bad.append("jaxdecay")  # the public surface imports everything
            elif _room(m) == _room(name):
                if _floor(m) > _floor(name):
                    bad.append(m)
            elif _floor(m) >= _floor(name):
                bad.append(m)
        if bad:
            found[name] = bad
    return found


def import_circle(package=PACKAGE):
    """The first import circle found, as ``[a, b, ..., a]``, or None."""
    graph = {
        name: {m for m, _, _ in _imports(name, package) if m}
        for name in _modules(package)
    }
    state: dict[str, int] = {}

    def visit(node, path):
        if state.get(node) == 1:
            return path[path.index(node) :] + [node]
        if state.get(node) == 2:
            return None
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            cycle = visit(nxt, [*path, node])
            if cycle:
                return cycle
        state[node] = 2
        return None

    for name in sorted(graph):
        cycle = visit(name, [])
        if cycle:
            return cycle
    return None


def unfloored(package=PACKAGE):
    """The modules that FLOORS gives no floor."""
    return [name for name in _modules(package) if _floor(name) is None]


def test_every_module_has_a_floor():
    missing = unfloored()
    assert not missing, f"give {missing} a floor in FLOORS"


def test_a_module_imports_the_package_at_the_top():
    assert not inner_imports()


def test_a_module_imports_nothing_from_a_floor_above():
    assert not imports_from_above()


def test_the_imports_form_no_circle():
    cycle = import_circle()
    assert cycle is None, "import circle: " + " -> ".join(cycle)


@pytest.mark.parametrize(
    "room", sorted({p.parent.name for p in PACKAGE.glob("*/*.py")})
)
def test_a_subpackage_init_holds_a_docstring_and_imports_nothing(room):
    tree = ast.parse((PACKAGE / room / "__init__.py").read_text())
    assert ast.get_docstring(tree), f"{room}/__init__.py says nothing of what it holds"
    assert len(tree.body) == 1, f"{room}/__init__.py does more than say what it holds"


def test_every_import_is_read_as_a_module_of_the_package():
    # A check that read imports wrongly would pass vacuously.
    modules = set(_modules())
    seen = set()
    for name in ["", *modules]:
        targets = {m for m, _, _ in _imports(name)}
        assert targets <= modules, (name, targets - modules)
        seen |= targets
    assert len(seen) > len(modules) - 5  # nearly every module is imported


# -- the checks catch what they are meant to catch ---------------------------------


@pytest.fixture
def copy(tmp_path):
    """A copy of the package to break."""
    shutil.copytree(
        PACKAGE, tmp_path / "jaxdecay", ignore=shutil.ignore_patterns("*.pyc")
    )
    return tmp_path / "jaxdecay"


def _append(package, name, line):
    path = _path(package, name)
    path.write_text(path.read_text() + "\n" + line + "\n")


@pytest.mark.parametrize(
    "name, line, upward",
    [
        ("_core.checks", "from .base import Schedule", "_core.base"),
        ("_core.numerics", "from .._catalog import decay", "_catalog.decay"),
        ("_catalog.decay", "from .._compose.join import join", "_compose.join"),
        ("_compose.join", "from jaxdecay._tools.config import parse", "_tools.config"),
        ("_train.inject", "from .._design import laws", "_design.laws"),
        ("torch", "from . import keras", "keras"),
        ("_design.laws", "from .. import design", "design"),
        (
            "_catalog.plateau",
            "import jaxdecay._train.hyperparams",
            "_train.hyperparams",
        ),
        ("_compose.warp", "from .. import warmup", "jaxdecay"),
    ],
)
def test_an_import_from_above_is_caught(copy, name, line, upward):
    assert not imports_from_above(copy)
    _append(copy, name, line)
    assert upward in imports_from_above(copy)[name]


def test_an_inner_import_is_caught(copy):
    assert not inner_imports(copy)
    _append(copy, "_catalog.decay", "def f():\n    from .._core import checks")
    found = inner_imports(copy)
    assert list(found) == ["_catalog.decay"]
    assert [m for m, _ in found["_catalog.decay"]] == ["_core.checks"]


def test_a_circle_is_caught(copy):
    assert import_circle(copy) is None
    _append(copy, "_core.elementary", "from .numerics import top_step")
    cycle = import_circle(copy)
    assert cycle and set(cycle) == {"_core.elementary", "_core.numerics"}


def test_a_module_without_a_floor_is_caught(copy):
    (copy / "_extra").mkdir()
    (copy / "_extra" / "__init__.py").write_text('"""More."""\n')
    (copy / "_extra" / "thing.py").write_text("")
    assert unfloored(copy) == ["_extra.thing"]
