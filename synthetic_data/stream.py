"""Population-scale generation in fixed blocks, so memory stays flat however many people are asked for.

    python -m synthetic_data --people 56000000 --out /tmp/england       # streamed: above 20,000,000 people
    python -m synthetic_data --people 500000 --stream --out /tmp/small   # streamed at any size

Layout. A streamed run writes the same files as a run in memory: one Parquet file per table (people.parquet,
spl.parquet, registrations.parquet, addresses.parquet, local_authorities.parquet, supermarket_customers.parquet,
truth.parquet) and manifest.json, which also records the block size. Each file is cut into row groups of
``--chunk-size`` rows (the last one shorter), so Spark, DuckDB and pandas read them in parallel pieces.

Design. The people are cut into blocks of ``BLOCK_PEOPLE`` people on the list (100,000), each with its share of
the people who registered without being on the list (10,000). The blocks are fixed by the population size alone.
Each block is drawn by the same code as the in-memory generator (``generator.build_world``), with a ``Block``
scope in place of ``generator.Whole``: the block's random streams come from (seed, stage, block number), so
what a person's rows look like depends only on the seed, the population size and the block the person is in.
Writing then groups the blocks' rows into row groups of ``--chunk-size`` rows, so the chunk size changes how the
files are cut, never what they hold.

What needs the whole population is handled in one of three ways:

- drawn once for the whole run in ``Plan`` (small arrays): the order in which the about 909,000 test NHS numbers
  are handed out (person n gets number n of that order, so numbers are distinct up to 909,000 people and then
  repeat, as in the in-memory generator); each authority's postcode districts and number of GP practices, from
  the expected number of people there; the secret offset of customer numbers;
- kept within the block: who shares a home with whom, who moved and where from (a move within the district
  lands on another street of the block), who registered, who registered twice, who is a supermarket customer,
  and the customers who are nobody in the population. Each block has its own invented streets and its own slice
  of the UPRN range, so the address register stays in UPRN order when the blocks are written one after another;
- numbered as the blocks are written: person_id, spl_row_id and registration_id continue from the previous
  block, so they run from 1 without gaps. Customer numbers come from each block's own share of the scrambled
  number range, so they never repeat.

Differences from the in-memory generator, all because nobody is held in memory for long: the list is ordered by
release within each block, not across the whole list, and registrations by date within each block; ``truth``
holds each block's list, registration and customer rows together; and a streamed run gives different (equally
valid) data from an unstreamed run of the same seed and size. The tables, columns, rates and safety guarantees
are the same, and every row of every block passes ``safety.check_table`` before it can be written.

Speed. While one block is drawn (numpy), the previous block's tables are built and checked in two threads
(pyarrow) and the one before is written in another, so both cores of a small machine are busy. Peak memory is
a few blocks plus one row group per table: about 1.2 GiB with the defaults, whatever the population.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np
import pyarrow as pa

from . import safety
from .config import Config
from .generator import (
    ID_MULTIPLIER,
    ID_SPACE,
    MAX_DISTRICTS,
    STAGES,
    _local_authorities,
    _valid_nhs_numbers,
    build_world,
    checked_table,
)
from .schema import TABLES

BLOCK_PEOPLE = 100_000
"""People on the list per block. Part of what the data looks like: changing it changes the output."""


class Plan:
    """What every block of one streamed run shares: its sizes, and the few draws made once for everyone."""

    def __init__(self, config: Config, block_people: int = BLOCK_PEOPLE):
        if not isinstance(block_people, int) or block_people < 1:
            raise ValueError(f"block_people must be a whole number of at least 1, not {block_people!r}")
        self.config, self.block_people = config, block_people
        self.n_blocks = math.ceil(config.spl_people / block_people)
        rate = config.non_spl_registrants_per_spl_person
        self.n_people = config.spl_people + round(rate * config.spl_people)
        most_people = block_people + math.ceil(rate * block_people) + 1
        # Customers: at most everyone in the block, plus the customers who are nobody (a share of those).
        self.customers_per_block = most_people + math.ceil(config.outside_customers_per_linked_customer * most_people)
        self.uprn_span = (safety.UPRN_LAST - safety.UPRN_FIRST) // self.n_blocks
        if self.n_blocks * self.customers_per_block > ID_SPACE or self.uprn_span < 6 * most_people:
            raise ValueError(
                f"{config.spl_people:,} people is too many for the synthetic identifier ranges "
                f"(customer numbers and UPRNs) in blocks of {block_people:,}"
            )

        las = _local_authorities()
        rng = np.random.default_rng([config.seed, 0, 0, 0])  # block streams use stages 1 to 5
        self.nhs_order = rng.permutation(len(_valid_nhs_numbers()))
        self.first_district = rng.integers(0, MAX_DISTRICTS, las.n)
        expected_streets = self.n_people * las.weights / config.addresses_per_street
        self.n_districts = np.clip(np.ceil(expected_streets / config.streets_per_district), 1, MAX_DISTRICTS).astype(
            np.int64
        )
        expected_on_list = config.spl_people * las.weights
        self.practices = np.clip(np.round(expected_on_list / config.spl_patients_per_practice), 1, 499).astype(np.int64)
        self.customer_offset = int(rng.integers(ID_SPACE))


class Block:
    """The scope of one block (see ``generator.Whole`` for the questions a scope answers)."""

    def __init__(self, plan: Plan, index: int, first_registration: int):
        config, size = plan.config, plan.block_people
        rate = config.non_spl_registrants_per_spl_person
        start, end = index * size, min((index + 1) * size, config.spl_people)
        self.plan, self.index, self.seed = plan, index, config.seed
        self.n_spl = end - start
        self.n = self.n_spl + round(rate * end) - round(rate * start)
        self.first_person = start + round(rate * start)
        self.first_spl_row = start
        self.first_registration = first_registration

    def rng(self, stage: str, part: int = 0) -> np.random.Generator:
        return np.random.default_rng([self.seed, STAGES[stage], part, self.index])

    def nhs_numbers(self, rng: np.random.Generator, n: int) -> np.ndarray:
        valid = _valid_nhs_numbers()
        return valid[self.plan.nhs_order[(self.first_person + np.arange(n)) % len(valid)]]

    def districts(
        self, rng: np.random.Generator, las: SimpleNamespace, n_streets: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.plan.first_district, self.plan.n_districts

    def uprns(self, rng: np.random.Generator, m: int) -> np.ndarray:
        """Rising UPRNs inside this block's slice of the range, so blocks written in order stay in UPRN order."""
        span = self.plan.uprn_span
        largest_gap = max(2, min(400, span // max(m, 1)))
        return safety.UPRN_FIRST + self.index * span + np.cumsum(rng.integers(1, largest_gap, m))

    def practices(self, per_la: np.ndarray) -> np.ndarray:
        return self.plan.practices

    def customer_ids(self, rng: np.random.Generator, n: int) -> np.ndarray:
        first = self.index * self.plan.customers_per_block
        return (ID_MULTIPLIER * (first + np.arange(n, dtype=np.int64)) + self.plan.customer_offset) % ID_SPACE


def iter_blocks(
    config: Config, names: Sequence[str] = TABLES, block_people: int = BLOCK_PEOPLE, threads: int = 1
) -> Iterator[dict[str, pa.Table]]:
    """Each block's tables in turn, every row already through the safety checks. ``local_authorities`` (a fixed
    reference table) comes with the first block only.

    With ``threads`` above 1, a block's tables are built and checked in that many threads while the next block
    is drawn; pyarrow and numpy do most of that work outside the GIL, so two cores are both used. The tables are
    the same either way: the threads share nothing they change.
    """
    plan = Plan(config, block_people)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        building: deque[dict[str, Future]] = deque()
        first_registration = 0
        for index in range(plan.n_blocks):
            world = build_world(config, names, Block(plan, index, first_registration))
            if world.registrations is not None:
                first_registration += world.registrations.n
            wanted = [name for name in names if index == 0 or name != "local_authorities"]
            building.append({name: pool.submit(checked_table, world, name) for name in wanted})
            del world
            if threads == 1 or len(building) > 1:
                yield {name: table.result() for name, table in building.popleft().items()}
        while building:
            yield {name: table.result() for name, table in building.popleft().items()}


def generate(config: Config, names: Sequence[str] = TABLES, block_people: int = BLOCK_PEOPLE) -> dict[str, pa.Table]:
    """A streamed run's tables in memory, for tests at small sizes."""
    blocks = list(iter_blocks(config, names, block_people))
    return {name: pa.concat_tables([b[name] for b in blocks if name in b]) for name in names}
