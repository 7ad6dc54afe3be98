"""Every table and column the generator writes: one source of truth for the generator, the safety checks,
the loader and the data dictionary page.

A column's ``kind`` says which identifier safety rule applies to it (see ``safety.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

DTYPES = ("string", "int64", "date", "bool")
ARROW_TYPES = {"string": pa.string(), "int64": pa.int64(), "date": pa.date32(), "bool": pa.bool_()}
PANDAS_TYPES = {"string": "string", "int64": "Int64", "date": "datetime64[ns]", "bool": "boolean"}
KINDS = (None, "nhs_number", "phone", "email", "uprn")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    meaning: str
    corruption: str = "None: copied from the truth."
    counterpart: str = ""
    kind: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    counterpart: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, ARROW_TYPES[c.dtype]) for c in self.columns])


C = Column
_NAMES_FROM = "Drawn from the Faker en_GB name lists."
_PHONE_RANGES = "Ofcom drama ranges only."

SCHEMA: dict[str, Table] = {}


def _table(name: str, description: str, counterpart: str, *columns: Column) -> None:
    SCHEMA[name] = Table(name, description, counterpart, tuple(columns))


_table(
    "people",
    "The hidden truth: one row per synthetic person. Nobody in a real share would have this table; lessons use it "
    "only to mark their answers.",
    "None. It stands for the real people behind every record.",
    C("person_id", "int64", "Number of the synthetic person, from 1.", counterpart="None."),
    C("given_name", "string", f"True given name. {_NAMES_FROM}", counterpart="Given name on the NHS spine."),
    C("family_name", "string", f"True family name. {_NAMES_FROM}", counterpart="Family name on the NHS spine."),
    C("date_of_birth", "date", "True date of birth.", counterpart="Date of birth."),
    C("sex", "string", "F or M.", counterpart="Sex recorded by the NHS."),
    C(
        "nhs_number",
        "string",
        "True NHS number: 10 digits in the 999 test range with a valid check digit.",
        counterpart="NHS number.",
        kind="nhs_number",
    ),
    C("uprn", "string", "UPRN of the person's home now.", counterpart="UPRN.", kind="uprn"),
    C(
        "previous_uprn",
        "string",
        "UPRN of the home the person left in the last year, if they moved.",
        counterpart="UPRN of a former address.",
        kind="uprn",
    ),
    C("la_code", "string", "ONS code of the local authority of the home now.", counterpart="ONS local authority code."),
    C("landline", "string", "True landline number, if any.", counterpart="Home phone number.", kind="phone"),
    C("mobile", "string", "True mobile number, if any.", counterpart="Mobile phone number.", kind="phone"),
    C("email", "string", "True email address, if any.", counterpart="Email address.", kind="email"),
    C("on_spl", "bool", "Whether the person is on the Shielded Patient List.", counterpart="None."),
    C("date_of_death", "date", "Date of death, if the person died before the data ends.", counterpart="Date of death."),
)

_table(
    "spl",
    "The Shielded Patient List as NHS Digital would send it to the service: one row per person on the list.",
    "The Shielded Patient List sent weekly by NHS Digital to GDS and others.",
    C("spl_row_id", "int64", "Row number in the list, in the order people were added.", counterpart="None."),
    C("nhs_number", "string", "NHS number, always valid.", counterpart="NHS number.", kind="nhs_number"),
    C("given_name", "string", "Given name.", counterpart="Given name from the NHS spine."),
    C("family_name", "string", "Family name.", counterpart="Family name from the NHS spine."),
    C("date_of_birth", "date", "Date of birth.", counterpart="Date of birth."),
    C("sex", "string", "F or M.", counterpart="Sex."),
    C(
        "address_line_1",
        "string",
        "House number and street.",
        "Out of date for some people who moved, mostly in rows from hospital data.",
        "Address lines.",
    ),
    C("address_line_2", "string", "Locality, if any.", "As address_line_1.", "Address lines."),
    C("town", "string", "Post town.", "As address_line_1.", "Address lines."),
    C("postcode", "string", "Postcode, upper case with one space.", "As address_line_1.", "Postcode."),
    C(
        "gp_practice_code",
        "string",
        "Code of the person's GP practice: Z and five digits, invented.",
        counterpart="GP practice code (ODS code).",
    ),
    C(
        "landline",
        "string",
        "Landline number, written 01632 960123 or 020 7946 0123.",
        "Blank or wrong for part of the rows with unusable numbers.",
        "Home phone number.",
        "phone",
    ),
    C(
        "mobile",
        "string",
        "Mobile number, written 07700 900123.",
        "Blank or wrong for part of the rows with unusable numbers.",
        "Mobile phone number.",
        "phone",
    ),
    C("email", "string", "Email address, for some people.", counterpart="Email address.", kind="email"),
    C(
        "la_code",
        "string",
        "ONS code of the local authority of the address shown.",
        "Follows the address shown, so an out-of-date address can put a person in the wrong authority.",
        "Local authority code, used to split the list by authority.",
    ),
    C(
        "source",
        "string",
        "Where the person was first flagged: hospital_data (hospital, prescribed-medicines "
        "and maternity data), gp_records or clinical_review.",
        counterpart="Flag for the data source.",
    ),
    C(
        "release",
        "string",
        "List release that added the person: SPL1, SPL2, SPL3 or SPL4+5.",
        counterpart="SPL release.",
    ),
    C("date_added", "date", "Date of that release.", counterpart="Date added to the list."),
    C(
        "clinical_group",
        "string",
        "Why the person is clinically extremely vulnerable. The service did not need it.",
        counterpart="Clinical flag or disease group.",
    ),
    C("date_of_death", "date", "Date of death, if known.", counterpart="Date of death from the NHS spine."),
)

_table(
    "registrations",
    "What people typed into the support registration service. Includes people not on the list and people who "
    "registered twice.",
    "The GDS registration service for clinically extremely vulnerable people.",
    C("registration_id", "int64", "Number of the registration, in the order received.", counterpart="None."),
    C("registered_on", "date", "Date of the registration.", counterpart="Submission date."),
    C(
        "given_name",
        "string",
        "Given name as typed.",
        "Short forms (Bob for Robert), typos, or swapped with the family name.",
        "Given name.",
    ),
    C("family_name", "string", "Family name as typed.", "Typos, or swapped with the given name.", "Family name."),
    C("date_of_birth", "date", "Date of birth as typed.", "Day and month swapped for some.", "Date of birth."),
    C(
        "nhs_number",
        "string",
        "NHS number as typed, if given.",
        "Often blank; sometimes with spaces; sometimes one digit wrong or two swapped, which breaks the check "
        "digit. Always starts 999.",
        "NHS number.",
        "nhs_number",
    ),
    C("address_line_1", "string", "First line of address as typed.", "An old address, or all lower case.", "Address."),
    C("address_line_2", "string", "Second line of address as typed.", "An old address.", "Address."),
    C("town", "string", "Town as typed.", "An old address.", "Address."),
    C("postcode", "string", "Postcode as typed.", "An old postcode, lower case or without the space.", "Postcode."),
    C(
        "phone",
        "string",
        "Phone number as typed, in several formats.",
        "Blank for some; one digit wrong for some, still a drama number.",
        "Contact phone number.",
        "phone",
    ),
    C(
        "email",
        "string",
        "Email address as typed, if given.",
        "A typo in the part before the @ for some.",
        "Contact email.",
        "email",
    ),
    C("needs_food", "bool", "Asked for help getting food.", "None.", "Need for essential supplies."),
    C("needs_basic_care", "bool", "Said basic care needs were not met.", "None.", "Care needs question."),
    C(
        "wants_priority_supermarket",
        "bool",
        "Asked for priority supermarket delivery slots.",
        "None.",
        "Supermarket priority question.",
    ),
    C(
        "consent_share_supermarkets",
        "bool",
        "Agreed to details being shared with supermarkets.",
        "None.",
        "Consent to share with supermarkets.",
    ),
)

_table(
    "addresses",
    "An address register in the style of AddressBase: every home in the data plus addresses where nobody in the "
    "population lives.",
    "Ordnance Survey AddressBase.",
    C("uprn", "string", "Synthetic UPRN: 12 digits from 999000000000.", counterpart="UPRN.", kind="uprn"),
    C("address_line_1", "string", "House number and street. Streets are invented.", counterpart="Address."),
    C("address_line_2", "string", "Locality, if any. Invented.", counterpart="Locality."),
    C("town", "string", "Post town of the local authority.", counterpart="Post town."),
    C("postcode", "string", "Postcode in a real postcode area; the rest is random.", counterpart="Postcode."),
    C("la_code", "string", "ONS code of the local authority.", counterpart="Local authority code."),
)

_table(
    "local_authorities",
    "A sample of English local authorities with their real ONS codes and names.",
    "ONS local authority names and codes, 2020.",
    C("la_code", "string", "ONS code.", counterpart="ONS code (real)."),
    C("la_name", "string", "Name.", counterpart="Name (real)."),
    C(
        "la_type",
        "string",
        "London borough, metropolitan district, unitary authority or non-metropolitan district.",
        counterpart="Authority type.",
    ),
    C("region_code", "string", "ONS code of the region.", counterpart="Region code (real)."),
    C("region_name", "string", "Name of the region.", counterpart="Region name (real)."),
    C(
        "population_thousands",
        "int64",
        "Rough population in thousands, used only as a sampling weight.",
        counterpart="Mid-year population estimate (rounded, approximate).",
    ),
)

_table(
    "supermarket_customers",
    "One fictional retailer's own customer records, in its own format. Some customers are registrants, more of "
    "them among those who consented; some are nobody in the population.",
    "A supermarket's customer database, matched against registrations to offer priority slots.",
    C(
        "customer_id",
        "string",
        "The retailer's own customer number: EXF and nine digits.",
        counterpart="Loyalty or online account number.",
    ),
    C("customer_name", "string", "Name as SURNAME, Forename.", "Given name may be a short form.", "Customer name."),
    C("address_line_1", "string", "First line of address in upper case.", counterpart="Delivery address."),
    C("postcode", "string", "Postcode in upper case without a space.", counterpart="Delivery postcode."),
    C("phone", "string", "Phone number in +44 format.", "Blank for some.", "Contact number.", "phone"),
    C("email", "string", "Email address, if held.", counterpart="Account email.", kind="email"),
    C("customer_since", "date", "Date the account was opened.", counterpart="Account start date."),
)

_table(
    "truth",
    "Ground truth for marking linkage: one row per row of spl, registrations and supermarket_customers, saying "
    "who it really is, which address it really shows and how it was corrupted.",
    "None. Real data never comes with its answers.",
    C("source_table", "string", "spl, registrations or supermarket_customers.", counterpart="None."),
    C("source_id", "string", "The row's spl_row_id, registration_id or customer_id, as text.", counterpart="None."),
    C(
        "person_id",
        "int64",
        "The person the row is about; blank for customers who are nobody in the population.",
        counterpart="None.",
    ),
    C("spl_row_id", "int64", "The person's row in spl, if they are on the list.", counterpart="None."),
    C(
        "uprn",
        "string",
        "UPRN of the address the row shows (an old address if the row shows one).",
        counterpart="None.",
        kind="uprn",
    ),
    C("nhs_number_mistyped", "bool", "Whether the row's NHS number was deliberately mistyped.", counterpart="None."),
    C("corruptions", "string", "Every corruption applied to the row, separated by semicolons.", counterpart="None."),
)

TABLES: tuple[str, ...] = tuple(SCHEMA)
CORRUPTION_TAGS = {
    "stale_address": "The row shows the person's previous address.",
    "phone_missing": "The list has no phone number for the person.",
    "phone_wrong": "The list's phone numbers are not the person's.",
    "second_registration": "The person's second registration.",
    "nickname": "A short form of the given name.",
    "given_name_typo": "A typo in the given name.",
    "family_name_typo": "A typo in the family name.",
    "names_swapped": "Given and family names swapped.",
    "dob_day_month_swapped": "Day and month of birth swapped.",
    "postcode_badly_formatted": "Postcode in lower case or without its space.",
    "address_lower_case": "First address line in lower case.",
    "nhs_number_missing": "No NHS number given.",
    "nhs_number_mistyped": "NHS number mistyped.",
    "phone_mistyped": "One digit of the phone number mistyped.",
    "email_typo": "A typo in the email address.",
}


def table(name: str) -> Table:
    """The schema of one table, with a clear error naming the known tables."""
    if name not in SCHEMA:
        raise ValueError(f"unknown table {name!r}: choose one of {', '.join(TABLES)}")
    return SCHEMA[name]
