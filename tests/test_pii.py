"""PII never leaves the machine raw: redaction before endpoint calls, restored answers, --show-sent, the audit log."""

import csv
import io
import json
import random
import re
import stat

import pytest
from typer.testing import CliRunner

from coachgen.artifacts.debrief import build_debrief, prepare_debrief
from coachgen.cli import app
from coachgen.knowledge_base import KnowledgeBase
from coachgen.llm.guard import audit_path, chat_model
from coachgen.prompts import PromptLibrary
from coachgen.redaction import Redactor
from coachgen.settings import load_settings

FIRST = ["Anneliese", "Bartholomew", "Cosima", "Dorian", "Evangeline", "Florian", "Giselle", "Horatio", "Isadora", "Jericho"]
LAST = ["Abernathy", "Blackwood", "Castellanos", "Delacroix", "Ellsworth", "Fairbanks", "Grimaldi", "Hollingsworth", "Ishikawa", "Jankowski"]


def luhn_card(rng: random.Random) -> str:
    digits = [4] + [rng.randrange(10) for _ in range(14)]
    total = sum(d if i % 2 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits)))
    digits.append((10 - total % 10) % 10)
    number = "".join(map(str, digits))
    return " ".join(number[i:i + 4] for i in range(0, 16, 4)) if rng.random() < 0.5 else number


def phone(rng: random.Random) -> str:
    a, b, c = rng.randrange(200, 999), rng.randrange(200, 999), rng.randrange(1000, 9999)
    return rng.choice([f"+1 {a} {b} {c}", f"({a}) {b}-{c}", f"{a}.{b}.{c}", f"+44 20 {b}{a % 10} {c}"])


def generated_deals(count: int = 200):
    """``count`` deals whose notes carry emails, phones, card numbers and the names of their contacts and accounts."""
    rng = random.Random(7)
    rows, secrets = [], []
    for n in range(count):
        first, last = FIRST[n % 10], LAST[(n // 10) % 10]
        account = f"{LAST[(n * 3) % 10]}ville Freight {n}"
        email, number, card = f"{first.lower()}.{last.lower()}{n}@{account.split()[0].lower()}.example", phone(rng), luhn_card(rng)
        notes = (f"Call with {first} {last} ({email}, {number}). {first} said your price is too high. "
                 f"Their old vendor charged card {card}. {account} wants a pilot; {last} will confirm.")
        rows.append([f"P-{n:03d}", account, "Omar Haddad", "Proposal", 40000, "2026-09-01", "2026-12-20", f"{first} {last} (CFO)", notes])
        secrets.append({"names": [f"{first} {last}", first, last, account], "email": email, "phone": number, "card": card, "notes": notes})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Deal ID", "Account", "Rep", "Stage", "Amount", "Created", "Close Date", "Contacts", "Notes"])
    writer.writerows(rows)
    return buffer.getvalue(), secrets


@pytest.fixture
def server(json_server):
    def reply(path, body):
        text = json.dumps(body["messages"])
        person = re.search(r"\[PERSON_\d+\]", text)
        answer = {"questions": [f"What did {person.group(0) if person else 'the buyer'} commit to?"], "sources": [1]}
        return 200, {"id": "c", "object": "chat.completion", "created": 1, "model": body["model"],
                     "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": json.dumps(answer)}}],
                     "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
    return json_server(reply)


def test_two_hundred_notes_leave_no_raw_pii_in_requests(sample_copy, server, embedder, tmp_path):
    url, seen = server
    export, secrets = generated_deals()
    (tmp_path / "deals.csv").write_text(export)
    kb = KnowledgeBase(load_settings(home=sample_copy, llm_base_url=url, llm_model="m", llm_api_key="sk-test"), embedder=embedder)
    assert not kb.ingest([tmp_path / "deals.csv"]).errors
    model, prompts = chat_model(kb), PromptLibrary(kb.settings)
    restored = 0
    for n, secret in enumerate(secrets):
        debrief = build_debrief(prepare_debrief(kb, prompts, f"P-{n:03d}", secret["notes"]), model, "m")
        restored += any(secret["names"][0] in q.question for q in debrief.questions if q.topic == "Follow-up")
    assert len(seen) == 200
    leaks = []
    for request, secret in zip(seen, secrets):
        sent = json.dumps(request["messages"], ensure_ascii=False)
        leaks += [value for value in (*secret["names"], secret["email"], secret["phone"], secret["card"]) if re.search(rf"(?<!\w){re.escape(value)}(?!\w)", sent)]
    assert leaks == []
    assert restored == 200  # the model's placeholder came back as the contact's real name
    log = audit_path(kb.settings.home)
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(logged) == 200 and all(entry["redacted"] and entry["endpoint"] == url for entry in logged)
    assert [entry["messages"] for entry in logged] == [request["messages"] for request in seen]


