"""Hybrid search over the bundled sample, with the real embedder and index."""

from datetime import date

import pytest

from coachgen.errors import InputError
from coachgen.index.catalog import Scope
from coachgen.index.lexical import read_query
from coachgen.retrieval import STOPWORDS, Filters, search, search_many
from coachgen.retriever import CoachgenRetriever


@pytest.mark.parametrize(
    "query, expected",
    [
        ("my rep talks way too much on calls", "training/active-listening.md"),
        ("when is a deal considered stuck in discovery", "process/sales-process.md"),
        ("how do we beat the big incumbent at renewal time", "battlecards/brightbook.md"),
        ("rep gives away discounts too early", "training/negotiation.md"),
        ("good questions to ask a CFO on a first call", "discovery/question-bank.md"),
    ],
)
def test_colloquial_queries_find_the_right_document(sample_kb, query, expected):
    assert search(sample_kb, query, k=1)[0].source == expected


def test_objection_entries_are_documents_of_their_own(sample_kb):
    hits = search(sample_kb, "the customer has no money left until next year", k=3, filters=Filters(kind=("objection",)))
    assert hits[0].doc_key == "objections/objection-library.yaml#no-budget"
    assert len({hit.doc_key for hit in hits}) == 3
    assert all(hit.kind == "objection" for hit in hits)


def test_hits_carry_source_section_score_and_review_date(sample_kb):
    hit = search(sample_kb, "MEDDPICC economic buyer", k=1)[0]
    assert hit.source == "methodology/meddpicc.md"
    assert hit.section.startswith("MEDDPICC qualification at Tallyfold > ")
    assert hit.reviewed == "2026-09-15" and hit.score > 0 and hit.text
    assert set(hit.as_dict()) >= {"id", "source", "section", "score", "text"}


def test_scores_are_descending_and_one_chunk_per_document_by_default(sample_kb):
    hits = search(sample_kb, "negotiation and discounts", k=8)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len({hit.doc_key for hit in hits}) == len(hits)
    more = search(sample_kb, "negotiation and discounts", k=8, per_doc=3)
    assert max(sum(h.doc_key == key for h in more) for key in {h.doc_key for h in more}) > 1


def test_filters(sample_kb):
    by_tag = search(sample_kb, "pricing", k=10, filters=Filters(tag=("Competition",)))
    assert by_tag and all("competition" in hit.tags for hit in by_tag)
    by_deal = search(sample_kb, "security worries", k=5, filters=Filters(deal=("D-1006",)))
    assert [hit.deal_id for hit in by_deal] == ["D-1006"]
    by_rep = search(sample_kb, "discount", k=10, filters=Filters(rep=("Grace Liu",)))
    assert by_rep and {hit.rep for hit in by_rep} == {"Grace Liu"}
    by_stage = search(sample_kb, "questions", k=10, filters=Filters(stage=("demo",)))
    assert by_stage and all(hit.kind != "product" for hit in by_stage)
    assert search(sample_kb, "pricing", filters=Filters(kind=("announcement",), tag=("nonexistent",))) == []


def test_filters_and_expiry_are_applied_inside_the_lexical_query(sample_kb):
    weights = (3.0, 2.0, 1.0)
    everything = dict(sample_kb.catalog.lexical_documents('"pricing"', 100, weights))
    objections = dict(sample_kb.catalog.lexical_documents('"pricing"', 100, weights, Scope(kind=("Objection",))))
    assert objections and set(objections) < set(everything) and all("#" in key for key in objections)
    promo = sample_kb.catalog.lexical_documents('"waived"', 10, weights)
    assert [key for key, _ in promo] == ["announcements/2026-q2-promo.md"]
    assert sample_kb.catalog.lexical_documents('"waived"', 10, weights, Scope(live_on=date(2026, 11, 22))) == []


def test_a_deal_id_alone_finds_that_deals_notes(sample_kb):
    hits = search(sample_kb, "d-1006", k=3, explain=True)
    assert hits[0].deal_id == "D-1006" and hits[0].explain.lookup and hits[0].explain.terms == ["d-1006"]
    assert all(hit.explain.exact == 0 for hit in hits[1:]) and hits[0].score > 2 > hits[1].score


def test_query_terms_and_phrases():
    text = read_query('is "SOC 2" done for QM-T400, or does Haulsight\'s tier cover it', STOPWORDS)
    terms = {unit.text: unit for unit in text.terms}
    assert terms["QM-T400"].match == '"qm t400"' and not terms["QM-T400"].ordinary
    assert terms["SOC 2"].match == '"soc 2"' and [part.text for part in terms["SOC 2"].parts] == ["SOC"]
    assert terms["tier"].ordinary and terms["Haulsight's"].match == '"haulsight"' and not terms["Haulsight's"].ordinary
    assert {unit.match for unit in text.phrases} >= {'"soc 2"', '"done for qm"', '"haulsight s tier"', '"tier cover"'}


def test_expired_documents_are_left_out_unless_asked_for(sample_kb):
    query = "implementation fee waived promotion"
    assert all(hit.source != "announcements/2026-q2-promo.md" for hit in search(sample_kb, query, k=10))
    assert search(sample_kb, query, k=1, include_expired=True)[0].source == "announcements/2026-q2-promo.md"


def test_stale_documents_are_flagged(sample_kb):
    hit = search(sample_kb, "Quorvel battlecard", k=1, today=date(2026, 11, 22))[0]
    assert hit.source == "battlecards/quorvel.md" and not hit.stale
    later = search(sample_kb, "Quorvel battlecard", k=1, today=date(2027, 3, 1))[0]
    assert later.stale  # reviewed 2026-09-30, review every 90 days


def test_many_queries_in_one_call_match_single_queries(sample_kb):
    queries = ["who signs the contract", "prospect says send me information"]
    batched = search_many(sample_kb, queries, k=3)
    assert [[h.id for h in hits] for hits in batched] == [[h.id for h in search(sample_kb, q, k=3)] for q in queries]


def test_bad_queries(sample_kb):
    with pytest.raises(InputError, match="empty"):
        search(sample_kb, "   ")
    with pytest.raises(InputError, match="limit"):
        search(sample_kb, "x" * 5000)


def test_langchain_retriever(sample_kb):
    documents = CoachgenRetriever(knowledge_base=sample_kb, k=2).invoke("procurement wants 15 percent off")
    assert len(documents) == 2
    assert documents[0].metadata["source"] and documents[0].metadata["section"] and documents[0].page_content


def test_empty_index_returns_nothing(kb):
    assert kb.search("anything") == []
