"""Generate the linked synthetic shielding tables from one seed, fully vectorised.

First a "world" of numpy arrays is drawn (people, addresses, the list, registrations, customers: who, where, which
corruption), then each table is turned into a pyarrow table one at a time, so only one large table of strings is
in memory at once. Every random draw comes from a numpy Generator seeded with (seed, stage), so changing one stage
never shifts the draws of another. No Python loop runs per row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike

from . import reference, safety
from .config import Config
from .pools import TYPOS_PER_NAME, Pools, build_pools
from .schema import SCHEMA, TABLES

if TYPE_CHECKING:
    from .stream import Block

    # How much of the population is drawn at a time: all of it (Whole) or one block of a streamed run.
    Scope: TypeAlias = "Whole | Block"

STAGES = {"people": 1, "addresses": 2, "spl": 3, "registrations": 4, "customers": 5}
RELEASES = ("SPL1", "SPL2", "SPL3", "SPL4+5")
RELEASE_DATES = np.array(["2020-03-20", "2020-04-12", "2020-04-18", "2020-05-01"], dtype="datetime64[D]")
SOURCES = ("hospital_data", "gp_records", "clinical_review")
AGE_REFERENCE_DATE = np.datetime64("2020-03-20")
MAX_DISTRICTS = 29  # postcode districts per authority, numbered 1 to 29 within its postcode area
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in the last part of real postcodes
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
# Phone prefixes before the last three digits: ranges (mobile, 01632, London 020) by typed formats.
PHONE_PREFIXES = (
    ("07700 900", "07700900", "07700 900 ", "+44 7700 900"),
    ("01632 960", "01632960", "01632 960 ", "+44 1632 960"),
    ("020 7946 0", "02079460", "020 7946 0", "+44 20 7946 0"),
)
INTERNATIONAL_PREFIXES = ("+447700900", "+441632960", "+442079460")
ID_MULTIPLIER = 387_420_489  # 3**18: coprime to 10**9, so (a * i + b) mod 10**9 never repeats for i < 10**9
ID_SPACE = 1_000_000_000


# ----------------------------------------------------------------------------- small vectorised helpers


def _rng(config: Config, stage: str, part: int = 0) -> np.random.Generator:
    """The random stream of one stage; ``part`` gives a stage a second stream that leaves the first untouched."""
    return np.random.default_rng([config.seed, STAGES[stage]] + ([part] if part else []))


def _day(value: dt.date) -> np.datetime64:
    return np.datetime64(value.isoformat(), "D")


def _text(values: ArrayLike) -> pa.Array:
    """Whole numbers as text."""
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def _padded(values: ArrayLike, width: int) -> pa.Array:
    return pc.utf8_lpad(_text(values), width, "0")


def _concat(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _choose(mask: np.ndarray, if_true: pa.Array | str, if_false: pa.Array | str) -> pa.Array:
    return pc.if_else(pa.array(mask, pa.bool_()), if_true, if_false)


def _blank_where(mask: np.ndarray, values: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(mask, pa.bool_()), pa.scalar(None, values.type), values)


def _take(pool: pa.Array, index: np.ndarray) -> pa.Array:
    """Pool entries by index; a negative index gives a blank."""
    index = np.asarray(index, dtype=np.int64)
    return pool.take(pa.array(index, mask=index < 0))


def _dates(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype("datetime64[D]"), pa.date32())


def _tags(**flags: np.ndarray) -> pa.Array:
    """Semicolon-separated names of the flags that are set; blank when none is."""
    parts = [_choose(mask, f"{name};", "") for name, mask in flags.items()]
    joined = pc.utf8_rtrim(_concat(*parts), characters=";")
    return _blank_where(np.asarray(pc.equal(joined, "")), joined)


def _random_days(rng: np.random.Generator, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A uniform day from start to end inclusive, per element."""
    span = (end - start).astype(np.int64) + 1
    return start + (rng.random(len(start)) * span).astype(np.int64)


