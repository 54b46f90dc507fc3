"""Records from markdown tables, recognised by what their header cells mean, not by exact words.

An objection table has a column of what the buyer says and one of how we answer; a competitor
table names the competitor in a column (``| Competitor | Their pitch | Our counter |``) or in a
header (``| Differentiator | How <Competitor> does it | How we do it |``); a stage table has a
stage column and a definition or exit column; a question column makes discovery questions and an
item column under a content heading makes content items.
"""

from __future__ import annotations

import re

from coachgen.knowledge.miners import Context, clean, split_persona
from coachgen.knowledge.records import Competitor, ContentItem, DiscoveryQuestion, KnowledgeRecord, Objection, ProofPoint, Stage
from coachgen.knowledge.structure import Block, Section, cue_score, words

__all__ = ["header_roles", "mine"]

_ROLES = ("objection", "response", "competitor", "claim", "counter", "stage", "definition", "exit", "days", "question", "topic", "persona", "item", "when",
          "before", "after")


def header_roles(context: Context, header: list[str]) -> dict[str, int]:
    """Role -> column index, each column given the role its words score highest (ties: first role)."""
    cues = context.vocabulary["header_cues"]
    roles: dict[str, int] = {}
    for column, cell in enumerate(header):
        scores = {role: cue_score(cell, cues[role]) for role in _ROLES}
        best = max(scores.values())
        if best == 0:
            continue
        role = next(r for r in _ROLES if scores[r] == best)
        roles.setdefault(role, column)
    return roles


def _named_competitor(context: Context, cell: str) -> str | None:
    """A proper name inside a header cell such as 'How Routewise does it' (capitalised, not a cue word)."""
    vocabulary = {w for group in context.vocabulary["header_cues"].values() for w in group}
    names = [token for token in re.findall(r"\b[A-Z][\w.&'-]*(?:\s+[A-Z][\w.&'-]*)*", cell)]
    for name in names:
        kept = [w for w in name.split() if w.lower() not in vocabulary and w.lower() not in ("how", "what", "the", "it", "does", "do")]
        if kept:
            return " ".join(kept)
    return None


def _cell(row: list[str], column: int | None) -> str:
    return clean(row[column]) if column is not None and column < len(row) else ""


def _list(text: str) -> list[str]:
    return [part.strip(" .") for part in re.split(r"\s*(?:;|•|<br>|\s-\s)\s*", text) if part.strip(" .")]


def _days(text: str) -> int | None:
    match = re.search(r"\d+", text)
    return int(match.group()) if match else None


def _question_column(context: Context, block: Block) -> int | None:
    """In a discovery table, the rightmost column of questions asked of the buyer whose header is not the
    'bad' side of a 'bad → better' pair (e.g. '| Instead of | Try |'), or None."""
    from coachgen.knowledge.miners.lists import is_question

    avoid = context.vocabulary["negation"] + ["instead", "bad", "weak", "before"]
    columns = []
    for column, cell in enumerate(block.header):
        asked = sum(1 for row in block.rows if column < len(row) and is_question(context, clean(row[column])))
        if block.rows and asked * 5 >= len(block.rows) * 3 and not cue_score(cell, avoid):
            columns.append(column)
    return columns[-1] if columns and len(columns) < len(block.header) else None


