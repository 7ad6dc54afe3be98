"""The teaching data set up for the linkage lessons, so each lesson starts from the same tables in one line.

Lessons 06, 07 and 08 link the registrations to the Shielded Patient List and mark the result against the answers
the generator kept. The set-up is the same each time (load, standardise, find the true links, group the people who
registered), so it lives here, tested once, rather than in the first cell of every lesson.

Only the synthetic teaching data has answers. Real data never does: there the answers come from a clerical review.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

import synthetic_data
from playbook import identifiers, linkage

#: The day the age bands are measured on: the week the shielding service opened (23 March 2020).
AGE_ON = "2020-03-23"

#: Where the age bands used to report linkage errors begin: ``0-29``, ``30-49``, ``50-69``, ``70-79`` and ``80+``.
AGE_BAND_STARTS = (0, 30, 50, 70, 80)


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
