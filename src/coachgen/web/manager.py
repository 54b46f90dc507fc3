"""Manager pages: the team's deals, prepare a call, debrief it and record the answers; pipeline, agenda and cadence with charts.

Each page calls what the CLI command of the same name calls (``prep``, ``debrief``, ``pipeline --team``,
``agenda --team``, ``coach cadence``) and shows the same outline the command prints.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from coachgen.errors import InputError
from coachgen.web.charts import Bar, bar_chart
from coachgen.web.core import Ctx, WebState, page

__all__ = ["routes"]

PEOPLE = ("rep", "manager")
CALL_TYPES = ("discovery", "demo", "evaluation", "proposal", "negotiation", "check-in")
LOG_TYPES = ("1on1", "call-prep", "debrief", "pipeline-review", "drill")


def routes(state: WebState) -> list[Route]:
    """The manager pages (a rep may open their own deals too)."""
    return [
        Route("/team", page(state, PEOPLE)(team)),
        Route("/deals/{deal_id}", page(state, PEOPLE)(deal_page)),
        Route("/deals/{deal_id}/prepare", page(state, PEOPLE)(prepare), methods=["POST"]),
        Route("/deals/{deal_id}/plan", page(state, PEOPLE)(plan_page)),
        Route("/deals/{deal_id}/debrief", page(state, PEOPLE)(debrief_page), methods=["GET", "POST"]),
        Route("/deals/{deal_id}/answers", page(state, PEOPLE)(answers), methods=["POST"]),
        Route("/pipeline", page(state, ("manager",))(pipeline)),
        Route("/agenda", page(state, ("manager",))(agenda)),
        Route("/cadence", page(state, ("manager",))(cadence_page)),
        Route("/cadence/log", page(state, ("manager",))(log_coaching), methods=["POST"]),
    ]


def _manager(ctx: Ctx) -> str | None:
    """The manager whose team the page covers: the user's CRM name (None for an admin: everyone)."""
    return None if ctx.user.role == "admin" else ctx.user.crm_name


def team(ctx: Ctx) -> Response:
    deals = [d for d in ctx.kb.records.deals() if ctx.sees(d["rep"])]
    reps = sorted({d["rep"] for d in deals if d["rep"]} | {r["rep"] for r in ctx.kb.records.reps() if ctx.sees(r["rep"])})
    by_rep = {rep: [d for d in deals if d["rep"] == rep] for rep in reps}
    return ctx.render("team.html", by_rep=by_rep)


def deal_page(ctx: Ctx) -> Response:
    deal = ctx.deal(ctx.params["deal_id"])
    records = ctx.kb.records
    return ctx.render("deal.html", deal=deal, log=records.log(deal["id"]), has_plan=records.latest_plan(deal["id"]) is not None,
                      has_debrief=records.latest_debrief(deal["id"]) is not None, call_types=CALL_TYPES,
                      recorded=ctx.request.query_params.get("recorded") == "1")


def prepare(ctx: Ctx) -> Response:
    from coachgen.artifacts.call_plan import build_call_plan, prepare_call
    from coachgen.llm.models import is_no_model, model_label
    from coachgen.prompts import PromptLibrary

    deal = ctx.deal(ctx.params["deal_id"])
    call_type = ctx.field("call_type", required=False, limit=40) or None
    if call_type is not None and call_type not in CALL_TYPES:
        raise InputError(f"'call type' must be one of {', '.join(CALL_TYPES)}")

    def work(job: Any) -> str:
        kb = ctx.state.kb()
        job.report("retrieving the playbook and reading the deal notes")
        prepared = prepare_call(kb, PromptLibrary(kb.settings), deal["id"], call_type, [])
        model = ctx.state.model(kb, "prep")
        job.report("writing the plan from the sales process (no chat model for plans here)" if is_no_model(model)
                   else "the model is writing the plan (a minute or two on a small machine)")
        plan = build_call_plan(prepared, model, model_label(model))
        kb.records.save_plan(plan.deal.id, plan.header.generated_at, plan.model_dump_json())
        return f"/deals/{deal['id']}/plan"

    return ctx.queue(f"call plan for {deal['id']}", work)


def plan_page(ctx: Ctx) -> Response:
    from coachgen.artifacts.call_plan import CallPlan
    from coachgen.errors import NotFoundError
    from coachgen.render import plan_outline

    deal = ctx.deal(ctx.params["deal_id"])
    stored = ctx.kb.records.latest_plan(deal["id"])
    if stored is None:
        raise NotFoundError(f"no plan for {deal['id']} yet; prepare the call first")
    plan = CallPlan.model_validate_json(stored)
    return ctx.render("artifact.html", outline=plan_outline(plan), deal=deal, sources=plan.sources, back=f"/deals/{deal['id']}")


