"""The llama.cpp grammar makes junk impossible; a re-ask names the problem and samples with another seed, warmer."""

import json
import re

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from pydantic import Field

from coachgen.artifacts.call_plan import PlanDraft
from coachgen.artifacts.debrief import DebriefDraft
from coachgen.llm.structured import RETRY_SEED_STEP, RETRY_TEMPERATURE, generate_structured, grammar_schema

GOOD = {"questions": ["What did the CFO say about the term?"], "sources": [2]}


def pattern_of(node):
    return re.compile(node["pattern"].removeprefix("^").removesuffix("$"))


def test_strings_are_plain_one_liners_within_their_lengths():
    objective = grammar_schema(PlanDraft)["properties"]["objective"]
    plain = pattern_of(objective)
    assert plain.fullmatch("Dana agrees to a pilot review on the 4th")
    for junk in ("{ {document.getElementById('x').innerHTML }}", "```python", "# Objective", "line one\nline two",
                 'She said "yes"', "<b>bold</b>", "short", "x" * 201, "]-15% of the buyer's objection", ".-1234567890, fine words",
                 "1. Agree the pilot scope"):
        assert not plain.fullmatch(junk), junk


def test_questions_end_in_a_question_mark_and_citations_are_this_calls_sources():
    schema = grammar_schema(DebriefDraft, {1, 2, 5})
    question = pattern_of(schema["properties"]["questions"]["items"])
    assert question.fullmatch("What did they commit to, and by when?")
    assert not question.fullmatch("Ask about the timeline.") and not question.fullmatch("?")
    assert not question.fullmatch("What " + "really " * 60 + "happened?")  # a schema without a length still gets one
    assert schema["properties"]["sources"]["items"] == {"type": "integer", "enum": [1, 2, 5]}
    assert "enum" not in grammar_schema(DebriefDraft)["properties"]["sources"]["items"]  # no sources known: numbers stay open


def test_the_real_grammar_compiler_takes_the_schema():
    from llama_cpp.llama_grammar import LlamaGrammar

    for draft in (PlanDraft, DebriefDraft):
        LlamaGrammar.from_json_schema(json.dumps(grammar_schema(draft, {1, 2, 3})), verbose=False)


class SeedRecorder(GenericFakeChatModel):
    """A fake chat model with a seed, recording the seed of every request."""

    seed: int = 7
    temperature: float = 0.2
    seen: list = Field(default_factory=list)
    conversations: list = Field(default_factory=list)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.seen.append((kwargs.get("seed"), kwargs.get("temperature")))
        self.conversations.append(messages)
        return super()._generate(messages, stop, run_manager, **kwargs)


def test_a_re_ask_names_the_problem_and_uses_another_seed_and_a_warmer_temperature():
    model = SeedRecorder(messages=iter([AIMessage(content=json.dumps({**GOOD, "sources": [9]})), AIMessage(content=json.dumps(GOOD))]))

    def check(draft):
        if 9 in draft.sources:
            raise ValueError("citations [9] are not among the sources 1-2")

    generation = generate_structured(model, [], DebriefDraft, check=check, sources={1, 2})
    assert generation.attempts == 2 and generation.value.sources == [2]
    assert model.seen == [(None, None), (7 + RETRY_SEED_STEP, RETRY_TEMPERATURE)]
    assert "citations [9] are not among the sources 1-2" in str(model.conversations[1][-1].content)


def test_only_prose_gets_the_tight_grammar_a_judge_quoting_the_rep_does_not():
    from coachgen.llm.structured import _response_format

    class Local:
        _llm_type = "llama-cpp"

    assert "pattern" in json.dumps(_response_format(Local(), DebriefDraft, {1}, prose=True))
    assert "pattern" not in json.dumps(_response_format(Local(), DebriefDraft, {1}))
