"""Open tests/browser/data/four_widgets.ipynb (InitExplorer, OptimizerRace, TrainingDashboard and a
second InitExplorer) many times in Voila, JupyterLab and Notebook 7, and check that every widget
drew each time (labdriver/front_ends.py says what is checked). One line per open, then a summary.

    PYTHONPATH=widgets:. python scripts/prove_widget_outputs.py --voila 20 --lab 10 --notebook 10

Exit status 0 if every open passed, 1 if one failed, 2 on bad arguments."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULTS = {"voila": 20, "lab": 10, "notebook": 10}


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"{value} is out of range 0..1000")
    return value


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2
        sys.stderr.write(f"prove_widget_outputs.py: error: {message}\n")
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    for name, default in DEFAULTS.items():
        parser.add_argument(f"--{name}", type=count, default=default, metavar="N",
                            help=f"opens in {name} (default {default})")
    parser.add_argument("--artifacts", type=Path, default=ROOT / "test-artifacts" / "front-ends", metavar="DIR",
                        help="server logs and screenshots of failed opens (default test-artifacts/front-ends)")
    args = parser.parse_args(argv)
    counts = {name: getattr(args, name) for name in DEFAULTS}
    if not any(counts.values()):
        parser.error("nothing to do: every count is 0")

    from playwright.sync_api import sync_playwright

    from labdriver.chromium import CHROMIUM, CHROMIUM_ARGS
    from labdriver.front_ends import NAMES, prove

    args.artifacts.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for result in prove(browser, counts, artifacts=args.artifacts):
                print(result.line(), flush=True)
                results.append(result)
        finally:
            browser.close()
    print(f"summary ({time.monotonic() - started:.0f} s):")
    for name, wanted in counts.items():
        mine = [r for r in results if r.front_end == name]
        if wanted:
            known = sum(1 for r in mine if r.known)
            print(f"  {NAMES[name]:<10} {sum(r.ok for r in mine)}/{wanted} opens with all 4 widgets drawn and no "
                  f"console error" + (f" ({known} with the known page-load error)" if known else ""))
    failed = len(results) != sum(counts.values()) or not all(r.ok for r in results)
    print("FAILED" if failed else "all passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
