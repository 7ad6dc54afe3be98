"""Pools of names, streets and localities, built once per seed with Faker (en_GB) and then sampled with numpy.

Building small pools once keeps Faker out of the per-row path (so national scale is fast) and keeps the output
reproducible: Faker is pinned and seeded, and the pools are plain lists in a fixed order. Typo variants and
email-safe spellings are worked out here, per pool entry, so corrupting millions of rows is only an index lookup.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from faker import Faker
from faker.providers.person.en_GB import Provider as PersonProvider

from .reference import NICKNAMES

TYPOS_PER_NAME = 3
STREET_POOL_SIZE = 3000
LOCALITY_POOL_SIZE = 600
# Faker's en_GB street and city formats sound American ("Prairie", "Port ...ville"), so streets and localities
# are built from Faker surnames with British endings.
STREET_ENDINGS = (
    "Road",
    "Street",
    "Lane",
    "Avenue",
    "Close",
    "Drive",
    "Way",
    "Crescent",
    "Grove",
    "Gardens",
    "Place",
    "Court",
    "Terrace",
    "Hill",
    "Walk",
    "Rise",
    "Mews",
    "View",
    "Row",
    "Square",
)
LOCALITY_ENDINGS = ("Green", "End", "Heath", "Park", "Vale", "Cross", "Common", "Bridge", "Wood", "Moor")


@dataclass(frozen=True)
class NamePool:
    """Names with sampling weights, their typo variants, email spellings and short forms."""

    names: pa.Array  # string
    weights: np.ndarray  # float64, sums to 1
    typos: pa.Array  # string, TYPOS_PER_NAME per name: variant k of name i is at i * TYPOS_PER_NAME + k
    email: pa.Array  # string, lower-case letters only
    email_typos: pa.Array  # string, email spelling of each typo variant
    nicknames: pa.Array  # string or null

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class Pools:
    given: NamePool  # female names first, then male names
    n_female: int
    family: NamePool
    streets: pa.Array
    localities: pa.Array


def _unique(items: Iterable[str]) -> list[str]:
    """Drop repeats, keeping first-seen order (never set order, which is not reproducible)."""
    return list(dict.fromkeys(items))


def _email_spelling(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower()) or "x"


def misspell(word: str, rnd: random.Random) -> str:
    """One plausible typo: a letter dropped, doubled, swapped with its neighbour or replaced."""
    for _ in range(20):
        i = rnd.randrange(1, len(word)) if len(word) > 1 else 0
        op = rnd.choice(("drop", "double", "swap", "replace"))
        if op == "drop" and len(word) > 2:
            out = word[:i] + word[i + 1 :]
        elif op == "double":
            out = word[:i] + word[i] + word[i:]
        elif op == "swap" and i + 1 < len(word):
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            out = word[:i] + rnd.choice("abcdefghijklmnopqrstuvwxyz") + word[i + 1 :]
        if out != word:
            return out
    return word + "e"


def _name_pool(names: list[str], weights: list[float], rnd: random.Random) -> NamePool:
    typos = [misspell(name, rnd) for name in names for _ in range(TYPOS_PER_NAME)]
    w = np.asarray(weights, dtype=np.float64)
    return NamePool(
        names=pa.array(names, pa.string()),
        weights=w / w.sum(),
        typos=pa.array(typos, pa.string()),
        email=pa.array([_email_spelling(n) for n in names], pa.string()),
        email_typos=pa.array([_email_spelling(t) for t in typos], pa.string()),
        nicknames=pa.array([NICKNAMES.get(n) for n in names], pa.string()),
    )


def _weighted(names: dict[str, float] | Sequence[str]) -> tuple[list[str], list[float]]:
    """Faker lists are either plain tuples (equal weights) or ordered dicts of name to weight."""
    if isinstance(names, dict):
        unique = _unique(names)
        return unique, [float(names[n]) for n in unique]
    unique = _unique(names)
    return unique, [1.0] * len(unique)


@functools.lru_cache(maxsize=4)
def build_pools(seed: int) -> Pools:
    """All pools for one seed. Cached: building takes a fraction of a second but is called per table."""
    rnd = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    female, female_w = _weighted(PersonProvider.first_names_female)
    male, male_w = _weighted(PersonProvider.first_names_male)
    family, family_w = _weighted(PersonProvider.last_names)
    streets = _unique(f"{fake.last_name()} {fake.random_element(STREET_ENDINGS)}" for _ in range(STREET_POOL_SIZE))
    localities = _unique(
        f"{fake.last_name()} {fake.random_element(LOCALITY_ENDINGS)}" for _ in range(LOCALITY_POOL_SIZE)
    )
    return Pools(
        given=_name_pool(female + male, [w / sum(female_w) for w in female_w] + [w / sum(male_w) for w in male_w], rnd),
        n_female=len(female),
        family=_name_pool(family, family_w, rnd),
        streets=pa.array(streets, pa.string()),
        localities=pa.array(localities, pa.string()),
    )
