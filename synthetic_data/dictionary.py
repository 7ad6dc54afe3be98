"""Write the data dictionary page (MyST markdown) from the schema and the configuration.

python -m synthetic_data.dictionary chapters/data-dictionary.md
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import TEACHING, Config
from .schema import CORRUPTION_TAGS, SCHEMA

INTRO = """\
# Data dictionary

This page describes the synthetic shielding data that the course uses. It is generated from the generator's own
schema and configuration (`synthetic_data/schema.py` and `synthetic_data/config.py`), so it always matches the
data. Do not edit it by hand: run `python -m synthetic_data.dictionary chapters/data-dictionary.md`.

The data is synthetic. Every person, address, phone number and email address is invented. It is modelled on the
real data flows of the 2020 shielding programme {cite:p}`nao2021cev,nhsd2021splhistory`, never on real people.
The local authority codes and names are real public reference data.

## How identifiers are kept provably not real

The generator checks every identifier in every row of every table before it writes anything, and refuses to
write a table that fails. The tests run the same checks.

| identifier | synthetic range | why it cannot be real |
| --- | --- | --- |
| NHS number | 999 000 0000 to 999 999 9999, with a valid check digit | This range is reserved for testing and is never issued to patients {cite:p}`nhsdnhsnumber`. Registrations hold some deliberately mistyped numbers; they still start 999 and `truth` marks them. |
| Phone number | 07700 900000 to 900999, 01632 960000 to 960999, 020 7946 0000 to 0999 | Ofcom keeps these numbers for drama and never allocates them {cite:p}`ofcom2024drama`. Mistyped numbers stay in the same ranges. |
| Email address | example.com, example.org, example.net | These domains are reserved for documentation {cite:p}`rfc2606`. Typos change only the part before the @. |
| UPRN | 999 000 000 000 to 999 999 999 999 (12 digits) | UPRNs have up to 12 digits {cite:p}`geoplace2020uprn`. We know of no range reserved for testing, so we use the top of the 12-digit number space, and every address is also invented. If you load this data beside real address data, check for clashes first. |

Names are drawn from the name lists of the Faker library (en_GB), pinned to one version. Streets and localities
are built from Faker surnames with common British endings. Postcodes sit in a real postcode area for their
local authority, but the rest is random, so a postcode may exist without the invented street being in it. GP
practice codes are invented: Z followed by five digits.

There are only 1,000 drama numbers in each phone range and about 909,000 valid test NHS numbers. In the
teaching data every person has their own NHS number, but phone numbers repeat. At national scale (2.2 million
people on the list) NHS numbers repeat too, roughly every 909,000 people, so do not treat them as unique at
that size.

## Reproducing the data

One seed gives byte-identical files on any machine. The teaching data in `synthetic_data/teaching/` is
regenerated exactly by `python -m synthetic_data --teaching`, and the tests check that it still is. In the CSV
files blank means missing; text is quoted only in files where some value contains a comma.

Load a table with its proper types in Python:

```python
import synthetic_data
spl = synthetic_data.load("spl")
```
"""


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, tuple):
        return "; ".join(
            ", ".join(str(part) for part in item) if isinstance(item, tuple) else str(item) for item in value
        )
    return str(value)


def config_section(config: Config) -> str:
    lines = [
        "## Configuration",
        "",
        "Every size, rate and date comes from one configuration object, `synthetic_data.config.Config`. These "
        "are the values of the teaching data. Where a figure was published we cite it; the rest are marked as "
        "assumptions.",
        "",
        "| setting | value | source or reasoning |",
        "| --- | --- | --- |",
    ]
    for field in dataclasses.fields(config):
        lines.append(
            f"| `{field.name}` | {_cell(_value(getattr(config, field.name)))} | {_cell(field.metadata['doc'])} |"
        )
    return "\n".join(lines) + "\n"


def tables_section() -> str:
    out = ["## Tables", ""]
    for spec in SCHEMA.values():
        out += [
            f"### Table `{spec.name}`",
            "",
            spec.description,
            "",
            f"Real-world counterpart: {spec.counterpart}",
            "",
            "| column | type | meaning | how it is corrupted | real-world counterpart |",
            "| --- | --- | --- | --- | --- |",
        ]
        for c in spec.columns:
            out.append(
                f"| `{c.name}` | {c.dtype} | {_cell(c.meaning)} | {_cell(c.corruption)} | {_cell(c.counterpart)} |"
            )
        out.append("")
    out += [
        "### Corruption tags in `truth`",
        "",
        "| tag | meaning |",
        "| --- | --- |",
    ]
    out += [f"| `{tag}` | {meaning} |" for tag, meaning in CORRUPTION_TAGS.items()]
    return "\n".join(out) + "\n"


def render(config: Config = TEACHING) -> str:
    return "\n".join([INTRO, config_section(config), tables_section()])


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m synthetic_data.dictionary PATH", file=sys.stderr)
        return 2
    path = Path(argv[0])
    try:
        path.write_text(render(), encoding="utf-8")
    except OSError as error:
        print(f"python -m synthetic_data.dictionary: error: cannot write {path}: {error.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
