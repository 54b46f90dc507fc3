"""Every draft the chat model writes for prep, debrief, drill (cards and role-play) and train, with its verdict.

Runs the artifacts with the configured chat model (the embedded one by default) on the bundled sample and on
tests/corpora/northwind, and writes one JSON line per draft: which artifact and subject, the attempt, the raw
text, the parsed fields, the verdict, the rule that fired, and the context a reader needs to judge the draft
(the deal's contacts, rep and company, the citation numbers valid for the call, the objection the buyer was
asked to voice, the skill). Then it prints acceptance per artifact and per rule.

    python benchmarks/drafts.py --out drafts.jsonl                        # the checks the artifacts run
    python benchmarks/drafts.py --checks draft --out drafts-after.jsonl   # the artifacts' checks replaced by check_draft
    python benchmarks/drafts.py --rejudge drafts.jsonl                    # no model: judge recorded drafts again

``--checks draft`` swaps each artifact's own check for :func:`coachgen.artifacts.drafts.check_draft` with the
context the artifact holds, so a rejection's message (which the model sees on its retry) comes from the new
checks. One model process at a time: the machine's cores are shared, and the model is the whole cost.
"""

from __future__ import annotations

import argparse
import collections
import functools
import inspect
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import KNOWLEDGE, ROOT, temp_home  # noqa: E402

ARTIFACTS = ("prep", "debrief", "drill", "roleplay", "train")
NORTHWIND = ROOT / "tests" / "corpora" / "northwind"
# the function that asks for each kind of draft, and the artifact it belongs to
CALLERS = {"build_call_plan": "prep", "build_debrief": "debrief", "_buyer_line": "drill", "_buyer_says": "roleplay", "_summary": "train"}
REP_ANSWERS = ("That's fair. What would have to be true for this to work for you?",
               "Could we book thirty minutes next week with whoever signs off, to go through it together?")
RULES = (  # rule id: words of the problem message that name it (the artifacts' own checks, then check_draft's)
    ("not JSON", ("Expecting", "Unterminated", "Extra data", "Invalid control", "the answer is not JSON", "holds no JSON")),
    ("schema", ("Field required", "Input should", "String should", "List should", "does not fit the schema")),
    ("echoed prompt", ("repeats the instructions",)),
    ("echoed request", ("repeats the request", "opens with the label")),
    ("cut off", ("stops mid-sentence",)),
    ("junk", ("junk in",)),
    ("code-like token", ("code-like tokens",)),
    ("citation", ("citations [",)),
    ("repeated item", ("repeats an item", "repeat an item")),
    ("invented name", ("names not in",)),
    ("invented number", ("numbers not in",)),
    ("invented date", ("dates not in",)),
    ("not prose", ("not a sentence of words",)),
    ("too long", ("the line is longer",)),
    ("not a question", ("must be a question",)),
    ("strength assigned", ("it assigns",)),
    ("focus skill missing", ("does not name the focus",)),
    ("strength missing", ("does not name what the rep",)),
    ("out of role", ("steps out of", "instead of speaking as")),
    ("objection missing", ("does not voice",)),
)


def rules_of(problem: str) -> list[str]:
    """The rule ids of every problem in a check's message, in the order the rules are listed."""
    return [rule for rule, words in RULES if any(word in problem for word in words)] or ["other"]


def rule_of(problem: str) -> str:
    """The rule id of the first problem in a check's message."""
    return rules_of(problem.split("; ")[0])[0]


def _caller_locals() -> tuple[str, dict[str, Any]]:
    frame = inspect.currentframe()
    while frame is not None:
        if frame.f_code.co_name in CALLERS:
            return CALLERS[frame.f_code.co_name], dict(frame.f_locals)
        frame = frame.f_back
    return "other", {}


