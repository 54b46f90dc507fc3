"""``coachgen products``: import and list the products table (price list) of a CRM export."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from coachgen.cli.common import open_kb, out, print_json
from coachgen.cli.deals import ENCODING_HELP, MAP_HELP, STRICT_HELP, import_records

app = typer.Typer(help="Import and list products.", no_args_is_help=True)


@app.command("import")
def import_products(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV or JSON products table: product, series or family, price, SKU..."),
    mapping: Optional[str] = typer.Option(None, "--map", help=MAP_HELP),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
    encoding: Optional[str] = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """Import products (upserted by name; rows without a name are skipped and listed); prices are read like deal amounts."""
    import_records(ctx, file, "products", mapping, strict=strict, encoding=encoding)


@app.command("list")
def list_products(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """List products with series, price and SKU."""
    from rich.markup import escape
    from rich.table import Table

    from coachgen.artifacts.common import money

    products = open_kb(ctx).records.products()
    if as_json:
        print_json(products)
        return
    table = Table("product", "series", "price", "sku")
    for product in products:
        value = product["price"]
        price = "-" if value is None else money(value, product["currency"], places=0 if float(value).is_integer() else 2)
        table.add_row(*map(escape, (product["product"], product["series"] or "-", price, product["sku"] or "-")))
    out().print(table)
