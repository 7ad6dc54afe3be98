"""Thin ipywidgets views for live teach-in sessions.

Each view only collects choices and shows the answer of a plain, tested function: :func:`field_picker` shows
:func:`playbook.purpose.check_field`, :func:`decision_aid` shows :func:`playbook.lawful_basis.assess`, and
:func:`specification_form` fills in a purpose specification through :mod:`playbook.spec_form` and writes the drafts.
Nothing is decided here. The published book cannot run widgets, so notebooks also print the same answers as
static tables.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from playbook import documents, lawful_basis, purpose, spec_form

if TYPE_CHECKING:
    import ipywidgets

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


def field_picker(spec: purpose.PurposeSpec) -> ipywidgets.VBox:
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


#: Plain words for each question of :data:`playbook.lawful_basis.QUESTIONS`, short enough for a laptop screen.
AID_LABELS = {
    "identifiability": "Recipient gets",
    "special_category": "Health or special category data",
    "confidential_patient_information": "Confidential patient information",
    "discloser": "Who shares",
    "discloser_health_or_care": "Sharer holds it for health or care",
    "recipient": "Who receives",
    "recipient_role": "Recipient role",
    "recipient_own_purposes": "Recipient uses it for own aims",
    "purpose": "What it is for",
    "powers": "Powers or routes in place",
    "emergency": "A civil emergency",
    "life_or_death": "Life or death, no other way",
    "can_consent": "People are able to consent",
    "consent": "Consent held",
    "professional_responsibility": "Health professional responsible",
    "other_restrictions": "Other laws",
    "large_scale": "Large scale",
    "data_matching": "Matches several data sources",
    "vulnerable_people": "The people are vulnerable",
}

#: Plain words for each answer the questions allow.
AID_VALUES = {
    "not_personal_data": "not personal data",
    "identifiable": "identifiable data",
    "de_identified": "de-identified (pseudonymised)",
    "anonymised": "anonymised data",
    "ministerial_department": "government department",
    "public_authority": "other public body",
    "competent_authority": "law enforcement body",
    "private_company": "private company",
    "charity": "charity",
    "controller": "controller",
    "joint_controller": "joint controller",
    "processor": "processor",
    "individual_care": "individual care",
    "public_health": "public health",
    "public_service_delivery": "public services",
    "safeguarding": "safeguarding",
    "research": "research",
    "law_enforcement": "law enforcement",
    "commercial": "commercial gain",
    "statutory_function": "statutory function",
    "crown_common_law": "Crown common law powers",
    "legal_requirement": "a law requires it",
    "dea_public_service_delivery": "Digital Economy Act: services",
    "dea_research": "Digital Economy Act: research",
    "civil_contingencies": "Civil Contingencies Act",
    "copi_notice": "COPI notice",
    "section_251_support": "section 251 support",
    "none": "none",
    "consent": "consent",
    "explicit": "explicit consent",
    "checked_none": "checked: none",
    "found": "found one",
    "not_checked": "not checked",
}

#: The questions in the order the aid shows them, in three groups; powers are ticked separately.
AID_GROUPS = {
    "The data": (
        "identifiability",
        "special_category",
        "confidential_patient_information",
        "large_scale",
        "data_matching",
        "vulnerable_people",
    ),
    "Who shares it, and who gets it": (
        "discloser",
        "recipient",
        "recipient_role",
        "discloser_health_or_care",
        "recipient_own_purposes",
        "professional_responsibility",
    ),
    "Why, and with what consent": (
        "purpose",
        "consent",
        "other_restrictions",
        "emergency",
        "life_or_death",
        "can_consent",
    ),
}

_AID_CSS = """<style>
.playbook-aid .widget-checkbox { height: auto; min-height: var(--jp-widgets-inline-height); }
.playbook-aid .widget-checkbox label, .playbook-aid .widget-label { white-space: normal; line-height: 1.2; }
.playbook-aid .widget-dropdown, .playbook-aid .widget-checkbox { min-width: 0; }
.playbook-aid h4 { margin: 4px 0 2px 0; font-size: 14px; }
.playbook-aid .widget-html-content { line-height: 1.3; }
.playbook-aid-verdict p, .playbook-aid-verdict li { margin: 2px 0; line-height: 1.3; }
.playbook-aid-verdict ul { margin: 0 0 4px 0; padding-left: 1.2em; }
</style>"""


def plain_words(text: str, problem: bool = False) -> str:
    """Put the aid's plain words in place of the model's code names in a message.

    Every code name with an underscore is replaced, and so is a quoted one-word code such as ``'powers'``. For a
    ``problem`` (a message about the answers) "true" and "false" become "yes" and "no" too.
    """
    names = {**AID_VALUES, **{key: f"“{AID_LABELS[key]}”" for key in AID_LABELS if "_" in key}}
    for code in sorted(names, key=len, reverse=True):
        if "_" in code:
            text = re.sub(rf"'?\b{re.escape(code)}\b'?", names[code], text)
    for code in sorted({*AID_VALUES, *AID_LABELS}, key=len, reverse=True):
        plain = AID_VALUES.get(code) or f"“{AID_LABELS[code]}”"
        text = text.replace(f"'{code}'", plain)
    if problem:
        text = re.sub(r"\btrue\b", "yes", text)
        text = re.sub(r"\bfalse\b", "no", text)
    return text


def _say(value: Any) -> str:
    """An answer in plain words: yes or no, a plain value, or the ticked powers."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(AID_VALUES[v] for v in value) or "none ticked"
    return AID_VALUES.get(value, str(value))