def _context(artifact: str, scope: dict[str, Any]) -> dict[str, Any]:
    """What a reader (and check_draft) needs to judge a draft of ``artifact``, from the asking function's locals."""
    if artifact in ("prep", "debrief"):
        prepared = scope["prepared"]
        deal = prepared.deal
        return {"known": prepared.known_text, "trusted": prepared.trusted, "sources": sorted(prepared.pack.numbers()),
                "deal": deal.id, "company": deal.account, "rep": deal.rep,
                "contacts": [c.name for c in deal.contacts]}
    if artifact == "drill":
        persona = scope["persona"]
        return {"known": scope["known"], "trusted": scope["trusted"], "objection": scope["objection"],
                "persona": persona.name, "role": persona.role, "company": persona.account, "situation": scope["situation"]}
    if artifact == "roleplay":
        card, move = scope["card"], scope["move"]
        return {"known": scope["known"], "trusted": " ".join(card.persona.model_dump(exclude_none=True).values()),
                "objection": move.fallback if move.kind == "pushback" else None, "move": move.kind,
                "instruction": move.instruction, "persona": card.persona.name, "company": card.persona.account,
                "transcript": [t.text for t in scope["transcript"]]}
    if artifact == "train":
        return {"known": scope["known"], "trusted": scope["known"], "rep": scope["rep"], "focus": scope["focus"],
                "strengths": list(scope["strengths"]), "evidence": [i.detail for i in scope["evidence"]]}
    return {}


def judge(raw: str, schema: Any, messages: list[Any], check: Any) -> tuple[dict[str, Any] | None, str | None]:
    """Parse ``raw`` as the generation loop does and run ``check``: (fields or None, the problem or None when accepted)."""
    from pydantic import ValidationError

    from coachgen.llm.structured import _parse
    from coachgen.untrusted import system_prompt_leak

    try:
        value = _parse(raw, schema)
    except ValidationError as exc:
        return None, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
    except ValueError as exc:
        return None, str(exc).splitlines()[0] if str(exc) else "the answer is not JSON"
    fields = value.model_dump()
    system = [str(m.content) for m in messages if getattr(m, "type", "") == "system"]
    if system_prompt_leak(value.model_dump_json(), system) is not None:
        return fields, "the answer repeats the instructions instead of doing the task"
    try:
        if check is not None:
            check(value)
    except ValueError as exc:
        return fields, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return fields, None


class Recorder:
    """Wraps a chat model and keeps the raw text of every answer."""

    def __init__(self, model: Any) -> None:
        self.model, self.answers = model, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def invoke(self, *args: Any, **kwargs: Any) -> Any:
        reply = self.model.invoke(*args, **kwargs)
        self.answers.append(str(reply.content))
        return reply


class Collection:
    """Patches the generation loop so every draft is written to ``out`` with its verdict and context."""

    def __init__(self, out: Any, corpus: str, checks: str, ordinary: frozenset[str] = frozenset(), similarity: Any = None) -> None:
        from coachgen.llm import structured

        self.out, self.corpus, self.checks, self.subject = out, corpus, checks, ""
        self.ordinary, self.similarity = ordinary, similarity
        self.real = structured.generate_structured
        self.rows: list[dict[str, Any]] = []
        self.seconds = 0.0
        self.spent: dict[tuple[str, str], float] = collections.defaultdict(float)  # model seconds per (artifact, subject)

    def generate(self, model: Any, messages: list[Any], schema: Any, check: Any = None, sources: set[int] | None = None, prose: bool = False) -> Any:
        artifact, scope = _caller_locals()
        context = _context(artifact, scope)
        own = check
        if self.checks == "draft" and artifact in CALLERS.values():
            check = draft_check(artifact, context, self.ordinary, self.similarity)
        recorder = Recorder(model)
        start = time.perf_counter()
        try:
            return self.real(recorder, messages, schema, check=check, sources=sources, prose=prose)
        finally:
            self.seconds += time.perf_counter() - start
            self.spent[artifact, self.subject] += time.perf_counter() - start
            for attempt, raw in enumerate(recorder.answers, 1):
                fields, problem = judge(raw, schema, messages, check)
                row = {"corpus": self.corpus, "artifact": artifact, "subject": self.subject, "attempt": attempt, "raw": raw,
                       "fields": fields, "accepted": problem is None, "problem": problem,
                       "rule": None if problem is None else rule_of(problem), "context": context}
                if own is not check:  # what the artifact's own checks say of the same draft
                    own_problem = judge(raw, schema, messages, own)[1]
                    row["artifact_checks"] = {"accepted": own_problem is None, "problem": own_problem}
                self.rows.append(row)
                self.out.write(json.dumps(row, ensure_ascii=False) + "\n")
                self.out.flush()


def draft_check(artifact: str, context: dict[str, Any], ordinary: frozenset[str], similarity: Any) -> Any:
    """A check for the generation loop that runs :func:`check_draft` with ``context``."""
    from coachgen.artifacts.drafts import DraftContext, checker, prompt_headings

    return checker(artifact, DraftContext.from_record(context, ordinary=ordinary, headings=list(prompt_headings(artifact)),
                                                      similarity=similarity))


