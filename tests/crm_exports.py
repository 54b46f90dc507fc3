"""CRM exports in the shapes real teams have, generated with fixed seeds (no committed data).

- ``write_opportunity_tables``: a public-sample-like opportunity table (``opportunity_id, sales_agent, product,
  account, deal_stage, engage_date, close_date, close_value``; stages Prospecting / Engaging / Won / Lost; open
  rows without close date or value, Prospecting rows without engage date, a fifth of open rows without
  account), with its team and account tables. Dates run from late 2016 to the end of 2017: an old export.
- ``write_european_export``: a HubSpot-like European export: UTF-8 BOM, CRLF, semicolons, ``12.500,00 €``,
  day-first dates, notes with quoted newlines and doubled quotes, internal stage names, and unusable rows.

Every company, person and product here is invented.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

FIRST = ["Avery", "Bruno", "Cleo", "Dario", "Edda", "Fenna", "Gus", "Hilde", "Ivo", "Juna", "Kasper", "Lotte", "Milo", "Nora", "Otto", "Pia"]
LAST = ["Ashgrove", "Brannock", "Cordell", "Dunmore", "Elsworth", "Fairlie", "Garroway", "Holloway", "Inchley", "Jessop"]
WORDS = ["Bright", "Cedar", "Delta", "Ember", "Frost", "Granite", "Harbour", "Iris", "Juniper", "Kestrel", "Lumen", "Mosaic", "Nimbus", "Orchid"]
KINDS = ["Labs", "Works", "Systems", "Foods", "Logistics", "Textiles", "Media", "Health"]
SECTORS = ["retail", "software", "medical", "marketing", "finance", "entertainment", "technology", "services"]
PRODUCTS = ["Ledgerline Basic", "Ledgerline Plus", "Ledgerline Pro", "Ledgerline Cloud"]
LATEST = date(2017, 12, 31)


def _agents(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if name not in names:
            names.append(name)
    return names


def _accounts(count: int) -> list[str]:
    return [f"{WORDS[i % len(WORDS)]} {KINDS[(i // len(WORDS)) % len(KINDS)]}" for i in range(count)]


def write_opportunity_tables(folder: Path, rows: int = 8800, seed: int = 11, agents_count: int = 30, name: str = "sales_pipeline.csv",
                             drop: int = 0, stage_of: dict[str, str] | None = None) -> dict[str, Path]:
    """The three tables; ``drop`` leaves out the last rows, ``stage_of`` overrides some rows' stages (for re-imports)."""
    rng = random.Random(seed)
    agents = _agents(rng, agents_count)
    accounts = _accounts(85)
    paths = {"deals": folder / name, "teams": folder / "sales_teams.csv", "accounts": folder / "accounts.csv"}
    with paths["deals"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date", "close_date", "close_value"])
        for n in range(rows):
            stage = rng.choices(["Prospecting", "Engaging", "Won", "Lost"], weights=[6, 14, 48, 32])[0]
            engage = date(2016, 10, 20) + timedelta(days=rng.randint(0, 400))
            close = min(engage + timedelta(days=rng.randint(1, 140)), LATEST)
            account = rng.choice(accounts) if stage in ("Won", "Lost") or rng.random() > 0.2 else ""
            value = rng.randint(40, 30000) if stage == "Won" else (0 if stage == "Lost" else "")
            opp = f"{rng.getrandbits(32):08X}"
            if n >= rows - drop:
                continue
            stage = (stage_of or {}).get(opp, stage)
            writer.writerow([opp, rng.choice(agents), rng.choice(PRODUCTS), account, stage,
                             "" if stage == "Prospecting" else engage.isoformat(),
                             close.isoformat() if stage in ("Won", "Lost") else "", value])
    with paths["teams"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sales_agent", "manager", "regional_office"])
        for i, agent in enumerate(agents):
            writer.writerow([agent, ["Wren Talbot", "Sol Okonkwo", "Ines Falk"][i % 3], ["Central", "East", "West"][i % 3]])
    with paths["accounts"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account", "sector", "year_established", "revenue", "employees", "office_location", "subsidiary_of"])
        for i, account in enumerate(accounts):
            writer.writerow([account, SECTORS[i % len(SECTORS)], 1970 + i % 45, f"{rng.uniform(1, 9000):.2f}", rng.randint(9, 30000),
                             rng.choice(["United States", "Kenya", "Norway", "Japan"]), accounts[0] if i % 17 == 5 else ""])
    return paths


def _euro(amount: float, rng: random.Random) -> tuple[str, float]:
    """European ways to write an amount, and the value each means."""
    whole, cents = f"{amount:,.2f}".split(".")
    text = whole.replace(",", ".")
    return rng.choice([(f"{text},{cents} €", float(f"{amount:.2f}")), (f"€ {text}", float(whole.replace(",", ""))), (f"{text},{cents}", float(f"{amount:.2f}"))])


def write_european_export(path: Path, rows: int = 400, seed: int = 7, bad: int = 24, unknown_stage: str = "Parked",
                          notes: bool = True) -> dict[str, object]:
    """The export and what it holds: ``expected`` rows by id, ``bad`` line numbers, the ``quoted`` note.

    Without ``notes`` the description column stays empty (nothing to embed) and the quoted, multi-line
    texts are next steps.
    """
    rng = random.Random(seed)
    stages = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "contractsent", "closedwon", "closedlost",
              "Closed - No Decision", unknown_stage]
    owners = _agents(rng, 8)
    expected: dict[str, dict[str, object]] = {}
    bad_lines: list[int] = []
    line = 2
    quoted = 'CFO said ""no budget"" until Q3\r\nthen asked for a "pilot"'
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(["Record ID", "Deal Name", "Associated Company", "Deal owner", "Deal Stage", "Amount", "Create Date", "Close Date",
                         "Deal Description", "Next step"])
        for n in range(rows):
            record = str(9_100_000_000 + n * 7919)
            created = date(2024, 1, 1) + timedelta(days=rng.randint(0, 300))
            closed = created + timedelta(days=rng.randint(1, 60))
            amount_text, amount = _euro(rng.uniform(300, 90_000), rng)
            stage = stages[n % len(stages)]
            text = quoted.replace('""', '"') if n == 3 else ("Intro call went well.\r\nNext: demo." if n % 5 == 0 else "")
            description, step = (text, "") if notes else ("", text)
            cells = [record, f"{rng.choice(WORDS)} rollout", rng.choice(_accounts(40)) if n % 6 else "", rng.choice(owners), stage,
                     amount_text, created.strftime("%d/%m/%Y"), closed.strftime("%d/%m/%Y"), description, step]
            if n % (rows // bad) == 1 and len(bad_lines) < bad:
                kind = len(bad_lines) % 3
                if kind == 0:
                    cells[0] = ""
                elif kind == 1:
                    cells[7] = "31/02/2024"
                else:
                    cells[5] = "n/a"
                bad_lines.append(line)
            else:
                expected[record] = {"amount": amount, "created": created, "close_date": closed, "stage": stage, "notes": description}
            writer.writerow(cells)
            line += 1 + text.count("\n")
    return {"expected": expected, "bad": bad_lines, "quoted": quoted.replace('""', '"').replace("\r\n", "\n")}
