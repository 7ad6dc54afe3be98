"""The vocabularies of the purpose specification format: every value each answer may take, with the label
used in messages and drafted documents.

They live apart from the code that reads them because the parser, the legal cross-checks, the form and the
drafted paperwork all use the same lists, and a reviewer checking the law wants them in one short place.
"""

from __future__ import annotations

import re

#: UK GDPR Article 6(1) lawful bases; (ea) was inserted by the Data (Use and Access) Act 2025, section 70, in force
#: from 5 February 2026.
ARTICLE6_BASES = {
    "a": "consent",
    "b": "contract",
    "c": "legal obligation",
    "d": "vital interests",
    "e": "public task",
    "ea": "recognised legitimate interest",
    "f": "legitimate interests",
}

#: UK GDPR Article 9(2) conditions for special category data.
ARTICLE9_CONDITIONS = {
    "a": "explicit consent",
    "b": "employment, social security and social protection",
    "c": "vital interests",
    "d": "not-for-profit bodies",
    "e": "made public by the data subject",
    "f": "legal claims or judicial acts",
    "g": "reasons of substantial public interest",
    "h": "health or social care",
    "i": "public health",
    "j": "archiving, research and statistics",
}

#: Article 9(2) conditions that DPA 2018 section 10 completes with a Schedule 1 condition, and the Schedule 1
#: paragraphs that can do it (Part 1 paragraphs 1 to 4; Part 2 paragraphs 6 to 28).
SCHEDULE1_FOR_ARTICLE9 = {
    "b": (1, range(1, 2)),
    "h": (1, range(2, 3)),
    "i": (1, range(3, 4)),
    "j": (1, range(4, 5)),
    "g": (2, range(6, 29)),
}

#: Routes that meet the common law duty of confidentiality for confidential patient information.
CONFIDENTIALITY_ROUTES = {
    "consent": "the person's consent",
    "copi_notice": "a notice under regulation 3(4) of the COPI Regulations 2002 (regulation 4 makes the "
    "processing lawful despite the duty)",
    "section_251_support": "support under section 251 of the NHS Act 2006 and regulation 5 of the COPI Regulations "
    "2002, on the advice of the Confidentiality Advisory Group",
    "legal_requirement": "a legal requirement to disclose",
    "overriding_public_interest": "an overriding public interest, decided case by case",
    "not_applicable": "not applicable: no confidential patient information",
}

ORGANISATION_TYPES = ("public_authority", "private_company", "charity")
CONTROLLER_ROLES = ("controller", "joint_controller", "source")
RECIPIENT_ROLES = ("controller", "joint_controller", "processor")
ROW_FILTER_OPERATORS = ("equals", "not_equals", "in", "is_blank")

#: How a field's ``source`` is written: the table and the column it comes from, for example ``spl.given_name``.
SOURCE_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")
