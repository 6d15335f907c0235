"""How large is a run bundle per 1,000 samples, and how long do export and import take?

Seeds a temporary store with one completed benchmark run of ``--samples`` samples (the shape the runner
writes, answers of ~40 characters: the seeded set's; real answers are longer, so size grows with them),
exports it, and imports it into a fresh store ``--reps`` times (each a new store: the first import is the
one that writes; a second import into the same store only skips, and is timed too).

Run: ``.venv/bin/python benchmarks/bundle_size.py [--samples 1000] [--reps 5]``
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.bundles import export_bundle, import_bundle  # noqa: E402
from store import Store  # noqa: E402
from tests.test_compare import ModelSpec, seed_run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        here = Store(Path(folder) / "here.json")
        run_id = seed_run(here, [ModelSpec("foundry-local:small:1")], prompts=50, rounds=args.samples // 50,
                          warmup=0)
        started = time.perf_counter()
        bundle = export_bundle(here, [run_id])
        export_s = time.perf_counter() - started
        imports, skips = [], []
        for rep in range(args.reps):
            fresh = Store(Path(folder) / f"fresh{rep}.json")
            started = time.perf_counter()
            import_bundle(fresh, bundle)
            imports.append(time.perf_counter() - started)
            started = time.perf_counter()
            import_bundle(fresh, bundle)
            skips.append(time.perf_counter() - started)
    per_1000 = len(bundle) / args.samples * 1000
    print(f"{args.samples} samples: bundle {len(bundle) / 1e6:.2f} MB ({per_1000 / 1e3:.0f} kB per 1,000 samples; "
          f"gzip {len(gzip.compress(bundle)) / args.samples:.0f} kB per 1,000)")
    print(f"export {export_s:.3f} s; import into a fresh store median {statistics.median(imports):.3f} s "
          f"(min {min(imports):.3f}), second import (skipped) median {statistics.median(skips):.3f} s")


if __name__ == "__main__":
    main()