def describe_change(
    name: str,
    old: Any,
    new: Any,
    before: lawful_basis.Assessment | None,
    after: lawful_basis.Assessment | None,
) -> str:
    """One line: which answer changed, from what to what, and how the verdict moved.

    ``before`` and ``after`` are :class:`playbook.lawful_basis.Assessment` objects, or ``None`` where the answers
    contradicted each other.
    """
    if name == "powers":
        added = [AID_VALUES[p] for p in new if p not in old]
        removed = [AID_VALUES[p] for p in old if p not in new]
        change = f"you {'ticked' if added else 'unticked'} “{', '.join(added or removed)}” under powers"
    else:
        change = f"you changed “{AID_LABELS[name]}” from {_say(old)} to {_say(new)}"
    if after is None:
        return f"What changed: {change}. The answers now contradict each other, so there is no verdict."
    if before is None:
        return f"What changed: {change}. The answers agree again: the verdict is “{after.verdict.value}”."
    if before.verdict == after.verdict:
        moved = f"the verdict stays “{after.verdict.value}”"
    else:
        moved = f"the verdict moves from “{before.verdict.value}” to “{after.verdict.value}”"
    gained = sum(p not in before.points for p in after.points)
    lost = sum(p not in after.points for p in before.points)
    extra = []
    if gained:
        extra.append(f"{gained} new point{'s' if gained > 1 else ''}, marked New")
    if lost:
        extra.append(f"{lost} point{'s' if lost > 1 else ''} gone")
    detail = f" ({'; '.join(extra)})" if extra else ""
    return f"What changed: {change}; {moved}{detail}."


def _point_html(point: lawful_basis.Point, new: bool) -> str:
    code = (
        f"<strong>{html.escape(point.code)}</strong> " if point.section == "candidate" and "_" not in point.code else ""
    )
    mark = "<strong style='color:#1d70b8'>New:</strong> " if new else ""
    cite = html.escape(f"{point.source}: {point.pinpoint}")
    source = f" <span style='color:#505a5f;font-size:85%'>({cite})</span>"
    return f"<li>{mark}{code}{html.escape(plain_words(point.text))}{source}</li>"


def verdict_line(result: lawful_basis.Assessment | None) -> str:
    """The verdict in its colour, or a plain warning that the answers contradict each other."""
    if result is None:
        colour, words = "#d4351c", "No verdict: the answers contradict each other"
    else:
        colour, words = VERDICT_COLOURS[result.verdict], "Verdict: " + html.escape(result.verdict.value)
    return f"<p style='font-size:120%'><strong style='color:{colour}'>{words}</strong></p>"


def points_html(result: lawful_basis.Assessment, before: lawful_basis.Assessment | None = None) -> str:
    """Each section's points in plain words, then the disclaimer; points new since ``before`` are marked."""
    out = []
    for name in lawful_basis.SECTIONS:
        items = result.section(name)
        if items:
            title = lawful_basis.SECTION_TITLES[name]
            rows = "".join(_point_html(p, before is not None and p not in before.points) for p in items)
            out.append(f"<p><strong>{html.escape(title)}</strong></p><ul>{rows}</ul>")
    out.append(f"<p><em>{html.escape(result.disclaimer)}</em></p>")
    return "".join(out)


