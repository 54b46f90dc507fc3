"""Real CRM exports import: blanks by design, skipped rows with their line, stage vocabularies, locales, re-imports.

The exports are generated in the shapes real teams have (tests/crm_exports.py); none is the bundled sample.
"""

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from crm_exports import LATEST, write_european_export, write_opportunity_tables
from typer.testing import CliRunner

from coachgen.artifacts.common import money
from coachgen.cli import app
from coachgen.errors import InputError
from coachgen.ingest.crm import ReadOptions, read_crm_table
from coachgen.ingest.crm_values import parse_amount

NORTHWIND = Path(__file__).parent / "corpora" / "northwind" / "crm"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("COACHGEN_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def deals(run, *args):
    return json.loads(run("deals", "list", "--json", *args).stdout)


def test_opportunity_table_with_blanks_by_design_imports_without_a_map(run, tmp_path):
    paths = write_opportunity_tables(tmp_path)
    result = run("deals", "import", paths["deals"])
    assert result.exit_code == 0, result.output
    assert "imported 8800 deals from sales_pipeline.csv (8800 added, 0 updated, 0 unchanged); 0 rows skipped" in result.stdout
    assert "warning" not in result.stderr
    stored = deals(run)
    assert Counter(d["status"] for d in stored) == Counter({"won": sum(d["stage"] == "Won" for d in stored),
                                                           "lost": sum(d["stage"] == "Lost" for d in stored),
                                                           "open": sum(d["stage"] in ("Prospecting", "Engaging") for d in stored)})
    open_deals = [d for d in stored if d["status"] == "open"]
    assert all(d["close_date"] is None and d["amount"] is None for d in open_deals)
    assert all(d["created"] is None for d in stored if d["stage"] == "Prospecting")
    assert 0.1 < sum(d["account"] is None for d in open_deals) / len(open_deals) < 0.3
    assert {d["currency"] for d in stored} == {"USD"}  # no symbol in the file: the labelled default

    assert run("reps", "import", paths["teams"]).exit_code == 0
    accounts = run("accounts", "import", paths["accounts"])
    assert accounts.exit_code == 0 and "imported 85 accounts" in accounts.stdout
    listed = json.loads(run("accounts", "list", "--json").stdout)
    assert listed[0]["sector"] and isinstance(listed[0]["employees"], float)
    assert "(unchanged)" in run("accounts", "import", paths["accounts"]).stdout

    review = json.loads(run("pipeline", "--team", "Wren Talbot", "--format", "json").stdout)
    assert review["as_of"] == LATEST.isoformat()  # an old export is reviewed as of its own latest date, and says so
    notes = "\n".join(review["notes"])
    assert f"Reviewed as of {LATEST.isoformat()}" in notes
    assert "Stage order: Prospecting > Engaging (data:" in notes
    assert "Coverage target:" in notes and "(data: 1 / the team's" in notes
    team = review["team"]["metrics"]
    assert set(team["open_by_stage"]) == {"Prospecting", "Engaging"} and list(team["conversion"]) == ["prospecting->engaging", "engaging->won"]
    text = run("pipeline", "--team", "Wren Talbot").stdout
    assert "## Notes" in text and "won $" in text
    no_account = next(d for d in open_deals if d["account"] is None)
    assert run("deals", "show", no_account["id"]).exit_code == 0


def test_reimport_updates_never_duplicates_and_marks_vanished_deals(run, tmp_path):
    first = write_opportunity_tables(tmp_path, rows=400)["deals"]
    assert run("deals", "import", first).exit_code == 0
    before = {d["id"]: d for d in deals(run)}
    opening = [i for i, d in before.items() if d["status"] == "open"][:3]
    write_opportunity_tables(tmp_path, rows=400, drop=5, stage_of={i: "Won" for i in opening})
    result = run("deals", "import", first)
    assert result.exit_code == 0, result.output
    assert "imported 395 deals" in result.stdout and "3 updated" in result.stdout
    assert "5 deals no longer in this export, marked missing" in result.stdout
    after = {d["id"]: d for d in deals(run)}
    assert len(after) == 400  # nothing duplicated, nothing deleted
    missing = [d for d in after.values() if d["missing_since"]]
    assert len(missing) == 5 and all(d["missing_since"] == date.today().isoformat() for d in missing)
    assert all(after[i]["status"] == "won" for i in opening)
    review = json.loads(run("pipeline", "--team", "--format", "json").stdout)
    assert review["team"]["metrics"]["missing_from_export"] == 5
    assert sum(v["count"] for v in review["team"]["metrics"]["open_by_stage"].values()) == sum(
        1 for d in after.values() if d["status"] == "open" and not d["missing_since"])
    write_opportunity_tables(tmp_path, rows=400)
    assert run("deals", "import", first).exit_code == 0
    assert not any(d["missing_since"] for d in deals(run))  # back in the export: no longer missing


def test_european_export_with_bom_crlf_semicolons_quotes_and_unusable_rows(run, tmp_path):
    path = tmp_path / "hubspot-export.csv"
    info = write_european_export(path)
    result = run("deals", "import", path)
    assert result.exit_code == 0, result.output
    expected, bad = info["expected"], info["bad"]
    assert f"imported {len(expected)} deals" in result.stdout and f"{len(bad)} rows skipped" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: skipped line")]
    assert [int(line.split()[3].rstrip(":")) for line in warnings] == bad[:20]
    assert f"... and {len(bad) - 20} more rows skipped" in result.stderr
    assert "stage 'Parked'" in result.stderr and "--stages" in result.stderr
    assert "dates read day-first" in result.stderr and "decimal comma" in result.stderr
    stored = {d["id"]: d for d in deals(run)}
    assert set(stored) == set(expected)
    for record, row in expected.items():
        deal = stored[record]
        assert deal["amount"] == pytest.approx(row["amount"]) and deal["currency"] == "EUR"
        assert (deal["created"], deal["close_date"]) == (row["created"].isoformat(), row["close_date"].isoformat())
        assert deal["status"] == {"closedwon": "won", "closedlost": "lost", "Closed - No Decision": "lost"}.get(row["stage"], "open")
    assert info["quoted"] in {d["notes"] for d in stored.values()}  # RFC 4180: doubled quotes and the quoted newline intact
    assert "€" in run("pipeline", "--team", "--format", "md").stdout

    again = run("deals", "import", path, "--stages", "Parked=lost")
    assert again.exit_code == 0 and "stage 'Parked'" not in again.stderr
    assert all(d["status"] == "lost" for d in deals(run) if d["stage"] == "Parked")


def test_strict_imports_nothing_and_bad_options_are_one_line(run, tmp_path):
    good = write_opportunity_tables(tmp_path, rows=50)["deals"]
    assert run("deals", "import", good).exit_code == 0
    path = tmp_path / "eu.csv"
    write_european_export(path, rows=100, bad=3)
    strict = run("deals", "import", path, "--strict")
    assert strict.exit_code == 1 and strict.stderr.startswith("error: eu.csv: --strict: nothing imported")
    assert len(deals(run)) == 50
    for args, message in ((["--stages", "Parked"], "is not STAGE=open"), (["--decimal", ";"], "--decimal"),
                          (["--map", "id=Nope"], "no such column")):
        result = run("deals", "import", path, *args)
        assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output, args
        assert len(result.stderr.strip().splitlines()) == 1
    empty = tmp_path / "empty.csv"
    empty.write_text("Record ID;Deal Stage\r\n;Won\r\n", encoding="utf-8")
    result = run("deals", "import", empty)
    assert result.exit_code == 1 and "nothing to import: line 2: no id" in result.stderr


def test_dates_and_decimal_marks_are_decided_per_file():
    us = "id,stage,amount,close date\nA,Won,\"$12,500.00\",03/01/2024\nB,Won,1.200,04/02/2024\nC,Won,\"1,200\",04/02/2024\n"
    table = read_crm_table("us.csv", us, ".csv")
    assert [r["close_date"] for r in table.rows] == [date(2024, 3, 1), date(2024, 4, 2), date(2024, 4, 2)]
    assert [r["amount"] for r in table.rows] == [12500.0, 1.2, 1200.0]  # the file writes a decimal point: 1.200 is 1.2
    assert any("month-first" in note for note in table.notes) and table.currency == "USD"
    eu = "id,stage,amount,close date\nA,Won,\"12,50\",03/01/2024\nB,Won,1.200,25/02/2024\nC,Won,12.50,01/02/2024\n"
    table = read_crm_table("eu.csv", eu, ".csv")
    rows = {r["id"]: r for r in table.rows}
    assert rows["A"]["close_date"] == date(2024, 1, 3)  # one day over 12 decides for the whole file
    assert (rows["A"]["amount"], rows["B"]["amount"]) == (12.5, 1200.0)
    assert "C" not in rows and "does not fit the column's decimal comma" in table.skipped[0][1]
    forced = read_crm_table("us.csv", us, ".csv", options=ReadOptions(dayfirst=True))
    assert forced.rows[0]["close_date"] == date(2024, 1, 3)
    mixed = "id,stage,created,amount\nX,Engaging,2024-03-01T10:22:00Z,12500 CHF\nY,Engaging,45352,€ 1.200\n"
    rows = read_crm_table("mixed.csv", mixed, ".csv").rows
    assert [r["created"] for r in rows] == [date(2024, 3, 1), date(2024, 3, 1)]
    assert [(r["amount"], r["currency"]) for r in rows] == [(12500.0, "CHF"), (1200.0, "EUR")]


@pytest.mark.parametrize("text, value", [("$12,500.00", 12500.0), ("12.500,00 €", 12500.0), ("€ 1.200", 1200.0), ("1,5", 1.5),
                                         ("12,50", 12.5), ("1.200.000", 1_200_000.0), ("(300)", -300.0), ("CHF 1'200.50", 1200.5)])
def test_amount_strings(text, value):
    assert parse_amount(text) == value


def test_money_prints_the_amounts_currency():
    assert (money(12500, "USD"), money(12500, "EUR"), money(1200, "CHF"), money(-5, "GBP"), money(7, None), money(None, "EUR")) == (
        "$12,500", "€12,500", "1,200 CHF", "-£5", "7", "unknown")


def test_failed_import_writes_nothing(run, tmp_path, monkeypatch):
    from coachgen.records import Records

    path = write_opportunity_tables(tmp_path, rows=60)["deals"]
    assert run("deals", "import", path).exit_code == 0
    before = deals(run)
    write_opportunity_tables(tmp_path, rows=60, drop=10)

    def explode(*args, **kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(Records, "mark_missing", explode)
    result = run("deals", "import", path)
    assert result.exit_code != 0
    assert deals(run) == before


def test_unusable_only_rows_and_json_records_name_their_place():
    with pytest.raises(InputError, match=r"^x.json: nothing to import: record 1: no id"):
        read_crm_table("x.json", json.dumps([{"id": "", "stage": "Won"}]), ".json")
    table = read_crm_table("x.json", json.dumps([{"id": 7, "stage": "Won", "amount": 12.5}, {"stage": "Lost"}]), ".json", kind="deals")
    assert table.rows[0]["id"] == "7" and table.skipped == ((2, "record 2: no id (column 'id' is empty)"),)


@pytest.mark.skipif(not (NORTHWIND / "opportunities.csv").exists(), reason="second corpus not present")
def test_second_corpus_exports_import_and_review(run):
    result = run("deals", "import", NORTHWIND / "opportunities.csv")
    assert result.exit_code == 0, result.output
    assert "imported" in result.stdout and "Traceback" not in result.output
    assert run("reps", "import", NORTHWIND / "owners.csv").exit_code == 0
    assert run("accounts", "import", NORTHWIND / "companies.csv").exit_code == 0
    review = run("pipeline", "--team", "--format", "json")
    assert review.exit_code == 0, review.output
    data = json.loads(review.stdout)
    assert data["team"]["metrics"]["won_count"] > 0 and data["notes"]
    assert run("pipeline", "--team").exit_code == 0
