"""Purpose specifications: governance that executes.

A purpose specification is a YAML file that says why data is shared, on what lawful basis, with whom, which
fields each recipient gets and why, which rows each recipient gets, and for how long. This module loads one,
checks it, and answers two questions from it:

- may this recipient have this field? (:func:`check_field`)
- is this request inside the purpose? (:func:`check_request`)

Every answer carries its reason, so a refusal can be explained to the person who asked. The validator never
guesses: it collects every problem it finds and raises one :class:`SpecError` that lists them all, each naming
the place in the file.

The checks here support a decision; they are not legal advice.

The package keeps one module per job, each short enough to read at once, and this file re-exports every public
name, so ``from playbook import purpose; purpose.check_field(...)`` works as it always has:

- :mod:`~playbook.purpose.vocabulary`: the values each answer may take;
- :mod:`~playbook.purpose.errors`: :class:`SpecError` and :func:`shorten`;
- :mod:`~playbook.purpose.values`: blanks, dates and yes/no answers, read one way everywhere;
- :mod:`~playbook.purpose.model`: the specification as dataclasses;
- :mod:`~playbook.purpose.reading` and :mod:`~playbook.purpose.parsing`: YAML mapping to dataclasses;
- :mod:`~playbook.purpose.legal_checks`: the rules that tie one part to another;
- :mod:`~playbook.purpose.loading`: files, text and the built-in specifications;
- :mod:`~playbook.purpose.enforcement`: :func:`check_field` and :func:`check_request`;
- :mod:`~playbook.purpose.views`: tables for lessons and documents.
"""

from playbook.purpose.enforcement import Decision, check_field, check_request
from playbook.purpose.errors import SHOWN_PROBLEMS, SpecError, shorten
from playbook.purpose.legal_checks import needs_appropriate_policy_document, semantic_problems
from playbook.purpose.loading import builtin_mapping, builtin_names, load_builtin, load_spec, load_yaml, parse_spec
from playbook.purpose.model import (
    FieldDefinition,
    LawfulBasis,
    Organisation,
    PurposeSpec,
    Recipient,
    RowFilter,
    not_a_recipient,
)
from playbook.purpose.values import (
    FALSE_WORDS,
    INVISIBLE,
    NULL_MARKERS,
    TRUE_WORDS,
    as_date,
    is_blank,
    is_date,
    is_date_column,
    yes_no,
)
from playbook.purpose.views import catalogue_table, field_matrix, field_table, recipients_table, source_columns
from playbook.purpose.vocabulary import (
    ARTICLE6_BASES,
    ARTICLE9_CONDITIONS,
    CONFIDENTIALITY_ROUTES,
    CONTROLLER_ROLES,
    ORGANISATION_TYPES,
    RECIPIENT_ROLES,
    ROW_FILTER_OPERATORS,
    SCHEDULE1_FOR_ARTICLE9,
    SOURCE_PATTERN,
)

__all__ = [
    "ARTICLE6_BASES",
    "ARTICLE9_CONDITIONS",
    "CONFIDENTIALITY_ROUTES",
    "CONTROLLER_ROLES",
    "FALSE_WORDS",
    "INVISIBLE",
    "NULL_MARKERS",
    "ORGANISATION_TYPES",
    "RECIPIENT_ROLES",
    "ROW_FILTER_OPERATORS",
    "SCHEDULE1_FOR_ARTICLE9",
    "SHOWN_PROBLEMS",
    "SOURCE_PATTERN",
    "TRUE_WORDS",
    "Decision",
    "FieldDefinition",
    "LawfulBasis",
    "Organisation",
    "PurposeSpec",
    "Recipient",
    "RowFilter",
    "SpecError",
    "as_date",
    "builtin_mapping",
    "builtin_names",
    "catalogue_table",
    "check_field",
    "check_request",
    "field_matrix",
    "field_table",
    "is_blank",
    "is_date",
    "is_date_column",
    "load_builtin",
    "load_spec",
    "load_yaml",
    "needs_appropriate_policy_document",
    "not_a_recipient",
    "parse_spec",
    "recipients_table",
    "semantic_problems",
    "shorten",
    "source_columns",
    "yes_no",
]
