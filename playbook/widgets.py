"""Thin ipywidgets views for live teach-in sessions.

Each view only collects choices and shows the answer of a plain, tested function: :func:`field_picker` shows
:func:`playbook.purpose.check_field`, and :func:`decision_aid` shows :func:`playbook.lawful_basis.assess`.
Nothing is decided here. The published book cannot run widgets, so notebooks also print the same answers as
static tables.
"""

from __future__ import annotations

import html

from playbook import lawful_basis, purpose


#: GOV.UK colours for each verdict: green to go ahead, orange for conditions, red to stop, black for advice.
VERDICT_COLOURS = {
    lawful_basis.Verdict.PROCEED: "#00703c",
    lawful_basis.Verdict.PROCEED_WHEN_MET: "#b45309",
    lawful_basis.Verdict.DO_NOT_SHARE: "#d4351c",
    lawful_basis.Verdict.LEGAL_ADVICE: "#0b0c0c",
}


def _decision_html(decision: purpose.Decision) -> str:
    colour = "#00703c" if decision.allowed else "#d4351c"  # GOV.UK green and red
    return (f"<p><strong style='color:{colour}'>{decision.outcome.upper()}</strong>: "
            f"{html.escape(decision.recipient)} / {html.escape(decision.item)}</p>"
            f"<p>{html.escape(decision.reason)}</p>")


def field_picker(spec: purpose.PurposeSpec):
    """Pick a recipient and a field; see whether the purpose allows it, and why."""
    import ipywidgets as w

    recipient = w.Dropdown(options=sorted(spec.recipients), description="Recipient")
    field = w.Dropdown(options=sorted(spec.fields), description="Field")
    answer = w.HTML()

    def show(_change=None) -> None:
        answer.value = _decision_html(purpose.check_field(spec, recipient.value, field.value))

    recipient.observe(show, names="value")
    field.observe(show, names="value")
    show()
    return w.VBox([w.HBox([recipient, field]), answer])


def decision_aid(start: dict):
    """Answer the questions of :func:`playbook.lawful_basis.assess` and see the verdict and points update.

    ``start`` must answer every question: the aid fills nothing in by itself, so it refuses incomplete answers
    with the same list of problems as ``assess``.
    """
    import ipywidgets as w

    checked = lawful_basis.validate_scenario(start)
    controls = {}
    for name, (kind, question) in lawful_basis.QUESTIONS.items():
        value = getattr(checked, name)
        if kind is bool:
            controls[name] = w.Checkbox(value=value, description=question, indent=False,
                                        layout=w.Layout(width="auto"))
        elif name == "powers":
            controls[name] = w.SelectMultiple(options=kind, value=tuple(sorted(value)), description="Powers",
                                              rows=len(kind))
        else:
            controls[name] = w.Dropdown(options=kind, value=value, description=name.replace("_", " ").capitalize(),
                                        style={"description_width": "initial"})
    answer = w.HTML()

    def show(_change=None) -> None:
        answers = {name: (list(c.value) if name == "powers" else c.value) for name, c in controls.items()}
        try:
            result = lawful_basis.assess(answers)
        except lawful_basis.ScenarioError as exc:
            answer.value = "<pre>" + html.escape(str(exc)) + "</pre>"
            return
        colour = VERDICT_COLOURS[result.verdict]
        table = result.to_frame().iloc[1:].drop(columns="topic").to_html(index=False, escape=True)
        answer.value = (f"<p><strong style='color:{colour}'>Verdict: {html.escape(result.verdict.value)}"
                        f"</strong></p>{table}<p><em>{html.escape(result.disclaimer)}</em></p>")

    for control in controls.values():
        control.observe(show, names="value")
    show()
    return w.VBox([*controls.values(), answer])
