"""Print mutmut's results for the accounting modules: killed and survived per module.

Run by ``make mutate`` after ``mutmut run``; reads ``mutants/**/*.py.meta``.
Only the mutants named by the globs given as arguments are counted (the
same globs ``mutmut run`` was given), so the figures match docs/testing.md.
Exits 1 when 5% or more of them survived.

``EQUIVALENT`` names the surviving mutants that no test can kill because the
change does not alter behaviour; docs/testing.md gives the reason for each.
They are counted and printed apart, and left out of the share.
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
# Mutants that cannot change behaviour; the reason for each is in docs/testing.md
# ("Equivalent mutants"). Only a mutant that survived is counted as equivalent.
_OPENAI = "logmoji.llm.instrumentation.providers.openai.x"
_ANTHROPIC = "logmoji.llm.instrumentation.providers.anthropic.x"
_REDACT = "logmoji.logger.redact.x"
EQUIVALENT: frozenset[str] = frozenset(
    {
        *(f"{_OPENAI}__response_outcome__mutmut_{n}" for n in (111, 112, 113, 114, 118, 119, 120)),
        f"{_OPENAI}ǁResponsesTrackerǁ__init____mutmut_2",
        f"{_OPENAI}ǁChatTrackerǁoutcome__mutmut_22",
        f"{_ANTHROPIC}ǁMessagesTrackerǁ__init____mutmut_3",
        f"{_ANTHROPIC}ǁMessagesTrackerǁoutcome__mutmut_34",
        f"{_REDACT}ǁSecretTextMaskerǁ__call____mutmut_9",
        f"{_REDACT}ǁSecretTextMaskerǁ__call____mutmut_22",
        *(f"{_REDACT}ǁMaskedRendererǁ__call____mutmut_{n}" for n in (1, 20, 22, 23)),
        "logmoji.llm.instrumentation.errors.x__category__mutmut_123",
        "logmoji.llm.instrumentation.errors.x__category__mutmut_124",
        *(f"logmoji.llm.instrumentation.errors.x__retry_delay__mutmut_{n}" for n in (16, 18, 22)),
        *(f"logmoji.llm.costs._prices.x__utc_seconds__mutmut_{n}" for n in (14, 15, 16)),
        "logmoji.llm.costs._prices.x__convert_model__mutmut_16",
        "logmoji.llm.costs._price_lookup.xǁPriceLookupǁ_report_unknown__mutmut_6",
        "logmoji.llm.costs._price_lookup.xǁPriceLookupǁ_report_unknown__mutmut_9",
    }
)


def main(globs: list[str]) -> int:
    """Count the results per module; print the survivors; return the exit status."""
    per_module: dict[str, Counter[str]] = {}
    survivors: list[str] = []
    equivalent: list[str] = []
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
            elif code in SURVIVED and name in EQUIVALENT:
                counts["equivalent"] += 1
                equivalent.append(name)
            elif code in SURVIVED:
                counts["survived"] += 1
                survivors.append(name)
            else:
                counts["not run" if code is None else f"exit {code}"] += 1
    total = Counter[str]()
    head = ("module", "total", "killed", "survived", "equivalent", "not run")
    print("{:<48} {:>6} {:>7} {:>9} {:>11} {:>8}".format(*head))
    for module, counts in [*sorted(per_module.items()), ("all", total)]:
        if module != "all":
            total.update(counts)
        unrun = counts["total"] - counts["killed"] - counts["survived"] - counts["equivalent"]
        print(
            f"{module:<48} {counts['total']:>6} {counts['killed']:>7} "
            f"{counts['survived']:>9} {counts['equivalent']:>11} {unrun:>8}"
        )
    unrun = total["total"] - total["killed"] - total["survived"] - total["equivalent"]
    for name in equivalent:
        print("equivalent:", name)
    for name in survivors:
        print("survived:", name)
    # The share of the mutants that ran; a run that did not reach every mutant fails.
    ran = total["killed"] + total["survived"]
    ratio = total["survived"] / ran if ran else 1.0
    print(
        f"survivors: {total['survived']} of {ran} run ({ratio:.1%}; limit {LIMIT:.0%}); "
        f"{total['equivalent']} equivalent mutants left out"
    )
    if unrun:
        print(f"{unrun} mutants did not run: the figure is not complete")
    return 1 if ratio >= LIMIT or unrun else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["*"]))
