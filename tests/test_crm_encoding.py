"""CRM exports in the encodings spreadsheets write, their own size cap, and what their import embeds.

Every export here is invented; the names carry the letters a wrong encoding would mangle.
"""

import codecs
import json

import pytest
from typer.testing import CliRunner

from coachgen.cli import app
from coachgen.errors import InputError
from coachgen.ingest.crm import read_crm_table
from coachgen.ingest.encoding import decode_text
from coachgen.ingest.loader import CrmOptions
from coachgen.knowledge_base import KnowledgeBase
from coachgen.settings import load_settings

EXPORT = ("Record ID;Deal Name;Associated Company;Deal Stage;Amount;Close Date\r\n"
          "41;Grünfeld Süd rollout;Grünfeld Bau GmbH;closedwon;12.500,00 €;25.03.2024\r\n"
          "42;Café Noël pilot;Société Lumière;qualifiedtobuy;3.000,50 €;01.04.2024\r\n")
ROSTER = "rep,manager,region\r\nJosé Añez,Zoë Brandt,Süd\r\nÅsa Lindqvist,Zoë Brandt,Nord\r\n"


@pytest.fixture
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(arg) for arg in args])


def names(run, what="deals"):
    return {row.get("name") or row.get("rep") for row in json.loads(run(what, "list", "--json").stdout)}


@pytest.mark.parametrize("encoding, written, note", [
    ("utf-8", EXPORT.encode("utf-8"), None),
    ("utf-8-sig", EXPORT.encode("utf-8-sig"), None),
    ("utf-16", EXPORT.encode("utf-16"), "encoding: utf-16 (byte order mark)"),
    ("utf-32", EXPORT.encode("utf-32"), "encoding: utf-32 (byte order mark)"),
    ("cp1252", EXPORT.encode("cp1252"), "encoding: read as cp1252, not UTF-8 (line 2: 'Grünfeld'); pass --encoding if not"),
])
def test_each_encoding_is_read_and_a_choice_is_named(encoding, written, note):
    decoded = decode_text(written, "x.csv")
    assert decoded.text.replace("\r\n", "\n") == EXPORT.replace("\r\n", "\n") and decoded.note == note
    rows = read_crm_table("x.csv", decoded.text, ".csv").rows
    assert [row["name"] for row in rows] == ["Grünfeld Süd rollout", "Café Noël pilot"] and rows[0]["amount"] == 12500.0


def test_latin1_when_a_byte_has_no_cp1252_character_and_forced_encodings():
    data = "id,name\n1,Ørsted\x81\n".encode("latin-1")
    assert decode_text(data, "x.csv").encoding == "latin-1"
    assert decode_text(EXPORT.encode("cp1252"), "x.csv", "windows-1252").text == EXPORT
    with pytest.raises(InputError, match=r"^x.csv: not utf-8 text \(byte 0xfc at offset \d+\); pass another --encoding$"):
        decode_text(EXPORT.encode("cp1252"), "x.csv", "utf-8")
    with pytest.raises(InputError, match="^--encoding: unknown encoding 'klingon'"):
        decode_text(b"id\n1\n", "x.csv", "klingon")
    with pytest.raises(InputError, match="binary file"):
        decode_text(b"id\x00\x01\x02", "x.csv")
    assert decode_text(codecs.BOM_UTF8 + b"id\n1\n", "x.csv", "utf-8").text == "id\n1\n"


