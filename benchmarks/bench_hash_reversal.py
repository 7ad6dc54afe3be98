"""How long it takes to reverse plain SHA-256 hashes of NHS numbers by hashing the whole number space.

    .venv/bin/python benchmarks/bench_hash_reversal.py

Hashes every valid number in the 999 test range (a million nine-digit stems, 909,091 valid numbers) with one
core, reverses a sample of hashed numbers, and scales the measured rate up to every valid ten-digit NHS number.
Also times keyed pseudonyms (HMAC-SHA256) for the same numbers, for comparison. Prints figures; asserts nothing
about time. Notebook 11 quotes these figures as text.
"""

from __future__ import annotations

import os
import platform
import time

import pandas as pd

from playbook import pseudonymisation as ps


def main() -> None:
    start = time.perf_counter()
    numbers = ps.valid_nhs_numbers()
    listed = time.perf_counter()
    table = ps.build_hash_table(numbers)
    hashed = time.perf_counter()

    victims = pd.Series([f"{n:010d}" for n in numbers[::91]], dtype="string")
    leaked = ps.plain_sha256(victims)
    before = time.perf_counter()
    recovered = ps.reverse_plain_hashes(leaked, table)
    reversed_at = time.perf_counter()

    secret = ps.new_secret()
    keyed_start = time.perf_counter()
    ps.keyed_pseudonyms(pd.Series([f"{n:010d}" for n in numbers], dtype="string"), secret)
    keyed = time.perf_counter() - keyed_start

    figures = ps.extrapolate_to_full_space(hashed - start, len(numbers))  # listing and hashing
    print(f"machine:                          {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} logical cores (one used)")
    print(f"valid numbers in the 999 range:   {len(numbers):,} (listed in {listed - start:.2f} s)")
    print(f"list and hash them (SHA-256):     {hashed - start:.2f} s, "
          f"{figures['numbers_per_second']:,.0f} numbers/s")
    print(f"reverse {len(victims):,} leaked hashes:     {reversed_at - before:.3f} s, "
          f"{int((recovered == victims).sum()):,} recovered exactly")
    print(f"full ten-digit space:             about {figures['full_space_numbers'] / 1e6:,.0f} million valid numbers")
    print(f"  extrapolated on one core:       {figures['full_space_minutes_on_one_core']:.0f} minutes "
          f"({figures['full_space_seconds'] / 3600:.2f} hours)")
    print(f"  on {os.cpu_count()} cores (split evenly):     "
          f"{figures['full_space_minutes_on_one_core'] / (os.cpu_count() or 1):.0f} minutes")
    print(f"keyed pseudonyms (HMAC-SHA256):   {keyed:.2f} s for the same {len(numbers):,} numbers; "
          "reversing them needs the secret")


if __name__ == "__main__":
    main()
