"""The CLI through typer's CliRunner: exit codes, one-line errors, JSON output."""

import json

import pytest
from conftest import KNOWLEDGE, write
from typer.testing import CliRunner

from coachgen.cli import app


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(arg) for arg in args])

    return invoke


def test_help_lists_command_groups(run):
    result = run("--help")
    assert result.exit_code == 0
    for group in ("kb", "deals", "reps"):
        assert group in result.stdout


def test_ingest_search_list_show_stats(run, sample_copy):
    result = run("kb", "ingest", KNOWLEDGE)
    assert result.exit_code == 0, result.output
    assert "19 unchanged" in result.stdout and "0 added" in result.stdout
    result = run("kb", "search", "they said we cost way more than the other guys", "--k", "3", "--json")
    hits = json.loads(result.stdout)
    assert len(hits) == 3
    assert {"id", "source", "section", "score", "text"} <= set(hits[0])
    shown = run("kb", "show", hits[0]["id"][:8], "--json")
    assert json.loads(shown.stdout)["id"] == hits[0]["id"]
    listed = json.loads(run("kb", "list", "--kind", "training", "--json").stdout)
    assert len(listed) == 7 and all(row["kind"] == "training" for row in listed)
    stats = json.loads(run("kb", "stats", "--json").stdout)
    assert (stats["files"], stats["deals"], stats["reps"], stats["chunks"]) == (19, 44, 6, stats["vectors"])
    human = run("kb", "search", "what does champion mean")
    assert human.exit_code == 0 and "methodology/meddpicc.md" in human.stdout


def test_queries_file_prints_json_lines(run, sample_copy, tmp_path):
    queries = write(tmp_path / "q.txt", "who signs the contract\n\nthey want a free pilot\n")
    result = run("kb", "search", "--queries", queries, "--k", "2")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == ["who signs the contract", "they want a free pilot"]
    assert all(len(line["results"]) == 2 for line in lines)


def test_search_explain_shows_each_signal(run, sample_copy):
    human = run("kb", "search", "D-1006", "--k", "2", "--explain")
    assert human.exit_code == 0, human.output
    assert "why: dense" in human.stdout and "exact 2 x 1.00" in human.stdout
    assert "rare terms held: D-1006" in human.stdout and "lookup" in human.stdout
    hits = json.loads(run("kb", "search", "volume tiers", "--k", "3", "--explain", "--json").stdout)
    why = hits[0]["explain"]
    assert why["rank"] == 1 and why["score"] == hits[0]["score"]
    assert set(why["contributions"]) == {"dense", "lexical", "phrase", "exact"}
    assert abs(sum(why["contributions"].values()) - why["score"]) < 1e-5
    assert "explain" not in json.loads(run("kb", "search", "volume tiers", "--k", "1", "--json").stdout)[0]


