"""Loading an example or a script of the repository as a module, in this
process (the tests call their functions instead of starting a Python)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def load(path: Path):
    """The module the file at ``path`` defines, registered under its name in
    ``sys.modules`` (dataclasses look their module up there)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(path.stem, module)
    spec.loader.exec_module(module)
    return module
