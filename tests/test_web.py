"""The web app's pages through the real app on a temporary copy of the sample (and of tests/corpora/northwind):
a drill played turn by turn to its scored feedback, a call prepared and debriefed with the answers recorded,
charts, the development plan's .ics, the knowledge base pages, the busy queue, validation, escaping and the
body-size limit. The chat model is a fake at the LLM seam, except in the one test that uses the embedded model."""

from __future__ import annotations

import html
import re
import shutil
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coachgen.cli import app as cli
from coachgen.index.catalog import connect
from coachgen.knowledge_base import KnowledgeBase
from coachgen.settings import load_settings
from web_fixtures import Browser, app_for, fake_model, make_home

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "tests" / "corpora" / "northwind"
GOOD = "Too high compared to what: another quote, or the budget you set for this year?"
NEXT = "Could we book Thursday at 10 with your finance lead to walk through the numbers?"
NORTHWIND_PAGES = ["content/handbook/sales/competitors", "content/handbook/sales/faq", "content/handbook/sales/process/stages.md",
                   "content/handbook/sales/playbook/pricing-pushback.md", "content/handbook/sales/enablement/modules/objection-handling.md"]
PAYLOAD = "<script>alert('x')</script> [click](javascript:alert(1)) ![img](https://evil.example/p.png) <img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def web_home(sample_home, tmp_path_factory):
    return make_home(sample_home, tmp_path_factory.mktemp("web") / "home")


@pytest.fixture(scope="module")
def web_app(web_home, embedder):
    return app_for(web_home, embedder)


def logged_in(app, name):
    browser = Browser(app)
    page = browser.login(name)
    assert page.status_code == 200, page.text[:300]
    return browser, page


def said(response):
    """The page's text with entities decoded (messages quote field names)."""
    return html.unescape(response.text)


def first_objection(page_text):
    return re.search(r'name="objection" value="([^"]+)"', page_text).group(1)


def test_a_rep_plays_a_two_turn_drill_to_scored_feedback(web_app, web_home):
    dana, page = logged_in(web_app, "dana")
    assert "Start a drill" in page.text and "Due (spaced repetition)" in page.text
    drill = dana.post("/drills/start", {"objection": first_objection(page.text), "difficulty": "1"})
    assert drill.status_code == 200 and 'name="answer"' in drill.text and "(1 of 2)" in drill.text
    url = str(drill.url).split("#")[0]
    turn = dana.post(f"{url}/answer", {"answer": GOOD})
    assert "We still have no budget for this this year." in turn.text and "(2 of 2)" in turn.text  # the buyer's line, then my box
    done = dana.post(f"{url}/answer", {"answer": NEXT})
    assert "Scored feedback" in done.text and 'name="answer"' not in done.text
    feedback = done.text.split("Scored feedback", 1)[1]
    assert feedback.count("<tr>") >= 5  # one row per rubric criterion
    quoted = re.findall(r"<q>(.*?)</q>", feedback)
    assert quoted and all(q.replace("&#39;", "'") in (GOOD + " " + NEXT).replace("&#39;", "'") for q in quoted)  # the rep's own words
    assert "comes back on" in done.text
    stored = KnowledgeBase(load_settings(home=web_home, environ={})).records.attempts("Dana Whitfield")
    assert stored and stored[-1]["mode"] == "interactive"
    history = dana.get("/drills/history")
    assert history.status_code == 200 and "<svg" in history.text and "<polyline" in history.text and "over time" in history.text
    assert "due" in dana.get("/drills").text.lower()


def test_a_manager_prepares_a_call_debriefs_it_and_records_the_answers(web_app, web_home):
    sarah, team = logged_in(web_app, "sarah")
    assert "D-1001" in team.text and "Dana Whitfield" in team.text
    deal = sarah.get("/deals/D-1001")
    assert "Prepare call" in deal.text and "Debrief" in deal.text
    plan = sarah.post("/deals/D-1001/prepare", {"call_type": "negotiation"})
    assert plan.status_code == 200 and str(plan.url).endswith("/deals/D-1001/plan"), plan.text[:400]
    sources = re.findall(r'href="(/kb/file\?source=[^"]+)"', plan.text)
    assert sources and "Print" in plan.text
    source_page = sarah.get(sources[0].replace("&amp;", "&"))
    assert source_page.status_code == 200 and 'id="L1"' in source_page.text
    debrief = sarah.post("/deals/D-1001/debrief", {"notes": "The CFO asked for 20% off. Our champion confirmed the budget. "
                                                           "Rachel will send the redlined MSA on 2030-03-05."})
    assert str(debrief.url).endswith("/deals/D-1001/debrief") and 'name="answer_1"' in debrief.text
    assert "Next steps agreed" in debrief.text and "2030-03-05" in debrief.text
    question = re.search(r'<label for="answer_1">(.*?)</label>', debrief.text, re.S).group(1)
    recorded = sarah.post("/deals/D-1001/answers", {"answer_1": "She signs; procurement runs the paper."})
    assert str(recorded.url).endswith("?recorded=1") and "The answers are recorded" in recorded.text
    log = KnowledgeBase(load_settings(home=web_home, environ={})).records.log("D-1001")
    kinds = [entry["kind"] for entry in log]
    assert "call-notes" in kinds and "debrief-answers" in kinds
    assert "She signs; procurement runs the paper." in log[-1]["text"] and question
    assert sarah.post("/deals/D-1001/answers", {"answer_1": ""}).status_code == 400