def test_imports_detect_the_encoding_and_encoding_forces_it(run, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(EXPORT.encode("cp1252"))
    result = run("deals", "import", path)
    assert result.exit_code == 0, result.output
    assert "note: encoding: read as cp1252, not UTF-8 (line 2: 'Grünfeld')" in result.stderr
    assert names(run) == {"Grünfeld Süd rollout", "Café Noël pilot"}
    forced = run("deals", "import", path, "--encoding", "utf-8")
    assert forced.exit_code == 1 and forced.stderr.startswith("error: export.csv: not utf-8 text") and len(forced.stderr.splitlines()) == 1
    unknown = run("deals", "import", path, "--encoding", "ebcdic-klingon")
    assert unknown.exit_code == 1 and "unknown encoding" in unknown.stderr

    roster = tmp_path / "roster.txt.csv"
    roster.write_bytes(ROSTER.replace(",", "\t").encode("utf-16"))  # Excel's "Unicode text": UTF-16 with a BOM, tabs
    assert run("reps", "import", roster).exit_code == 0
    assert names(run, "reps") == {"José Añez", "Åsa Lindqvist"}
    accounts = tmp_path / "accounts.csv"
    accounts.write_bytes("account,sector,employees\nSociété Lumière,énergie,1.200\n".encode("latin-1"))
    result = run("accounts", "import", accounts, "--encoding", "latin-1")
    assert result.exit_code == 0 and "encoding: latin-1, as asked" in result.stderr
    assert json.loads(run("accounts", "list", "--json").stdout)[0]["sector"] == "énergie"


def test_kb_ingest_reads_crm_files_in_any_encoding_and_says_how(run, tmp_path):
    folder = tmp_path / "material"
    folder.mkdir()
    (folder / "export.csv").write_bytes(EXPORT.encode("cp1252"))
    result = run("kb", "ingest", folder)
    assert result.exit_code == 0, result.output
    assert "note: export.csv: encoding: read as cp1252" in result.stderr
    assert names(run) == {"Grünfeld Süd rollout", "Café Noël pilot"}
    forced = run("kb", "ingest", folder / "export.csv", "--encoding", "utf-8")
    assert forced.exit_code == 1 and "not utf-8 text" in forced.stderr


def test_crm_files_have_their_own_size_cap(run, tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text("id,stage\n" + "".join(f"D-{n},Won\n" for n in range(400)), encoding="utf-8")
    monkeypatch.setenv("COACHGEN_MAX_FILE_BYTES", "1000")  # playbooks' cap: the export is over it
    assert run("deals", "import", path).exit_code == 0
    monkeypatch.setenv("COACHGEN_MAX_CRM_BYTES", "1000")
    refused = run("deals", "import", path)
    assert refused.exit_code == 1
    assert refused.stderr.strip().endswith("over the 1,000-byte limit (COACHGEN_MAX_CRM_BYTES)") and len(refused.stderr.splitlines()) == 1
    assert load_settings(environ={}).max_crm_bytes >= 1_000_000 * 250  # a million rows of a typical opportunity export


def test_only_notes_are_embedded_unless_next_steps_are_asked_for(tmp_path, embedder):
    path = tmp_path / "deals.csv"
    path.write_text("id,stage,notes,next step\nD-1,Engaging,Buyer asked for a security review before pricing.,Send the SOC 2 report\n"
                    "D-2,Engaging,,Call back on Friday\nD-3,Won,,\n", encoding="utf-8")
    kb = KnowledgeBase(load_settings(home=tmp_path / "home"), embedder=embedder)
    progress: list[tuple[int, int]] = []
    report = kb.ingest([path], crm=CrmOptions(kind="deals"), on_embed=lambda done, total: progress.append((done, total)))
    assert report.deals == 3 and report.chunks_embedded == 1 and progress == [(0, 1), (1, 1)]
    texts = [row["text"] for row in kb.db.execute("SELECT text FROM chunks")]
    assert texts == ["Buyer asked for a security review before pricing."]
    assert kb.records.deal("D-2")["next_step"] == "Call back on Friday"  # the record keeps it

    report = kb.ingest([path], crm=CrmOptions(kind="deals", next_steps=True))
    assert report.chunks_embedded == 2
    assert {row["deal_id"] for row in kb.db.execute("SELECT deal_id FROM documents")} == {"D-1", "D-2"}
    kb.close()
