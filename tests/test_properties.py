"""Property-based tests: every loader and CLI argument either works or fails with one typed, one-line error."""

import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from coachgen.cli import app
from coachgen.errors import InputError
from coachgen.ingest.crm import read_crm_table
from coachgen.ingest.markdown import load_markdown
from coachgen.ingest.objections import load_objection_library

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FIELDS = ["kind", "title", "owner", "reviewed", "expires", "review_every", "tags", "stages", "personas", "skills", "other"]
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.text(max_size=20), st.dates().map(str),
                   st.lists(st.text(max_size=8), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


def one_line(error: Exception) -> bool:
    return str(error) != "" and "\n" not in str(error)


@FAST
@given(st.text(max_size=400))
def test_markdown_with_any_text(text):
    try:
        document, _ = load_markdown("any.md", text)
        assert document.title
    except InputError as error:
        assert one_line(error) and str(error).startswith("any.md: ")


@FAST
@given(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6), st.text(alphabet=string.ascii_letters + " \n#", min_size=1, max_size=80))
def test_front_matter_with_any_fields(fields, body):
    import yaml

    text = f"---\n{yaml.safe_dump(fields, default_flow_style=True)}---\n# Title\n{body}\n"
    try:
        load_markdown("f.md", text)
    except InputError as error:
        assert one_line(error)


@FAST
@given(st.one_of(st.text(max_size=300), st.lists(st.dictionaries(st.sampled_from(["objection", "response", "tags", "stage", "id", "x"]), VALUES, max_size=4), max_size=4).map(json.dumps)))
def test_objection_libraries_with_any_content(text):
    try:
        load_objection_library("lib.yaml", text)
    except InputError as error:
        assert one_line(error)


CSV_CELL = st.text(alphabet=string.printable, max_size=12)


@FAST
@given(st.lists(st.lists(CSV_CELL, min_size=1, max_size=5), min_size=1, max_size=6), st.sampled_from([",", ";", "\t"]))
def test_csv_exports_with_any_cells(rows, delimiter):
    text = "\n".join(delimiter.join(row) for row in rows)
    try:
        read_crm_table("export.csv", text, ".csv")
    except InputError as error:
        assert one_line(error)


@FAST
@given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
                    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.sampled_from(["id", "account", "stage", "rep", "amount", "close date", "x"]), children, max_size=5)),
                    max_leaves=12))
def test_json_exports_with_any_structure(data):
    try:
        read_crm_table("export.json", json.dumps(data), ".json")
    except InputError as error:
        assert one_line(error)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=string.printable, max_size=15), max_size=4))
def test_cli_arguments_never_end_in_a_traceback(words):
    for command in (["kb", "search"], ["deals", "show"], ["pipeline"], ["kb", "lint"], ["coach", "log"]):
        result = CliRunner().invoke(app, [*command, *words])
        assert result.exit_code in (0, 1, 2), result.output
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