def open_corpus(name: str) -> Any:
    """A knowledge base with the corpus ingested (and, for northwind, its CRM export imported) in a fresh home."""
    from typer.testing import CliRunner

    from coachgen.cli import app
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import load_settings

    home = temp_home()
    if name == "sample":
        steps = [["kb", "ingest", KNOWLEDGE]]
    else:
        crm = NORTHWIND / "crm"
        steps = [["kb", "ingest", NORTHWIND / "handbook"], ["deals", "import", crm / "opportunities.csv", "--preset", "hubspot"],
                 ["reps", "import", crm / "owners.csv"], ["accounts", "import", crm / "companies.csv"]]
    for step in steps:
        result = CliRunner().invoke(app, ["--home", str(home), *map(str, step)])
        if result.exit_code != 0:
            raise SystemExit(f"{name}: {' '.join(map(str, step))} failed: {result.output}")
    return KnowledgeBase(load_settings(home=home))


def deals_with_notes(kb: Any, limit: int) -> list[dict[str, Any]]:
    """Open deals with the longest notes first (ties by id), so every run picks the same ones."""
    deals = [d for d in kb.records.deals(status="open") if d.get("notes")]
    deals.sort(key=lambda d: (-len(d["notes"] or ""), d["id"]))
    return deals[:limit]


def run_corpus(kb: Any, collection: Collection, artifacts: set[str], limit: int) -> None:
    """Each chosen artifact on ``limit`` subjects (deals, or reps), prep before debrief so the debrief has a plan."""
    from coachgen.artifacts.call_plan import plan_call
    from coachgen.artifacts.debrief import build_debrief, prepare_debrief
    from coachgen.artifacts.development_plan import plan_development
    from coachgen.artifacts.drill import build_cards, make_drill, pick_objections, resolve_rubric
    from coachgen.artifacts.common import SourcePack
    from coachgen.artifacts.roleplay import run_roleplay
    from coachgen.errors import NotFoundError
    from coachgen.llm.models import make_chat_model
    from coachgen.prompts import PromptLibrary

    model = make_chat_model(kb.settings)
    prompts = PromptLibrary(kb.settings)
    deals = deals_with_notes(kb, limit)
    reps = list(dict.fromkeys(d["rep"] for d in deals_with_notes(kb, 100) if d.get("rep")))[:limit]
    for deal in deals:
        collection.subject = deal["id"]
        if "prep" in artifacts:
            plan_call(kb, deal["id"], model=model, prompts=prompts)
        if "debrief" in artifacts:
            build_debrief(prepare_debrief(kb, prompts, deal["id"]), model, "embedded")
    for rep in reps:
        collection.subject = rep
        cards = []
        if "drill" in artifacts:
            try:
                cards = make_drill(kb, prompts, model, "embedded", rep=rep, from_deals=True, count=2, difficulty=2).cards
            except NotFoundError:  # no library objection in the rep's notes: the library's own picks
                cards = make_drill(kb, prompts, model, "embedded", rep=rep, count=2, difficulty=2).cards
        if "roleplay" in artifacts:
            rubric, _ = resolve_rubric(kb)
            pack = SourcePack()
            if not cards:  # the role-play starts from a card: the drill's first one, when the drill ran
                cards, _, _ = build_cards(kb, prompts, pick_objections(kb, rep, count=1), model, 2, pack)
            for card in cards[:1]:
                answers = iter(REP_ANSWERS)
                run_roleplay(kb, prompts, model, rubric, rep, card, lambda line: next(answers, None), len(REP_ANSWERS) + 1, pack,
                             use_model_judge=False)
        if "train" in artifacts:
            plan_development(kb, prompts, rep, model, "embedded")


def summary(rows: list[dict[str, Any]]) -> str:
    """Acceptance per artifact and per rule, as markdown tables."""
    by_artifact: dict[str, list[bool]] = collections.defaultdict(list)
    rules: collections.Counter[str] = collections.Counter()
    for row in rows:
        by_artifact[row["artifact"]].append(row["accepted"])
        rules.update(rules_of(row["problem"]) if row["problem"] else ["accepted"])
    lines = ["| artifact | drafts | accepted | share |", "|---|---:|---:|---:|"]
    for artifact in [a for a in ARTIFACTS if a in by_artifact] + sorted(set(by_artifact) - set(ARTIFACTS)):
        verdicts = by_artifact[artifact]
        lines.append(f"| {artifact} | {len(verdicts)} | {sum(verdicts)} | {sum(verdicts) / len(verdicts):.0%} |")
    total = [r["accepted"] for r in rows]
    if total:
        lines.append(f"| all | {len(total)} | {sum(total)} | {sum(total) / len(total):.0%} |")
    lines += ["", "| rule (a draft may break several) | drafts |", "|---|---:|"]
    lines += [f"| {rule} | {count} |" for rule, count in rules.most_common()]
    return "\n".join(lines)