def test_redactor_round_trip_and_what_it_leaves_alone():
    redactor = Redactor({"Rachel Stein": "PERSON", "Harborline Logistics": "ACCOUNT"})
    text = ("Rachel Stein (rachel@harborline.example, +1 415 555 0134) at Harborline Logistics. Rachel paid with 4111 1111 1111 1111. "
            "Close 2026-12-15 2026-12-20, $96,000, 12 entities, 9 days, order 1234 5678 9012 3456.")
    sent = redactor.redact(text)
    assert "Rachel" not in sent and "Stein" not in sent and "Harborline Logistics" not in sent and "@" not in sent
    assert "4111" not in sent and "415 555" not in sent
    assert "2026-12-15 2026-12-20" in sent and "$96,000" in sent and "12 entities" in sent  # dates, money, small numbers stay
    assert "[CARD_2]" not in sent  # a long non-Luhn number is not a card (it is redacted as phone-like: caution wins)
    assert sent.count("[PERSON_1]") == 2
    assert redactor.restore(sent) == text.replace("Rachel paid", "Rachel Stein paid")


def test_show_sent_and_the_default_for_the_embedded_model(sample_copy, server, monkeypatch):
    url, seen = server
    runner = CliRunner()
    env = {"COACHGEN_LLM_BASE_URL": url, "COACHGEN_LLM_API_KEY": "sk-test", "COACHGEN_LLM_MODEL": "m"}
    result = runner.invoke(app, ["--show-sent", "debrief", "D-1001", "--notes", "Rachel Stein (rachel@harborline.example) wants 20% off."], env=env)
    assert result.exit_code == 0, result.output
    assert f"===== sent to {url} =====" in result.stderr and "[EMAIL_1]" in result.stderr
    assert "rachel@harborline.example" not in result.stderr.split("=====", 2)[-1].split("# Debrief")[0]
    assert "sk-test" not in result.stderr + result.stdout
    assert "rachel@harborline.example" not in json.dumps(seen)
    kb = KnowledgeBase(load_settings(home=sample_copy))
    local = chat_model(kb)
    assert local.redactor is None and local.audit is None  # embedded model: nothing leaves the machine
    assert chat_model(KnowledgeBase(load_settings(home=sample_copy, redact="always"))).redactor is not None


def test_names_are_redacted_in_any_case_and_only_as_whole_words():
    redactor = Redactor({"Rachel Stein": "PERSON", "Harborline Logistics": "ACCOUNT", "Will Price": "PERSON", "Ann Lee": "PERSON"})
    sent = redactor.redact("rachel stein, RACHEL  STEIN and Rachel\nStein met harborline and HARBORLINE; Harborline-based team. "
                           "Annual review with Leeds; we will price it. Will said so. ANN agreed.")
    assert not re.search(r"rachel|stein|harborline", sent, re.IGNORECASE), sent
    assert "Annual" in sent and "Leeds" in sent  # whole words only
    assert "Will said" not in sent and "ANN agreed" not in sent  # a first name alone, capitalised
    lower = Redactor({"Will Smithers": "PERSON", "Harborline Logistics": "ACCOUNT"}).redact("we will see; logistics is slow")
    assert lower == "we will see; logistics is slow"  # an ordinary word alone, in lower case, stays
    assert redactor.restore(redactor.redact("harborline")) == "Harborline Logistics"


def test_names_in_any_case_never_reach_the_endpoint_nor_the_audit_log(sample_copy, server):
    url, seen = server
    env = {"COACHGEN_LLM_BASE_URL": url, "COACHGEN_LLM_API_KEY": "sk-test", "COACHGEN_LLM_MODEL": "m"}
    notes = "rachel stein asked for 20% off. RACHEL STEIN will sign; harborline and HARBORLINE LOGISTICS want a pilot."
    result = CliRunner().invoke(app, ["debrief", "D-1001", "--notes", notes], env=env)
    assert result.exit_code == 0, result.output
    sent = json.dumps(seen, ensure_ascii=False)
    logged = audit_path(sample_copy).read_text(encoding="utf-8")
    assert seen and not re.search(r"rachel|stein|harborline", sent, re.IGNORECASE)
    assert not re.search(r"rachel|stein|harborline", logged, re.IGNORECASE)
