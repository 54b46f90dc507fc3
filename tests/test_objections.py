import pytest

from coachgen.errors import InputError
from coachgen.ingest.objections import load_objection_library

LIBRARY = """
title: Core objections
owner: Enablement
reviewed: 2026-02-01
tags: [core]
objections:
  - objection: It's too expensive.
    response: Ask what they compare it with.
    tags: [pricing]
    stage: proposal
  - id: timing
    objection: Call me next quarter.
    response: Ask what changes next quarter.
    category: timing
"""


def test_each_entry_is_a_document_with_header_fields():
    documents = load_objection_library("objections.yaml", LIBRARY)
    assert [d.key for d in documents] == ["objections.yaml#it-s-too-expensive", "objections.yaml#timing"]
    first, second = documents
    assert first.kind == "objection" and first.owner == "Enablement"
    assert first.tags == ("core", "pricing") and first.stages == ("proposal",)
    assert second.tags == ("core", "timing")
    assert "**Response:** Ask what changes next quarter." in second.body
    assert first.extra["objection"] == "It's too expensive."


def test_a_bare_list_is_a_library_too():
    documents = load_objection_library("o.yml", "- objection: No budget\n  response: Ask who owns the budget.\n")
    assert len(documents) == 1 and documents[0].title == "Objection library"


@pytest.mark.parametrize(
    "text, message",
    [
        ("objections: []", "no entries"),
        ("- objection: x", "'response' must be non-empty"),
        ("- objection: x\n  response: y\n  colour: red", "unknown field(s) colour"),
        ("- just text", "must be a mapping"),
        ("name: not a library", "not an objection library"),
        ("- objection: [a\n", "invalid YAML"),
        ("- {objection: a, response: b}\n- {objection: a, response: c}", "duplicate objection entries"),
    ],
)
def test_bad_libraries_fail_with_the_file_named(text, message):
    with pytest.raises(InputError) as error:
        load_objection_library("lib.yaml", text)
    assert str(error.value).startswith("lib.yaml")
    assert message in str(error.value)
