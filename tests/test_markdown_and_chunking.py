from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coachgen.errors import InputError, SkippedFile
from coachgen.ingest.chunking import chunk_document, split_sections
from coachgen.ingest.documents import Document
from coachgen.ingest.frontmatter import parse_duration_days
from coachgen.ingest.markdown import clean_markup, load_markdown

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


SITE_PAGE = """---
title: "Pricing pushback"
description: How we answer "it costs too much"
date: 2023-04-01
lastmod: 2024-02-03T10:00:00Z
weight: 20
aliases: [/old/pricing]
sidebar: true
showTitle: true
toc: true
categories: [sales]
tags: [pricing]
---
# Pricing pushback

<!-- TODO: update
for FY25 -->
First line.<br>Same paragraph.

{{< note >}}
Discounts need **approval**.
{{< /note >}}

{{% alert title="Heads up" %}}
Never quote from memory.
{{% /alert %}}

## [What is Fernhollow?](../about.md#what)

<details>
<summary>Why pay?</summary>

Because it saves a day a week.

</details>

```html
<!-- a comment in code stays -->
{{< shortcode in code stays >}}
```
"""


def test_static_site_front_matter_is_understood_and_the_rest_kept_quietly():
    document, front = load_markdown("sales/pricing.md", SITE_PAGE)
    assert document.title == "Pricing pushback" and document.kind == "playbook"
    assert document.reviewed == date(2024, 2, 3)  # lastmod before date
    assert document.tags == ("pricing", "sales")
    assert document.extra["summary"] == 'How we answer "it costs too much"'
    assert front.warnings == ()
    assert set(front.other) == {"weight", "aliases", "sidebar", "showTitle", "toc"}
    assert load_markdown("a.md", "---\ndate: 2022-05-06\n---\n# A\ntext\n")[0].reviewed == date(2022, 5, 6)


def test_only_a_likely_misspelling_of_our_fields_is_warned_about():
    _, front = load_markdown("a.md", "---\nreviwed: 2024-01-01\nstage: proposal\nowners: Jo\nreviewed_by: Sam\n"
                                     "linkTitle: A\nlayout: docs\nstatus: live\n---\n# A\ntext\n")
    assert [w.split("'")[1::2] for w in front.warnings] == [["reviwed", "reviewed"], ["stage", "stages"], ["owners", "owner"]]


@pytest.mark.parametrize("front, message", [
    ("reviewed: 2024-13-45", "'reviewed' must be a date like 2026-03-31, not '2024-13-45'"),
    ("tags: " + "[" * 3000 + "]" * 3000, "invalid YAML front matter (nested too deeply)"),
])
def test_a_bad_value_in_a_field_we_read_is_one_line_naming_the_file(front, message):
    with pytest.raises(InputError) as error:
        load_markdown("team/bad.md", f"---\n{front}\n---\n# T\ntext\n")
    assert str(error.value).startswith("team/bad.md: ") and message in str(error.value) and "\n" not in str(error.value)


def test_a_bad_static_site_date_is_a_warning_and_the_page_is_kept():
    document, front = load_markdown("a.md", "---\nlastmod: someday\ndate: 2021-01-02\n---\n# A\ntext\n")
    assert document.reviewed == date(2021, 1, 2)
    assert front.warnings == ("front matter: 'lastmod' must be a date like 2026-03-31, not 'someday'; ignored",)


def test_toml_front_matter_is_parsed():
    document, _ = load_markdown("a.md", '+++\ntitle = "Renewals"\nlastmod = 2025-01-20\ntags = ["cs"]\ndraft = false\n+++\n\n# R\n\ntext\n')
    assert (document.title, document.reviewed, document.tags, document.extra["body_line"]) == ("Renewals", date(2025, 1, 20), ("cs",), 7)
    with pytest.raises(InputError, match=r"^a\.md: invalid TOML front matter"):
        load_markdown("a.md", "+++\ntitle = \n+++\ntext\n")


