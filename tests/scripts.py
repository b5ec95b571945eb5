"""Loading an example or a script of the repository as a module, in this
process (the tests call their functions instead of starting a Python), and
running its ``main`` several times in one new process, where a test needs a
process of its own (a number of devices, a fresh start from a checkpoint).

    python tests/scripts.py PATH ARGVS_JSON

runs ``main(argv)`` of the file at ``PATH`` for each ``argv`` of the JSON list
``ARGVS_JSON``, one after the other, and prints one JSON line: for each run its
exit status and what it wrote on stdout and stderr.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import subprocess
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


def run_mains(path: Path, argvs: list[list[str]], env: dict, timeout: float):
    """``main(argv)`` of the file at ``path`` for each of ``argvs``, in one new
    process with the environment ``env``: a list of ``(exit status, stdout,
    stderr)``, one per run.  A run that raises (not ``SystemExit``) fails the
    process, and this function with it."""
    proc = subprocess.run(
        [sys.executable, __file__, str(path), json.dumps(argvs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = json.loads(proc.stdout.splitlines()[-1])
    return [(r["code"], r["out"], r["err"]) for r in runs]


def _main(path: str, argvs: str) -> None:
    module = load(Path(path))
    runs = []
    for argv in json.loads(argvs):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                module.main(argv)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
                code = 0 if exc.code is None else code
        runs.append({"code": code, "out": out.getvalue(), "err": err.getvalue()})
    print(json.dumps(runs))


if __name__ == "__main__":
    _main(*sys.argv[1:])
