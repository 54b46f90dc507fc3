"""Question-and-answer shapes: bold-line objections, a heading per objection, FAQ headings in the
buyer's voice, and ``Q:`` / ``A:`` pairs.

A bold line inside an objections section is the objection and the paragraphs after it, up to the next
bold line, are the response. Under an objections heading, each sub-heading is an objection and its
text the response. A heading phrased as a question under an FAQ or objections heading (or on an FAQ
page) is a buyer's question unless its words are about us (booking leave, expenses: see
``internal_voice`` in the vocabulary).
"""

from __future__ import annotations

from coachgen.knowledge.miners import Context, clean, split_persona
from coachgen.knowledge.records import KnowledgeRecord, Objection
from coachgen.knowledge.structure import Section, cue_score

__all__ = ["mine"]


def _bold_lines(context: Context, section: Section) -> list[KnowledgeRecord]:
    records: list[KnowledgeRecord] = []
    current: tuple[str, str | None, int] | None = None
    answer: list[str] = []
    end = section.line

    def close() -> None:
        if current is not None and answer:
            said, persona, line = current
            records.append(Objection(text=said, response=" ".join(answer), persona=persona,
                                     provenance=context.provenance(section, line, end, "bold-lines")))

    for block in section.blocks:
        if block.kind == "table":
            continue
        if block.bold and block.depth == 0:
            close()
            said, persona = split_persona(clean(block.text))
            current, answer = (said, persona, block.line), []
        elif current is not None:
            answer.append(block.text)
            end = block.end or block.line
    close()
    return records


def _is_buyer_question(context: Context, title: str) -> bool:
    return title.rstrip().endswith("?") and not cue_score(title, context.vocabulary["internal_voice"])


def _heading_objection(context: Context, section: Section, found_by: str) -> list[KnowledgeRecord]:
    response = section.text()
    if not response:
        return []
    said, persona = split_persona(clean(section.title))
    return [Objection(text=said, response=response, persona=persona,
                      provenance=context.provenance(section, section.line, section.end, found_by))]  # type: ignore[arg-type]


def _qa_pairs(context: Context, section: Section) -> list[KnowledgeRecord]:
    records: list[KnowledgeRecord] = []
    blocks = [block for block in section.blocks if block.kind != "table"]
    for first, second in zip(blocks, blocks[1:]):
        question, answer = first.label, second.label
        if question and answer and question.lower() in ("q", "question") and answer.lower() in ("a", "answer") and first.rest and second.rest:
            records.append(Objection(text=clean(first.rest), response=second.rest,
                                     provenance=context.provenance(section, first.line, second.end, "faq")))
    return records


def mine(context: Context) -> list[KnowledgeRecord]:
    """Objections from bold lines, headings and Q/A pairs."""
    found: list[KnowledgeRecord] = []
    page_is_faq = context.meaning(context.document.title) in ("faq", "objection")
    for section in context.sections:
        own = context.meaning(section.title)
        parents = [context.meaning(title) for title in section.path[:-1]]
        if own in ("objection", "faq") or (own is None and "objection" in parents):
            found.extend(_bold_lines(context, section))
        if section.level and own not in ("objection", "faq") and parents and parents[-1] in ("objection", "faq") and not any(b.bold for b in section.blocks):
            if parents[-1] == "objection" or _is_buyer_question(context, section.title):
                found.extend(_heading_objection(context, section, "faq" if section.title.endswith("?") else "section"))
        elif section.level and (page_is_faq or "faq" in parents) and _is_buyer_question(context, section.title):
            found.extend(_heading_objection(context, section, "faq"))
        found.extend(_qa_pairs(context, section))
    return found
