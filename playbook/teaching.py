"""The teaching data set up for the lessons, so each lesson starts from the same tables in one line.

Lesson 04 starts from the extracts lesson 03 made and from new registrations counted by region and week. Lessons
09 and 10 compare the councils' list as it stood on two days (:func:`list_on`).
Lessons 06, 07 and 08 link the registrations to the Shielded Patient List and mark the result against the answers
the generator kept. The set-up is the same each time (load, standardise, find the true links, group the people who
registered), so it lives here, tested once, rather than in the first cell of every lesson.

Only the synthetic teaching data has answers. Real data never does: there the answers come from a clerical review.

:func:`glue` stores a figure a lesson's prose quotes, so the book writes the computed value rather than one typed
by hand that goes stale after the next data change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import synthetic_data
from playbook import addresses, identifiers, linkage, minimisation, purpose

#: The day the age bands are measured on: the week the shielding service opened (23 March 2020).
AGE_ON = "2020-03-23"

#: Where the age bands used to report linkage errors begin: ``0-29``, ``30-49``, ``50-69``, ``70-79`` and ``80+``.
AGE_BAND_STARTS = (0, 30, 50, 70, 80)


#: The prefix MyST-NB gives a glued value's output, so the book can find it and the notebook does not show it.
GLUE_PREFIX = "application/papermill.record/"

#: A glued name starts with its lesson number (``l07_prior_bits``), so names are unique across the book.
GLUE_NAME = re.compile(r"l\d\d_[a-z0-9_]+")


def glue_output(name: str, value: Any) -> tuple[dict, dict]:
    """The display data and metadata that MyST-NB's ``glue(name, value, display=False)`` writes for this value.

    NumPy numbers become plain Python numbers first, so the stored text is ``3240``, not ``np.int64(3240)``, and
    a ``{glue:text}`` format such as ``:,d`` or ``:.1%`` can read it.
    """
    if not GLUE_NAME.fullmatch(name):
        raise ValueError(f"glue name {name!r} must be the lesson number and a word in lower case, such as l07_prior")
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, (bool, int, float, str)):
        raise TypeError(f"glue {name!r}: give a number or a string, not {type(value).__name__}")
    return {GLUE_PREFIX + "text/plain": repr(value)}, {"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}}


def glue(name: str, value: Any) -> None:
    """Store a figure for the lesson's prose to quote as ``{glue:text}`name```; the notebook shows nothing.

    The same as MyST-NB's ``glue(name, value, display=False)``, without needing MyST-NB, which the learners' lighter
    install leaves out.
    """
    from IPython.display import display

    data, metadata = glue_output(name, value)
    display(data, raw=True, metadata=metadata)


@dataclass(frozen=True)
class LinkageInputs:
    """Both tables as loaded and as standardised for linkage, with the answers.

    ``answers`` holds the truth row of every registration, indexed by registration id (as text); its
    ``spl_row_id`` is missing for people not on the list. ``true_links`` has one row (``left_id``, ``right_id``)
    for each registration that belongs to someone on the list.
    """

    registrations: pd.DataFrame
    spl: pd.DataFrame
    left: pd.DataFrame
    right: pd.DataFrame
    answers: pd.DataFrame
    true_links: pd.DataFrame


def registration_answers(truth: pd.DataFrame | None = None) -> pd.DataFrame:
    """Who each registration really is: its truth row, indexed by registration id, for people on the list or not."""
    truth = synthetic_data.load("truth") if truth is None else truth
    return truth[truth["source_table"] == "registrations"].set_index("source_id")


def true_links(answers: pd.DataFrame) -> pd.DataFrame:
    """The pairs a perfect linkage would find: (registration id, list row id) for each registration on the list."""
    on_list = answers[answers["spl_row_id"].notna()]
    return pd.DataFrame({"left_id": on_list.index, "right_id": on_list["spl_row_id"]}).reset_index(drop=True)


def linkage_inputs() -> LinkageInputs:
    """The registrations and the list, standardised with :func:`playbook.linkage.standardise_for_linkage`."""
    registrations, spl = synthetic_data.load("registrations"), synthetic_data.load("spl")
    answers = registration_answers()
    return LinkageInputs(
        registrations=registrations,
        spl=spl,
        left=linkage.standardise_for_linkage(registrations, "registration_id"),
        right=linkage.standardise_for_linkage(spl, "spl_row_id"),
        answers=answers,
        true_links=true_links(answers),
    )


def registrant_groups(answers: pd.DataFrame) -> pd.DataFrame:
    """The age band on 23 March 2020, sex and region of the person behind each registration, indexed as ``answers``.

    A linkage report breaks its errors down by these groups, because one overall figure can hide errors that fall
    on some people much more than others.
    """
    people = synthetic_data.load("people").set_index("person_id")
    regions = synthetic_data.load("local_authorities").set_index("la_code")["region_name"]
    person = people.loc[answers["person_id"]]
    age = identifiers.age_in_years(person["date_of_birth"].reset_index(drop=True), AGE_ON)
    return pd.DataFrame(
        {
            "age band": identifiers.band_ages(age, AGE_BAND_STARTS).to_numpy(),
            "sex": person["sex"].to_numpy(),
            "region": regions.reindex(person["la_code"]).to_numpy(),
        },
        index=answers.index,
    )


def service_and_extracts() -> tuple[pd.DataFrame, dict[str, minimisation.Extract]]:
    """The service's table (with UPRNs) and three extracts made from it as in lesson 03, keyed by recipient.

    The local authorities' extract is the one for the council with the most people on the list, so it is not empty.
    """
    spec = purpose.load_builtin("shielding")
    service = minimisation.service_records(synthetic_data.load("spl"), synthetic_data.load("registrations"))
    service = addresses.match_uprns(service, synthetic_data.load("addresses"))
    council = service["local_authority_code"].value_counts().sort_index().idxmax()
    return service, {
        "local_authorities": minimisation.make_extract(spec, "local_authorities", service, partition=council),
        "dwp_contact_centre": minimisation.make_extract(spec, "dwp_contact_centre", service),
        "supermarkets": minimisation.make_extract(spec, "supermarkets", service),
    }


def region_and_week(registrations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each registration's region, found through its postcode in the address register, and its week (from Monday).

    One row per registration, in order. A registration whose postcode the register does not hold keeps a missing
    region rather than being dropped, so a table of counts can say how many it could not place.
    """
    registrations = synthetic_data.load("registrations") if registrations is None else registrations
    register = synthetic_data.load("addresses")
    council_of = (
        register.assign(postcode=identifiers.standardise_postcode(register["postcode"]))
        .dropna(subset=["postcode"])
        .drop_duplicates("postcode")
        .set_index("postcode")["la_code"]
    )
    region_of = synthetic_data.load("local_authorities").set_index("la_code")["region_name"]
    return pd.DataFrame(
        {
            "region": identifiers.standardise_postcode(registrations["postcode"]).map(council_of).map(region_of),
            "week": registrations["registered_on"].dt.to_period("W-SUN").dt.start_time.dt.strftime("%Y-%m-%d"),
        }
    )


