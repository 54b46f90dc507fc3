"""Rep pages: the drills due, playing one turn by turn, scored feedback, history with a chart per skill, the development plan.

Everything here calls what ``coachgen drill --interactive`` and ``coachgen train`` call: the pick and
the cards from :mod:`coachgen.artifacts.drill`, the buyer's turns and the scoring from
:mod:`coachgen.artifacts.roleplay`, the plan from :mod:`coachgen.artifacts.development_plan`.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from coachgen.errors import InputError, NotFoundError
from coachgen.web.charts import Series, line_chart
from coachgen.web.core import Ctx, Forbidden, WebState, page
from coachgen.web.store import WebStore

__all__ = ["routes"]

PEOPLE = ("rep", "manager")


def routes(state: WebState) -> list[Route]:
    """The rep pages."""
    return [
        Route("/drills", page(state, PEOPLE)(drills_page)),
        Route("/drills/start", page(state, ("rep",))(start), methods=["POST"]),
        Route("/drills/history", page(state, PEOPLE)(history)),
        Route("/drills/{drill_id}", page(state, PEOPLE)(play)),
        Route("/drills/{drill_id}/answer", page(state, ("rep",))(answer), methods=["POST"]),
        Route("/development", page(state, PEOPLE)(development)),
        Route("/development/generate", page(state, PEOPLE)(generate_plan), methods=["POST"]),
        Route("/development.ics", page(state, PEOPLE)(development_ics)),
    ]


def _rep(ctx: Ctx) -> str:
    """Whose pages these are: the rep themselves, or the ``rep`` a manager asks for (in their team)."""
    asked = ctx.request.query_params.get("rep") or ctx.form.get("rep")
    if ctx.user.role == "rep" or not asked:
        if ctx.user.role == "manager" and not asked:
            raise Forbidden("Choose a rep of your team from the team page.")
        rep = ctx.user.crm_name
    else:
        rep = asked
    if not ctx.sees(rep):
        raise NotFoundError(f"no rep '{rep}'")
    try:
        return ctx.kb.records.rep_name(rep)
    except NotFoundError:
        return rep


def drills_page(ctx: Ctx) -> Response:
    from coachgen.artifacts.drill import DIFFICULTY, pick_objections
    from coachgen.spaced import schedule

    rep = _rep(ctx)
    picks = pick_objections(ctx.kb, rep, count=8)
    reviews = sorted(schedule(ctx.kb.records.attempts(rep)).values(), key=lambda r: r.due)
    sessions = WebStore(ctx.kb.db).drills(rep)[:10]
    return ctx.render("drills.html", rep=rep, picks=[{"key": p.key, "objection": p.objection, "why": p.why} for p in picks],
                      reviews=reviews, today=date.today(), sessions=[{**s, "done": s["attempt"] is not None,
                                                                      "objection": json.loads(s["card"])["objection"]} for s in sessions],
                      difficulties=sorted(DIFFICULTY.items()))


def start(ctx: Ctx) -> Response:
    from coachgen.artifacts.common import SourcePack
    from coachgen.artifacts.drill import build_cards, pick_objections
    from coachgen.artifacts.roleplay import Turn
    from coachgen.prompts import PromptLibrary

    rep = _rep(ctx)
    key = ctx.field("objection", limit=300)
    try:
        difficulty = int(ctx.field("difficulty", limit=2))
    except ValueError:
        raise InputError("'difficulty' must be 1, 2 or 3") from None
    if difficulty not in (1, 2, 3):
        raise InputError("'difficulty' must be 1, 2 or 3")
    pick = next((p for p in pick_objections(ctx.kb, rep, count=20) if p.key == key), None)
    if pick is None:
        raise InputError("that objection is no longer in the list; reload the drills page")

    def work(job: Any) -> str:
        kb = ctx.state.kb()
        job.report("the buyer is getting ready (the model writes the opening line)")
        pack = SourcePack()
        cards, _, _ = build_cards(kb, PromptLibrary(kb.settings), [pick], ctx.state.model(kb, "drill"), difficulty, pack)
        card = cards[0]
        transcript = json.dumps([Turn(speaker="buyer", text=card.buyer_line).model_dump()])
        drill_id = WebStore(kb.db).new_drill(rep, difficulty + 1, card.model_dump_json(), transcript,
                                             json.dumps([ref.model_dump() for ref in pack.refs()]))
        return f"/drills/{drill_id}"

    return ctx.queue(f"drill for {rep}", work)


def _session(ctx: Ctx) -> dict[str, Any]:
    """The drill in the URL, only for its rep, their manager or an admin (404 for anyone else: no hint it exists)."""
    found = WebStore(ctx.kb.db).drill(ctx.params["drill_id"])
    if found is None or not ctx.sees(found["rep"]):
        raise NotFoundError("no such drill")
    return found


def play(ctx: Ctx) -> Response:
    from coachgen.artifacts.drill import DrillCard
    from coachgen.artifacts.roleplay import Attempt

    session = _session(ctx)
    card = DrillCard.model_validate_json(session["card"])
    attempt = Attempt.model_validate_json(session["attempt"]) if session["attempt"] else None
    transcript = json.loads(session["transcript"])
    answered = sum(1 for turn in transcript if turn["speaker"] == "rep")
    mine = ctx.user.role == "rep" or ctx.user.role == "admin" and ctx.user.crm_name.casefold() == session["rep"].casefold()
    return ctx.render("drill.html", session=session, card=card, transcript=transcript, attempt=attempt, answered=answered,
                      sources=json.loads(session["sources"]), can_answer=mine and attempt is None)


def answer(ctx: Ctx) -> Response:
    from coachgen.artifacts.common import SourcePack
    from coachgen.artifacts.drill import DrillCard, resolve_rubric
    from coachgen.artifacts.roleplay import Turn, buyer_turn, clean_answer, score_attempt
    from coachgen.prompts import PromptLibrary

    session = _session(ctx)
    if session["rep"].casefold() != ctx.user.crm_name.casefold():
        raise Forbidden("Only the rep plays their own drill.")
    if session["attempt"] is not None:
        raise InputError("this drill is over; start another from the drills page")
    text = clean_answer(ctx.field("answer", limit=4000))
    finish = ctx.form.get("finish") == "1"
    transcript = [Turn.model_validate(turn) for turn in json.loads(session["transcript"])]
    if transcript[-1].speaker == "rep":
        raise InputError("the buyer has not answered yet; wait for the page to refresh")
    before = session["transcript"]
    transcript.append(Turn(speaker="rep", text=text))
    drill_id = session["id"]

    def work(job: Any) -> str:
        kb = ctx.state.kb()
        if WebStore(kb.db).drill(drill_id)["transcript"] != before:
            return f"/drills/{drill_id}"  # answered twice (two tabs, a double submit): the first answer stands
        prompts, model = PromptLibrary(kb.settings), ctx.state.model(kb, "drill")
        card = DrillCard.model_validate_json(session["card"])
        rubric, _ = resolve_rubric(kb)
        over = finish
        if not over:
            job.report("the buyer is answering")
            over, _ = buyer_turn(kb, prompts, model, rubric, card, transcript, session["turns"])
        if over:
            job.report("scoring your answers against the rubric")
            attempt, _ = score_attempt(kb, prompts, model, rubric, session["rep"], card, transcript, SourcePack(), "interactive")
            WebStore(kb.db).update_drill(drill_id, json.dumps([t.model_dump() for t in transcript]), attempt.model_dump_json())
        else:
            WebStore(kb.db).update_drill(drill_id, json.dumps([t.model_dump() for t in transcript]))
        return f"/drills/{drill_id}"

    return ctx.queue("drill turn", work)  # stored with the reply: a full queue or a failed turn leaves the drill as it was


def attempt_label(number: int, attempt: dict[str, Any]) -> str:
    """How the chart names an attempt: its number and day."""
    return f"#{number} {attempt['created_at'][5:10]}"


def skill_series(kb: Any, attempts: list[dict[str, Any]]) -> list[Series]:
    """Score over time per skill: each attempt's criterion scores, averaged per skill the rubric names."""
    from coachgen.artifacts.drill import resolve_rubric

    rubric, _ = resolve_rubric(kb)
    skills = {c.id: c.skill for c in rubric.criteria}
    by_skill: dict[str, list[tuple[str, float]]] = {}
    for number, attempt in enumerate(attempts, 1):
        scores: dict[str, list[float]] = {}
        for criterion in json.loads(attempt["scorecard"])["criteria"]:
            scores.setdefault(skills.get(criterion["criterion"], criterion["name"]), []).append(criterion["score"])
        for skill, values in scores.items():
            by_skill.setdefault(skill, []).append((attempt_label(number, attempt), sum(values) / len(values)))
    return [Series(skill, points) for skill, points in sorted(by_skill.items())]


