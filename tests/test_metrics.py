"""Pipeline math against hand-computed values, edge cases, and a CRM export of the opportunity-table shape."""

import json
from datetime import date

import pytest
from crm_fixture import write_opportunity_export
from typer.testing import CliRunner

from coachgen.cli import app
from coachgen.metrics import conversion, period_of, rep_metrics, stuck_deals

AS_OF = date(2026, 11, 20)  # Q4 2026 runs 2026-10-01 .. 2026-12-31


def deal(id, stage, status, amount=None, created=None, close=None, changed=None, activity=None, account="Acme"):
    return {"id": id, "account": account, "stage": stage, "status": status, "amount": amount, "created": created,
            "close_date": close, "stage_changed": changed, "last_activity": activity}


DEALS = [
    deal("W1", "Closed Won", "won", 100.0, "2026-08-01", "2026-10-10"),   # won in Q4, cycle 70 days
    deal("W2", "Closed Won", "won", 300.0, "2026-09-01", "2026-11-01"),   # won in Q4, cycle 61 days
    deal("W0", "Closed Won", "won", 50.0, "2026-05-01", "2026-07-15"),    # won in Q3 (previous period)
    deal("L1", "Closed Lost", "lost", 80.0, "2026-08-01", "2026-10-20"),  # lost in Q4
    deal("F1", "Closed Won", "won", 999.0, "2026-10-01", "2026-11-30"),   # closes after as_of: not counted
    deal("O1", "Discovery", "open", 200.0, "2026-10-01", "2026-12-15", "2026-10-01", "2026-11-18"),  # 50 days in discovery: stuck
    deal("O2", "Proposal", "open", 400.0, "2026-09-01", "2026-12-01", "2026-11-01", "2026-11-01"),   # 19 days quiet: stuck
    deal("O3", "Negotiation", "open", None, "2026-09-01", "2027-02-01", "2026-11-10", "2026-11-19"),  # next quarter, no amount
]


def test_periods():
    assert period_of(AS_OF) .label == "2026-Q4" and period_of(AS_OF).start == date(2026, 10, 1) and period_of(AS_OF).end == date(2026, 12, 31)
    assert period_of(date(2026, 3, 31), "month").end == date(2026, 3, 31) and period_of(date(2026, 12, 5), "month").label == "2026-12"
    assert period_of(date(2026, 1, 15)).previous().label == "2025-Q4"


def test_hand_computed_rep_figures():
    m = rep_metrics("Ann", DEALS, annual_quota=4000.0, as_of=AS_OF)
    assert (m.won_count, m.lost_count, m.won_amount) == (2, 1, 400.0)
    assert m.win_rate == pytest.approx(2 / 3)
    assert m.median_cycle_days == 65.5 and m.average_deal_size == 200.0
    assert m.quota_period == 1000.0 and m.remaining_quota == 600.0
    assert m.pipeline_in_period == 600.0 and m.coverage == pytest.approx(1.0)
    assert m.needed_pipeline == pytest.approx(900.0) and m.pipeline_gap == pytest.approx(300.0)
    assert m.open_amount == 600.0 and m.missing_amounts == 1
    assert list(m.open_by_stage) == ["Discovery", "Proposal", "Negotiation"]
    assert [s.id for s in m.stuck] == ["O2", "O1"]
    assert m.previous == {"period": "2026-Q3", "won_count": 1, "lost_count": 0, "won_amount": 50.0, "win_rate": 1.0,
                          "median_cycle_days": 75.0, "average_deal_size": 50.0}


def test_conversion_from_current_stages():
    # present open stages: discovery, proposal, negotiation; reached: W1 W2 W0 F1 all, L1 first only
    rates = conversion(DEALS)
    # discovery: O1 O2 O3 + 4 won + 1 lost = 8; proposal: O2 O3 + 4 won = 6; negotiation: O3 + 4 won = 5; won 4
    assert rates == {"discovery->proposal": 6 / 8, "proposal->negotiation": 5 / 6, "negotiation->won": 4 / 5}


