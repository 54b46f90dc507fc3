"""A products table (price list) imports like the accounts table: detected by its headers, upserted by name, backed up.

The tables are generated here in the two header styles real exports use: ``product, series, sales_price`` and
``Product Name, Product Family, List Price, SKU``.
"""

import csv
import json
from pathlib import Path

import pytest
from crm_exports import PRODUCTS
from typer.testing import CliRunner

from coachgen.cli import app
from coachgen.ingest.crm import read_crm_table


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("COACHGEN_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def write_table(path: Path, header: list[str], rows: list[list[str]], **options: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, **options)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def price_list(folder: Path) -> Path:
    """``product, series, sales_price``: whole prices in the default currency."""
    rows = [[name, name.split()[0], str(500 + 1000 * i)] for i, name in enumerate(PRODUCTS)]
    return write_table(folder / "products.csv", ["product", "series", "sales_price"], rows)


def catalogue(folder: Path) -> Path:
    """``Product Name, Product Family, List Price, SKU``: euro prices with a decimal comma, semicolon-separated, one row unnamed."""
    rows = [[name, "Ledgerline", f"{1200 + i},50 €", f"LL-{i}"] for i, name in enumerate(PRODUCTS)]
    rows.insert(2, ["", "Ledgerline", "99,00 €", "LL-X"])
    return write_table(folder / "catalogue.csv", ["Product Name", "Product Family", "List Price", "SKU"], rows, delimiter=";")


def products(run) -> list[dict]:
    listed = run("products", "list", "--json")
    assert listed.exit_code == 0, listed.output
    return json.loads(listed.stdout)


def test_both_header_styles_are_a_products_table_not_deals(tmp_path):
    for path in (price_list(tmp_path), catalogue(tmp_path)):
        table = read_crm_table(path.name, path.read_text(encoding="utf-8"), ".csv")
        assert table.kind == "products" and len(table.rows) == len(PRODUCTS)
        assert set(table.columns) == ({"product", "series", "price"} | ({"sku"} if "SKU" in table.columns.values() else set()))
    deals = "opportunity_id,sales_agent,product,account,close_value\nO1,Ann,Ledgerline Pro,Acme,1054\n"
    assert read_crm_table("deals.csv", deals, ".csv").kind == "deals"  # deals that name their product stay deals


def test_import_and_list_both_header_styles(run, tmp_path):
    result = run("products", "import", price_list(tmp_path))
    assert result.exit_code == 0, result.output
    assert f"imported {len(PRODUCTS)} products from products.csv ({len(PRODUCTS)} added, 0 updated, 0 unchanged); 0 rows skipped" in result.stdout
    first = {row["product"]: row for row in products(run)}
    assert first[PRODUCTS[1]]["series"] == PRODUCTS[1].split()[0]
    assert (first[PRODUCTS[1]]["price"], first[PRODUCTS[1]]["currency"], first[PRODUCTS[1]]["sku"]) == (1500.0, "USD", None)

    result = run("products", "import", catalogue(tmp_path))
    assert result.exit_code == 0, result.output
    assert f"(0 added, {len(PRODUCTS)} updated, 0 unchanged); 1 rows skipped" in result.stdout
    assert "skipped line 4: no product (column 'Product Name' is empty)" in result.stderr
    second = {row["product"]: row for row in products(run)}
    assert list(second) == list(first)  # updated, not duplicated
    assert (second[PRODUCTS[1]]["price"], second[PRODUCTS[1]]["currency"], second[PRODUCTS[1]]["sku"]) == (1201.5, "EUR", "LL-1")
    table = run("products", "list")
    assert table.exit_code == 0 and "€1,201.50" in table.stdout and "LL-1" in table.stdout


def test_reimport_matches_names_without_case_and_reports_unchanged(run, tmp_path):
    path = price_list(tmp_path)
    assert run("products", "import", path).exit_code == 0
    assert "(unchanged)" in run("products", "import", path).stdout
    shouted = write_table(tmp_path / "shouted.csv", ["PRODUCT", "SERIES", "SALES_PRICE"], [[PRODUCTS[0].upper(), "Ledgerline", "450"]])
    result = run("products", "import", shouted)
    assert "(0 added, 1 updated, 0 unchanged)" in result.stdout, result.output
    stored = products(run)
    assert len(stored) == len(PRODUCTS)
    assert next(row for row in stored if row["product"] == PRODUCTS[0])["price"] == 450.0  # keeps the spelling first stored


def test_strict_imports_nothing_when_a_row_has_no_name(run, tmp_path):
    result = run("products", "import", catalogue(tmp_path), "--strict")
    assert result.exit_code == 1 and "line 4: no product" in result.stderr
    assert products(run) == []


def test_map_names_an_unrecognised_column(run, tmp_path):
    path = write_table(tmp_path / "items.csv", ["Offering", "Tier", "Cost"], [["Ledgerline Cloud", "Cloud", "300"]])
    result = run("products", "import", path, "--map", "product=Offering,series=Tier,price=Cost")
    assert result.exit_code == 0, result.output
    assert [(row["product"], row["series"], row["price"]) for row in products(run)] == [("Ledgerline Cloud", "Cloud", 300.0)]


def test_products_travel_in_kb_export_and_import(run, tmp_path, monkeypatch):
    assert run("products", "import", catalogue(tmp_path)).exit_code == 0
    before = products(run)
    backup = tmp_path / "backup.jsonl"
    assert run("kb", "export", backup).exit_code == 0
    assert sum(json.loads(line)["type"] == "product" for line in backup.read_text().splitlines()) == len(PRODUCTS)
    monkeypatch.setenv("COACHGEN_HOME", str(tmp_path / "restored"))
    result = run("kb", "import", backup)
    assert result.exit_code == 0, result.output
    assert [{**row, "source": None} for row in products(run)] == [{**row, "source": None} for row in before]
    assert json.loads(run("kb", "stats", "--json").stdout)["products"] == len(PRODUCTS)