def history(ctx: Ctx) -> Response:
    rep = _rep(ctx)
    attempts = ctx.kb.records.attempts(rep)
    series = skill_series(ctx.kb, attempts)
    order = [attempt_label(number, attempt) for number, attempt in enumerate(attempts, 1)]
    chart = line_chart(ctx.state.templates, f"{rep}: drill score per skill over time (1-5)", series, order=order) if attempts else None
    return ctx.render("history.html", rep=rep, attempts=list(reversed(attempts)), chart=chart, series=series)


def development(ctx: Ctx) -> Response:
    from coachgen.artifacts.development_plan import DevelopmentPlan
    from coachgen.render import rep_train_outline, train_outline

    rep = _rep(ctx)
    stored = WebStore(ctx.kb.db).latest("development", rep)
    plan = DevelopmentPlan.model_validate_json(stored) if stored else None
    written = rep_train_outline if ctx.user.role == "rep" else train_outline  # a rep reads the version written to them
    return ctx.render("development.html", rep=rep, plan=plan, outline=written(plan) if plan else None)


def generate_plan(ctx: Ctx) -> Response:
    from coachgen.artifacts.development_plan import plan_development
    from coachgen.llm.models import model_label
    from coachgen.prompts import PromptLibrary

    rep = _rep(ctx)
    suffix = "" if ctx.user.role == "rep" else f"?rep={rep}"

    def work(job: Any) -> str:
        kb = ctx.state.kb()
        job.report("reading drills, debriefs and lead measures; the model writes the note")
        model = ctx.state.model(kb, "train")
        plan = plan_development(kb, PromptLibrary(kb.settings), rep, model, model_label(model))
        WebStore(kb.db).save("development", rep, plan.model_dump_json())
        return "/development" + suffix

    return ctx.queue(f"development plan for {rep}", work)


def development_ics(ctx: Ctx) -> Response:
    from coachgen.artifacts.development_plan import DevelopmentPlan, check_in_calendar

    rep = _rep(ctx)
    stored = WebStore(ctx.kb.db).latest("development", rep)
    if stored is None:
        raise NotFoundError("no development plan yet")
    text = check_in_calendar(DevelopmentPlan.model_validate_json(stored))
    return Response(text, media_type="text/calendar", headers={"Content-Disposition": 'attachment; filename="development-plan.ics"'})
