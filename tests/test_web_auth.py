"""The web app's people and boundaries: users commands, argon2 hashes, sessions, CSRF, login rate limit, and
every authorisation boundary tried from the wrong side (real app, real temp home, no mocked database)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from coachgen.cli import app as cli
from coachgen.index.catalog import connect
from coachgen.settings import load_settings
from coachgen.users import Users
from web_fixtures import PASSWORD, Browser, app_for, make_home


@pytest.fixture(scope="module")
def web_home(sample_home, tmp_path_factory):
    return make_home(sample_home, tmp_path_factory.mktemp("web-auth") / "home")


@pytest.fixture(scope="module")
def web_app(web_home, embedder):
    return app_for(web_home, embedder)


@pytest.fixture
def browser(web_app):
    return Browser(web_app)


@pytest.fixture(scope="module")
def dana_drill(web_app):
    """A drill of Dana's, started through the pages."""
    dana = Browser(web_app)
    page = dana.login("dana")
    key = re.search(r'name="objection" value="([^"]+)"', page.text).group(1)
    started = dana.post("/drills/start", {"objection": key, "difficulty": "1"})
    assert started.status_code == 200 and "/drills/" in str(started.url), started.text[:300]
    return str(started.url).rsplit("/", 1)[1]


def test_users_commands_store_argon2_hashes_and_say_what_is_wrong(tmp_path):
    home = tmp_path / "h"
    run = CliRunner()
    added = run.invoke(cli, ["--home", str(home), "users", "add", "lee", "--role", "manager", "--rep", "Lee Park", "--password-stdin"],
                       input="a long enough secret\n")
    assert added.exit_code == 0, added.output
    rep = run.invoke(cli, ["--home", str(home), "users", "add", "kim", "--role", "rep", "--team", "lee", "--password-stdin"], input="another secret!\n")
    assert rep.exit_code == 0, rep.output
    stored = connect(load_settings(home=home, environ={}).db_path).execute("SELECT name, password FROM users ORDER BY name").fetchall()
    assert all(row[1].startswith("$argon2id$") and "secret" not in row[1] for row in stored)
    listed = run.invoke(cli, ["--home", str(home), "users", "list", "--json"])
    assert '"team": "lee"' in listed.stdout and '"crm_name": "Lee Park"' in listed.stdout
    short = run.invoke(cli, ["--home", str(home), "users", "add", "x", "--role", "rep", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 10" in short.stderr
    bad_role = run.invoke(cli, ["--home", str(home), "users", "add", "x", "--role", "boss", "--password-stdin"], input="long enough pw\n")
    assert bad_role.exit_code == 1 and "--role must be one of" in bad_role.stderr
    twice = run.invoke(cli, ["--home", str(home), "users", "add", "LEE", "--role", "rep", "--password-stdin"], input="long enough pw\n")
    assert twice.exit_code == 1 and "exists" in twice.stderr
    users = Users(connect(load_settings(home=home, environ={}).db_path))
    assert users.verify("kim", "another secret!") and not users.verify("kim", "wrong password")
    assert run.invoke(cli, ["--home", str(home), "users", "reset", "kim", "--password-stdin"], input="a new secret here\n").exit_code == 0
    assert users.verify("kim", "a new secret here") and not users.verify("kim", "another secret!")
    assert run.invoke(cli, ["--home", str(home), "users", "remove", "kim"]).exit_code == 0
    assert users.find("kim") is None
    assert run.invoke(cli, ["--home", str(home), "users", "remove", "kim"]).exit_code == 1


def test_login_cookie_is_httponly_samesite_and_secure_behind_tls(web_app):
    plain = Browser(web_app)
    response = plain.login("dana")
    assert response.status_code == 200 and str(response.url).endswith("/drills")
    cookie = next(h for h in response.history[0].headers.get_list("set-cookie") if h.startswith("coachgen_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    tls = Browser(web_app, base_url="https://testserver")
    response = tls.login("dana")
    cookie = next(h for h in response.history[0].headers.get_list("set-cookie") if h.startswith("coachgen_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_wrong_password_then_rate_limit(web_home, embedder):
    browser = Browser(app_for(web_home, embedder))  # a fresh app: its own limiter
    for _ in range(5):
        assert browser.login("omar", "not the password").status_code == 401
    blocked = browser.login("omar")  # even the right password waits now
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0 and "try again in" in blocked.text
    assert browser.login("nobody-at-all", "whatever it is").status_code == 429  # same client address


def test_anonymous_is_sent_to_login_and_logout_ends_the_session(browser):
    response = browser.get("/team", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    browser.login("sarah")
    token = browser.client.cookies.get("coachgen_session")
    assert browser.get("/team").status_code == 200
    browser.post("/logout")
    browser.client.cookies.set("coachgen_session", token)  # replaying the old cookie
    assert browser.get("/team", follow_redirects=False).status_code == 303


def test_a_forged_form_without_or_with_a_wrong_csrf_token_is_refused(browser, web_app):
    browser.login("sarah")
    forged = browser.client.post("/cadence/log", data={"rep": "Dana Whitfield", "minutes": "30", "type": "1on1"})
    assert forged.status_code == 403
    other = Browser(web_app)
    other.login("jonah")
    stolen = browser.client.post("/cadence/log", data={"csrf": other.csrf, "rep": "Dana Whitfield", "minutes": "30", "type": "1on1"})
    assert stolen.status_code == 403
    login_forged = Browser(web_app).client.post("/login", data={"name": "sarah", "password": PASSWORD})
    assert login_forged.status_code == 403


def test_a_rep_cannot_open_another_reps_drill_pages_or_deals(web_app, dana_drill):
    omar = Browser(web_app)
    omar.login("omar")
    assert omar.get(f"/drills/{dana_drill}").status_code == 404
    assert omar.post(f"/drills/{dana_drill}/answer", {"answer": "Let me answer for Dana."}).status_code == 404
    assert omar.get("/drills/history?rep=Dana%20Whitfield").status_code == 200  # the rep parameter is ignored for a rep...
    assert "Dana Whitfield" not in omar.get("/drills/history?rep=Dana%20Whitfield").text  # ...who only ever sees themselves
    assert omar.get("/deals/D-1001").status_code == 404  # Dana's deal
    assert omar.post("/deals/D-1001/prepare").status_code == 404
    assert "D-1001" not in omar.get("/team").text  # a rep's deal list holds only their own deals
    for manager_page in ("/pipeline", "/agenda", "/cadence"):
        assert omar.get(manager_page).status_code == 403, manager_page
    assert omar.get("/kb").status_code == 403 and omar.get("/kb/lint").status_code == 403
    assert omar.get("/kb/search?q=price").status_code == 403 and omar.post("/kb/reindex").status_code == 403
    assert omar.get("/kb/file?source=objections/objection-library.yaml").status_code == 200  # plans link their sources here
    dana = Browser(web_app)
    dana.login("dana")
    assert dana.get(f"/drills/{dana_drill}").status_code == 200


def test_a_manager_outside_the_team_sees_nothing_of_it(web_app, dana_drill):
    jonah = Browser(web_app)
    jonah.login("jonah")
    assert jonah.get(f"/drills/{dana_drill}").status_code == 404
    assert jonah.get("/drills/history?rep=Dana%20Whitfield").status_code == 404
    assert jonah.get("/development?rep=Dana%20Whitfield").status_code == 404
    assert jonah.get("/deals/D-1001").status_code == 404
    assert jonah.post("/deals/D-1001/debrief", {"notes": "hi"}).status_code == 404
    assert jonah.post("/deals/D-1001/answers", {"answer_1": "x"}).status_code == 404
    logged = jonah.post("/cadence/log", {"rep": "Dana Whitfield", "minutes": "30", "type": "1on1"})
    assert logged.status_code == 400 and "not on your team" in logged.text
    assert "D-1001" not in jonah.get("/team").text
    sarah = Browser(web_app)
    sarah.login("sarah")
    assert sarah.get(f"/drills/{dana_drill}").status_code == 200 and sarah.get("/deals/D-1001").status_code == 200
    assert sarah.post(f"/drills/{dana_drill}/answer", {"answer": "A manager answering."}).status_code == 403  # roles: only reps play


def test_enablement_sees_the_knowledge_base_and_no_rep(web_app, dana_drill):
    eve = Browser(web_app)
    eve.login("eve")
    assert eve.get("/kb").status_code == 200
    for page in ("/team", "/drills", f"/drills/{dana_drill}", "/deals/D-1001", "/pipeline", "/development"):
        assert eve.get(page).status_code == 403, page
    admin = Browser(web_app)
    admin.login("admin")
    for page in ("/team", "/kb", f"/drills/{dana_drill}", "/deals/D-1001", "/pipeline", "/cadence"):
        assert admin.get(page).status_code == 200, page


def test_jobs_belong_to_who_started_them(web_home, embedder):
    import threading

    gate = threading.Event()

    def slow(kb):
        gate.wait(10)
        return fake_model_factory(kb)

    from web_fixtures import fake_model

    fake_model_factory = fake_model()
    app = app_for(web_home, embedder, model_factory=slow, inline_wait=0)
    dana = Browser(app)
    page = dana.login("dana")
    key = re.search(r'name="objection" value="([^"]+)"', page.text).group(1)
    started = dana.post("/drills/start", {"objection": key, "difficulty": "1"}, follow=False, follow_redirects=False)
    job_url = started.headers["location"]
    assert job_url.startswith("/jobs/")
    omar = Browser(app)
    omar.login("omar")
    assert omar.get(job_url).status_code == 404
    progress = dana.get(job_url, follow_redirects=False)
    assert progress.status_code == 200 and 'http-equiv="refresh"' in progress.text
    gate.set()
    assert "/drills/" in str(dana.finish(progress).url)


def test_login_returns_only_to_pages_of_this_site(web_app):
    from web_fixtures import csrf_of

    for target, landing in (("/cadence", "/cadence"), ("//evil.example/x", "/team"), ("/\\evil.example", "/team"), ("https://evil.example", "/team")):
        browser = Browser(web_app)
        csrf = csrf_of(browser.get(f"/login?next={target}").text)
        response = browser.client.post(f"/login?next={target}", data={"csrf": csrf, "name": "sarah", "password": PASSWORD},
                                       follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == landing, target