def debrief_page(ctx: Ctx) -> Response:
    from coachgen.artifacts.debrief import Debrief, build_debrief, prepare_debrief
    from coachgen.deal_log import append_to_deal
    from coachgen.llm.models import model_label
    from coachgen.prompts import PromptLibrary

    deal = ctx.deal(ctx.params["deal_id"])
    if ctx.request.method == "POST":
        notes = ctx.field("notes", limit=20_000)

        def work(job: Any) -> str:
            kb = ctx.state.kb()
            job.report("reading the call notes against the plan")
            prepared = prepare_debrief(kb, PromptLibrary(kb.settings), deal["id"], notes)
            job.report("the model is writing the debrief questions")
            model = ctx.state.model(kb, "debrief")
            result = build_debrief(prepared, model, model_label(model))
            append_to_deal(kb, deal["id"], "call-notes", notes)
            kb.records.save_debrief(deal["id"], result.header.generated_at, result.model_dump_json())
            return f"/deals/{deal['id']}/debrief"

        return ctx.queue(f"debrief of {deal['id']}", work)
    stored = ctx.kb.records.latest_debrief(deal["id"])
    debrief = Debrief.model_validate_json(stored) if stored else None
    return ctx.render("debrief.html", deal=deal, debrief=debrief)


def answers(ctx: Ctx) -> Response:
    from coachgen.artifacts.debrief import Debrief
    from coachgen.deal_log import append_to_deal

    deal = ctx.deal(ctx.params["deal_id"])
    stored = ctx.kb.records.latest_debrief(deal["id"])
    if stored is None:
        raise InputError("there is no debrief to answer yet")
    debrief = Debrief.model_validate_json(stored)
    lines = []
    for number, question in enumerate(debrief.questions, 1):
        text = ctx.field(f"answer_{number}", required=False, limit=4000)
        if text:
            lines.append(f"Q: {question.question}\nA: {text}")
    if not lines:
        raise InputError("no answer was written; answer at least one question")
    append_to_deal(ctx.kb, deal["id"], "debrief-answers", "\n\n".join(lines))
    return ctx.redirect(f"/deals/{deal['id']}?recorded=1")


def _pct(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.0%}"


def pipeline(ctx: Ctx) -> Response:
    from coachgen.artifacts.pipeline_review import review_pipeline
    from coachgen.render import pipeline_outline

    review = review_pipeline(ctx.kb, team=True, manager=_manager(ctx))
    env = ctx.state.templates
    reps = review.reps
    target = reps[0].metrics.get("coverage_target") if reps else None
    charts = [
        bar_chart(env, "Coverage per rep (pipeline in period / remaining quota)",
                  [Bar(r.rep, r.metrics["coverage"], "unknown" if r.metrics["coverage"] is None else f"{r.metrics['coverage']:.1f}x") for r in reps],
                  target, f"target {target:.1f}x" if target else ""),
        bar_chart(env, f"Win rate per rep, deals closed in {review.period}", [Bar(r.rep, r.metrics["win_rate"], _pct(r.metrics["win_rate"])) for r in reps]),
    ]
    if review.team is not None and review.team.metrics["conversion"]:
        conversion = review.team.metrics["conversion"]
        charts.append(bar_chart(env, "Stage conversion (team)", [Bar(stage, rate, _pct(rate)) for stage, rate in conversion.items()]))
    stuck = [(r.rep, s) for r in reps for s in r.metrics["stuck"]]
    return ctx.render("pipeline.html", review=review, charts=charts, stuck=stuck, outline=pipeline_outline(review))


def agenda(ctx: Ctx) -> Response:
    from coachgen.artifacts.agenda import weekly_agenda
    from coachgen.render import agenda_outline

    result = weekly_agenda(ctx.kb, _manager(ctx))
    return ctx.render("artifact.html", outline=agenda_outline(result), deal=None, sources=result.sources, back="/team")


def cadence_page(ctx: Ctx) -> Response:
    from coachgen.cadence import cadence, priorities
    from coachgen.metrics import period_of
    from coachgen.render import cadence_outline

    month = date.today()
    rows = cadence(ctx.kb.records, month, _manager(ctx))
    ranked, notes = priorities(ctx.kb.records, min(date.today(), period_of(month, "month").end), _manager(ctx))
    target = rows[0].target if rows else 3.0
    chart = bar_chart(ctx.state.templates, f"Coaching hours per rep, {month:%B %Y}", [Bar(r.rep, r.hours, f"{r.hours:g} h") for r in rows],
                      target, f"{target:g} h")
    return ctx.render("cadence.html", chart=chart, rows=rows, outline=cadence_outline(rows, month, ranked, notes), types=LOG_TYPES,
                      logged=ctx.request.query_params.get("logged") == "1")


def log_coaching(ctx: Ctx) -> Response:
    from coachgen.cadence import log_coaching as log

    rep = ctx.field("rep", limit=200)
    if not ctx.sees(rep):
        raise InputError(f"'{rep}' is not on your team")
    try:
        minutes = int(ctx.field("minutes", limit=5))
    except ValueError:
        raise InputError("'minutes' must be a whole number") from None
    if not 1 <= minutes <= 600:
        raise InputError("'minutes' must be between 1 and 600")
    kind = ctx.field("type", limit=40)
    if kind not in LOG_TYPES:
        raise InputError(f"'type' must be one of {', '.join(LOG_TYPES)}")
    log(ctx.kb.records, ctx.kb.records.rep_name(rep), minutes, kind, ctx.field("note", required=False, limit=500) or None)
    return ctx.redirect("/cadence?logged=1")