def test_pipeline_agenda_and_cadence_draw_readable_svg_charts(web_app):
    sarah, _ = logged_in(web_app, "sarah")
    pipeline = sarah.get("/pipeline")
    assert pipeline.status_code == 200 and pipeline.text.count("<svg") >= 2
    assert "Coverage per rep" in pipeline.text and "Win rate per rep, deals closed in" in pipeline.text and "Stuck deals" in pipeline.text
    assert re.search(r"<title[^>]*>Win rate per rep, deals closed in [^<]+</title>", pipeline.text) and "<script" not in pipeline.text
    agenda = sarah.get("/agenda")
    assert agenda.status_code == 200 and "<h2>" in agenda.text
    before = sarah.get("/cadence")
    assert "<svg" in before.text and "3 h" in before.text
    logged = sarah.post("/cadence/log", {"rep": "Omar Haddad", "minutes": "90", "type": "1on1", "note": "pipeline walk"})
    assert "Logged." in logged.text and "Omar Haddad: 1.5 h" in logged.text


def test_development_plan_and_its_check_ins_as_ics(web_app):
    tom, _ = logged_in(web_app, "tom")
    assert "No plan yet" in tom.get("/development").text
    plan = tom.post("/development/generate")
    assert plan.status_code == 200 and "Your development plan, Tom" in plan.text  # a rep reads the version written to them
    ics = tom.get("/development.ics")
    if "Check-ins (.ics)" in plan.text:
        assert ics.headers["content-type"].startswith("text/calendar") and "BEGIN:VCALENDAR" in ics.text and "BEGIN:VEVENT" in ics.text
    else:
        assert ics.status_code == 400 and "no check-ins" in ics.text


def test_knowledge_base_pages_show_records_lint_and_search_scores(web_app):
    eve, files = logged_in(web_app, "eve")
    assert "objection" in files.text and "Re-index" in files.text
    pages = [eve.get(f"/kb/file?source={source}") for source in re.findall(r'href="/kb/file\?source=([^"]+\.md)"', files.text)]
    with_lines = [page for page in pages if re.search(r'<a href="#L\d+">\d+-\d+</a>', page.text)]
    assert with_lines and 'class="marked"' in with_lines[0].text and 'id="L1"' in with_lines[0].text
    assert eve.get("/kb/lint").status_code == 200
    search = eve.get("/kb/search", params={"q": "the buyer says we are too expensive"})
    assert "score 0." in search.text and "dense " in search.text and "lexical" in search.text
    assert eve.get("/kb/search", params={"q": "x" * 600}).status_code == 400