def decision_aid(start: dict) -> ipywidgets.HBox:
    """Answer the questions of :func:`playbook.lawful_basis.assess` and see the verdict and points update.

    The questions sit on the left in three short groups and a set of tick boxes for powers; the verdict sits on
    the right, with one line above it that says which answer changed and how the verdict moved. It fits one
    laptop screen (about 600 pixels high). ``start`` must answer every question: the aid fills nothing in by
    itself, so it refuses incomplete answers with the same list of problems as ``assess``. The returned box
    carries its controls in ``.controls`` (keyed as the questions; ``powers`` is a dict of tick boxes), the
    verdict in ``.verdict``, the points behind it in ``.details`` and the line in ``.changed``, so a lesson or a
    test can drive it.
    """
    import ipywidgets as w

    checked = lawful_basis.validate_scenario(start)
    row = w.Layout(width="auto", margin="1px 4px")
    controls: dict = {}
    for name, (kind, question) in lawful_basis.QUESTIONS.items():
        value = getattr(checked, name)
        tip = plain_words(question)
        if kind is bool:
            controls[name] = w.Checkbox(
                value=value, description=AID_LABELS[name], indent=False, tooltip=tip, layout=row
            )
        elif name == "powers":
            controls[name] = {
                power: w.Checkbox(value=power in value, description=AID_VALUES[power], indent=False, layout=row)
                for power in kind
            }
        else:
            controls[name] = w.Dropdown(
                options=[(AID_VALUES[v], v) for v in kind],
                value=value,
                description=AID_LABELS[name],
                tooltip=tip,
                style={"description_width": "7.5em"},
                layout=row,
            )
    verdict, details = w.HTML(), w.HTML()
    details.add_class("playbook-aid-verdict")
    changed = w.HTML(
        "<p><strong>What changed:</strong> nothing yet. Change an answer and this line says how the verdict moved.</p>"
    )

    def answers() -> dict:
        out = {name: c.value for name, c in controls.items() if name != "powers"}
        out["powers"] = [power for power, box in controls["powers"].items() if box.value]
        return out

    def assess(values: dict) -> lawful_basis.Assessment | None:
        try:
            return lawful_basis.assess(values)
        except lawful_basis.ScenarioError:
            return None

    state: dict[str, Any] = {"answers": answers()}
    state["result"] = assess(state["answers"])

    def show(result: lawful_basis.Assessment | None, before: lawful_basis.Assessment | None = None) -> None:
        verdict.value = verdict_line(result)
        if result is not None:
            details.value = points_html(result, before)
            return
        try:
            lawful_basis.assess(state["answers"])
        except lawful_basis.ScenarioError as exc:
            items = "".join(f"<li>{html.escape(plain_words(p, problem=True))}</li>" for p in exc.problems)
            details.value = f"<p><strong>Correct one of these answers</strong></p><ul>{items}</ul>"

    def on_change(change: dict[str, Any]) -> None:  # ipywidgets' change: name, old, new, owner, type
        new_answers = answers()
        name = next((n for n in new_answers if new_answers[n] != state["answers"][n]), None)
        if name is None:
            return
        result = assess(new_answers)
        before = state["result"]
        line = describe_change(name, state["answers"][name], new_answers[name], before, result)
        changed.value = "<p><strong>What changed:</strong>" + html.escape(line.removeprefix("What changed:")) + "</p>"
        state.update(answers=new_answers, result=result)
        show(result, before)

    for name, control in controls.items():
        for box in control.values() if name == "powers" else [control]:
            box.observe(on_change, names="value")
    show(state["result"])

    def grid(items: Iterable[ipywidgets.Widget]) -> ipywidgets.GridBox:
        return w.GridBox(
            list(items),
            layout=w.Layout(grid_template_columns="repeat(2, minmax(0, 1fr))", grid_gap="0 8px", width="100%"),
        )

    left = [w.HTML(_AID_CSS)]
    for heading, names in AID_GROUPS.items():
        left += [w.HTML(f"<h4>{heading}</h4>"), grid(controls[n] for n in names)]
    left += [
        w.HTML(f"<h4>{AID_LABELS['powers']} (tick each one that applies)</h4>"),
        grid(controls["powers"].values()),
    ]
    scroll = w.Box([details], layout=w.Layout(max_height="420px", overflow="auto"))
    right = w.VBox([changed, verdict, scroll], layout=w.Layout(border="1px solid #b1b4b6", padding="4px 8px"))
    view = w.HBox(
        [
            w.VBox(left, layout=w.Layout(width="56%", min_width="0")),
            w.VBox([right], layout=w.Layout(width="44%", min_width="0")),
        ],
        layout=w.Layout(width="100%", align_items="flex-start", grid_gap="0 8px"),
    )
    view.add_class("playbook-aid")
    view.controls = controls
    view.verdict = verdict
    view.details = details
    view.changed = changed
    return view


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


def specification_form(start: dict) -> ipywidgets.VBox:
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

    def text(key: str, area: bool = False) -> ipywidgets.Text | ipywidgets.Textarea:
        kind = w.Textarea if area else w.Text
        return kind(
            value=values[key],
            description=spec_form.LABELS[key],
            style=label,
            layout=w.Layout(width="100%", max_width="72em", height="5em" if area else None),
        )

    def choice(key: str) -> ipywidgets.Dropdown:
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

    def heading(words: str) -> ipywidgets.HTML:
        return w.HTML(f"<h4>{words}</h4>")

    view = w.VBox(
        [
            w.HTML(_FORM_CSS),
            *(
                box
                for title, keys in spec_form.SECTIONS.items()
                for box in (heading(title), *(controls[key] for key in keys))
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