@pytest.mark.parametrize("text, why", [
    ("---\ntitle: Launch\ndraft: true\n---\n# Launch\ntext\n", "a draft"),
    ("+++\ndraft = true\n+++\ntext\n", "a draft"),
    ("---\ntitle: Section\nweight: 10\n---\n\n", "no text besides its front matter"),
    ("<!-- nothing here yet -->\n{{< toc >}}\n", "no text besides markup and comments"),
])
def test_drafts_and_pages_without_text_are_skipped_with_a_note(text, why):
    with pytest.raises(SkippedFile, match=why) as note:
        load_markdown("_index.md", text)
    assert str(note.value).startswith("_index.md: skipped: ")


def test_shortcodes_comments_and_html_are_cleaned_keeping_text_code_and_lines():
    document, _ = load_markdown("sales/pricing.md", SITE_PAGE)
    body = document.body
    for gone in ("<!--", "{{<", "{{%", "<br>", "<details>", "<summary>", "TODO"):
        assert gone not in body.split("```")[0], gone
    for kept in ("First line. Same paragraph.", "Discounts need **approval**.", "Never quote from memory.", "Why pay?",
                 "Because it saves a day a week.", "<!-- a comment in code stays -->", "{{< shortcode in code stays >}}"):
        assert kept in body, kept
    file_lines = SITE_PAGE.split("\n")
    offset = document.extra["body_line"] - 1
    assert offset == 13
    for number, line in enumerate(body.split("\n"), start=1):
        if line.strip():
            assert line.split(" Same")[0].split("Why")[0] in file_lines[number + offset - 1], (number, line)


def test_heading_links_keep_their_text_in_the_heading_path():
    document, _ = load_markdown("sales/pricing.md", SITE_PAGE)
    sections = [chunk.section for chunk in chunk_document(document, 1200)]
    assert "Pricing pushback > What is Fernhollow?" in sections
    assert load_markdown("x.md", "## [What is Fernhollow?](../x.md#a)\n\ntext\n")[0].title == "What is Fernhollow?"


def test_mdx_pages_lose_imports_and_comments():
    text = "---\ntitle: Demo\n---\nimport Tabs from '@theme/Tabs';\n\n{/* owned by enablement */}\n\n# Demo\n\n<Tabs>\nShow their yard first.\n</Tabs>\n"
    document, _ = load_markdown("demo/index.mdx", text)
    assert "import" not in document.body and "owned by" not in document.body and "<Tabs>" not in document.body
    assert "Show their yard first." in document.body
    assert document.body.count("\n") == text.count("\n") - 3  # only the front matter's lines are gone


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="<>!-{}%/# |\n`abc*", max_size=200))
def test_cleaning_never_changes_the_number_of_lines(text):
    assert clean_markup(text).count("\n") == text.count("\n")
    assert clean_markup(text, mdx=True).count("\n") == text.count("\n")


def test_a_long_table_is_cut_between_rows_and_every_part_repeats_the_header():
    rows = "\n".join(f"| *Objection {i}: the price is too high for us* | Ask what they compare it with, case {i}. |" for i in range(40))
    body = f"# Objections\n\nBefore the table.\n\n| Objection | Response |\n| --- | --- |\n{rows}\n\nAfter the table.\n"
    document = Document(key="t.md", source="t.md", kind="playbook", title="Objections", body=body)
    chunks = chunk_document(document, 600)
    assert len(chunks) > 3 and all(len(chunk.text) <= 600 for chunk in chunks)
    with_rows = [chunk.text for chunk in chunks if "| *Objection" in chunk.text]
    assert all("| Objection | Response |\n| --- | --- |\n" in text for text in with_rows)
    assert sum(text.count("| *Objection") for text in with_rows) == 40
    assert "After the table." in chunks[-1].text and "Before the table." in chunks[0].text