@functools.cache
def corpus_words(corpus: str) -> frozenset[str]:
    """The words a corpus's own files write in lower case (what ``team_words`` reads from its index)."""
    from coachgen.artifacts.drafts import ordinary_words

    folder = KNOWLEDGE if corpus == "sample" else NORTHWIND
    files = [p for p in sorted(folder.rglob("*")) if p.suffix in (".md", ".yaml", ".yml", ".csv", ".json") and p.is_file()]
    return ordinary_words(p.read_text(encoding="utf-8-sig", errors="replace") for p in files)


def rejudge(path: Path) -> list[dict[str, Any]]:
    """Judge recorded drafts again with :func:`check_draft` (no model)."""
    from coachgen.artifacts.drafts import DraftContext, check_draft, embedding_similarity, parse_draft, prompt_headings
    from coachgen.index.embeddings import OnnxMiniLM

    similarity = embedding_similarity(OnnxMiniLM())
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        context = row["context"]
        if context.get("move") == "pushback" and context.get("objection") == context.get("instruction"):
            context["objection"] = context["instruction"].rsplit(": ", 1)[-1].strip('"')  # rows of an early run kept the whole instruction
        ctx = DraftContext.from_record(context, ordinary=corpus_words(row["corpus"]),
                                       headings=list(prompt_headings(row["artifact"])), similarity=similarity)
        fields, problem = parse_draft(row["artifact"], row["raw"])
        problems = [problem] if problem else check_draft(row["artifact"], fields, ctx)
        rows.append({**row, "accepted": not problems, "problem": "; ".join(problems) or None,
                     "rule": rule_of(problems[0]) if problems else None})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("drafts.jsonl"), help="JSONL file, one line per draft.")
    parser.add_argument("--corpus", choices=("sample", "northwind", "both"), default="both")
    parser.add_argument("--artifact", action="append", choices=ARTIFACTS, help="Only these artifacts (repeatable); default all.")
    parser.add_argument("--limit", type=int, default=3, help="Deals per corpus for prep and debrief, and reps for drill, role-play and train.")
    parser.add_argument("--checks", choices=("artifact", "draft"), default="artifact",
                        help="'artifact': the checks each artifact runs; 'draft': check_draft in their place.")
    parser.add_argument("--rejudge", type=Path, help="Judge the drafts of this JSONL again with check_draft; runs no model.")
    args = parser.parse_args()
    if args.rejudge:
        print(summary(rejudge(args.rejudge)))
        return
    os.environ.setdefault("COACHGEN_LLM_MAX_TOKENS", "320")
    artifacts = set(args.artifact or ARTIFACTS)
    corpora = ("sample", "northwind") if args.corpus == "both" else (args.corpus,)
    rows, seconds = [], 0.0
    spent: dict[str, list[float]] = collections.defaultdict(list)
    with args.out.open("w", encoding="utf-8") as out:
        for corpus in corpora:
            kb = open_corpus(corpus)
            from coachgen.artifacts.drafts import embedding_similarity, team_words

            collection = Collection(out, corpus, args.checks, team_words(kb), embedding_similarity(kb.embedder))
            with mock.patch("coachgen.llm.structured.generate_structured", collection.generate):
                run_corpus(kb, collection, artifacts, args.limit)
            rows += collection.rows
            seconds += collection.seconds
            for (artifact, _), taken in collection.spent.items():
                spent[artifact].append(taken)
            print(f"{corpus}: {len(collection.rows)} drafts in {collection.seconds:.0f} s of model time", file=sys.stderr)
    print(f"{len(rows)} drafts, {seconds:.0f} s of model time, checks: {args.checks}")
    for artifact, taken in spent.items():
        print(f"model time per {artifact}: median {statistics.median(taken):.1f} s over {len(taken)} ({', '.join(f'{t:.0f}' for t in taken)})")
    print()
    print(summary(rows))


if __name__ == "__main__":
    main()
