"""Rows per second: the vectorised generator against a plain per-row Faker loop making the same SPL columns.

    PYTHONPATH=. python benchmarks/bench_generator.py [ROWS]

The generator's time includes drawing the people and the address register the list is built from, and the
safety checks on every row, so the comparison flatters the loop.
"""

from __future__ import annotations

import random
import sys
import time

from faker import Faker

from synthetic_data import reference
from synthetic_data.config import Config
from synthetic_data.generator import RELEASE_DATES, SOURCES, iter_tables


def faker_loop(rows: int, seed: int = 2020) -> list[dict]:
    """The obvious way: one Faker call per field per row."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    la_codes = [r[0] for r in reference.LOCAL_AUTHORITIES]
    out = []
    for row_id in range(1, rows + 1):
        while True:
            body = "999" + "".join(str(rnd.randrange(10)) for _ in range(6))
            check = 11 - sum(int(d) * w for d, w in zip(body, range(10, 1, -1))) % 11
            check = 0 if check == 11 else check
            if check != 10:
                break
        female = rnd.random() < 0.5
        given = fake.first_name_female() if female else fake.first_name_male()
        family = fake.last_name()
        release = rnd.randrange(4)
        out.append({
            "spl_row_id": row_id,
            "nhs_number": f"{body}{check}",
            "given_name": given,
            "family_name": family,
            "date_of_birth": fake.date_of_birth(minimum_age=0, maximum_age=99).isoformat(),
            "sex": "F" if female else "M",
            "address_line_1": fake.street_address(),
            "address_line_2": fake.city() if rnd.random() < 0.3 else None,
            "town": fake.city(),
            "postcode": fake.postcode(),
            "gp_practice_code": f"Z{rnd.randrange(100000):05d}",
            "landline": f"01632 960{rnd.randrange(1000):03d}" if rnd.random() < 0.7 else None,
            "mobile": f"07700 900{rnd.randrange(1000):03d}" if rnd.random() < 0.75 else None,
            "email": f"{given}.{family}@example.com".lower() if rnd.random() < 0.3 else None,
            "la_code": rnd.choice(la_codes),
            "source": rnd.choice(SOURCES),
            "release": ("SPL1", "SPL2", "SPL3", "SPL4+5")[release],
            "date_added": str(RELEASE_DATES[release]),
            "clinical_group": rnd.choice([g for g, _ in Config().clinical_group_shares]),
            "date_of_death": fake.date_between("-1y").isoformat() if rnd.random() < 0.02 else None,
        })
    return out


def rows_per_second(fn, rows: int) -> float:
    start = time.perf_counter()
    fn(rows)
    return rows / (time.perf_counter() - start)


def vectorised(rows: int) -> None:
    dict(iter_tables(Config(spl_people=rows), names=("spl",)))


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    vectorised(1000)  # warm up: imports and Faker pools
    faker_loop(100)
    fast = rows_per_second(vectorised, rows)
    slow = rows_per_second(faker_loop, rows)
    print(f"SPL rows: {rows:,} each")
    print(f"vectorised generator: {fast:,.0f} rows/s (includes people, address register and safety checks)")
    print(f"per-row Faker loop:   {slow:,.0f} rows/s")
    print(f"ratio:                {fast / slow:,.0f}x")


if __name__ == "__main__":
    main()