def _table(context: Context, section: Section, block: Block) -> list[KnowledgeRecord]:
    roles = header_roles(context, block.header)
    records: list[KnowledgeRecord] = []
    lines = block.row_lines or [block.line] * len(block.rows)

    def where(number: int) -> object:
        line = lines[number] if number < len(lines) else block.line
        return context.provenance(section, line, line, "table")

    about_competitors = context.means(section, "competitor")
    claim_cues = context.vocabulary["header_cues"]["claim"]
    named = [i for i, cell in enumerate(block.header[1:], 1) if (about_competitors or cue_score(cell, claim_cues)) and _named_competitor(context, cell)]
    if len(named) > 1:  # a feature grid (us and several vendors side by side): which column is us is not said
        return []
    competitor_column = named[0] if named and roles.get("competitor") != 0 else None
    if "objection" in roles and ("response" in roles or "counter" in roles) and "competitor" not in roles:
        answer = roles.get("response", roles.get("counter"))
        for number, row in enumerate(block.rows):
            said, persona = split_persona(_cell(row, roles["objection"]))
            if said:
                records.append(Objection(text=said, response=_cell(row, answer), persona=persona or _cell(row, roles.get("persona")) or None,
                                         provenance=where(number)))
    elif roles.get("competitor") == 0 or competitor_column is not None:
        counter = roles.get("counter", roles.get("response"))
        for number, row in enumerate(block.rows):
            if competitor_column is not None:
                name = _named_competitor(context, block.header[competitor_column]) or ""
                topic = _cell(row, 0)
                claim, answer = _cell(row, competitor_column), _cell(row, counter if counter != competitor_column else None)
                claim, answer = (f"{topic}: {claim}" if topic and claim else claim), (f"{topic}: {answer}" if topic and answer else answer)
            else:
                name, claim, answer = _cell(row, 0), _cell(row, roles.get("claim")), _cell(row, counter)
            if name:
                records.append(Competitor(text=name, claims=[claim] if claim else [], counters=[answer] if answer else [], provenance=where(number)))
    elif "before" in roles and "after" in roles:
        first = 0 if 0 not in (roles["before"], roles["after"]) else None
        label = lambda row: f"{_cell(row, first)}: " if first is not None and _cell(row, first) else ""  # noqa: E731
        before = "; ".join(label(row) + _cell(row, roles["before"]) for row in block.rows)
        after = "; ".join(label(row) + _cell(row, roles["after"]) for row in block.rows)
        records.append(ProofPoint(text=section.title or context.document.title, problem=before, result=after,
                                  provenance=context.provenance(section, block.line, block.end, "table")))
    elif "stage" in roles and ({"definition", "exit"} & set(roles)):
        for number, row in enumerate(block.rows):
            name = _cell(row, roles["stage"])
            if name:
                records.append(Stage(text=re.sub(r"^\d+[.)]\s*", "", name), order=number + 1, definition=_cell(row, roles.get("definition")),
                                     exit_criteria=_list(_cell(row, roles.get("exit"))) if "exit" in roles else [],
                                     stuck_days=_days(_cell(row, roles.get("days"))) if "days" in roles else None, provenance=where(number)))
    elif context.means(section, "discovery") and (column := _question_column(context, block)) is not None:
        for number, row in enumerate(block.rows):
            question = _cell(row, column)
            if question:
                records.append(DiscoveryQuestion(text=question, topic=section.title, provenance=where(number)))
    elif "question" in roles and context.means(section, "discovery"):
        internal = context.vocabulary["internal_voice"]
        for number, row in enumerate(block.rows):
            question = _cell(row, roles["question"])
            if question.endswith("?") and not cue_score(question, internal):
                records.append(DiscoveryQuestion(text=question, topic=_cell(row, roles.get("topic")) or section.title,
                                                 persona=_cell(row, roles.get("persona")) or None, provenance=where(number)))
    elif "item" in roles and context.means(section, "content_item"):
        for number, row in enumerate(block.rows):
            item = _cell(row, roles["item"])
            if item:
                records.append(ContentItem(text=item, when=_cell(row, roles.get("when")), provenance=where(number)))
    return records


def mine(context: Context) -> list[KnowledgeRecord]:
    """Records from every table of the document."""
    found: list[KnowledgeRecord] = []
    for section in context.sections:
        for block in section.blocks:
            if block.kind == "table" and block.header and block.rows and len(words(" ".join(block.header))) >= 2:
                found.extend(_table(context, section, block))
    return found
