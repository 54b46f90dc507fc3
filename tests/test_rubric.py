"""Rubrics as data: the bundled default, validation with one-line errors, storage through ingest."""

import pytest
import yaml

from coachgen.errors import InputError
from coachgen.ingest.frontmatter import load_yaml
from coachgen.lint import lint_paths
from coachgen.rubric import parse_rubric
from conftest import KNOWLEDGE, write

DEFAULT = KNOWLEDGE / "rubrics" / "objection-handling.yaml"


def default_data():
    return yaml.safe_load(DEFAULT.read_text())


def test_the_bundled_rubric_has_the_five_criteria_and_blockers():
    rubric = parse_rubric(default_data(), "rubrics/objection-handling.yaml")
    assert [c.id for c in rubric.criteria] == ["acknowledge", "explore", "respond", "confirm", "next_step"]
    assert abs(sum(rubric.weights().values()) - 1) < 1e-9
    assert {b.id for b in rubric.blockers} == {"unearned-discount", "attacks-competitor", "overpromise"}
    assert rubric.pass_mark == 3.0 and len(rubric.sha256) == 12
    assert parse_rubric(default_data(), "x").sha256 == rubric.sha256
    changed = default_data()
    changed["criteria"][0]["weight"] = 0.3
    assert parse_rubric(changed, "x").sha256 != rubric.sha256


def test_blockers_respect_unless():
    rubric = parse_rubric(default_data(), "x")
    discount = next(b for b in rubric.blockers if b.id == "unearned-discount")
    assert discount.matches("I can give you a 10% discount.")
    assert not discount.matches("I can offer a discount in return for a three-year term.")
    assert not discount.matches("Let's compare against the lower price they quoted.")


@pytest.mark.parametrize("change, message", [
    (lambda d: d["criteria"][0]["levels"].pop(3), "criteria.0.levels: levels must describe each of 1, 2, 3, 4 and 5"),
    (lambda d: d["criteria"][1].update(check="vibes"), "criteria.1.check: unknown check 'vibes'"),
    (lambda d: d["criteria"][1].update(weight=0), "criteria.1.weight: Input should be greater than 0"),
    (lambda d: d["blockers"][0]["patterns"].append("(unclosed"), "blockers.0.patterns: bad regular expression '(unclosed'"),
    (lambda d: d["criteria"].append(dict(d["criteria"][0])), "duplicate criterion id(s) acknowledge"),
    (lambda d: d.update(pass_mark=7), "pass_mark: Input should be less than or equal to 5"),
    (lambda d: d.update(colour="red"), "unknown rubric field(s) colour"),
    (lambda d: d.pop("version"), "version: Field required"),
])
def test_bad_rubrics_fail_with_one_line_naming_the_file(change, message):
    data = default_data()
    change(data)
    with pytest.raises(InputError) as caught:
        parse_rubric(data, "rubrics/team.yaml")
    text = str(caught.value)
    assert text.startswith("rubrics/team.yaml: ") and message in text and "\n" not in text


def test_ingest_stores_rubrics_and_keeps_the_old_one_when_an_edit_is_bad(kb, tmp_path):
    folder = tmp_path / "kb"
    path = write(folder / "rubrics" / "team.yaml", DEFAULT.read_text().replace('version: "1.1"', 'version: "2.0"'))
    report = kb.ingest([folder])
    assert report.rubrics == 1 and not report.errors
    assert '"version":"2.0"' in kb.records.rubric("objection-handling")
    path.write_text(DEFAULT.read_text().replace("pass_mark: 3.0", "pass_mark: nine"))
    report = kb.ingest([folder])
    assert report.errors == ["rubrics/team.yaml: invalid rubric: pass_mark: Input should be a valid number, unable to parse string as a number"]
    assert '"version":"2.0"' in kb.records.rubric("objection-handling")
    path.unlink()
    kb.ingest([folder], prune=True)
    assert kb.records.rubric("objection-handling") is None


def test_lint_reports_a_broken_rubric(tmp_path, kb):
    folder = tmp_path / "kb"
    write(folder / "rubric.yaml", "kind: rubric\nid: x\ntitle: X\nversion: 1\npass_mark: 3\ncriteria: []\n")
    problems = lint_paths([folder], kb.settings)
    assert [(p.source, p.severity, p.message) for p in problems] == [
        ("rubric.yaml", "error", "invalid rubric: criteria: List should have at least 1 item after validation, not 0")]
    write(folder / "rubric.yaml", DEFAULT.read_text().replace("owner: Sales Enablement (Priya Raman)\n", ""))
    assert [p.message for p in lint_paths([folder], kb.settings)] == ["rubric is missing field(s): owner"]


def test_yaml_that_is_not_a_rubric_is_still_an_objection_library():
    assert load_yaml("kind: rubric\n", "x") == {"kind": "rubric"}
    with pytest.raises(InputError, match="a rubric must be a mapping"):
        parse_rubric(["a"], "x.yaml")


def test_lint_warns_when_a_blocker_misses_its_examples(tmp_path, kb):
    folder = tmp_path / "kb"
    text = DEFAULT.read_text().replace("      - There is a discount for paying the year upfront.\n",
                                       "      - There is a discount for paying the year upfront.\n      - I can give you a 20% discount.\n")
    text = text.replace("      - I'll throw in the first three months for free.\n", "      - Have it for a song, friend.\n")
    write(folder / "rubric.yaml", text)
    assert sorted(p.message for p in lint_paths([folder], kb.settings)) == [
        "blocker 'unearned-discount': its patterns catch the counterexample \"I can give you a 20% discount.\"",
        "blocker 'unearned-discount': its patterns miss the example \"Have it for a song, friend.\""]
