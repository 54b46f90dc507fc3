"""Two ingest processes on one home: one waits for the lock, and nothing is lost."""

import json
import os
import subprocess
import sys

from conftest import write


def test_two_ingest_processes_at_once_lose_nothing(tmp_path, home):
    folders = []
    for name in ("east", "west"):
        folder = tmp_path / name
        for number in range(25):
            write(folder / f"{name}-{number}.md", f"# {name} note {number}\n\nThe {name} team playbook, note number {number}, about account {name}{number}.\n")
        folders.append(folder)
    env = {**os.environ, "COACHGEN_HOME": str(home)}
    processes = [
        subprocess.Popen([sys.executable, "-m", "coachgen", "kb", "ingest", str(folder), "--json"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for folder in folders
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], [err[-2500:] for _, err in outputs]
    assert sum(json.loads(out)["chunks_added"] for out, _ in outputs) == 50
    stats = json.loads(subprocess.run([sys.executable, "-m", "coachgen", "kb", "stats", "--json"], env=env,
                                      capture_output=True, text=True, check=True).stdout)
    assert stats["chunks"] == stats["vectors"] == 50
    queries = tmp_path / "queries.txt"
    queries.write_text("\n".join(f"The {n} team playbook, note number {i}, about account {n}{i}." for n in ("east", "west") for i in range(25)))
    lines = subprocess.run([sys.executable, "-m", "coachgen", "kb", "search", "--queries", str(queries), "--k", "1"], env=env,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    found = [json.loads(line)["results"][0]["source"] for line in lines]
    assert found == [f"{n}-{i}.md" for n in ("east", "west") for i in range(25)]


READER = """
import sys, time
from pathlib import Path
from coachgen.knowledge_base import KnowledgeBase
from coachgen.settings import load_settings
home, flag = Path(sys.argv[1]), Path(sys.argv[2])
kb, other = KnowledgeBase(load_settings(home=home)), KnowledgeBase(load_settings(home=home))
print([h.source for h in kb.search("quokka approvals", k=5)], [h.source for h in other.search("alpha", k=1)], flush=True)
while not flag.exists():
    time.sleep(0.05)
print([h.source for h in kb.search("quokka approvals", k=1)], [h.source for h in other.search("quokka approvals", k=1)], flush=True)
"""


def test_a_reader_opened_before_a_write_sees_the_new_data(tmp_path, home):
    folder = tmp_path / "kb"
    write(folder / "alpha.md", "# Alpha\n\nAlpha notes about discovery calls with finance teams.\n")
    env = {**os.environ, "COACHGEN_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "coachgen", "kb", "ingest", str(folder)], env=env, check=True, capture_output=True)
    flag = tmp_path / "written"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(home), str(flag)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = reader.stdout.readline()
    assert first.strip() == "['alpha.md'] ['alpha.md']", reader.stderr.read()
    write(folder / "quokka.md", "# Quokka\n\nThe quokka programme speeds up invoice approvals.\n")
    subprocess.run([sys.executable, "-m", "coachgen", "kb", "ingest", str(folder)], env=env, check=True, capture_output=True)
    flag.write_text("go")
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err[-2000:]
    assert out.strip() == "['quokka.md'] ['quokka.md']"
