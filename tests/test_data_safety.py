"""Nothing lost, nothing half-written: the reproductions of issue 15's data-safety cases, kept as regression tests.

Sources that cannot collide, ingest that survives repeated text, output paths checked before any model
call, backups checked against their manifest, deals closed by ``--replace``, links out of a folder,
file modes, and typos in ``COACHGEN_*`` variables.
"""

import json
import os
import shutil
import stat

import pytest
from conftest import write
from typer.testing import CliRunner

from coachgen.cli import app
from coachgen.errors import ConfigError, InputError
from coachgen.fileio import atomic_writer
from coachgen.ingest.loader import CrmOptions
from coachgen.knowledge_base import KnowledgeBase
from coachgen.maintenance import export_jsonl, import_jsonl
from coachgen.settings import load_settings, unknown_variables

DEALS = "id,account,rep,stage,notes\nD1,Acme,Ann,Discovery,The CFO wants a pilot before any budget talk\nD2,Beta,Bob,Proposal,Security review is pending\n"
REPS = "rep,manager,region,quota\nAnn,Max,West,100000\nBob,Max,East,90000\n"


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, env=None):
        return runner.invoke(app, [str(arg) for arg in args], env=env)

    return invoke


def one_line(result) -> str:
    """The single error line of a failed command (and no traceback)."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def sources(kb) -> list[str]:
    return [row.source for row in kb.catalog.files()]


# 1. sources keyed by identity ----------------------------------------------------------------------
def test_same_named_files_in_two_folders_are_both_kept(kb, tmp_path):
    write(tmp_path / "teamA" / "pricing.md", "# Pricing A\n\nTeam A sells seats at 100 a month.\n")
    write(tmp_path / "teamB" / "pricing.md", "# Pricing B\n\nTeam B sells seats at 200 a month.\n")
    report = kb.ingest([tmp_path / "teamA", tmp_path / "teamB"])
    assert (report.files_ingested, report.errors) == (2, [])
    assert sources(kb) == ["pricing.md", "teamB/pricing.md"]  # readable; disambiguated only where two roots collide
    assert {hit.title for hit in kb.search("price of a seat", k=5)} == {"Pricing A", "Pricing B"}
    again = kb.ingest([tmp_path / "teamB", tmp_path / "teamA"])
    assert (again.files_ingested, again.files_unchanged) == (0, 2)
    assert sources(kb) == ["pricing.md", "teamB/pricing.md"]


def test_two_exports_named_alike_keep_each_others_records(kb, tmp_path):
    deals = write(tmp_path / "a" / "export.csv", DEALS)
    reps = write(tmp_path / "b" / "export.csv", REPS)
    kb.ingest([deals], crm=CrmOptions(kind="deals"))
    report = kb.ingest([reps], crm=CrmOptions(kind="reps"))
    assert (report.reps, report.chunks_removed, report.errors) == (2, 0, [])
    assert sources(kb) == ["b/export.csv", "export.csv"]
    assert [d["id"] for d in kb.records.deals()] == ["D1", "D2"] and not any(d["missing_since"] for d in kb.records.deals())
    assert kb.search("pilot before budget", k=1)[0].deal_id == "D1"  # the deal notes are still indexed
    assert len(kb.records.reps()) == 2


def test_an_index_written_before_unique_sources_keeps_working(kb, tmp_path):
    folder = tmp_path / "kb"
    write(folder / "cold.md", "# Cold calling\n\nSay who you are in one sentence.\n")
    kb.ingest([folder])
    kb.db.execute("PRAGMA foreign_keys=OFF")
    with kb.catalog.transaction():  # an older coachgen named the file otherwise: the row is found by its path
        kb.db.execute("UPDATE files SET source = 'old-name.md'")
        kb.db.execute("UPDATE documents SET source = 'old-name.md'")
    kb.db.execute("PRAGMA foreign_keys=ON")
    assert kb.ingest([folder]).files_unchanged == 1
    (folder / "cold.md").write_text("# Cold calling\n\nSay who you are and why you called.\n")
    report = kb.ingest([folder])
    assert (report.files_ingested, report.chunks_removed) == (1, 1)
    assert sources(kb) == ["old-name.md"] and kb.catalog.counts()["chunks"] == kb.vectors.count() == 1


def test_a_moved_folder_replaces_its_old_place_instead_of_duplicating_it(kb, tmp_path):
    write(tmp_path / "old" / "kb" / "cold.md", "# Cold calling\n\nSay who you are in one sentence.\n")
    kb.ingest([tmp_path / "old" / "kb"])
    shutil.move(tmp_path / "old", tmp_path / "new")
    report = kb.ingest([tmp_path / "new" / "kb"])
    assert (report.files_unchanged, sources(kb)) == (1, ["cold.md"])
    assert kb.catalog.files()[0].path == str(tmp_path / "new" / "kb" / "cold.md")


def test_the_same_file_reached_through_two_roots_is_indexed_once(kb, tmp_path):
    write(tmp_path / "kb" / "sub" / "a.md", "# A\n\nText about discovery calls.\n")
    report = kb.ingest([tmp_path / "kb", tmp_path / "kb" / "sub"])
    assert (report.files_ingested, sources(kb)) == (1, ["sub/a.md"])
    assert kb.ingest([tmp_path / "kb" / "sub"]).files_unchanged == 1 and sources(kb) == ["sub/a.md"]


# 2. one line, and the rest still ingested --------------------------------------------------------
def test_repeated_sections_and_long_runs_do_not_abort_ingest(kb, tmp_path):
    folder = tmp_path / "kb"
    write(folder / "dup.md", "# Dup\n\n## Same\n\nExactly the same text.\n\n## Same\n\nExactly the same text.\n")
    write(folder / "rule.md", "# Rule\n\n" + "=" * 5000 + "\n\nThe end of the rule.\n")
    write(folder / "good.md", "# Good\n\nA normal page about discovery.\n")
    report = kb.ingest([folder])
    assert (report.files_ingested, report.errors) == (3, [])
    assert kb.catalog.counts()["chunks"] == kb.vectors.count()
    ids = [chunk.id for chunk in kb.catalog.iter_chunks()]
    assert len(ids) == len(set(ids))


def test_a_deal_note_with_a_long_run_and_a_deal_in_two_exports_import(kb, tmp_path):
    first = write(tmp_path / "a" / "deals.csv", f"id,account,stage,notes\nD1,Acme,Discovery,{'=' * 5000}\nD2,Beta,Demo,Pilot agreed\n")
    second = write(tmp_path / "b" / "deals.csv", "id,account,stage,notes\nD2,Beta,Demo,Pilot agreed\n")
    report = kb.ingest([first, second], crm=CrmOptions(kind="deals"))
    assert (report.files_ingested, report.errors) == (2, [])
    assert kb.catalog.counts()["chunks"] == kb.vectors.count()


@pytest.mark.parametrize("target", ["folder", "folder-slash", "under-a-file", "empty"])
def test_bad_output_paths_are_one_line_before_any_model_call(run, sample_copy, tmp_path, monkeypatch, target):
    import coachgen.llm.guard

    called = []
    monkeypatch.setattr(coachgen.llm.guard, "chat_model", lambda *a, **k: called.append(1))
    (tmp_path / "afile").write_text("keep me\n")
    (tmp_path / "folder").mkdir()
    output = {"folder": tmp_path / "folder", "folder-slash": f"{tmp_path / 'folder'}/", "under-a-file": tmp_path / "afile" / "plan.md",
              "empty": ""}[target]
    for command in (["prep", "D-1001"], ["debrief", "D-1001", "--notes", "Call went well."], ["train", "Dana Whitfield"],
                    ["drill", "--topic", "pricing"], ["pipeline", "Dana Whitfield"], ["agenda"], ["coach", "cadence"]):
        line = one_line(run(*command, "-o", output))
        assert line.startswith("error: -o ") and ("folder" in line or "file name" in line), (command, line)
    assert called == [] and (tmp_path / "afile").read_text() == "keep me\n"
    assert one_line(run("coach", "cadence", "--csv", output)).startswith("error: --csv ")
    assert one_line(run("kb", "export", output)).startswith("error: kb export ")


def test_a_home_that_is_a_file_is_one_line(run, tmp_path):
    for home in ("/dev/null", "/dev/null/coachgen", str(write(tmp_path / "file", "x"))):
        line = one_line(run("kb", "stats", env={"COACHGEN_HOME": home}))
        assert "is not a folder" in line and home in line


@pytest.mark.parametrize("config, field", [('chunk_chars = "big"', "chunk_chars"), ("max_file_bytes = true", "max_file_bytes"),
                                           ("coachgen = 5", "coachgen"), ("[coachgen]\nllm_timeout = [1, 2]", "llm_timeout"),
                                           ("currency = 5", "currency")])
def test_a_wrong_typed_config_value_is_one_line(run, tmp_path, config, field):
    home = tmp_path / "home"
    write(home / "coachgen.toml", config + "\n")
    with pytest.raises(ConfigError, match=field):
        load_settings(environ={"COACHGEN_HOME": str(home)})
    line = one_line(run("kb", "stats"))
    assert field in line and "coachgen.toml" in line


# 3. backups -------------------------------------------------------------------------------------
def test_export_ends_with_a_manifest_of_counts_and_checksum(copy_kb, tmp_path):
    path = tmp_path / "backup.jsonl"
    export_jsonl(copy_kb, path)
    lines = path.read_bytes().splitlines(keepends=True)
    manifest = json.loads(lines[-1])
    assert manifest["type"] == "manifest" and manifest["counts"]["deal"] == 44 and manifest["counts"]["rep"] == 6
    import hashlib

    assert manifest["sha256"] == hashlib.sha256(b"".join(lines[:-1])).hexdigest()
    assert sum(manifest["counts"].values()) == len(lines) - 1


def test_a_backup_cut_at_a_line_boundary_is_refused_and_changes_nothing(copy_kb, tmp_path, run):
    path = tmp_path / "backup.jsonl"
    export_jsonl(copy_kb, path)
    lines = path.read_bytes().splitlines(keepends=True)
    first_deal = next(i for i, line in enumerate(lines) if b'"type": "deal"' in line)
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"".join(lines[:first_deal]))  # everything up to the deals: a plausible, whole-looking file
    before = (copy_kb.catalog.counts(), len(copy_kb.records.deals()), len(copy_kb.records.reps()))
    with pytest.raises(InputError, match="cut short"):
        import_jsonl(copy_kb, cut)
    assert (copy_kb.catalog.counts(), len(copy_kb.records.deals()), len(copy_kb.records.reps())) == before
    assert "cut short; nothing imported" in one_line(run("kb", "import", cut))
    changed = tmp_path / "changed.jsonl"
    changed.write_bytes(b"".join(lines).replace(b"Harborline", b"Harbourline", 1))
    with pytest.raises(InputError, match="sha256 differs"):
        import_jsonl(copy_kb, changed)
    dropped = tmp_path / "dropped.jsonl"
    dropped.write_bytes(b"".join(lines[:first_deal] + lines[first_deal + 1:]))
    with pytest.raises(InputError, match="43 deal records, the manifest says 44"):
        import_jsonl(copy_kb, dropped)
    extra = tmp_path / "extra.jsonl"
    extra.write_bytes(b"".join(lines) + lines[first_deal])
    with pytest.raises(InputError, match="after the manifest"):
        import_jsonl(copy_kb, extra)
    assert (copy_kb.catalog.counts(), len(copy_kb.records.deals()), len(copy_kb.records.reps())) == before


def test_an_export_from_before_manifests_still_imports_unverified(copy_kb, tmp_path, embedder):
    path = tmp_path / "backup.jsonl"
    export_jsonl(copy_kb, path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = json.loads(lines[0])
    del header["manifest"]
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps(header) + "\n" + "".join(lines[1:-1]), encoding="utf-8")
    restored = KnowledgeBase(load_settings(home=tmp_path / "restored"), embedder=embedder)
    assert import_jsonl(restored, old)["verified"] == 0 and len(restored.records.deals()) == 44


def test_replace_closes_open_deals_missing_from_the_new_export(kb, tmp_path, run):
    export = write(tmp_path / "export.csv", DEALS + "D3,Gamma,Cid,Closed Won,Signed\n")
    kb.ingest([export], crm=CrmOptions(kind="deals"))
    newer = write(tmp_path / "newer" / "export (1).csv", "id,account,rep,stage,notes\nD1,Acme,Ann,Demo,Demo booked\n")
    report = kb.ingest([newer], crm=CrmOptions(kind="deals"))
    assert report.imports[0]["closed"] == [] and kb.records.deal("D2")["status"] == "open"  # without --replace: nothing closes
    result = run("deals", "import", newer, "--replace")
    assert result.exit_code == 0, result.output
    assert "1 open deals not in this export closed (D2)" in result.stdout
    status = {d["id"]: (d["status"], bool(d["missing_since"])) for d in kb.records.deals()}
    assert status == {"D1": ("open", False), "D2": ("closed", True), "D3": ("won", False)}  # won stays won
    assert kb.records.deal("D2")["stage"] == "Proposal" and kb.records.deal("D2")["notes"] == "Security review is pending"
    back = write(tmp_path / "back.csv", "id,account,rep,stage\nD1,Acme,Ann,Demo\nD2,Beta,Bob,Proposal\n")
    kb.ingest([back], crm=CrmOptions(kind="deals"))
    assert (kb.records.deal("D2")["status"], kb.records.deal("D2")["missing_since"]) == ("open", None)


def test_replace_closes_nothing_when_rows_were_skipped(kb, tmp_path):
    kb.ingest([write(tmp_path / "export.csv", DEALS)], crm=CrmOptions(kind="deals"))
    broken = write(tmp_path / "export.csv", "id,account,rep,stage,notes\nD1,Acme,Ann,Demo,x\n,Beta,Bob,Proposal,no id\n")
    report = kb.ingest([broken], crm=CrmOptions(kind="deals", replace=True))
    assert report.imports[0]["closed"] == [] and any("--replace closed no deals" in note for note in report.imports[0]["notes"])
    assert kb.records.deal("D2")["status"] == "open"


# 4. links and file modes -------------------------------------------------------------------------
def test_links_out_of_the_folder_are_skipped_with_a_note(kb, tmp_path, run):
    secret = write(tmp_path / "outside" / "passwd.md", "# Secret\n\nroot:x:0:0:the canary QX7 lives here\n")
    folder = tmp_path / "kb"
    write(folder / "real.md", "# Real\n\nA page about discovery.\n")
    (folder / "passwd.md").symlink_to(secret)
    (folder / "again.md").symlink_to(folder / "real.md")  # a link inside the folder is fine
    report = kb.ingest([folder])
    assert sources(kb) == ["again.md", "real.md"]
    assert report.notes == [f"passwd.md: skipped: a symbolic link to a file outside {folder} (--follow-symlinks to read it)"]
    assert not [hit for hit in kb.search("canary QX7 root", k=5) if "QX7" in hit.text]
    result = run("kb", "ingest", folder, "--follow-symlinks")
    assert result.exit_code == 0, result.output
    followed = KnowledgeBase(load_settings(), embedder=kb._embedder)
    assert "passwd.md" in sources(followed)


def test_output_files_keep_their_mode_or_follow_the_umask(tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    private = tmp_path / "private.md"
    private.write_text("old\n")
    private.chmod(0o600)
    with atomic_writer(private) as handle:
        handle.write("new\n")
    assert (private.read_text(), stat.S_IMODE(private.stat().st_mode)) == ("new\n", 0o600)
    previous = os.umask(0o027)
    try:
        with atomic_writer(tmp_path / "fresh.md") as handle:
            handle.write("x")
        with atomic_writer(tmp_path / "owner-only.jsonl", mode=0o600) as handle:
            handle.write("x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "fresh.md").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "owner-only.jsonl").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.md", "owner-only.jsonl", "private.md"]  # no temporary left


def test_an_export_over_a_readable_file_is_still_owner_only(sample_kb, tmp_path):
    path = tmp_path / "backup.jsonl"
    path.write_text("old\n")
    path.chmod(0o644)
    export_jsonl(sample_kb, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# 5. typos in COACHGEN_* --------------------------------------------------------------------------
def test_unknown_coachgen_variables_are_warned_about_with_the_closest_name(run, tmp_path):
    assert unknown_variables({"COACHGEN_EMBEDER": "openai", "COACHGEN_HOME": "/x", "PATH": "/bin"}) == [
        "COACHGEN_EMBEDER is not a coachgen setting and is ignored; did you mean COACHGEN_EMBEDDER?"]
    assert unknown_variables({"COACHGEN_LLM_BASEURL": "http://x"})[0].endswith("did you mean COACHGEN_LLM_BASE_URL?")
    assert unknown_variables({"COACHGEN_ZZZZZZZZZZ": "1"}) == ["COACHGEN_ZZZZZZZZZZ is not a coachgen setting and is ignored"]
    result = run("kb", "stats", "--json", env={"COACHGEN_MAX_FILE_BYTE": "10"})
    assert result.exit_code == 0
    assert result.stderr.count("COACHGEN_MAX_FILE_BYTE is not a coachgen setting") == 1 and "COACHGEN_MAX_FILE_BYTES?" in result.stderr
