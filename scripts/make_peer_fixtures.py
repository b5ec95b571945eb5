"""Runs the real peers and writes the fixtures the port tests compare against.

    pip install torch==2.13.0 transformers keras   # the peers; the tests need none
    pip install --no-deps timm==1.0.31              # timm.scheduler needs only torch
    KERAS_BACKEND=jax python scripts/make_peer_fixtures.py [torch transformers ...]

Each ``scripts/fixtures_<peer>.py`` builds its peer's schedules in several
configurations, records the rate of every optimizer update (float64 where the
peer computes in float64) and returns a document in the format described in
``tests/peers.py``; this script writes it to ``tests/fixtures/<peer>.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = ("torch", "transformers", "keras", "timm")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("peers", nargs="*", choices=PEERS, default=list(PEERS))
    args = parser.parse_args(argv)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]
    for peer in args.peers:
        document = importlib.import_module(f"fixtures_{peer}").generate()
        path = ROOT / "tests" / "fixtures" / f"{peer}.json"
        path.write_text(json.dumps(document, indent=1) + "\n")
        print(f"{peer} {document['version']}: {len(document['cases'])} cases -> {path}")


if __name__ == "__main__":
    main()