def test_stuck_rules_and_thresholds():
    stuck = {s.id: s for s in stuck_deals(DEALS, AS_OF)}
    assert stuck["O1"].reason == "50 days in Discovery (limit 30)"
    assert stuck["O2"].reason == "no activity for 19 days"
    assert "O3" not in stuck
    assert {s.id for s in stuck_deals(DEALS, AS_OF, stuck_days={"discovery": 60}, activity_days=30)} == set()


def test_edge_cases_no_closed_deals_zero_quota_no_dates():
    bare = [deal("X", "Discovery", "open", 10.0), deal("Y", "Closed Won", "won", 5.0)]  # no dates at all
    m = rep_metrics("Bo", bare, annual_quota=0, as_of=AS_OF)
    assert (m.won_count, m.win_rate, m.median_cycle_days, m.average_deal_size) == (0, None, None, None)
    assert (m.quota_period, m.coverage, m.needed_pipeline, m.pipeline_in_period) == (None, None, None, 0.0)
    assert m.stuck == []
    empty = rep_metrics("Cy", [], annual_quota=1200.0, as_of=AS_OF)
    assert (empty.remaining_quota, empty.coverage, empty.conversion) == (300.0, 0.0, {})


def test_opportunity_table_export_with_thousands_of_rows(tmp_path):
    write_opportunity_export(tmp_path)
    runner = CliRunner()
    imported = runner.invoke(app, ["deals", "import", str(tmp_path / "sales_pipeline.csv"),
                                   "--map", "id=opportunity_id,rep=sales_agent,stage=deal_stage,created=engage_date,amount=close_value"])
    assert imported.exit_code == 0, imported.output
    assert "imported 3000 deals" in imported.stdout
    assert runner.invoke(app, ["reps", "import", str(tmp_path / "sales_teams.csv")]).exit_code == 0
    result = runner.invoke(app, ["pipeline", "--team", "Manager East", "--as-of", "2026-11-20", "--format", "json"])
    assert result.exit_code == 0, result.output
    review = json.loads(result.stdout)
    assert [r["rep"] for r in review["reps"]] == [f"Agent {i:02d}" for i in range(6)]
    team = review["team"]["metrics"]
    assert team["won_count"] == sum(r["metrics"]["won_count"] for r in review["reps"]) > 0
    assert team["quota_period"] is None and "Quota unknown" in review["team"]["reading"][0]
    for rep in review["reps"]:
        m = rep["metrics"]
        if m["won_count"] + m["lost_count"]:
            assert m["win_rate"] == pytest.approx(m["won_count"] / (m["won_count"] + m["lost_count"]))
    single = json.loads(runner.invoke(app, ["pipeline", "Agent 03", "--as-of", "2026-11-20", "--period", "month", "--format", "json"]).stdout)
    assert single["period"] == "2026-11" and single["team"] is None


def test_pipeline_cli_errors(tmp_path):
    runner = CliRunner()
    assert "give a REP" in runner.invoke(app, ["pipeline"]).stderr
    assert "not a date" in runner.invoke(app, ["pipeline", "X", "--as-of", "yesterday"]).stderr
    assert "no rep 'Nobody'" in runner.invoke(app, ["pipeline", "Nobody"]).stderr
    assert "quarter or month" in runner.invoke(app, ["pipeline", "X", "--period", "year"]).stderr


def test_stuck_limits_are_configurable(tmp_path, monkeypatch):
    from coachgen.errors import ConfigError
    from coachgen.settings import load_settings

    settings = load_settings(home=tmp_path, stuck_days="Discovery=60, demo=7", activity_days=30)
    assert settings.stuck_limits() == {"discovery": 60, "demo": 7}
    assert {s.id for s in stuck_deals(DEALS, AS_OF, settings.stuck_limits(), settings.activity_days)} == set()
    with pytest.raises(ConfigError, match="stage=days"):
        load_settings(home=tmp_path, stuck_days="discovery").stuck_limits()
