"""Thin ipywidgets views for live teach-in sessions.

Each view only collects choices and shows the answer of a plain, tested function: :func:`field_picker` shows
:func:`playbook.purpose.check_field`, :func:`decision_aid` shows :func:`playbook.lawful_basis.assess`, and
:func:`specification_form` fills in a purpose specification through :mod:`playbook.spec_form` and writes the drafts.
Nothing is decided here. The published book cannot run widgets, so notebooks also print the same answers as
static tables.
"""

from __future__ import annotations

import html

from playbook import documents, lawful_basis, purpose, spec_form

#: GOV.UK colours for each verdict: green to go ahead, orange for conditions, red to stop, black for advice.
VERDICT_COLOURS = {
    lawful_basis.Verdict.PROCEED: "#00703c",
    lawful_basis.Verdict.PROCEED_WHEN_MET: "#b45309",
    lawful_basis.Verdict.DO_NOT_SHARE: "#d4351c",
    lawful_basis.Verdict.LEGAL_ADVICE: "#0b0c0c",
}


def _decision_html(decision: purpose.Decision) -> str:
    colour = "#00703c" if decision.allowed else "#d4351c"  # GOV.UK green and red
    return (
        f"<p><strong style='color:{colour}'>{decision.outcome.upper()}</strong>: "
        f"{html.escape(decision.recipient)} / {html.escape(decision.item)}</p>"
        f"<p>{html.escape(decision.reason)}</p>"
    )


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
            controls[name] = w.Checkbox(value=value, description=question, indent=False, layout=w.Layout(width="auto"))
        elif name == "powers":
            controls[name] = w.SelectMultiple(
                options=kind, value=tuple(sorted(value)), description="Powers", rows=len(kind)
            )
        else:
            controls[name] = w.Dropdown(
                options=kind,
                value=value,
                description=name.replace("_", " ").capitalize(),
                style={"description_width": "initial"},
            )
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
        answer.value = (
            f"<p><strong style='color:{colour}'>Verdict: {html.escape(result.verdict.value)}"
            f"</strong></p>{table}<p><em>{html.escape(result.disclaimer)}</em></p>"
        )

    for control in controls.values():
        control.observe(show, names="value")
    show()
    return w.VBox([*controls.values(), answer])


#: Sizes for the specification form, chosen to be read on a projector: wide controls, labels never cut short.
_LABEL_WIDTH = "17em"
_FORM_CSS = """<style>
.playbook-form { --jp-widgets-font-size: 18px; --jp-widgets-inline-height: 36px; --jp-ui-font-size1: 18px;
                 --jp-content-font-size1: 18px; font-size: 18px; }
.playbook-form .widget-label, .playbook-form .widget-label-basic { overflow: visible; white-space: normal; }
</style>"""


def _problems_html(problems: list[str]) -> str:
    if not problems:
        return f"<p><strong style='color:#00703c'>{spec_form.NO_PROBLEMS}</strong></p>"
    noun = "problem" if len(problems) == 1 else "problems"
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    return f"<p><strong style='color:#d4351c'>{len(problems)} {noun} to fix</strong></p><ul>{items}</ul>"


