import json
from datetime import date

import pytest

from coachgen.errors import InputError, MappingError
from coachgen.ingest.crm import (
    ReadOptions,
    deal_status,
    parse_amount,
    parse_date,
    parse_mapping,
    read_crm_table,
)

DEALS = """Deal ID,Account,Rep,Stage,Amount,Close Date,Notes,Favourite Colour
D1,Acme,Ann,Discovery,"$12,500.00",2026-12-31,CFO worried about price,blue
D2,Beta,Bob,Closed Won,5k,12/01/2026,,green
"""


def test_headers_are_matched_by_alias_and_values_converted():
    table = read_crm_table("deals.csv", DEALS, ".csv")
    assert table.kind == "deals"
    first, second = table.rows
    assert first["id"] == "D1" and first["amount"] == 12500.0 and first["close_date"] == date(2026, 12, 31)
    assert second["amount"] == 5000.0 and second["close_date"] == date(2026, 12, 1)
    assert (first["status"], second["status"]) == ("open", "won")
    assert table.ignored == ("Favourite Colour",)


def test_explicit_mapping_for_arbitrary_headers():
    text = "Ref,Client,Seller,Phase,Value\nX-1,Acme,Ann,Engaging,100\n"
    table = read_crm_table("x.csv", text, ".csv", parse_mapping("id=Ref,account=Client,rep=Seller,stage=Phase,amount=Value"))
    assert table.rows[0]["id"] == "X-1" and table.rows[0]["rep"] == "Ann" and table.rows[0]["amount"] == 100.0


def test_opportunity_table_shape_maps_with_aliases():
    text = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\nO1,Ann,GTX,Acme,Won,2026-01-02,2026-02-03,1054\n"
    row = read_crm_table("sales_pipeline.csv", text, ".csv").rows[0]
    assert (row["id"], row["rep"], row["stage"], row["status"], row["amount"]) == ("O1", "Ann", "Won", "won", 1054.0)
    assert row["created"] == date(2026, 1, 2)


def test_salesforce_and_hubspot_presets():
    sf = "Opportunity ID,Opportunity Name,Account Name,Opportunity Owner,Stage,Amount,Close Date,Description\n006A,Big deal,Acme,Ann,Closed Lost,10,2026-01-01,Lost on price\n"
    row = read_crm_table("sf.csv", sf, ".csv", preset="salesforce").rows[0]
    assert (row["id"], row["name"], row["rep"], row["status"], row["notes"]) == ("006A", "Big deal", "Ann", "lost", "Lost on price")
    hs = "Record ID,Deal Name,Associated Company,Deal owner,Deal Stage,Amount,Close Date\n99,Pilot,Beta,Bob,closedwon,7,2026-03-04\n"
    row = read_crm_table("hs.csv", hs, ".csv", preset="hubspot").rows[0]
    assert (row["id"], row["account"], row["rep"], row["status"]) == ("99", "Beta", "Bob", "won")


def test_rep_roster_is_detected():
    table = read_crm_table("team.csv", "sales_agent,manager,regional_office\nAnn,Sue,East\n", ".csv")
    assert table.kind == "reps"
    assert table.rows[0] == {"rep": "Ann", "manager": "Sue", "region": "East"}


def test_json_exports():
    data = {"deals": [{"id": "J1", "account": "Acme", "stage": "Demo", "amount": 10}]}
    table = read_crm_table("deals.json", json.dumps(data), ".json")
    assert table.rows[0]["amount"] == 10.0


@pytest.mark.parametrize(
    "text, kwargs, error, message",
    [
        ("Ref,Client\n1,2\n", {}, MappingError, "no column for"),
        ("id,account,stage\nD1,Acme,Open\n", {"mapping": {"rep": "Owner"}}, MappingError, "--map rep=Owner: no such column"),
        ('id,account,stage\nD1,"Acme,Open\n', {}, InputError, "malformed CSV"),
        ("id,account,stage\nD1,Acme\n", {}, InputError, "nothing to import: line 2: 2 fields, the header has 3"),
        ("id,account,stage,amount\nD1,Acme,Open,lots\n", {}, InputError, "line 2: column 'amount': 'lots' is not an amount"),
        ("id,account,stage,close date\nD1,Acme,Open,someday\n", {}, InputError, "'someday' is not a date"),
        ("id,account,stage\n", {}, InputError, "header but no rows"),
        ("id,account,stage\n,Acme,Open\n", {}, InputError, "line 2: no id (column 'id' is empty)"),
        ("id,account,stage\n1,Acme,Open\n2,\"Beta\"x,Open\n", {"options": ReadOptions(strict=True)}, InputError, "--strict: nothing imported"),
        ("id,id,stage\n1,2,3\n", {}, InputError, "empty or repeated column names"),
    ],
)
def test_bad_exports_give_one_line_naming_the_file(text, kwargs, error, message):
    with pytest.raises(error) as raised:
        read_crm_table("deals.csv", text, ".csv", **kwargs)
    assert str(raised.value).startswith("deals.csv")
    assert message in str(raised.value)


def test_bad_json_and_bad_mapping_specs():
    with pytest.raises(InputError, match="invalid JSON"):
        read_crm_table("d.json", "{nope", ".json")
    with pytest.raises(InputError, match="list of objects"):
        read_crm_table("d.json", "[1, 2]", ".json")
    with pytest.raises(MappingError, match="unknown field 'colour'"):
        parse_mapping("colour=Colour")
    with pytest.raises(MappingError, match="is not field=column"):
        parse_mapping("id")
    with pytest.raises(MappingError, match="unknown preset"):
        read_crm_table("d.csv", DEALS, ".csv", preset="pipedrive")


def test_value_parsers():
    assert parse_amount("EUR 1,200") == 1200.0 and parse_amount("2.5M") == 2_500_000 and parse_amount("") is None
    assert parse_date("2026-03-04T10:00:00Z") == date(2026, 3, 4) and parse_date("04.03.2026") == date(2026, 3, 4)
    assert deal_status("Closed Won") == "won" and deal_status("closedlost") == "lost" and deal_status("Engaging") == "open"
