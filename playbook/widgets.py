"""Thin ipywidgets views for live teach-in sessions.

Each view only collects choices and shows the answer of a plain, tested function: :func:`field_picker` shows
:func:`playbook.purpose.check_field`, and :func:`decision_aid` shows :func:`playbook.lawful_basis.assess`.
Nothing is decided here. The published book cannot run widgets, so notebooks also print the same answers as
static tables.
"""

from __future__ import annotations

import html

from playbook import lawful_basis, purpose


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


def decision_aid(start: dict | None = None):
    """Answer the questions of :func:`playbook.lawful_basis.assess` and see the assessment update."""
    import ipywidgets as w

    start = dict(start or {})
    controls = {}
    for name, (kind, question) in lawful_basis.QUESTIONS.items():
        if kind is bool:
            controls[name] = w.Checkbox(value=bool(start.get(name, False)), description=question, indent=False,
                                        layout=w.Layout(width="auto"))
        elif name == "powers":
            controls[name] = w.SelectMultiple(options=kind, value=tuple(start.get(name, ())), description="Powers",
                                              rows=len(kind))
        else:
            controls[name] = w.Dropdown(options=kind, value=start.get(name, kind[0]),
                                        description=name.replace("_", " ").capitalize())
    answer = w.HTML()

    def show(_change=None) -> None:
        answers = {name: (list(c.value) if name == "powers" else c.value) for name, c in controls.items()}
        try:
            result = lawful_basis.assess(answers)
        except lawful_basis.ScenarioError as exc:
            answer.value = "<pre>" + html.escape(str(exc)) + "</pre>"
            return
        table = result.to_frame().drop(columns="topic").to_html(index=False, escape=True)
        answer.value = table + f"<p><em>{html.escape(result.disclaimer)}</em></p>"

    for control in controls.values():
        control.observe(show, names="value")
    show()
    return w.VBox([*controls.values(), answer])
