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


def _bold_lines(context: Context, section: Section, quoted_only: bool = False) -> list[KnowledgeRecord]:
    """Bold lines, each followed by its answer (on the next lines or in the next paragraphs); with
    ``quoted_only`` only bold lines in quotation marks, the buyer's own words on a competitor page."""
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
        head = block.text if block.bold else block.bold_head
        if head and block.depth == 0 and (not quoted_only or _quoted(head)):
            close()
            said, persona = split_persona(clean(head))
            current, answer = (said, persona, block.line), []
            if not block.bold:
                answer.append(block.text[len(head):].strip() if block.text.startswith(head) else " ".join(block.lines[1:]))
                end = block.end or block.line
        elif current is not None:
            answer.append(block.text)
            end = block.end or block.line
    close()
    return records


def _quoted(text: str) -> bool:
    text = text.strip()
    return len(text) > 2 and text[0] in "\"“'‘" and text.rstrip(".!?")[-1] in "\"”'’"


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
    lines = [(line, block) for block in section.blocks if block.kind != "table" for line in (block.lines or [block.text])]
    for (first, block), (second, answer_block) in zip(lines, lines[1:]):
        question, answer = _qa_label(context, first, "buyer"), _qa_label(context, second, "seller")
        if question and answer:
            records.append(Objection(text=clean(question), response=answer,
                                     provenance=context.provenance(section, block.line, answer_block.end or answer_block.line, "faq")))
    return records


def _qa_label(context: Context, line: str, voice: str) -> str | None:
    """The text after a speaker label at the start of a line: the buyer's ('Q:', 'Buyer:') or ours ('A:', 'You:')."""
    head, sep, rest = line.partition(":")
    head = head.strip().strip("*_> ").lower()
    if not sep or not head or len(head.split()) > 2:
        return None
    return rest.strip().strip("*_ ") or None if head in context.vocabulary["label_cues"][voice] else None


def _internal(context: Context, records: list[KnowledgeRecord]) -> bool:
    """A set of questions mostly in the rep's own voice ('How do I...?'): an internal FAQ, none of it the buyer's."""
    internal = context.vocabulary["internal_voice"]
    return bool(records) and 2 * sum(1 for r in records if cue_score(r.text, internal)) >= len(records)


def mine(context: Context) -> list[KnowledgeRecord]:
    """Objections from bold lines, headings and Q/A pairs (internal FAQs and pages for the team itself left out)."""
    if context.internal():
        return []
    found = _mine(context)
    by_heading: dict[str, list[KnowledgeRecord]] = {}
    for record in found:
        by_heading.setdefault(record.provenance.heading.rsplit(" > ", 1)[0] if record.provenance.found_by == "faq" else record.provenance.heading, []).append(record)
    internal = {heading for heading, records in by_heading.items() if _internal(context, records)}
    return [r for r in found if (r.provenance.heading.rsplit(" > ", 1)[0] if r.provenance.found_by == "faq" else r.provenance.heading) not in internal]


def _mine(context: Context) -> list[KnowledgeRecord]:
    found: list[KnowledgeRecord] = []
    page_is_faq = context.meaning(context.document.title) in ("faq", "objection")
    for section in context.sections:
        own = context.meaning(section.title)
        parents = [context.meaning(title) for title in section.path[:-1]]
        if own in ("objection", "faq") or (own is None and "objection" in parents):
            found.extend(_bold_lines(context, section))
        elif context.means(section, "competitor"):
            found.extend(_bold_lines(context, section, quoted_only=True))
        if section.level and own is None and parents and parents[-1] in ("objection", "faq") \
                and not any(b.bold or b.bold_head for b in section.blocks):
            if parents[-1] == "objection" or _is_buyer_question(context, section.title):
                found.extend(_heading_objection(context, section, "faq" if section.title.endswith("?") else "section"))
        elif section.level and (page_is_faq or "faq" in parents) and _is_buyer_question(context, section.title):
            found.extend(_heading_objection(context, section, "faq"))
        found.extend(_qa_pairs(context, section))
    return found
