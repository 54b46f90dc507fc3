"""Process facts come from the team: stage records, else settings, else the data, else a labelled default; each says where from."""

from datetime import date, timedelta

from coachgen.knowledge.records import Provenance, Stage
from coachgen.metrics import conversion
from coachgen.process import call_type_for, resolve_process, review_date
from coachgen.settings import load_settings

AS_OF = date(2025, 6, 30)


def deal(id, stage, status="open", created=None, activity=None, amount=100.0):
    return {"id": id, "account": None, "name": None, "stage": stage, "status": status, "amount": amount, "created": created,
            "close_date": None, "stage_changed": None, "last_activity": activity, "currency": "EUR"}


def stage(text, order=None, stuck_days=None, call_type=None):
    return Stage(text=text, order=order, stuck_days=stuck_days, call_type=call_type,
                 provenance=Provenance(file="process.md", doc_key="process.md", found_by="section"))


def team_data():
    """Open deals whose ages say 'Intake' comes before 'Shaping' before 'Signing' (names no vocabulary knows)."""
    deals = []
    for i in range(12):
        deals.append(deal(f"I{i}", "Intake", created=(AS_OF - timedelta(days=5 + i)).isoformat(), activity=(AS_OF - timedelta(days=i)).isoformat()))
        deals.append(deal(f"S{i}", "Shaping", created=(AS_OF - timedelta(days=40 + 2 * i)).isoformat()))
        deals.append(deal(f"G{i}", "Signing", created=(AS_OF - timedelta(days=90 + 3 * i)).isoformat()))
    deals += [deal(f"W{i}", "Won", "won") for i in range(10)] + [deal(f"L{i}", "Lost", "lost") for i in range(30)]
    return deals


def test_data_orders_unknown_stages_and_sets_thresholds_and_coverage():
    process = resolve_process(team_data(), as_of=AS_OF)
    assert process.order == ("intake", "shaping", "signing") and process.order_fact.source == "data"
    assert process.stuck["signing"].source == "data" and process.stuck["signing"].value > process.stuck["intake"].value
    assert process.activity.source == "data" and process.coverage.value == 4.0 and process.coverage.source == "data"
    assert process.unrecognised == ("intake", "shaping", "signing")
    notes = "\n".join(process.notes())
    assert "Stage 'Intake' is in no stage record" in notes and "Coverage target: 4.0x" in notes
    assert list(conversion(team_data(), process.order)) == ["intake->shaping", "shaping->signing", "signing->won"]


def test_stage_records_win_over_settings_and_data(tmp_path):
    records = [stage("Signing", 1, 7, "negotiation"), stage("Intake", 2, 3, "discovery"), stage("Shaping", 3)]
    settings = load_settings(home=tmp_path, stage_order="Shaping,Intake,Signing", stuck_days="Shaping=11", activity_days=9, coverage_target=2.5)
    process = resolve_process(team_data(), settings, records, AS_OF)
    assert process.order == ("signing", "intake", "shaping") and process.order_fact.source == "knowledge base"
    assert (process.stuck["signing"].value, process.stuck["signing"].source) == (7, "knowledge base")
    assert (process.stuck["shaping"].value, process.stuck["shaping"].source) == (11, "settings")
    assert (process.activity.value, process.coverage.value) == (9, 2.5)
    assert process.call_type("Signing") == "negotiation" and process.unrecognised == ()
    without = resolve_process(team_data(), settings, (), AS_OF)
    assert without.order == ("shaping", "intake", "signing") and without.order_fact.source == "settings"


def test_defaults_when_data_is_thin_and_unknown_stages_stay_in_conversion():
    deals = [deal("A", "Stage 3 - Proposal"), deal("B", "Discovery"), deal("C", "Holding pen"), deal("W", "Closed Won", "won")]
    process = resolve_process(deals, as_of=AS_OF)
    assert process.order == ("discovery", "stage 3 - proposal", "holding pen") and process.order_fact.source == "default"
    assert process.unrecognised == ("holding pen",)
    assert process.stuck_other.source == "default" and process.activity.source == "default" and process.coverage.source == "default"
    assert "holding pen->won" in conversion(deals, process.order)
    assert call_type_for("Stage 3 - Proposal").value == "proposal" and call_type_for("Holding pen").value == "check-in"


def test_review_date_moves_to_the_data_when_the_export_is_old():
    old = [deal("A", "Intake", created="2017-12-01"), {**deal("B", "Won", "won"), "close_date": "2017-12-31"}]
    day, note = review_date(old, today=date(2026, 11, 29))
    assert day == date(2017, 12, 31) and "latest date in the data" in note
    assert review_date(old, today=date(2018, 1, 10)) == (date(2018, 1, 10), None)