def test_ingest_sample_flag_and_bad_files_exit_non_zero(run, tmp_path):
    result = run("kb", "ingest", "--sample", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files_ingested"] == 19
    write(tmp_path / "bad" / "broken.md", "---\nkind: nonsense\n---\n# x\ny\n")
    write(tmp_path / "bad" / "fine.md", "# Fine\n\nA fine document about discovery.\n")
    result = run("kb", "ingest", tmp_path / "bad")
    assert result.exit_code == 1
    assert "broken.md: front matter: unknown kind 'nonsense'" in result.stderr
    assert "1 ingested" in result.stdout and "1 failed" in result.stdout


def test_errors_are_one_line_without_traceback(run, tmp_path):
    result = run("kb", "show", "nope")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: no chunk with id 'nope'; ids are shown by 'coachgen kb search'"
    assert run("kb", "search").exit_code == 1
    assert "give either a QUERY" in run("kb", "search").stderr
    assert "give at least one PATH" in run("kb", "ingest").stderr
    assert "Traceback" not in run("deals", "show", "X").stderr
    long = run("deals", "show", "D" * 120)
    assert long.exit_code == 1 and len(long.stderr.strip().splitlines()) == 1


def test_remove_and_lint(run, tmp_path):
    folder = tmp_path / "kb"
    write(folder / "a.md", "---\nkind: playbook\n---\n# A\n\n## Empty\n\n## Full\nSome words that are long enough to count as a duplicate chunk.\n")
    write(folder / "b.md", "---\nkind: playbook\nowner: Ops\nreviewed: 2020-01-01\n---\n# B\n\nSome words that are long enough to count as a duplicate chunk.\n")
    write(folder / "c.md", "---\nkind: announcement\nowner: Ops\nreviewed: 2026-01-01\nexpires: 2026-02-01\n---\n# C\n\nOld promotion.\n")
    assert run("kb", "ingest", folder).exit_code == 0
    lint = run("kb", "lint", "--json")
    problems = json.loads(lint.stdout)
    assert lint.exit_code == 1
    messages = {(p["source"], p["message"].split(":")[0].split(" '")[0]) for p in problems}
    assert ("a.md", "missing front matter field(s)") in messages
    assert ("a.md", "empty section") in messages
    assert ("b.md", "stale") in messages
    assert ("c.md", "expired on 2026-02-01; update it or remove it") in messages
    assert any(p["source"] == "b.md" and p["message"].startswith("duplicate text") for p in problems)
    result = run("kb", "remove", "c.md")
    assert result.exit_code == 0 and "1 chunks" in result.stdout
    assert run("kb", "remove", "c.md").exit_code == 1
    assert run("kb", "lint", folder / "b.md").exit_code == 0
    assert run("kb", "lint", folder / "b.md", "--strict").exit_code == 1


def test_bundled_sample_lints_without_errors_except_the_expired_promotion(run):
    problems = json.loads(run("kb", "lint", KNOWLEDGE, "--json").stdout)
    errors = [p for p in problems if p["severity"] == "error"]
    assert [p["source"] for p in errors] == ["announcements/2026-q2-promo.md"]


def test_deals_and_reps_import_with_mapping_and_presets(run, tmp_path):
    custom = write(tmp_path / "opps.csv", "Ref,Client,Seller,Phase,Value,Comments\nX1,Acme,Ann,Engaging,1000,Buyer asked for a pilot\nX2,Beta,Ann,Won,2000,\n")
    result = run("deals", "import", custom, "--map", "id=Ref,account=Client,rep=Seller,stage=Phase,amount=Value,notes=Comments")
    assert result.exit_code == 0, result.output
    assert "imported 2 deals" in result.stdout
    deals = json.loads(run("deals", "list", "--rep", "Ann", "--json").stdout)
    assert [(d["id"], d["status"]) for d in deals] == [("X1", "open"), ("X2", "won")]
    assert json.loads(run("deals", "show", "X1", "--json").stdout)["notes"] == "Buyer asked for a pilot"
    hits = json.loads(run("kb", "search", "pilot", "--deal", "X1", "--json").stdout)
    assert hits[0]["deal_id"] == "X1"
    sf = write(tmp_path / "sf.csv", "Opportunity ID,Account Name,Opportunity Owner,Stage,Amount\n006,Gamma,Bob,Closed Lost,10\n")
    assert run("deals", "import", sf, "--preset", "salesforce").exit_code == 0
    bad = run("deals", "import", custom, "--map", "id=Nope")
    assert bad.exit_code == 1 and "--map id=Nope: no such column" in bad.stderr
    team = write(tmp_path / "team.csv", "Agent,Boss,Office,Target\nAnn,Sue,East,500000\n")
    result = run("reps", "import", team, "--map", "rep=Agent,manager=Boss,region=Office,quota=Target")
    assert result.exit_code == 0, result.output
    assert json.loads(run("reps", "list", "--json").stdout)[0] == {
        "rep": "Ann", "manager": "Sue", "region": "East", "quota": 500000.0, "email": None, "source": "team.csv"}


def test_home_flag_wins_over_environment(run, tmp_path):
    other = tmp_path / "elsewhere"
    write(tmp_path / "k" / "a.md", "# A\n\nText about discovery calls.\n")
    assert run("--home", other, "kb", "ingest", tmp_path / "k").exit_code == 0
    assert (other / "coachgen.db").exists()
    assert json.loads(run("--home", other, "kb", "stats", "--json").stdout)["files"] == 1
    assert json.loads(run("kb", "stats", "--json").stdout)["files"] == 0


def test_readme_command_reference_is_current():
    from coachgen.cli.reference import END, START, reference

    readme = (KNOWLEDGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split(START, 1)[1].split(END, 1)[0]
    assert section == "\n" + reference(), "run: python -m coachgen.cli.reference --write README.md"
