from datetime import date

import pytest

from coachgen.errors import InputError
from coachgen.ingest.chunking import chunk_document, split_sections
from coachgen.ingest.documents import Document
from coachgen.ingest.frontmatter import parse_duration_days
from coachgen.ingest.markdown import load_markdown

DOC = """---
kind: training
title: Listening
owner: Enablement
reviewed: 2026-01-05
review_every: 6 months
tags: [listening, discovery]
skills: listening
---
# Listening

Intro paragraph.

## Why it matters
Reps who talk less learn more.

```
# a comment in code, not a heading
```

### Measuring it
Talk ratio under 50%.

## Empty section

## Drill
Paraphrase the buyer.
"""


def test_front_matter_fields_are_parsed():
    document, front = load_markdown("training/listening.md", DOC)
    assert document.kind == "training"
    assert document.title == "Listening"
    assert document.reviewed == date(2026, 1, 5)
    assert document.review_every_days == 180
    assert document.tags == ("listening", "discovery")
    assert document.skills == ("listening",)
    assert front.unknown == ()


def test_plain_markdown_takes_its_title_from_the_first_heading():
    document, front = load_markdown("notes.md", "Some words first.\n\n# Real title\n\nBody.\n")
    assert document.title == "Real title"
    assert document.kind == "playbook"
    assert front.kind is None


def test_plain_markdown_without_heading_uses_the_file_name():
    document, _ = load_markdown("call-notes_v2.md", "Just text.\n")
    assert document.title == "Call notes v2"


@pytest.mark.parametrize(
    "front, message",
    [
        ("kind: brochure", "unknown kind 'brochure'"),
        ("reviewed: last tuesday", "'reviewed' must be a date"),
        ("review_every: often", "not a duration"),
        ("tags: {a: 1}", "'tags' must be a list"),
        ("expires: 2027-01-01\nreview_every: 90d", "either 'expires' or 'review_every'"),
        ("- just\n- a list", "must be a mapping"),
        ("title: [unclosed", "invalid YAML front matter"),
    ],
)
def test_invalid_front_matter_names_file_and_problem(front, message):
    with pytest.raises(InputError) as error:
        load_markdown("bad.md", f"---\n{front}\n---\n# T\ntext\n")
    assert str(error.value).startswith("bad.md: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_front_matter_only_file_is_refused():
    with pytest.raises(InputError, match="no text besides its front matter"):
        load_markdown("empty.md", "---\nkind: playbook\n---\n\n")


@pytest.mark.parametrize("value, days", [(30, 30), ("90d", 90), ("2 weeks", 14), ("6 months", 180), ("1y", 365)])
def test_durations(value, days):
    assert parse_duration_days(value) == days


def test_sections_follow_headings_but_not_code_fences():
    sections = split_sections(DOC.split("---\n", 2)[2])
    paths = [" > ".join(section.path) for section in sections]
    assert paths == [
        "Listening",
        "Listening > Why it matters",
        "Listening > Why it matters > Measuring it",
        "Listening > Empty section",
        "Listening > Drill",
    ]
    assert "# a comment in code" in sections[1].text


def test_chunks_keep_heading_path_skip_empty_sections_and_have_stable_ids():
    document, _ = load_markdown("training/listening.md", DOC)
    chunks = chunk_document(document, 1200)
    assert [chunk.section for chunk in chunks] == [
        "Listening",
        "Listening > Why it matters",
        "Listening > Why it matters > Measuring it",
        "Listening > Drill",
    ]
    assert [chunk.id for chunk in chunk_document(document, 1200)] == [chunk.id for chunk in chunks]
    assert len({chunk.id for chunk in chunks}) == len(chunks)


def test_long_sections_are_split_within_the_bound():
    paragraphs = "\n\n".join(f"Paragraph {i}. " + "word " * 60 for i in range(20))
    sentence_wall = " ".join(f"Sentence number {i} is here." for i in range(200))
    body = f"# Big\n\n## Paragraphs\n{paragraphs}\n\n## Wall\n{sentence_wall}\n"
    document = Document(key="big.md", source="big.md", kind="playbook", title="Big", body=body)
    chunks = chunk_document(document, 500)
    assert all(len(chunk.text) <= 500 for chunk in chunks)
    assert {chunk.section for chunk in chunks} == {"Big > Paragraphs", "Big > Wall"}
    joined = " ".join(chunk.text for chunk in chunks if chunk.section == "Big > Wall")
    assert joined.split() == sentence_wall.split()


def test_changing_one_section_changes_only_its_chunk_id():
    before = chunk_document(load_markdown("a.md", DOC)[0], 1200)
    after = chunk_document(load_markdown("a.md", DOC.replace("Paraphrase the buyer.", "Mirror the buyer."))[0], 1200)
    assert [c.id for c in before][:3] == [c.id for c in after][:3]
    assert before[3].id != after[3].id
