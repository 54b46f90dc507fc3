"""A CRM export of the opportunity-table shape (opportunities + sales teams), generated with a fixed seed."""

import csv
import random
from datetime import date, timedelta


def write_opportunity_export(folder, rows=3000, seed=5, agents_count=12):
    """The shape of a public CRM sample: opportunities (agent, product, account, stage, dates, close value) and teams."""
    rng = random.Random(seed)
    agents = [f"Agent {i:02d}" for i in range(agents_count)]
    with open(folder / "sales_pipeline.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date", "close_date", "close_value"])
        for n in range(rows):
            stage = rng.choice(["Prospecting", "Engaging", "Engaging", "Won", "Won", "Lost"])
            engage = date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
            close = engage + timedelta(days=rng.randint(5, 120)) if stage in ("Won", "Lost") else None
            value = rng.randint(500, 30000) if stage == "Won" else (0 if stage == "Lost" else "")
            writer.writerow([f"OPP{n:05d}", rng.choice(agents), "GTX", f"Account {n % 85}", stage, engage.isoformat() if stage != "Prospecting" else "",
                             close.isoformat() if close else "", value])
    with open(folder / "sales_teams.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sales_agent", "manager", "regional_office"])
        for i, agent in enumerate(agents):
            writer.writerow([agent, "Manager East" if i < agents_count // 2 else "Manager West", "East" if i < agents_count // 2 else "West"])