def council_columns(spec: purpose.PurposeSpec | None = None) -> list[str]:
    """The list's columns behind the fields councils receive, read from the purpose specification."""
    spec = purpose.load_builtin("shielding") if spec is None else spec
    sources = purpose.source_columns(spec, "spl", list(spec.recipient("local_authorities").fields))
    return [column for columns in sources.values() for column in columns]


def list_on(day: str, source: pd.DataFrame | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """The council-facing list as it stood on a day: people added by then and not known to have died by then.

    A death after ``day`` is left blank, because nobody knew of it yet. Lessons 09 and 10 compare two days' lists.
    """
    source = synthetic_data.load("spl") if source is None else source
    columns = council_columns() if columns is None else columns
    when = pd.Timestamp(day)
    known_deaths = source["date_of_death"].where(source["date_of_death"] <= when)
    current = source[(source["date_added"] <= when) & known_deaths.isna()]
    return (
        current.assign(date_of_death=known_deaths)[[*columns, "date_of_death"]]
        .sort_values("nhs_number")
        .reset_index(drop=True)
    )


#: The columns of the list that make up an address, with the council it falls in.
ADDRESS_COLUMNS = ("address_line_1", "address_line_2", "town", "postcode", "la_code")


def list_with_current_addresses(
    spl: pd.DataFrame,
    nhs_numbers: pd.Series | list[str],
    people: pd.DataFrame | None = None,
    register: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The list with each named person's address corrected to where they live now, as a GP practice review would.

    A person's current home is the register's address at their ``uprn`` in the people table. Only the address
    columns (:data:`ADDRESS_COLUMNS`) of the people named by ``nhs_numbers`` change; every other row and column, and
    the order of both, stay as they were. Lesson 10 uses it to make the list of the next day.
    """
    people = synthetic_data.load("people") if people is None else people
    register = synthetic_data.load("addresses") if register is None else register
    columns = list(ADDRESS_COLUMNS)
    current_home = (
        people[["nhs_number", "uprn"]]
        .merge(register[["uprn", *columns]], on="uprn")
        .drop(columns="uprn")
        .set_index("nhs_number")
    )
    corrected = spl.set_index("nhs_number")
    fix = corrected.index.isin(list(nhs_numbers))
    home = current_home.reindex(corrected.index[fix])
    for column in columns:
        corrected.loc[fix, column] = home[column].to_numpy()
    return corrected.reset_index()[list(spl.columns)]