def specification_form(start: dict):
    """Fill in a purpose specification, check it and write the drafts, without writing code.

    ``start`` is a specification mapping, for example ``purpose.builtin_mapping("shielding")``; it is never
    changed. The form shows :func:`playbook.spec_form.form_values`, and its buttons call
    :func:`playbook.spec_form.check` and :func:`playbook.spec_form.write_from_form`. The returned box carries its
    controls in ``.controls`` (keyed as the form values, plus ``check``, ``problems``, ``folder``, ``formats``,
    ``write`` and ``written``) so a lesson or a test can drive it.
    """
    import datetime as dt

    import ipywidgets as w

    start = dict(start)
    values = spec_form.form_values(start)
    label = {"description_width": _LABEL_WIDTH}
    wide = w.Layout(width="100%", max_width="72em")

    def text(key: str, area: bool = False):
        kind = w.Textarea if area else w.Text
        return kind(
            value=values[key],
            description=spec_form.LABELS[key],
            style=label,
            layout=w.Layout(width="100%", max_width="72em", height="5em" if area else None),
        )

    def choice(key: str):
        return w.Dropdown(
            options=spec_form.CHOICES[key],
            value=values[key],
            description=spec_form.LABELS[key],
            style=label,
            layout=wide,
        )

    controls: dict = {
        key: text(key, area=key in ("purpose", "public_benefit", "legal_power"))
        for key in (
            "title",
            "purpose",
            "public_benefit",
            "controller_name",
            "source_name",
            "appropriate_policy_document",
            "legal_power",
        )
    }
    controls.update(
        {
            key: w.DatePicker(
                value=values[key], description=spec_form.LABELS[key], style=label, layout=w.Layout(width="32em")
            )
            for key in ("start_date", "end_date", "review_date", "delete_by")
        }
    )
    controls.update({key: choice(key) for key in spec_form.CHOICES})

    recipients, pages, titles = {}, [], []
    names = {str(r.get("id")): r.get("name") for r in start.get("recipients") or [] if isinstance(r, dict)}
    for rid, rec in values["recipients"].items():
        uses = {
            use: w.Checkbox(value=ticked, description=use, indent=False, layout=w.Layout(width="auto"))
            for use, ticked in rec["uses"].items()
        }
        fields = {}
        for name, entry in rec["fields"].items():
            tick = w.Checkbox(value=entry["ticked"], description=name, indent=False, layout=w.Layout(width="auto"))
            why = w.Text(
                value=entry["justification"],
                description="Why",
                placeholder=f"Why it needs {name}",
                style={"description_width": "3em"},
                layout=w.Layout(width="auto"),
            )
            fields[name] = (tick, why)
        recipients[rid] = {"uses": uses, "fields": fields}
        # A grid sizes the first column to the longest field name, so no name is cut short.
        grid = w.GridBox(
            [box for pair in fields.values() for box in pair],
            layout=w.Layout(grid_template_columns="max-content minmax(20em, 54em)", grid_gap="0 1em"),
        )
        pages.append(
            w.VBox(
                [
                    w.HTML("<strong>Uses</strong>"),
                    *uses.values(),
                    w.HTML("<strong>Fields it gets, and why</strong>"),
                    grid,
                ]
            )
        )
        titles.append(f"{names.get(rid) or rid} ({rid})")
    controls["recipients"] = recipients
    accordion = w.Accordion(children=pages, titles=tuple(titles), layout=wide)

    def current() -> dict:
        out = {key: controls[key].value for key in spec_form.LABELS if key != "recipients"}
        out["recipients"] = {
            rid: {
                "uses": {use: box.value for use, box in rec["uses"].items()},
                "fields": {
                    name: {"ticked": tick.value, "justification": why.value}
                    for name, (tick, why) in rec["fields"].items()
                },
            }
            for rid, rec in recipients.items()
        }
        return out

    check, problems = w.Button(description="Check", button_style="primary", layout=w.Layout(width="12em")), w.HTML()
    folder = w.Text(value="drafts", description="Folder for the drafts", style=label, layout=wide)
    formats = {
        key: w.Checkbox(value=True, description=words, indent=False, layout=w.Layout(width="auto"))
        for key, words in spec_form.FORMATS.items()
    }
    write, written = (
        w.Button(description="Write drafts", button_style="success", layout=w.Layout(width="12em")),
        w.HTML(),
    )

    def on_check(_button=None) -> None:
        problems.value = _problems_html(spec_form.check(spec_form.apply_form(start, current())))

    def on_write(_button=None) -> None:
        chosen = [key for key, box in formats.items() if box.value]
        try:
            paths = spec_form.write_from_form(start, current(), folder.value, chosen, generated_on=dt.date.today())
        except purpose.SpecError as exc:
            written.value = "<p>Nothing was written.</p>" + _problems_html(exc.problems)
            return
        except (spec_form.FormError, documents.DraftError) as exc:
            written.value = f"<p>Nothing was written: {html.escape(str(exc))}</p>"
            return
        items = "".join(f"<li><code>{html.escape(p.as_posix())}</code></li>" for p in paths)
        written.value = f"<p><strong style='color:#00703c'>Wrote {len(paths)} files</strong></p><ul>{items}</ul>"

    check.on_click(on_check)
    write.on_click(on_write)
    controls.update(check=check, problems=problems, folder=folder, formats=formats, write=write, written=written)

    def heading(words: str):
        return w.HTML(f"<h4>{words}</h4>")

    view = w.VBox(
        [
            w.HTML(_FORM_CSS),
            heading("The share"),
            *(controls[k] for k in ("title", "purpose", "public_benefit")),
            heading("Dates"),
            *(controls[k] for k in ("start_date", "end_date", "review_date", "delete_by")),
            heading("Who"),
            *(controls[k] for k in ("controller_name", "controller_type", "source_name", "source_type")),
            heading("The data"),
            controls["special_category"],
            controls["confidential_patient_information"],
            heading("Lawful basis"),
            *(
                controls[k]
                for k in (
                    "article6",
                    "article9",
                    "schedule1_part",
                    "schedule1_paragraph",
                    "appropriate_policy_document",
                    "legal_power",
                    "duty_of_confidentiality",
                )
            ),
            heading("Recipients"),
            accordion,
            heading("Check the specification"),
            check,
            problems,
            heading("Write the drafts"),
            folder,
            w.HBox(list(formats.values())),
            write,
            written,
        ]
    )
    view.add_class("playbook-form")
    view.controls = controls
    return view