def _error_groups(
    config: Config, dob: np.ndarray, female: np.ndarray, london: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each person's error group (age band, sex, London or not) as a small number, and the odds multiplier of
    every group, so that error rates can differ by group without a Python loop per row."""
    bands = config.error_multipliers_by_age
    age_years = (AGE_REFERENCE_DATE - dob).astype(np.int64) // 365.25
    band = np.searchsorted(np.array([hi for _, hi, _ in bands]), age_years, side="left")
    band = np.minimum(band, len(bands) - 1)
    group = (band * 4 + (~female) * 2 + london).astype(np.int64)
    by_band = np.array([m for *_, m in bands], dtype=np.float64)
    men = np.array([1.0, config.error_multiplier_men])
    area = np.array([1.0, config.error_multiplier_london])
    odds = (by_band[:, None, None] * men[None, :, None] * area[None, None, :]).ravel()
    return group, odds


def _rates_by_group(base: float, group: np.ndarray, odds: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Per-row chance of an error whose base rate is ``base``: each group's odds are multiplied by its
    multiplier, then one common factor brings the average over the rows in ``where`` back to ``base``."""
    if not 0 < base < 1:
        return np.full(len(group), base)
    counts = np.bincount(group[where], minlength=len(odds)).astype(np.float64)
    if counts.sum() == 0:
        return np.full(len(group), base)
    log_odds = np.log(base / (1 - base)) + np.log(odds)
    low, high = -30.0, 30.0  # bisection on the common shift: the average rate falls as the shift grows
    for _ in range(60):
        shift = (low + high) / 2
        mean = counts @ (1 / (1 + np.exp(shift - log_odds))) / counts.sum()
        low, high = (shift, high) if mean > base else (low, shift)
    rates = 1 / (1 + np.exp((low + high) / 2 - log_odds))
    return rates[group]


@functools.lru_cache(maxsize=1)
def _valid_nhs_numbers() -> np.ndarray:
    """Every NHS number in the 999 test range with a valid check digit (about 909,000), in numeric order."""
    body = np.arange(1_000_000, dtype=np.int64) + 999_000_000
    digits = body[:, None] // 10 ** np.arange(8, -1, -1) % 10
    check = safety.nhs_check_digit(digits)
    keep = check != 10
    return body[keep] * 10 + check[keep]


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    return values[:, None] // 10 ** np.arange(width - 1, -1, -1, dtype=np.int64) % 10


def _scrambled_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct numbers below 10**9 in no visible order, for identifiers that must not reveal row order."""
    return (ID_MULTIPLIER * np.arange(n, dtype=np.int64) + int(rng.integers(ID_SPACE))) % ID_SPACE


# ----------------------------------------------------------------------------- the world (numpy only)


class Whole:
    """The scope of the original engine: the whole population drawn at once. Its draws never change, so the
    teaching data and every earlier run of the same seed and size come out byte for byte as before.

    A scope answers the few questions whose answer depends on how much of the population is drawn at a time
    (how many people, which random streams, where numbering starts); ``stream.Block`` answers them for one block
    of a streamed run, and every other line of the drawing code is shared.
    """

    first_person = first_spl_row = first_registration = 0

    def __init__(self, config: Config):
        self.config = config
        self.n_spl = config.spl_people
        self.n = self.n_spl + round(config.non_spl_registrants_per_spl_person * self.n_spl)

    def rng(self, stage: str, part: int = 0) -> np.random.Generator:
        return _rng(self.config, stage, part)

    def nhs_numbers(self, rng: np.random.Generator, n: int) -> np.ndarray:
        valid = _valid_nhs_numbers()
        if n <= len(valid):  # distinct numbers
            return valid[rng.choice(len(valid), n, replace=False)]
        # more people than test numbers: every number used, then reused in the same order
        return valid[rng.permutation(len(valid))[np.arange(n) % len(valid)]]

    def districts(
        self, rng: np.random.Generator, las: SimpleNamespace, n_streets: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The first postcode district of each authority, and how many districts it has."""
        n_districts = np.clip(np.ceil(n_streets / self.config.streets_per_district), 1, MAX_DISTRICTS)
        return rng.integers(0, MAX_DISTRICTS, las.n), n_districts.astype(np.int64)

    def uprns(self, rng: np.random.Generator, m: int) -> np.ndarray:
        """m rising UPRNs, with gaps like real ones."""
        largest_gap = max(2, min(400, (safety.UPRN_LAST - safety.UPRN_FIRST) // max(m, 1)))
        return safety.UPRN_FIRST + np.cumsum(rng.integers(1, largest_gap, m))

    def practices(self, per_la: np.ndarray) -> np.ndarray:
        """GP practices per authority, from the list people who live there."""
        return np.clip(np.round(per_la / self.config.spl_patients_per_practice), 1, 499).astype(np.int64)

    def customer_ids(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return _scrambled_ids(rng, n)


@functools.lru_cache(maxsize=1)
def _local_authorities() -> SimpleNamespace:
    rows = reference.LOCAL_AUTHORITIES
    population = np.array([r[4] for r in rows], dtype=np.float64)
    return SimpleNamespace(
        codes=pa.array([r[0] for r in rows]),
        towns=pa.array([r[5] for r in rows]),
        areas=pa.array([r[6] for r in rows]),
        weights=population / population.sum(),
        london=np.array([r[3] == "E12000007" for r in rows]),
        n=len(rows),
    )


def _draw_people(config: Config, pools: Pools, las: SimpleNamespace, scope: Scope) -> SimpleNamespace:
    rng = scope.rng("people")
    n_spl, n = scope.n_spl, scope.n
    on_spl = np.zeros(n, dtype=bool)
    on_spl[rng.permutation(n)[:n_spl]] = True

    female = rng.random(n) < config.female_share
    nf, weights = pools.n_female, pools.given.weights
    given = np.where(
        female,
        rng.choice(nf, n, p=weights[:nf] / weights[:nf].sum()),
        nf + rng.choice(len(pools.given) - nf, n, p=weights[nf:] / weights[nf:].sum()),
    )
    family = rng.choice(len(pools.family), n, p=pools.family.weights)

    bands = np.array([(lo, hi) for lo, hi, _ in config.age_bands], dtype=np.float64)
    band = rng.choice(
        len(bands), n, p=np.array([s for *_, s in config.age_bands]) / sum(s for *_, s in config.age_bands)
    )
    age_days = (365.25 * (bands[band, 0] + rng.random(n) * (bands[band, 1] + 1 - bands[band, 0]))).astype(np.int64)
    dob = AGE_REFERENCE_DATE - age_days

    la = rng.choice(las.n, n, p=las.weights)
    shared = rng.random(n) < config.shared_home_rate
    shared[0] = False  # someone must live somewhere first
    hosts = np.flatnonzero(~shared)
    host = hosts[rng.integers(0, len(hosts), n)]
    la[shared] = la[host[shared]]
    same_surname = shared & (rng.random(n) < config.shared_home_same_surname_rate)
    family[same_surname] = family[host[same_surname]]

    # Address numbers are a random permutation, so the register's order (by UPRN) says nothing about who lives where.
    moved = rng.random(n) < config.moved_recently_rate
    n_moved, n_extra = int(moved.sum()), round(config.extra_addresses_rate * n)
    slots = rng.permutation(len(hosts) + n_moved + n_extra)
    home = np.empty(n, dtype=np.int64)
    home[hosts] = slots[: len(hosts)]
    home[shared] = home[host[shared]]
    previous = np.full(n, -1, dtype=np.int64)
    previous[moved] = slots[len(hosts) : len(hosts) + n_moved]
    extra_addresses = slots[len(hosts) + n_moved :]
    stayed_in_la = rng.random(n_moved) < config.moved_within_la_rate
    address_la = np.empty(len(slots), dtype=np.int64)
    address_la[home[hosts]] = la[hosts]
    address_la[previous[moved]] = np.where(stayed_in_la, la[moved], rng.choice(las.n, n_moved, p=las.weights))
    address_la[extra_addresses] = rng.choice(las.n, n_extra, p=las.weights)
    # Most moves are local: an old home near the new one is drawn in the same postcode district (see addresses).
    near = stayed_in_la & (scope.rng("people", 1).random(n_moved) < config.moved_within_district_rate)
    address_near = np.full(len(slots), -1, dtype=np.int64)
    address_near[previous[moved][near]] = home[moved][near]

    has_mobile = rng.random(n) < config.mobile_rate
    has_landline = rng.random(n) < config.landline_rate
    has_mobile |= ~has_landline & ~has_mobile
    mobile = rng.integers(0, 1000, n)
    landline = rng.integers(0, 1000, n)
    has_landline[shared] = has_landline[host[shared]]  # people who share a home share its phone line
    landline[shared] = landline[host[shared]]
    has_mobile |= ~has_landline & ~has_mobile

    nhs = scope.nhs_numbers(rng, n)
    error_group, error_odds = _error_groups(config, dob, female, las.london[la])
    return SimpleNamespace(
        n=n,
        first=scope.first_person,
        on_spl=on_spl,
        female=female,
        given=given,
        family=family,
        dob=dob,
        la=la,
        home=home,
        previous=previous,
        address_la=address_la,
        address_near=address_near,
        extra_addresses=extra_addresses,
        error_group=error_group,
        error_odds=error_odds,
        has_mobile=has_mobile,
        mobile=mobile,
        has_landline=has_landline,
        landline=landline,
        phone_range=np.where(las.london[la], 2, 1),
        has_email=rng.random(n) < config.email_rate,
        email_number=np.where(rng.random(n) < 0.5, rng.integers(1, 100, n), -1),
        email_domain=rng.integers(0, len(EMAIL_DOMAINS), n),
        nhs=nhs,
        date_added=np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"),
        death=np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"),
        spl_row=np.full(n, -1, dtype=np.int64),
    )


def _draw_addresses(
    config: Config, pools: Pools, las: SimpleNamespace, address_la: np.ndarray, near: np.ndarray, scope: Scope
) -> SimpleNamespace:
    """Streets per authority, house numbers in order along each street, postcodes per block of houses. An address
    with ``near`` set to another address goes on a street in that address's postcode district."""
    rng = scope.rng("addresses")
    m = len(address_la)
    per_la = np.bincount(address_la, minlength=las.n)
    n_streets = np.maximum(3, np.ceil(per_la / config.addresses_per_street)).astype(np.int64)
    first_street = np.concatenate([[0], np.cumsum(n_streets)[:-1]])
    total = int(n_streets.sum())
    street_name = rng.integers(0, len(pools.streets), total)
    street_locality = np.where(
        rng.random(total) < config.locality_rate, rng.integers(0, len(pools.localities), total), -1
    )
    street_la = np.repeat(np.arange(las.n), n_streets)
    first_district, n_districts = scope.districts(rng, las, n_streets)
    district_in_la = (rng.random(total) * n_districts[street_la]).astype(np.int64)
    street_district = 1 + (first_district[street_la] + district_in_la) % MAX_DISTRICTS
    street_sector = rng.integers(0, 10, total)
    street_unit = rng.integers(0, len(UNIT_LETTERS) ** 2, total)

    street = first_street[address_la] + (rng.random(m) * n_streets[address_la]).astype(np.int64)
    moved_near = np.flatnonzero(near >= 0)
    if len(moved_near):
        # Another street of the same authority and district (the same street only when the district has no
        # other), found among the streets sorted by that key.
        district_key = street_la * 100 + street_district
        by_key = np.argsort(district_key, kind="stable")
        position = np.empty(total, dtype=np.int64)
        position[by_key] = np.arange(total)
        home_street = street[near[moved_near]]
        sorted_keys = district_key[by_key]
        low = np.searchsorted(sorted_keys, district_key[home_street], side="left")
        others = np.searchsorted(sorted_keys, district_key[home_street], side="right") - low - 1
        pick = low + (scope.rng("addresses", 1).random(len(moved_near)) * others).astype(np.int64)
        pick = np.where(others == 0, low, pick + (pick >= position[home_street]))
        street[moved_near] = by_key[pick]
    order = np.argsort(street, kind="stable")
    in_order = street[order]
    house = np.empty(m, dtype=np.int64)
    house[order] = np.arange(m) - np.searchsorted(in_order, in_order, side="left") + 1

    units = pa.array([a + b for a in UNIT_LETTERS for b in UNIT_LETTERS])
    unit = (street_unit[street] + (house - 1) // 15 * 37) % len(units)
    postcode = _concat(
        las.areas.take(pa.array(address_la)),
        _text(street_district[street]),
        " ",
        _text(street_sector[street]),
        units.take(pa.array(unit)),
    )
    uprn = scope.uprns(rng, m)
    return SimpleNamespace(
        m=m,
        la=address_la,
        uprn_value=uprn,
        uprn=_text(uprn),
        line_1=_concat(_text(house), " ", _take(pools.streets, street_name[street])),
        line_2=_take(pools.localities, street_locality[street]),
        town=las.towns.take(pa.array(address_la)),
        postcode=postcode,
    )


def _draw_spl(config: Config, people: SimpleNamespace, las: SimpleNamespace, scope: Scope) -> SimpleNamespace:
    rng = scope.rng("spl")
    persons = np.flatnonzero(people.on_spl)
    n = len(persons)
    hospital, gp = config.share_hospital_medicines_maternity, config.share_gp_records
    source = rng.choice(3, n, p=[hospital, gp, 1 - hospital - gp])
    release = np.where(source < 2, source, np.where(rng.random(n) < config.share_review_in_spl3, 2, 3))
    order = np.lexsort((rng.random(n), release))
    persons, source, release = persons[order], source[order], release[order]
    date_added = RELEASE_DATES[release]
    people.spl_row[persons] = scope.first_spl_row + np.arange(1, n + 1)
    people.date_added[persons] = date_added

    moved = people.previous[persons] >= 0
    stale_rate = np.where(source == 0, config.spl_stale_address_rate_hospital, config.spl_stale_address_rate_other)
    stale = moved & (rng.random(n) < stale_rate)
    unusable = rng.random(n) < config.spl_phone_unusable_rate
    phone_missing = unusable & (rng.random(n) < config.spl_phone_missing_share)
    phone_wrong = unusable & ~phone_missing

    groups = [name for name, _ in config.clinical_group_shares]
    shares = np.array([s for _, s in config.clinical_group_shares])
    group = rng.choice(len(groups), n, p=shares / shares.sum())
    group[(source == 2) & (rng.random(n) < config.review_clinician_identified_share)] = len(groups)
    age_years = (AGE_REFERENCE_DATE - people.dob[persons]).astype(np.int64) / 365.25
    could_be_pregnant = people.female[persons] & (age_years >= 16) & (age_years < 50)
    pregnancy = groups.index(reference.PREGNANCY_GROUP)
    group[(group == pregnancy) & ~could_be_pregnant] = groups.index(reference.RESPIRATORY_GROUP)

    dies = rng.random(n) < config.spl_death_rate
    death = _random_days(rng, date_added + 1, np.full(n, _day(config.data_end)))
    people.death[persons[dies]] = death[dies]

    home_la = people.la[persons]
    per_la = np.bincount(home_la, minlength=las.n)
    practices = scope.practices(per_la)
    practice = home_la * 500 + (rng.random(n) * practices[home_la]).astype(np.int64)
    return SimpleNamespace(
        n=n,
        first_row=scope.first_spl_row,
        persons=persons,
        source=source,
        release=release,
        date_added=date_added,
        address=np.where(stale, people.previous[persons], people.home[persons]),
        stale=stale,
        phone_missing=phone_missing,
        phone_wrong=phone_wrong,
        mobile_shift=rng.integers(1, 1000, n),
        landline_shift=rng.integers(1, 1000, n),
        email_held=people.has_email[persons] & (rng.random(n) < config.spl_email_held_rate),
        group=group,
        group_names=groups + [reference.CLINICIAN_IDENTIFIED],
        practice=practice,
    )


def _draw_registrations(config: Config, people: SimpleNamespace, pools: Pools, scope: Scope) -> SimpleNamespace:
    rng = scope.rng("registrations")
    n = people.n
    start = np.where(
        people.on_spl, np.maximum(people.date_added, _day(config.service_start)), _day(config.service_start)
    )
    end = np.full(n, _day(config.data_end))
    died = ~np.isnat(people.death)
    last = np.where(died, people.death - 1, end)
    registers = (~people.on_spl | (rng.random(n) < config.registration_rate_spl)) & (last >= start)
    delay = np.floor(rng.exponential(config.registration_delay_days, n)).astype(np.int64)
    first_date = np.minimum(start + delay, last)

    first = np.flatnonzero(registers)
    twice = first[rng.random(len(first)) < config.duplicate_registration_rate]
    second_date = np.minimum(first_date[twice] + rng.integers(1, 31, len(twice)), last[twice])
    person = np.concatenate([first, twice])
    date = np.concatenate([first_date[first], second_date])
    second = np.concatenate([np.zeros(len(first), dtype=bool), np.ones(len(twice), dtype=bool)])
    order = np.lexsort((rng.random(len(person)), date))
    person, date, second = person[order], date[order], second[order]
    r = len(person)

    def chance(rate: float, where: ArrayLike = True) -> np.ndarray:
        return np.asarray(where) & (rng.random(r) < rate)

    group = people.error_group[person]

    def chance_by_group(rate: float, where: ArrayLike = True) -> np.ndarray:
        """As chance, but more often for the groups that real linkage serves worst (see Config)."""
        where = np.broadcast_to(np.asarray(where, dtype=bool), (r,))
        return where & (rng.random(r) < _rates_by_group(rate, group, people.error_odds, where))

    given = people.given[person]
    has_nickname = ~np.asarray(pc.is_null(pools.given.nicknames))[given]
    nickname = chance_by_group(config.reg_nickname_rate, has_nickname)
    given_typo = chance_by_group(config.reg_given_name_typo_rate, ~nickname)

    dob = people.dob[person]
    month_start = dob.astype("datetime64[M]")
    day = (dob - month_start).astype(np.int64) + 1
    month = month_start.astype(np.int64) % 12 + 1
    year_start = dob.astype("datetime64[Y]").astype("datetime64[M]")
    dob_swapped = chance_by_group(config.reg_dob_day_month_swapped_rate, (day <= 12) & (day != month))
    swapped_dob = (year_start + (day - 1)).astype("datetime64[D]") + (month - 1)

    nhs_missing = chance_by_group(config.reg_nhs_number_missing_rate)
    nhs_mistyped = chance_by_group(config.reg_nhs_number_mistyped_rate, ~nhs_missing)
    digits = _digits(people.nhs[person], 10)
    position = rng.integers(3, 10, r)  # never the leading 999
    rows = np.arange(r)
    neighbour = np.minimum(position + 1, 9)
    swap = nhs_mistyped & (rng.random(r) < 0.5) & (position < 9) & (digits[rows, position] != digits[rows, neighbour])
    substitute = nhs_mistyped & ~swap
    typed = digits.copy()
    typed[rows[swap], position[swap]] = digits[rows[swap], neighbour[swap]]
    typed[rows[swap], neighbour[swap]] = digits[rows[swap], position[swap]]
    typed[rows[substitute], position[substitute]] = (
        digits[rows[substitute], position[substitute]] + rng.integers(1, 10, int(substitute.sum()))
    ) % 10

    uses_mobile = people.has_mobile[person]
    phone_suffix = np.where(uses_mobile, people.mobile[person], people.landline[person])
    phone_missing = chance(config.reg_phone_missing_rate)
    phone_mistyped = chance(config.reg_phone_mistyped_rate, ~phone_missing)
    place = 10 ** rng.integers(0, 3, r)
    old_digit = phone_suffix // place % 10
    new_digit = (old_digit + rng.integers(1, 10, r)) % 10
    phone_suffix = np.where(phone_mistyped, phone_suffix + (new_digit - old_digit) * place, phone_suffix)

    old_address = chance_by_group(config.reg_old_address_rate, people.previous[person] >= 0)
    email_given = chance(config.reg_email_given_rate, people.has_email[person])
    return SimpleNamespace(
        n=r,
        first_id=scope.first_registration,
        person=person,
        date=date,
        second=second,
        nickname=nickname,
        given_typo=given_typo,
        family_typo=chance_by_group(config.reg_family_name_typo_rate),
        typo_variant=rng.integers(0, TYPOS_PER_NAME, r),
        names_swapped=chance_by_group(config.reg_names_swapped_rate),
        dob=np.where(dob_swapped, swapped_dob, dob),
        dob_swapped=dob_swapped,
        nhs_missing=nhs_missing,
        nhs_mistyped=nhs_mistyped,
        nhs_typed=typed @ 10 ** np.arange(9, -1, -1),
        nhs_spaced=chance(config.reg_nhs_number_spaced_rate),
        address=np.where(old_address, people.previous[person], people.home[person]),
        old_address=old_address,
        address_lower=chance(config.reg_address_lower_case_rate),
        postcode_bad=chance(config.reg_postcode_badly_formatted_rate),
        postcode_style=rng.integers(0, 3, r),
        phone_range=np.where(uses_mobile, 0, people.phone_range[person]),
        phone_suffix=phone_suffix,
        phone_format=rng.integers(0, 4, r),
        phone_missing=phone_missing,
        phone_mistyped=phone_mistyped,
        email_given=email_given,
        email_typo=chance(config.reg_email_typo_rate, email_given),
        needs_food=chance(config.reg_needs_food_rate),
        needs_basic_care=chance(config.reg_needs_basic_care_rate),
        priority=chance(config.reg_priority_supermarket_rate),
        consent=chance(config.reg_consent_supermarkets_rate),
    )


def _draw_customers(
    config: Config, people: SimpleNamespace, registrations: SimpleNamespace, pools: Pools, scope: Scope
) -> SimpleNamespace:
    rng = scope.rng("customers")
    n = people.n
    consent = np.full(n, -1, dtype=np.int64)
    firsts = ~registrations.second
    consent[registrations.person[firsts]] = registrations.consent[firsts]
    rate = np.select(
        [consent == 1, consent == 0, people.on_spl],
        [config.customer_rate_consented, config.customer_rate_not_consented, config.customer_rate_unregistered_spl],
        0.0,
    )
    linked = np.flatnonzero(rng.random(n) < rate)
    k = len(linked)
    outside = round(config.outside_customers_per_linked_customer * k)
    c = k + outside

    given = people.given[linked]
    has_nickname = ~np.asarray(pc.is_null(pools.given.nicknames))[given]
    nf, w = pools.n_female, pools.given.weights
    outside_female = rng.random(outside) < config.female_share
    outside_given = np.where(
        outside_female,
        rng.choice(nf, outside, p=w[:nf] / w[:nf].sum()),
        nf + rng.choice(len(w) - nf, outside, p=w[nf:] / w[nf:].sum()),
    )
    extras = people.extra_addresses if len(people.extra_addresses) else np.arange(len(people.address_la))
    outside_address = extras[rng.integers(0, len(extras), outside)]
    return SimpleNamespace(
        n=c,
        linked=k,
        person=np.concatenate([linked, np.full(outside, -1)]),
        given=np.concatenate([given, outside_given]),
        family=np.concatenate([people.family[linked], rng.choice(len(pools.family), outside, p=pools.family.weights)]),
        nickname=np.concatenate(
            [
                has_nickname
                & (
                    rng.random(k)
                    < _rates_by_group(
                        config.customer_nickname_rate, people.error_group[linked], people.error_odds, has_nickname
                    )
                ),
                np.zeros(outside, bool),
            ]
        ),
        address=np.concatenate([people.home[linked], outside_address]),
        phone_range=np.concatenate(
            [np.where(people.has_mobile[linked], 0, people.phone_range[linked]), rng.integers(0, 2, outside)]
        ),
        phone_suffix=np.concatenate(
            [
                np.where(people.has_mobile[linked], people.mobile[linked], people.landline[linked]),
                rng.integers(0, 1000, outside),
            ]
        ),
        phone_missing=rng.random(c) < config.customer_phone_missing_rate,
        email_held=np.concatenate([people.has_email[linked], rng.random(outside) < config.email_rate])
        & (rng.random(c) < config.customer_email_held_rate),
        email_number=np.concatenate([people.email_number[linked], rng.integers(1, 100, outside)]),
        email_domain=np.concatenate([people.email_domain[linked], rng.integers(0, 3, outside)]),
        since=_random_days(rng, np.full(c, np.datetime64("2005-01-01")), np.full(c, np.datetime64("2020-03-22"))),
        id_number=scope.customer_ids(rng, c),
    )


NEEDS_REGISTRATIONS = {"registrations", "supermarket_customers", "truth"}
NEEDS_CUSTOMERS = {"supermarket_customers", "truth"}


def build_world(config: Config, names: Sequence[str] = TABLES, scope: Scope | None = None) -> SimpleNamespace:
    """Draw every stage the named tables need, for the whole population or for the one block ``scope`` names.
    Each stage has its own random stream, so skipping the later stages never changes the earlier ones."""
    scope = scope or Whole(config)
    pools = build_pools(config.seed)
    las = _local_authorities()
    people = _draw_people(config, pools, las, scope)
    addresses = _draw_addresses(config, pools, las, people.address_la, people.address_near, scope)
    spl = _draw_spl(config, people, las, scope)
    needs_registrations = NEEDS_REGISTRATIONS & set(names)
    registrations = _draw_registrations(config, people, pools, scope) if needs_registrations else None
    needs_customers = NEEDS_CUSTOMERS & set(names)  # a subset of NEEDS_REGISTRATIONS
    customers = (
        _draw_customers(config, people, registrations, pools, scope) if needs_customers and registrations else None
    )
    return SimpleNamespace(
        config=config,
        pools=pools,
        las=las,
        people=people,
        addresses=addresses,
        spl=spl,
        registrations=registrations,
        customers=customers,
    )


# ----------------------------------------------------------------------------- tables (pyarrow strings)


def _email(
    pools: Pools, given: np.ndarray, family_spelling: pa.Array, number: np.ndarray, domain: np.ndarray
) -> pa.Array:
    number_text = _choose(number >= 0, _text(np.maximum(number, 0)), "")
    return _concat(
        _take(pools.given.email, given), ".", family_spelling, number_text, "@", _take(pa.array(EMAIL_DOMAINS), domain)
    )


def _person_email(world: SimpleNamespace, persons: np.ndarray) -> pa.Array:
    p = world.people
    return _email(
        world.pools,
        p.given[persons],
        _take(world.pools.family.email, p.family[persons]),
        p.email_number[persons],
        p.email_domain[persons],
    )


def _phone(ranges: ArrayLike, suffixes: ArrayLike, fmt: int | np.ndarray = 0) -> pa.Array:
    prefixes = pa.array([prefix for by_format in PHONE_PREFIXES for prefix in by_format])
    return _concat(_take(prefixes, np.asarray(ranges) * 4 + fmt), _padded(suffixes, 3))


def _table(name: str, columns: dict) -> pa.Table:
    schema = SCHEMA[name].arrow_schema()
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


def _optional_id(values: np.ndarray) -> pa.Array:
    return pa.array(values, pa.int64(), mask=values < 0)


def people_table(world: SimpleNamespace) -> pa.Table:
    p, a, pools = world.people, world.addresses, world.pools
    everyone = np.arange(p.n)
    return _table(
        "people",
        {
            "person_id": pa.array(p.first + everyone + 1),
            "given_name": _take(pools.given.names, p.given),
            "family_name": _take(pools.family.names, p.family),
            "date_of_birth": _dates(p.dob),
            "sex": _choose(p.female, "F", "M"),
            "nhs_number": _text(p.nhs),
            "uprn": _take(a.uprn, p.home),
            "previous_uprn": _take(a.uprn, p.previous),
            "la_code": _take(world.las.codes, p.la),
            "landline": _blank_where(~p.has_landline, _phone(p.phone_range, p.landline)),
            "mobile": _blank_where(~p.has_mobile, _phone(np.zeros(p.n, np.int64), p.mobile)),
            "email": _blank_where(~p.has_email, _person_email(world, everyone)),
            "on_spl": pa.array(p.on_spl),
            "date_of_death": _dates(p.death),
        },
    )


def spl_table(world: SimpleNamespace) -> pa.Table:
    p, a, s = world.people, world.addresses, world.spl
    who = s.persons
    landline = np.where(s.phone_wrong, (p.landline[who] + s.landline_shift) % 1000, p.landline[who])
    mobile = np.where(s.phone_wrong, (p.mobile[who] + s.mobile_shift) % 1000, p.mobile[who])
    return _table(
        "spl",
        {
            "spl_row_id": pa.array(s.first_row + np.arange(1, s.n + 1)),
            "nhs_number": _text(p.nhs[who]),
            "given_name": _take(world.pools.given.names, p.given[who]),
            "family_name": _take(world.pools.family.names, p.family[who]),
            "date_of_birth": _dates(p.dob[who]),
            "sex": _choose(p.female[who], "F", "M"),
            "address_line_1": _take(a.line_1, s.address),
            "address_line_2": _take(a.line_2, s.address),
            "town": _take(a.town, s.address),
            "postcode": _take(a.postcode, s.address),
            "gp_practice_code": _concat("Z", _padded(s.practice, 5)),
            "landline": _blank_where(~p.has_landline[who] | s.phone_missing, _phone(p.phone_range[who], landline)),
            "mobile": _blank_where(~p.has_mobile[who] | s.phone_missing, _phone(np.zeros(s.n, np.int64), mobile)),
            "email": _blank_where(~s.email_held, _person_email(world, who)),
            "la_code": _take(world.las.codes, a.la[s.address]),
            "source": _take(pa.array(SOURCES), s.source),
            "release": _take(pa.array(RELEASES), s.release),
            "date_added": _dates(s.date_added),
            "clinical_group": _take(pa.array(s.group_names), s.group),
            "date_of_death": _dates(p.death[who]),
        },
    )


def registrations_table(world: SimpleNamespace) -> pa.Table:
    p, a, r, pools = world.people, world.addresses, world.registrations, world.pools
    given_pool, family_pool = pools.given, pools.family
    g, f = p.given[r.person], p.family[r.person]
    given_all = pa.concat_arrays([given_pool.names, given_pool.typos, given_pool.nicknames])
    given_index = np.where(
        r.nickname,
        len(given_pool) * (1 + TYPOS_PER_NAME) + g,
        np.where(r.given_typo, len(given_pool) + g * TYPOS_PER_NAME + r.typo_variant, g),
    )
    family_all = pa.concat_arrays([family_pool.names, family_pool.typos])
    family_index = np.where(r.family_typo, len(family_pool) + f * TYPOS_PER_NAME + r.typo_variant, f)
    given, family = _take(given_all, given_index), _take(family_all, family_index)

    nhs = _text(r.nhs_typed)
    spaced = _concat(
        pc.utf8_slice_codeunits(nhs, 0, 3),
        " ",
        pc.utf8_slice_codeunits(nhs, 3, 6),
        " ",
        pc.utf8_slice_codeunits(nhs, 6, 10),
    )
    postcode = _take(a.postcode, r.address)
    bad_postcode = _choose(
        r.postcode_style == 0,
        pc.utf8_lower(postcode),
        _choose(
            r.postcode_style == 1,
            pc.replace_substring(postcode, " ", ""),
            pc.utf8_lower(pc.replace_substring(postcode, " ", "")),
        ),
    )
    line_1 = _take(a.line_1, r.address)
    email_family = _choose(
        r.email_typo, _take(family_pool.email_typos, f * TYPOS_PER_NAME + r.typo_variant), _take(family_pool.email, f)
    )
    email = _email(pools, g, email_family, p.email_number[r.person], p.email_domain[r.person])
    return _table(
        "registrations",
        {
            "registration_id": pa.array(r.first_id + np.arange(1, r.n + 1)),
            "registered_on": _dates(r.date),
            "given_name": _choose(r.names_swapped, family, given),
            "family_name": _choose(r.names_swapped, given, family),
            "date_of_birth": _dates(r.dob),
            "nhs_number": _blank_where(r.nhs_missing, _choose(r.nhs_spaced, spaced, nhs)),
            "address_line_1": _choose(r.address_lower, pc.utf8_lower(line_1), line_1),
            "address_line_2": _take(a.line_2, r.address),
            "town": _take(a.town, r.address),
            "postcode": _choose(r.postcode_bad, bad_postcode, postcode),
            "phone": _blank_where(r.phone_missing, _phone(r.phone_range, r.phone_suffix, r.phone_format)),
            "email": _blank_where(~r.email_given, email),
            "needs_food": pa.array(r.needs_food),
            "needs_basic_care": pa.array(r.needs_basic_care),
            "wants_priority_supermarket": pa.array(r.priority),
            "consent_share_supermarkets": pa.array(r.consent),
        },
    )


def addresses_table(world: SimpleNamespace) -> pa.Table:
    a = world.addresses  # already in UPRN order
    return _table(
        "addresses",
        {
            "uprn": a.uprn,
            "address_line_1": a.line_1,
            "address_line_2": a.line_2,
            "town": a.town,
            "postcode": a.postcode,
            "la_code": world.las.codes.take(pa.array(a.la)),
        },
    )


def local_authorities_table(world: SimpleNamespace) -> pa.Table:
    rows = reference.LOCAL_AUTHORITIES
    return _table(
        "local_authorities",
        {
            "la_code": pa.array([r[0] for r in rows]),
            "la_name": pa.array([r[1] for r in rows]),
            "la_type": pa.array([r[2] for r in rows]),
            "region_code": pa.array([r[3] for r in rows]),
            "region_name": pa.array([reference.REGIONS[r[3]] for r in rows]),
            "population_thousands": pa.array([r[4] for r in rows], pa.int64()),
        },
    )


def _customer_order(world: SimpleNamespace) -> np.ndarray:
    return np.argsort(world.customers.id_number)


def supermarket_customers_table(world: SimpleNamespace) -> pa.Table:
    c, a, pools = world.customers, world.addresses, world.pools
    order = _customer_order(world)
    given_all = pa.concat_arrays([pools.given.names, pools.given.nicknames])
    given = _take(given_all, np.where(c.nickname, len(pools.given) + c.given, c.given))
    name = _concat(pc.utf8_upper(_take(pools.family.names, c.family)), ", ", given)
    prefixes = pa.array(INTERNATIONAL_PREFIXES)
    phone = _concat(_take(prefixes, c.phone_range), _padded(c.phone_suffix, 3))
    email = _email(pools, c.given, _take(pools.family.email, c.family), c.email_number, c.email_domain)
    columns = {
        "customer_id": _concat("EXF", _padded(c.id_number, 9)),
        "customer_name": name,
        "address_line_1": pc.utf8_upper(_take(a.line_1, c.address)),
        "postcode": pc.replace_substring(_take(a.postcode, c.address), " ", ""),
        "phone": _blank_where(c.phone_missing, phone),
        "email": _blank_where(~c.email_held, email),
        "customer_since": _dates(c.since),
    }
    return _table("supermarket_customers", {k: v.take(pa.array(order)) for k, v in columns.items()})


def truth_table(world: SimpleNamespace) -> pa.Table:
    p, a, s, r, c = world.people, world.addresses, world.spl, world.registrations, world.customers
    order = _customer_order(world)
    customer_person = c.person[order]
    n_spl, n_reg, n_cust = s.n, r.n, c.n
    none = np.zeros
    person = np.concatenate([s.persons, r.person, customer_person])
    spl_rows, registration_ids = s.first_row + np.arange(1, n_spl + 1), r.first_id + np.arange(1, n_reg + 1)
    parts = {
        "source_table": _take(
            pa.array(["spl", "registrations", "supermarket_customers"]), np.repeat([0, 1, 2], [n_spl, n_reg, n_cust])
        ),
        "source_id": pa.concat_arrays(
            [
                _text(spl_rows),
                _text(registration_ids),
                _concat("EXF", _padded(c.id_number[order], 9)),
            ]
        ),
        "person_id": _optional_id(np.where(person >= 0, p.first + person + 1, -1)),
        "spl_row_id": _optional_id(
            np.concatenate(
                [
                    spl_rows,
                    p.spl_row[r.person],
                    np.where(customer_person >= 0, p.spl_row[customer_person], -1),
                ]
            )
        ),
        "uprn": _take(a.uprn, np.concatenate([s.address, r.address, c.address[order]])),
        "nhs_number_mistyped": pa.array(np.concatenate([none(n_spl, bool), r.nhs_mistyped, none(n_cust, bool)])),
        "corruptions": pa.concat_arrays(
            [
                _tags(stale_address=s.stale, phone_missing=s.phone_missing, phone_wrong=s.phone_wrong),
                _tags(
                    second_registration=r.second,
                    nickname=r.nickname,
                    given_name_typo=r.given_typo,
                    family_name_typo=r.family_typo,
                    names_swapped=r.names_swapped,
                    dob_day_month_swapped=r.dob_swapped,
                    stale_address=r.old_address,
                    address_lower_case=r.address_lower,
                    postcode_badly_formatted=r.postcode_bad,
                    nhs_number_missing=r.nhs_missing,
                    nhs_number_mistyped=r.nhs_mistyped,
                    phone_missing=r.phone_missing,
                    phone_mistyped=r.phone_mistyped,
                    email_typo=r.email_typo,
                ),
                _tags(nickname=c.nickname[order]),
            ]
        ),
    }
    return _table("truth", parts)


BUILDERS = {
    "people": people_table,
    "spl": spl_table,
    "registrations": registrations_table,
    "addresses": addresses_table,
    "local_authorities": local_authorities_table,
    "supermarket_customers": supermarket_customers_table,
    "truth": truth_table,
}
assert tuple(BUILDERS) == TABLES, "every schema table needs a builder, in schema order"


def checked_table(world: SimpleNamespace, name: str) -> pa.Table:
    """Build one table and run the safety checks on every row; a table that fails is never returned."""
    data = BUILDERS[name](world)
    mistyped = world.registrations.nhs_mistyped if name == "registrations" else None
    safety.check_table(name, data, mistyped)
    return data


def iter_tables(
    config: Config, names: Sequence[str] = TABLES, world: SimpleNamespace | None = None
) -> Iterator[tuple[str, pa.Table]]:
    """Build, check and yield each requested table in turn. A table that fails a safety check is never yielded."""
    world = world or build_world(config, names)
    for name in names:
        yield name, checked_table(world, name)


def generate(config: Config | None = None, **overrides: Any) -> dict[str, pa.Table]:
    """All tables in memory, for tests and small sizes. ``overrides`` replace Config fields, such as
    ``spl_people=500``."""
    config = dataclasses.replace(config or Config(), **overrides)
    return dict(iter_tables(config))
