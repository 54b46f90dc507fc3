"""`pipeline --team` on 10,000 opportunities: median of 5 runs, against loading the deals alone.

Target: under 2 s on 2 cores. Run: .venv/bin/python benchmarks/pipeline_team.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from common import median_seconds, temp_home  # noqa: E402
from crm_fixture import write_opportunity_export  # noqa: E402

from coachgen.artifacts.pipeline_review import review_pipeline  # noqa: E402
from coachgen.ingest.crm import parse_mapping  # noqa: E402
from coachgen.ingest.loader import CrmOptions  # noqa: E402
from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.render import pipeline_outline, render  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    folder = temp_home()
    folder.mkdir(parents=True, exist_ok=True)
    write_opportunity_export(folder, rows=args.rows, agents_count=30)
    kb = KnowledgeBase(load_settings(home=folder / "home", environ={}))
    mapping = parse_mapping("id=opportunity_id,rep=sales_agent,stage=deal_stage,created=engage_date,amount=close_value")
    kb.ingest([folder / "sales_pipeline.csv"], crm=CrmOptions(mapping, None, "deals"))
    kb.ingest([folder / "sales_teams.csv"], crm=CrmOptions({}, None, "reps"))
    as_of = date(2026, 11, 20)

    def whole_review() -> None:
        review = review_pipeline(kb, team=True, as_of=as_of)
        render(review, "md", pipeline_outline(review))

    load = median_seconds(lambda: kb.records.deals(), 5)
    review = median_seconds(whole_review, 5)
    print(f"pipeline --team on {args.rows} opportunities, 30 reps (median of 5)")
    print(f"  load the deals alone   {load * 1000:7.0f} ms")
    print(f"  whole team review      {review * 1000:7.0f} ms   ratio {review / load:.1f}   (target < 2000 ms)")


if __name__ == "__main__":
    main()