def test_reindex_runs_with_progress_and_reads_a_new_file(tmp_path, embedder):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "pricing.md").write_text("# Pricing\n\n## Objection: it costs too much\n\nAsk what they compare it with.\n", encoding="utf-8")
    home = tmp_path / "home"
    from coachgen.users import Users

    Users(connect(load_settings(home=home, environ={}).db_path)).add("eve", "enablement", "a long enough secret")
    app = app_for(home, embedder, knowledge_dirs=[folder], inline_wait=0)
    eve = Browser(app)
    eve.login("eve", "a long enough secret")
    first = eve.finish(eve.post("/kb/reindex"), seconds=120)
    assert "Re-indexed: 1 changed, 0 removed, 0 errors" in first.text and "pricing.md" in first.text
    (folder / "security.md").write_text("# Security\n\n## We need to involve IT first\n\nOffer a security review call this week.\n",
                                        encoding="utf-8")
    started = eve.post("/kb/reindex", follow=False, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/jobs/")
    progress = eve.get(started.headers["location"] + "?stay=1", follow_redirects=False)
    assert progress.status_code == 200 and "re-index" in progress.text
    done = eve.finish(eve.get(started.headers["location"]), seconds=120)
    assert "Re-indexed: 1 changed, 0 removed, 0 errors" in done.text and "security.md" in done.text


def test_a_full_queue_answers_busy_with_retry_after(web_home, embedder):
    gate = threading.Event()
    fake = fake_model()

    def slow(kb):
        gate.wait(20)
        return fake(kb)

    app = app_for(web_home, embedder, model_factory=slow, queue_size=1, model_workers=1, inline_wait=0)
    dana, _ = logged_in(app, "dana")
    first = dana.post("/development/generate", follow=False, follow_redirects=False)
    second = dana.post("/development/generate", follow=False, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    busy = dana.post("/development/generate", follow=False, follow_redirects=False)
    assert busy.status_code == 429 and re.search(r"busy, try again in \d+ s", busy.text) and int(busy.headers["Retry-After"]) >= 1
    waiting = dana.get(second.headers["location"], follow_redirects=False)
    assert 'http-equiv="refresh"' in waiting.text and "waiting for a free worker" in waiting.text
    assert dana.get("/drills/history").status_code == 200  # pages without a model stay quick while the queue is full
    gate.set()
    assert "Development plan" in dana.finish(waiting).text


def test_every_form_says_what_is_wrong(web_app):
    dana, page = logged_in(web_app, "dana")
    bad = dana.post("/drills/start", {"objection": first_objection(page.text), "difficulty": "9"})
    assert bad.status_code == 400 and "'difficulty' must be 1, 2 or 3" in said(bad)
    assert "no longer in the list" in said(dana.post("/drills/start", {"objection": "nope", "difficulty": "1"}))
    assert "'objection' is empty" in said(dana.post("/drills/start", {"difficulty": "1"}))
    sarah, _ = logged_in(web_app, "sarah")
    assert "'minutes' must be a whole number" in said(sarah.post("/cadence/log", {"rep": "Omar Haddad", "minutes": "abc", "type": "1on1"}))
    assert "'type' must be one of" in said(sarah.post("/cadence/log", {"rep": "Omar Haddad", "minutes": "5", "type": "golf"}))
    assert "'notes' is empty" in said(sarah.post("/deals/D-1001/debrief", {"notes": "  "}))
    assert "'call type' must be one of" in said(sarah.post("/deals/D-1001/prepare", {"call_type": "party"}))
    assert sarah.get("/deals/NOPE").status_code == 404
    wrong = Browser(web_app).login("sarah", "x" * 12)
    assert wrong.status_code == 401 and "Wrong name or password." in wrong.text


def test_untrusted_text_is_escaped_everywhere(web_home, embedder, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(web_home, home)
    export = tmp_path / "deals.csv"
    export.write_text(f'id,account,rep,stage,notes\nX-9,Acme <b>Bold</b>,Dana Whitfield,Discovery,"{PAYLOAD}"\n', encoding="utf-8")
    assert CliRunner().invoke(cli, ["--home", str(home), "deals", "import", str(export)]).exit_code == 0
    app = app_for(home, embedder, model_factory=fake_model(PAYLOAD))
    sarah, _ = logged_in(app, "sarah")
    pages = [sarah.get("/deals/X-9"), sarah.get("/team"), sarah.post("/deals/X-9/debrief", {"notes": PAYLOAD}),
             sarah.get("/deals/X-9"), sarah.post("/deals/X-9/prepare"), sarah.get("/deals/%3Cscript%3Ealert(1)%3C%2Fscript%3E")]
    dana, page = logged_in(app, "dana")
    drill = dana.post("/drills/start", {"objection": first_objection(page.text), "difficulty": "1"})
    pages.append(dana.post(str(drill.url).split("#")[0] + "/answer", {"answer": PAYLOAD}))
    assert "&lt;script&gt;" in pages[-1].text  # the rep's own answer is shown, escaped
    for response in pages:
        text = response.text
        assert "<script>alert" not in text and "<img src=x" not in text and "<b>Bold</b>" not in text, response.url
        assert 'href="javascript:' not in text and "<img" not in text, response.url


def test_request_bodies_over_the_limit_are_refused(web_app):
    dana, _ = logged_in(web_app, "dana")
    big = dana.client.post("/drills/start", data={"csrf": dana.csrf, "objection": "x" * 100_000, "difficulty": "1"})
    assert big.status_code == 413

    def chunks():
        for _ in range(100):
            yield b"a" * 1024

    streamed = dana.client.post("/drills/start", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413


def test_northwind_manager_and_enablement_pages(tmp_path_factory, embedder):
    import csv

    home = tmp_path_factory.mktemp("web-northwind") / "home"
    export = home.parent / "opportunities.csv"  # a slice of the export: the pages, not the import, are under test here
    with (NORTHWIND / "crm" / "opportunities.csv").open(encoding="utf-8-sig", newline="") as source, export.open("w", encoding="utf-8", newline="") as out:
        rows = csv.reader(source)
        writer = csv.writer(out)
        for number, row in enumerate(rows):
            if number > 300:
                break
            writer.writerow(row)
    handbook = home.parent / "handbook"  # the sales pages that carry records (objections, competitors, stages, a module)
    for part in NORTHWIND_PAGES:
        source, target = NORTHWIND / "handbook" / part, handbook / part
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    for args in (["kb", "ingest", handbook], ["deals", "import", export, "--preset", "hubspot"],
                 ["reps", "import", NORTHWIND / "crm" / "owners.csv"]):
        result = CliRunner().invoke(cli, ["--home", str(home), *map(str, args)])
        assert result.exit_code == 0, result.output
    db = connect(load_settings(home=home, environ={}).db_path)
    roster = db.execute("SELECT rep, manager FROM reps WHERE manager IS NOT NULL AND manager != '' ORDER BY rep").fetchall()
    manager = roster[0]["manager"]
    from coachgen.users import Users

    users = Users(db)
    users.add("boss", "manager", "a long enough secret", manager)
    users.add("docs", "enablement", "a long enough secret")
    app = app_for(home, embedder)
    boss = Browser(app)
    team = boss.login("boss", "a long enough secret")
    deal_id = re.search(r'href="/deals/([^"]+)"', team.text).group(1)
    plan = boss.post(f"/deals/{deal_id}/prepare")
    assert plan.status_code == 200 and str(plan.url).endswith("/plan"), plan.text[:400]
    assert "<svg" in boss.get("/pipeline").text
    docs = Browser(app)
    files = docs.login("docs", "a long enough secret")
    assert files.status_code == 200 and "competitor" in files.text
    assert "score 0." in docs.get("/kb/search", params={"q": "the price is too high"}).text


def test_the_embedded_model_writes_a_buyer_line_through_the_web(web_home, embedder, tmp_path):
    """One real artifact end to end: the embedded model writes a drill's opening line (the quickest model call)."""
    home = tmp_path / "home"
    shutil.copytree(web_home, home)
    from coachgen.web import create_app

    app = create_app(load_settings(home=home, environ={}), embedder=embedder)  # no model_factory: the configured (embedded) model
    omar = Browser(app)
    page = omar.login("omar")
    started = omar.post("/drills/start", {"objection": first_objection(page.text), "difficulty": "1"})
    started = omar.finish(started, seconds=300)
    assert 'name="answer"' in started.text, started.text[:500]
    line = re.search(r'<li class="buyer" id="latest"><strong>[^<]*:</strong> (.*?)</li>', started.text, re.S).group(1)
    assert len(line.split()) >= 2


def test_an_answer_refused_by_a_full_queue_leaves_the_drill_playable(web_home, embedder, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(web_home, home)
    hold, release = threading.Event(), threading.Event()
    fake = fake_model()

    def gated(kb):
        if hold.is_set():
            release.wait(20)
        return fake(kb)

    app = app_for(home, embedder, model_factory=gated, queue_size=0, model_workers=1, inline_wait=0)
    dana, page = logged_in(app, "dana")
    drill = dana.post("/drills/start", {"objection": first_objection(page.text), "difficulty": "1"})
    url = str(drill.url)
    assert 'name="answer"' in drill.text
    hold.set()
    plan = dana.post("/development/generate", follow=False, follow_redirects=False)  # takes the only worker
    busy = dana.post(f"{url}/answer", {"answer": GOOD}, follow=False, follow_redirects=False)
    assert busy.status_code == 429 and "busy, try again in" in busy.text
    again = dana.get(url)
    assert 'name="answer"' in again.text and "(1 of 2)" in again.text and GOOD not in again.text
    hold.clear()
    release.set()
    assert "Development plan" in dana.finish(dana.get(plan.headers["location"])).text  # the worker is free again
    assert "(2 of 2)" in dana.post(f"{url}/answer", {"answer": GOOD}).text
