"""Helpers for the web app's tests: a sample home with users, a logged-in client, a fake model at the LLM seam."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import time
from pathlib import Path

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from starlette.testclient import TestClient

from coachgen.index.catalog import connect
from coachgen.settings import load_settings
from coachgen.users import Users

PASSWORD = "correct horse battery"
#: name, role, CRM name, team
PEOPLE = [
    ("admin", "admin", None, None),
    ("sarah", "manager", "Sarah Kim", None),
    ("jonah", "manager", "Jonah Patel", None),
    ("dana", "rep", "Dana Whitfield", None),
    ("omar", "rep", "Omar Haddad", None),
    ("ben", "rep", "Ben Okafor", None),
    ("tom", "rep", "Tom Reilly", None),
    ("eve", "enablement", None, None),
]


def fake_model(*lines: str):
    """A chat model that always answers with a buyer line (every other artifact falls back to its own wording)."""
    replies = [AIMessage(content=json.dumps({"line": line})) for line in (lines or ("We still have no budget for this this year.",))]
    return lambda kb: GenericFakeChatModel(messages=itertools.cycle(replies))


def make_home(source: Path, target: Path) -> Path:
    """A copy of an ingested home with the test users in it."""
    shutil.copytree(source, target)
    users = Users(connect(load_settings(home=target, environ={}).db_path))
    for name, role, crm, team in PEOPLE:
        users.add(name, role, PASSWORD, crm, team)
    users.db.close()
    return target


def app_for(home: Path, embedder, **options):
    from coachgen.web import create_app

    options.setdefault("model_factory", fake_model())
    return create_app(load_settings(home=home, environ={}), embedder=embedder, **options)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


class Browser:
    """A TestClient that logs in and keeps the page's CSRF token."""

    def __init__(self, app, base_url: str = "http://testserver") -> None:
        self.client = TestClient(app, base_url=base_url)
        self.csrf = ""

    def login(self, name: str, password: str = PASSWORD):
        page = self.client.get("/login")
        self.csrf = csrf_of(page.text)
        response = self.client.post("/login", data={"csrf": self.csrf, "name": name, "password": password})
        if response.status_code == 200:
            self.csrf = csrf_of(response.text)
        return response

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict | None = None, follow: bool = True, **kw):
        """Post a form with the CSRF token; follow a job's progress page until it is done."""
        response = self.client.post(url, data={"csrf": self.csrf, **(data or {})}, **kw)
        return self.finish(response) if follow else response

    def finish(self, response, seconds: float = 30):
        deadline = time.monotonic() + seconds
        while "/jobs/" in str(response.url) and response.status_code == 200 and time.monotonic() < deadline:
            if 'http-equiv="refresh"' not in response.text:
                break
            time.sleep(0.1)
            response = self.client.get(str(response.url))
        return response
