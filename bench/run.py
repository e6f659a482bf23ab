"""Runs every benchmark in bench/ (files named bench_*.py with a ``run() -> list[Result]``) and prints a table.

Benchmarks are measured, never asserted: ``make bench`` reports numbers; the test suite checks behaviour.
"""

import importlib.util
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")


@dataclass
class Result:
    name: str
    value: float
    unit: str
    reference: float | None = None
    reference_unit: str = ""
    note: str = ""

    @property
    def ratio(self) -> str:
        if not self.reference:
            return ""
        return f"{self.value / self.reference:.2f}"


def main() -> int:
    import django

    django.setup()
    only = sys.argv[1:]
    results: list[Result] = []
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        if only and path.stem not in only:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        started = time.perf_counter()
        print(f"running {path.stem} ...", flush=True)
        results.extend(module.run())
        print(f"  {path.stem} took {time.perf_counter() - started:.1f} s", flush=True)
    if not results:
        print("no benchmarks found")
        return 0
    width = max(len(r.name) for r in results)
    print(f"\n{'benchmark':<{width}}  {'value':>12} {'unit':<10} {'reference':>12} {'unit':<10} {'ratio':>6}  note")
    for r in results:
        ref = f"{r.reference:12.2f}" if r.reference else " " * 12
        print(f"{r.name:<{width}}  {r.value:12.2f} {r.unit:<10} {ref} {r.reference_unit:<10} {r.ratio:>6}  {r.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
