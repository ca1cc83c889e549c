"""Run every benchmark in bench/ one after the other (`make bench`).

Every ``bench/*.py`` is a benchmark except this file and helpers whose name starts with ``_``;
a new script is picked up automatically. Arguments are passed to each benchmark (``--quick``
for a fast check). Each runs in its own process; a failing one does not stop the others, and the
exit code is non-zero if any failed.

    .venv/bin/python bench/run_all.py [--quick] [--only NAME[,NAME]]
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def benchmarks() -> list[Path]:
    return sorted(p for p in BENCH.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))


def main(argv: list[str]) -> int:
    only: set[str] = set()
    passed: list[str] = []
    arguments = iter(argv)
    for argument in arguments:
        if argument == "--only":
            only.update(next(arguments, "").split(","))
        elif argument.startswith("--only="):
            only.update(argument.split("=", 1)[1].split(","))
        elif argument in ("-h", "--help"):
            print(__doc__)
            print("Benchmarks:", ", ".join(p.stem for p in benchmarks()))
            return 0
        else:
            passed.append(argument)
    selected = [p for p in benchmarks() if not only or p.stem in only]
    if only - {p.stem for p in selected}:
        print(f"unknown benchmark(s): {', '.join(sorted(only - {p.stem for p in selected}))}", file=sys.stderr)
        return 2
    failures = []
    for script in selected:
        print(f"\n##### {script.stem} {' '.join(passed)}".rstrip(), flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(script), *passed], check=False, cwd=ROOT)
        print(f"##### {script.stem}: {'ok' if result.returncode == 0 else f'FAILED ({result.returncode})'} "
              f"in {time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
        if result.returncode != 0:
            failures.append(script.stem)
    if failures:
        print(f"\nFailed: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
