"""`deals import` of 10,000 rows into a fresh home, against reading the same CSV with the csv module alone.

Two export shapes: the opportunity table (blanks by design, ISO dates, plain numbers) and a European
HubSpot-like export (BOM, CRLF, semicolons, `12.500,00 €`, day-first dates, quoted newlines, a few unusable
rows). The import is records only (the rows carry no notes to embed; multi-line quoted texts are next steps) and includes everything
`coachgen deals import` does: reading, deciding the file's date order and decimal mark, mapping stages,
the upsert in one transaction, marking vanished deals. Median of 3 imports, each into a fresh home.

Target: under 5 s for 10,000 rows on 2 cores. Run: .venv/bin/python benchmarks/crm_import.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from common import median_seconds, temp_home  # noqa: E402
from crm_exports import write_european_export, write_opportunity_tables  # noqa: E402

from coachgen.ingest.loader import CrmOptions  # noqa: E402
from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402


def _import(path: Path, homes: list[Path]) -> None:
    home = temp_home()
    homes.append(home)
    report = KnowledgeBase(load_settings(home=home, environ={})).ingest([path], crm=CrmOptions(kind="deals"))
    if report.errors or not report.deals:
        raise SystemExit(f"import failed: {report.errors}")


def _csv_only(path: Path) -> None:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        list(csv.reader(handle, delimiter=";" if path.name.startswith("eu") else ","))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    folder = temp_home()
    shapes = {
        "opportunity table": write_opportunity_tables(folder, rows=args.rows)["deals"],
        "European HubSpot-like": folder / "eu-export.csv",
    }
    write_european_export(shapes["European HubSpot-like"], rows=args.rows, bad=20, notes=False)
    print(f"deals import of {args.rows:,} rows into a fresh home (median of 3) against csv.reader alone (median of 5)")
    for name, path in shapes.items():
        homes: list[Path] = []
        baseline = median_seconds(lambda: _csv_only(path), 5)
        whole = median_seconds(lambda: _import(path, homes), 3)
        print(f"  {name:22} csv.reader {baseline * 1000:6.0f} ms   import {whole * 1000:6.0f} ms   ratio {whole / baseline:5.1f}"
              f"   (target < 5000 ms)")


if __name__ == "__main__":
    main()
