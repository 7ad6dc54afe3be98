"""Enforcement: may this recipient have this field, and is this request inside the purpose?

These are the questions the specification exists to answer; each answer is a :class:`Decision` that carries
its reasons, so a refusal can be explained to the person who asked.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from playbook.purpose.errors import shorten
from playbook.purpose.model import PurposeSpec, not_a_recipient


@dataclass(frozen=True)
class Decision:
    """The answer to a check: allowed or refused, and why."""

    allowed: bool
    recipient: str
    item: str
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def outcome(self) -> str:
        return "allowed" if self.allowed else "refused"

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)

    def __str__(self) -> str:
        return f"{self.outcome.upper()}: {self.recipient} / {self.item}: {self.reason}"


def _period_reason(spec: PurposeSpec, on: _dt.date | None) -> str | None:
    if on is None:
        return None
    if on < spec.start_date:
        return f"The purpose starts on {spec.start_date}; nothing is shared before then."
    if on > spec.end_date:
        return (
            f"The purpose ended on {spec.end_date}; sharing after that needs a new decision "
            "and an updated specification."
        )
    return None


def check_field(spec: PurposeSpec, recipient_id: str, field_name: str, on: _dt.date | None = None) -> Decision:
    """May this recipient receive this field under the purpose? Returns a :class:`Decision` with the reason.

    Refused when the recipient is not named, the field is excluded for everyone, the field is not in the
    catalogue, the field is not justified for this recipient, or ``on`` falls outside the purpose's dates.
    """
    late = _period_reason(spec, on)
    if late:
        return Decision(False, recipient_id, field_name, (late,))
    if recipient_id not in spec.recipients:
        return Decision(False, recipient_id, field_name, (not_a_recipient(spec, recipient_id),))
    rec = spec.recipients[recipient_id]
    if field_name in rec.fields:
        return Decision(True, recipient_id, field_name, (rec.fields[field_name],))
    if field_name in spec.excluded_fields:
        return Decision(
            False, recipient_id, field_name, (f"Excluded for every recipient: {spec.excluded_fields[field_name]}",)
        )
    if field_name not in spec.fields:
        return Decision(
            False,
            recipient_id,
            field_name,
            (
                f"{shorten(field_name)} is not in the field catalogue: the purpose has not considered it. "
                "Add it to the specification with a justification before anyone receives it.",
            ),
        )
    others = sorted(r.id for r in spec.recipients.values() if field_name in r.fields)
    where = f"It is justified for {', '.join(others)}, but not" if others else "It is not justified"
    return Decision(
        False,
        recipient_id,
        field_name,
        (f"{where} for {rec.name}. To add it, record why this recipient needs it and update the specification.",),
    )


def check_request(
    spec: PurposeSpec, requester: str, use: str, fields: Sequence[str] = (), on: _dt.date | None = None
) -> Decision:
    """Is a request (who asks, for what use, for which fields) inside the purpose?

    A request is allowed only when the requester is a named recipient, the use is permitted and is one of
    that recipient's uses, every field is allowed for that recipient, and ``on`` falls within the dates.
    Every reason for refusal is given, most important first.
    """
    reasons: list[str] = []
    late = _period_reason(spec, on)
    if late:
        reasons.append(late)
    if use in spec.prohibited_uses:
        reasons.append(f"The use {shorten(use)} is outside the purpose and is refused: {spec.prohibited_uses[use]}")
    elif use not in spec.permitted_uses:
        reasons.append(
            f"The use {shorten(use)} is not one of the permitted uses "
            f"({', '.join(sorted(spec.permitted_uses))}). The purpose is: {spec.purpose}"
        )
    if requester not in spec.recipients:
        reasons.append(not_a_recipient(spec, requester, name_others=False))
    else:
        rec = spec.recipients[requester]
        if use in spec.permitted_uses and use not in rec.uses:
            reasons.append(f"{rec.name} receives data only for: {', '.join(rec.uses)}.")
        for name in fields:
            decision = check_field(spec, requester, name)
            if not decision.allowed:
                reasons.append(f"Field {shorten(name)}: {decision.reason}")
    if reasons:
        return Decision(False, requester, use, tuple(reasons))
    what = f" with fields {', '.join(fields)}" if fields else ""
    return Decision(True, requester, use, (f"Inside the purpose: {spec.permitted_uses[use]}{what}.",))
