"""The one place where every size, rate and date of the synthetic data is set.

Each field carries its explanation in ``metadata["doc"]``: the figure in the shared fact sheet (FACTS.md) it comes
from, or the words "Assumption:" where no published figure exists. The data dictionary page prints these, so the
explanation is written once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any


def _f(default: Any, doc: str) -> Any:  # Any: a field stands for its default's type, as field() does
    """A dataclass field with its explanation attached, so the data dictionary can print it."""
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class Config:
    """Sizes, error rates and dates for one run of the generator. Rates are shares between 0 and 1."""

    seed: int = _f(2020, "Seed for every random choice. The same seed and size give byte-identical files.")
    spl_people: int = _f(
        8_000,
        "People on the Shielded Patient List. The teaching data uses 8,000, the most that keeps all committed "
        "data under 5 MB; the real list held about 2.2 million people by 7 May 2020 (NAO HC 1131), so "
        "`--people 2200000` is national scale.",
    )

    # How people came onto the list (NAO HC 1131; NHS Digital SPL history).
    share_hospital_medicines_maternity: float = _f(
        870 / 2190,
        "Share of the list first flagged from hospital, prescribed-medicines and maternity data (release SPL1, "
        "20 March 2020): about 870,000 of about 2.19 million (NAO HC 1131).",
    )
    share_gp_records: float = _f(
        420 / 2190,
        "Share added from GP records (release SPL2, 12 April 2020): about 420,000 of about 2.19 million "
        "(NAO HC 1131). The rest, about 900,000, were added after clinical review.",
    )
    share_review_in_spl3: float = _f(
        0.5,
        "Assumption: half of the people added after clinical review arrived in release SPL3 (18 April 2020) and "
        "half in SPL4+5 (1 May 2020). NAO gives only the total, added between 18 April and 7 May.",
    )

    # SPL data quality.
    spl_phone_unusable_rate: float = _f(
        0.17,
        "Share of list rows whose phone numbers are missing or wrong. About 375,000 people could not be reached "
        "because their numbers were missing or wrong (NAO HC 1131); 375,000 / 2.2 million = 0.17. NAO counts these "
        "among about 1.8 million people called, which would give 0.21; we spread the 375,000 over the whole list "
        "because the generator does not model who was called.",
    )
    spl_phone_missing_share: float = _f(
        0.6,
        "Assumption: of the rows with unusable phone numbers, the share where the numbers are blank rather than "
        "wrong. NAO does not split the figure.",
    )
    spl_email_held_rate: float = _f(
        0.8, "Assumption: share of people with an email address whose address the list carries."
    )
    spl_stale_address_rate_hospital: float = _f(
        0.7,
        "Assumption: share of people who moved recently whose list row, if it came from hospital data, still shows "
        "the old address. Hospital data used early on was about seven weeks out of date (NAO HC 1131).",
    )
    spl_stale_address_rate_other: float = _f(
        0.2,
        "Assumption: the same share for rows from GP records or clinical review, which were more up to date.",
    )
    spl_death_rate: float = _f(
        0.02, "Assumption: share of people on the list who died between being added and the end of July 2020."
    )

    clinical_group_shares: tuple = _f(
        (
            ("Transplant", 0.04),
            ("Cancer", 0.30),
            ("Respiratory", 0.40),
            ("Rare disease", 0.08),
            ("Immunosuppression", 0.17),
            ("Pregnancy with heart disease", 0.01),
        ),
        "Assumption: shares of the clinical groups in the 2020 shielding guidance. Short labels stand for solid organ "
        "transplant; specific cancers; severe respiratory conditions; rare diseases and inborn errors of "
        "metabolism; immunosuppression therapies; pregnancy with significant heart disease. Only women aged 16 "
        "to 49 are put in the pregnancy group; others drawn for it move to the respiratory group.",
    )
    review_clinician_identified_share: float = _f(
        0.6,
        "Assumption: share of people added after clinical review whose group is 'Clinician identified' "
        "rather than one of the named groups.",
    )
    spl_patients_per_practice: int = _f(
        330,
        "Assumption: people on the list per GP practice, used to decide how many invented practices each "
        "authority has (about 2.2 million people over roughly 6,600 practices).",
    )

    # People.
    female_share: float = _f(0.5, "Assumption: share of people who are female.")
    age_bands: tuple = _f(
        ((0, 17, 0.05), (18, 39, 0.10), (40, 59, 0.25), (60, 69, 0.22), (70, 79, 0.23), (80, 99, 0.15)),
        "Assumption: (youngest, oldest, share) of ages on 20 March 2020. The list skewed old; NHS Digital published "
        "age bands but the fact sheet gives no figures.",
    )
    moved_recently_rate: float = _f(
        0.08, "Assumption: share of people who moved home in the last year, so an older address exists."
    )
    moved_within_la_rate: float = _f(
        0.8, "Assumption: share of people who moved whose old home is in the same local authority."
    )
    moved_within_district_rate: float = _f(
        0.6,
        "Assumption: of the people whose old home is in the same local authority, the share whose old home is "
        "also in the same postcode district (the first half of the postcode, such as LS6). With "
        "`moved_within_la_rate` about half of all moves stay in the district (more in small data, where an "
        "authority has few districts), so most moves are local. This matters for linkage: a linker should not "
        "learn that a nearby old postcode is strong evidence against a match.",
    )
    shared_home_rate: float = _f(
        0.1,
        "Assumption: share of people who live at the same address as another person in the data, such as a "
        "couple who both registered.",
    )
    shared_home_same_surname_rate: float = _f(
        0.6, "Assumption: share of those people who also share the other person's family name."
    )
    mobile_rate: float = _f(0.75, "Assumption: share of people with a mobile phone.")
    landline_rate: float = _f(0.7, "Assumption: share of people with a landline. Everyone has at least one of the two.")
    email_rate: float = _f(0.4, "Assumption: share of people with an email address.")

    # Who bears the errors: the same errors fall more often on some groups.
    error_multipliers_by_age: tuple = _f(
        ((0, 19, 1.0), (20, 39, 2.0), (40, 59, 1.2), (60, 69, 1.0), (70, 99, 0.7)),
        "Assumption: (youngest, oldest, multiplier) of the chance of each linkage-relevant error in "
        "registrations (NHS number missing or mistyped, short name, name typos, names swapped, day and month "
        "swapped, old address) and of a short name in supermarket records, by age on 20 March 2020. The "
        "direction follows the ONS linkage of Census 2021 to the Personal Demographics Service, where people "
        "aged 20 to 29 were the least likely to be linked, and the GUILD guidance, which finds that linkage "
        "error falls unevenly (ONS Census 2021 to PDS linkage report; Gilbert and others, 2018). Neither gives "
        "a size for registration errors, so the sizes are invented. Multipliers act on the odds of each error, "
        "so no rate can pass 1 (for small rates this is almost the same as multiplying the rate), and each rate "
        "is then rescaled so that its average over all the records it applies to stays at the base rate above.",
    )
    error_multiplier_men: float = _f(
        1.3,
        "Assumption: multiplier of the same errors for men (women 1). ONS found men less likely to be linked "
        "in the Census 2021 to PDS linkage; the size is invented. Rescaled as above.",
    )
    error_multiplier_london: float = _f(
        1.5,
        "Assumption: multiplier of the same errors for people who live in London. ONS found residents of "
        "London less likely to be linked in the Census 2021 to PDS linkage; the size is invented. Rescaled as "
        "above.",
    )

    # Registrations with the support service.
    registration_rate_spl: float = _f(
        0.4, "Assumption: share of people on the list who registered with the support service."
    )
    non_spl_registrants_per_spl_person: float = _f(
        0.1,
        "Assumption: people who registered although they were not on the list, as a share of the list size. "
        "These are in `people` with `on_spl` false.",
    )
    registration_delay_days: int = _f(
        14,
        "Assumption: average days between being able to register (the service opening on 23 March 2020, or being "
        "added to the list if later) and registering.",
    )
    duplicate_registration_rate: float = _f(0.03, "Assumption: share of registrants who registered a second time.")
    reg_nhs_number_missing_rate: float = _f(
        0.45, "Assumption: share of registrations with no NHS number. Many people did not know theirs."
    )
    reg_nhs_number_mistyped_rate: float = _f(
        0.04,
        "Assumption: share of registrations with an NHS number where one digit was mistyped or two neighbouring "
        "digits were swapped. The number still starts 999; its check digit no longer works.",
    )
    reg_nhs_number_spaced_rate: float = _f(
        0.3, "Assumption: share of typed NHS numbers written with spaces (999 123 4567)."
    )
    reg_nickname_rate: float = _f(
        0.3, "Assumption: share of registrants with a common short form of their name (Bob for Robert) who typed it."
    )
    reg_given_name_typo_rate: float = _f(0.03, "Assumption: share of registrations with a typo in the given name.")
    reg_family_name_typo_rate: float = _f(0.03, "Assumption: share of registrations with a typo in the family name.")
    reg_names_swapped_rate: float = _f(
        0.02, "Assumption: share of registrations with given and family names in each other's boxes."
    )
    reg_dob_day_month_swapped_rate: float = _f(
        0.02,
        "Assumption: share of registrations whose date of birth has day and month swapped (only possible when "
        "the day is 12 or less, so the observed rate is lower).",
    )
    reg_old_address_rate: float = _f(
        0.3, "Assumption: share of registrants who moved recently and typed their old address."
    )
    reg_postcode_badly_formatted_rate: float = _f(
        0.1, "Assumption: share of registrations whose postcode is in lower case or has no space."
    )
    reg_address_lower_case_rate: float = _f(
        0.05, "Assumption: share of registrations whose first address line is all lower case."
    )
    reg_phone_missing_rate: float = _f(0.05, "Assumption: share of registrations with no phone number.")
    reg_phone_mistyped_rate: float = _f(
        0.03, "Assumption: share of registrations with one digit of the phone number mistyped."
    )
    reg_email_given_rate: float = _f(0.9, "Assumption: share of registrants with an email address who typed it.")
    reg_email_typo_rate: float = _f(0.02, "Assumption: share of registrations with a typo in the email address.")
    reg_needs_food_rate: float = _f(0.6, "Assumption: share of registrants who asked for help getting food.")
    reg_needs_basic_care_rate: float = _f(
        0.2, "Assumption: share of registrants who said their basic care needs were not met."
    )
    reg_priority_supermarket_rate: float = _f(
        0.7, "Assumption: share of registrants who asked for priority supermarket deliveries."
    )
    reg_consent_supermarkets_rate: float = _f(
        0.8, "Assumption: share of registrants who agreed to their details being shared with supermarkets."
    )

    # One supermarket's customer records.
    customer_rate_consented: float = _f(
        0.5, "Assumption: share of registrants who consented to sharing and are customers of the retailer."
    )
    customer_rate_not_consented: float = _f(
        0.2, "Assumption: share of registrants who did not consent and are customers of the retailer."
    )
    customer_rate_unregistered_spl: float = _f(
        0.1, "Assumption: share of people on the list who never registered and are customers of the retailer."
    )
    customer_nickname_rate: float = _f(
        0.2, "Assumption: share of customers with a short form of their name who use it with the retailer."
    )
    customer_phone_missing_rate: float = _f(0.15, "Assumption: share of customer records with no phone number.")
    customer_email_held_rate: float = _f(
        0.9, "Assumption: share of customers with an email address whose address the retailer holds."
    )
    outside_customers_per_linked_customer: float = _f(
        0.3,
        "Assumption: customers who are nobody in the synthetic population, per customer who is. They stop a "
        "linkage from assuming every customer must match someone.",
    )

    # The address register.
    extra_addresses_rate: float = _f(
        0.05, "Assumption: addresses where nobody in the population lives, as a share of people."
    )
    addresses_per_street: int = _f(25, "Assumption: average addresses per invented street.")
    streets_per_district: int = _f(
        4,
        "Assumption: invented streets per postcode district, with at most 29 districts in an authority. Real "
        "districts hold far more streets; in small data this keeps several streets in each district, so that a "
        "local move can land on another street of the same district.",
    )
    locality_rate: float = _f(0.3, "Assumption: share of streets whose address has a locality line.")

    # Dates.
    service_start: dt.date = _f(dt.date(2020, 3, 23), "The registration service went live on 23 March 2020 (seed 000).")
    data_end: dt.date = _f(
        dt.date(2020, 7, 31), "Assumption: the last day the data covers, near the end of the first shielding period."
    )

    def __post_init__(self) -> None:
        """Refuse impossible settings early, with the field name, rather than fail deep in the generator."""
        if not isinstance(self.spl_people, int) or self.spl_people < 1:
            raise ValueError(f"spl_people must be a whole number of at least 1, not {self.spl_people!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a whole number of at least 0, not {self.seed!r}")
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name.startswith("error_multiplier"):
                continue
            if isinstance(value, float) and not 0 <= value <= 1:
                raise ValueError(f"{f.name} must be between 0 and 1, not {value!r}")
        multipliers = [m for *_, m in self.error_multipliers_by_age]
        multipliers += [self.error_multiplier_men, self.error_multiplier_london]
        if not all(isinstance(m, (int, float)) and m > 0 for m in multipliers):
            raise ValueError(f"error multipliers must be numbers above 0, not {multipliers!r}")
        bands = self.error_multipliers_by_age
        oldest = max(hi for _, hi, _ in self.age_bands)
        joined = all(bands[i + 1][0] == bands[i][1] + 1 for i in range(len(bands) - 1))
        if not bands or bands[0][0] != 0 or not joined or bands[-1][1] < oldest:
            raise ValueError(
                f"error_multipliers_by_age must cover every age from 0 to {oldest} in order, with no "
                f"gaps, not {bands!r}"
            )
        if self.share_hospital_medicines_maternity + self.share_gp_records > 1:
            raise ValueError("share_hospital_medicines_maternity + share_gp_records must not exceed 1")


TEACHING = Config()
"""The configuration of the committed teaching data."""
