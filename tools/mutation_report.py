"""Print mutmut's results for the accounting modules: killed and survived per module.

Run by ``make mutate`` after ``mutmut run``; reads ``mutants/**/*.py.meta``.
Only the mutants named by the globs given as arguments are counted (the
same globs ``mutmut run`` was given), so the figures match docs/testing.md.
Exits 1 when 5% or more of them survived.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections import Counter
from pathlib import Path

KILLED = {1, 3, 24, -24, 36, 152, 255}  # test failure, pytest error, timeouts
SURVIVED = {0}
LIMIT = 0.05


def main(globs: list[str]) -> int:
    """Count the results per module; print the survivors; return the exit status."""
    per_module: dict[str, Counter[str]] = {}
    survivors: list[str] = []
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        results = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in results.items():
            if not any(fnmatch.fnmatchcase(name, pattern) for pattern in globs):
                continue
            module = name.rsplit(".", 1)[0]
            counts = per_module.setdefault(module, Counter())
            counts["total"] += 1
            if code in KILLED:
                counts["killed"] += 1
            elif code in SURVIVED:
                counts["survived"] += 1
                survivors.append(name)
            else:
                counts["not run" if code is None else f"exit {code}"] += 1
    total = Counter[str]()
    print(f"{'module':<42} {'total':>6} {'killed':>7} {'survived':>9} {'not run':>8}")
    for module, counts in sorted(per_module.items()):
        total.update(counts)
        unrun = counts["total"] - counts["killed"] - counts["survived"]
        print(
            f"{module:<42} {counts['total']:>6} {counts['killed']:>7} "
            f"{counts['survived']:>9} {unrun:>8}"
        )
    unrun = total["total"] - total["killed"] - total["survived"]
    print(f"{'all':<42} {total['total']:>6} {total['killed']:>7} {total['survived']:>9} {unrun:>8}")
    for name in survivors:
        print("survived:", name)
    # The share of the mutants that ran; a run that did not reach every mutant fails.
    ran = total["killed"] + total["survived"]
    ratio = total["survived"] / ran if ran else 1.0
    print(f"survivors: {total['survived']} of {ran} run ({ratio:.1%}; limit {LIMIT:.0%})")
    if unrun:
        print(f"{unrun} mutants did not run: the figure is not complete")
    return 1 if ratio >= LIMIT or unrun else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["*"]))
