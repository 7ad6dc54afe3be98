"""Statistical disclosure control for tables of counts: suppress, round, and prove nothing can be worked back.

A table of counts (for example people on the list by local authority and week) can reveal a person when a cell
is small. This module does three things to such a table:

- :func:`suppress` hides small cells (primary suppression) and then hides enough other cells (secondary
  suppression) that no hidden cell can be worked out from the published cells and the row and column totals;
- :func:`round_counts` rounds every cell to a base such as 5, with totals computed from the unrounded values;
- :func:`nhs_digital` applies the NHS Digital convention from September 2018: below national level, counts of 1
  to 7 become ``*`` and the rest are rounded to the nearest 5, totals from unrounded values then rounded.

:func:`determined_cells` is the proof that suppression worked. It treats the table with its totals as a flow
network (rows, columns and totals as nodes, cells as edges) and asks, for each hidden cell, whether any other
non-negative table agrees with everything published but differs in that cell. For such tables that question has
an exact answer by graph search, so no solver is needed (see :func:`determined_cells`).

:func:`differencing_exposures` finds the small numbers an attacker gets by subtracting one release from the next,
which each release's own checks cannot see.

:func:`protected_rates` works out rates and percentages to publish beside a protected table. It uses only the
published (suppressed or rounded) counts: a precise rate from the true counts, set beside rounded or hidden
counts, would give the small numbers back.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

# A cell of a table with totals, as (row position, column position).
Cell = tuple[int, int]
# Each cell as an edge (from node, to node) of the flow network; the residual arcs (to node, cell) from each node.
Edges = dict[Cell, tuple[int, int]]
Arcs = list[list[tuple[int, Cell]]]

TOTAL = "Total"
SUPPRESSED = "*"


class DisclosureError(ValueError):
    """A table cannot be controlled as given (for example a count that is not a whole number)."""


# ---------------------------------------------------------------------------------------------------------------
# Checking input and adding totals
# ---------------------------------------------------------------------------------------------------------------


def check_counts(table: pd.DataFrame) -> pd.DataFrame:
    """The table as whole numbers (int64), or a :class:`DisclosureError` naming the first bad cell.

    Disclosure control is only sound on true counts: a blank, a fraction, a negative number or text means the
    table was built wrongly, and guessing would hide that.
    """
    if not isinstance(table, pd.DataFrame):
        raise DisclosureError(f"expected a pandas DataFrame of counts, got {type(table).__name__}")
    if table.empty:
        raise DisclosureError("the table of counts is empty")
    for name, tag in ((table.index, "row"), (table.columns, "column")):
        if name.has_duplicates:
            raise DisclosureError(f"{tag} labels must be unique; repeated: {sorted(map(str, name[name.duplicated()]))}")
        if TOTAL in list(name):
            raise DisclosureError(f"a {tag} is already called {TOTAL!r}; pass the table without its totals")
    numbers = table.apply(pd.to_numeric, errors="coerce")
    bad = numbers.isna() | (numbers < 0) | (numbers != np.floor(numbers))
    if bad.to_numpy().any():
        row_pos, col_pos = np.argwhere(bad.to_numpy())[0]
        row, col = table.index[row_pos], table.columns[col_pos]
        value = table.iat[row_pos, col_pos]
        raise DisclosureError(
            f"cell (row {row!r}, column {col!r}) holds {value!r}: counts must be whole numbers of 0 or more. "
            f"{int(bad.to_numpy().sum())} cell(s) in all are not; fix the table before controlling it."
        )
    return numbers.astype("int64")


def _whole(name: str, value: object, minimum: int) -> int:
    """A parameter as an int, or a :class:`DisclosureError`: a wrong setting must not quietly weaken control."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DisclosureError(f"{name} must be a whole number of {minimum} or more, got {value!r}")
    return int(value)


def add_totals(table: pd.DataFrame) -> pd.DataFrame:
    """The table with a ``Total`` column (row sums), a ``Total`` row (column sums) and the grand total."""
    counts = check_counts(table)
    out = counts.copy()
    out[TOTAL] = counts.sum(axis=1)
    out.loc[TOTAL] = out.sum(axis=0)
    return out


# ---------------------------------------------------------------------------------------------------------------
# The proof: which hidden cells can an attacker work out?
# ---------------------------------------------------------------------------------------------------------------


def _edges(shape: tuple[int, ...]) -> tuple[Edges, int]:
    """Each cell of a table-with-totals as an edge of a flow network.

    Nodes: one per inner row, one per inner column, plus S (the row totals' side) and T (the column totals'
    side). Inner cell (i, j) runs row i -> column j; row total i runs S -> row i; column total j runs column j ->
    T; the grand total runs T -> S. Every line of the table ("these cells add up to that total") is then "flow in
    equals flow out" at one node, and every table that agrees with the totals is a circulation.
    """
    n_rows, n_cols = shape[0] - 1, shape[1] - 1
    source, sink = n_rows + n_cols, n_rows + n_cols + 1
    edges: Edges = {}
    for i in range(n_rows):
        for j in range(n_cols):
            edges[(i, j)] = (i, n_rows + j)
        edges[(i, n_cols)] = (source, i)
    for j in range(n_cols):
        edges[(n_rows, j)] = (n_rows + j, sink)
    edges[(n_rows, n_cols)] = (sink, source)
    return edges, n_rows + n_cols + 2


def _residual(counts: np.ndarray, mask: np.ndarray) -> tuple[Edges, Arcs]:
    """Residual arcs of the network: forward on every hidden edge (a cell can always grow), backward where the
    cell is above 0 (it can shrink)."""
    edges, n_nodes = _edges(counts.shape)
    arcs: Arcs = [[] for _ in range(n_nodes)]
    for cell, (u, v) in edges.items():
        if mask[cell]:
            arcs[u].append((v, cell))
            if counts[cell] > 0:
                arcs[v].append((u, cell))
    return edges, arcs


def _reachable(arcs: Arcs, start: int, goal: int, skip: Cell) -> bool:
    seen, queue = {start}, deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            return True
        for nxt, cell in arcs[node]:
            if cell != skip and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False


def _is_determined(counts: np.ndarray, edges: Edges, arcs: Arcs, cell: Cell) -> bool:
    u, v = edges[cell]
    can_grow = _reachable(arcs, v, u, cell)
    can_shrink = counts[cell] > 0 and _reachable(arcs, u, v, cell)
    return not (can_grow or can_shrink)


def determined_cells(with_totals: pd.DataFrame, hidden: pd.DataFrame) -> list[tuple]:
    """The hidden cells whose value an attacker can work out exactly. Empty means the suppression is safe.

    ``with_totals`` holds the true counts and totals (as from :func:`add_totals`); ``hidden`` is a boolean frame
    of the same shape, True where a cell (or a total) is not published. The attacker knows every published cell
    and total and that counts are whole numbers of 0 or more.

    Why this is exact: the tables that agree with what is published are the non-negative circulations in the
    network of :func:`_edges` that match the published edges. A hidden cell can take another value if and only if
    a cycle of hidden cells lets it change: raise it and go round the cycle, raising cells met forwards and
    lowering cells met backwards, lowering only cells above 0. That is a path search in the residual graph, and a
    step of 1 keeps every cell a whole number, so two different whole-number tables exist.
    """
    counts = with_totals.to_numpy(dtype="int64")
    mask = hidden.to_numpy(dtype=bool)
    edges, arcs = _residual(counts, mask)
    return [
        (with_totals.index[cell[0]], with_totals.columns[cell[1]])
        for cell in edges
        if mask[cell] and _is_determined(counts, edges, arcs, cell)
    ]


def lonely_cells(hidden: pd.DataFrame) -> list[tuple]:
    """Hidden cells that are the only hidden cell in their row or column (totals included).

    The simplest attack: such a cell is its total minus the published cells. :func:`determined_cells` finds these
    and the subtler cases; this check is kept because it is easy to explain and to see.
    """
    mask = hidden.to_numpy(dtype=bool)
    rows, cols = mask.sum(axis=1), mask.sum(axis=0)
    return [(hidden.index[i], hidden.columns[j]) for i, j in np.argwhere(mask) if rows[i] == 1 or cols[j] == 1]


# ---------------------------------------------------------------------------------------------------------------
# Suppression
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suppressed:
    """A suppressed table: the true counts with totals, and which cells are hidden and why."""

    counts: pd.DataFrame  # true counts with totals: never publish this
    primary: pd.DataFrame  # True where a cell is small
    secondary: pd.DataFrame  # True where a cell is hidden only to protect a small one
    threshold: int

    @property
    def hidden(self) -> pd.DataFrame:
        return self.primary | self.secondary

    @property
    def published(self) -> pd.DataFrame:
        """What you publish: counts with hidden cells missing (``<NA>``)."""
        return self.counts.astype("Int64").mask(self.hidden)

    def display(self) -> pd.DataFrame:
        """What a reader sees: numbers as text, hidden cells as ``*``."""
        return self.counts.astype(str).mask(self.hidden, SUPPRESSED)

    def summary(self) -> dict[str, int]:
        cells = self.counts.size
        return {
            "cells": cells,
            "primary": int(self.primary.to_numpy().sum()),
            "secondary": int(self.secondary.to_numpy().sum()),
            "published": cells - int(self.hidden.to_numpy().sum()),
        }


def _choose_cover(values: np.ndarray, hidden: np.ndarray, locked: np.ndarray, exposed: tuple) -> tuple | None:
    """The cell to hide next to protect ``exposed``, losing as little as possible.

    Candidates are the cells in the exposed cell's row and column that may still be hidden, cheapest first: a
    count above 0 before a 0 (hiding a 0 protects little), inner cells before totals, smaller counts first, then
    top-left first so the choice is repeatable. Take the first candidate that protects the cell on its own;
    failing that, one whose other line already has a hidden cell (it can close a cycle later); failing that, the
    cheapest. If the row and column are used up, look across the whole table.
    """
    n_rows, n_cols = values.shape
    i, j = exposed

    def cost(c: Cell) -> tuple[Any, ...]:  # numpy scalars, then the cell: a sort key
        return (values[c] == 0, c[0] == n_rows - 1 or c[1] == n_cols - 1, values[c], c)

    def usable(cells: Iterable[Cell]) -> list[Cell]:
        return sorted((c for c in cells if not hidden[c] and not locked[c]), key=cost)

    line = usable({(i, c) for c in range(n_cols)} | {(r, j) for r in range(n_rows)})
    for cand in line:
        trial = hidden.copy()
        trial[cand] = True
        edges, arcs = _residual(values, trial)
        if not _is_determined(values, edges, arcs, exposed):
            return cand
    rows_with, cols_with = hidden.sum(axis=1), hidden.sum(axis=0)
    for cand in line:
        other = cols_with[cand[1]] if cand[0] == i else rows_with[cand[0]]
        if other > 0:
            return cand
    if line:
        return line[0]
    rest = usable((r, c) for r in range(n_rows) for c in range(n_cols))
    return rest[0] if rest else None


def suppress(
    table: pd.DataFrame,
    threshold: int = 10,
    *,
    suppress_zeros: bool = False,
    published_before: pd.DataFrame | None = None,
) -> Suppressed:
    """Primary and secondary suppression of a table of counts, with row and column totals.

    Primary: every cell or total from 1 up to ``threshold - 1`` is hidden (0 too if ``suppress_zeros``).
    Secondary: while any hidden cell can be worked out (:func:`determined_cells`), hide one more cell in its row
    or column, choosing the smallest non-zero count so that as little as possible is lost. The loop ends because
    each round hides one more cell, and a table with every cell hidden gives nothing away.

    ``published_before`` (optional) is an earlier release of the same cells, as a frame with ``<NA>`` where it hid
    a cell. A cell already published there cannot be hidden now to protect anything: the attacker has it. This
    guards against the simplest differencing between releases; check the rest with
    :func:`differencing_exposures`.
    """
    if not isinstance(threshold, (int, np.integer)) or threshold < 1:
        raise DisclosureError(f"threshold must be a whole number of 1 or more, got {threshold!r}")
    counts = add_totals(table)
    values = counts.to_numpy()
    small = (values > 0) & (values < threshold)
    if suppress_zeros:
        small |= values == 0
    locked = np.zeros_like(small)
    if published_before is not None:
        earlier = published_before.reindex(index=counts.index, columns=counts.columns)
        known = earlier.notna().to_numpy()
        same = known & (earlier.to_numpy(dtype="float64", na_value=np.nan) == values)
        locked = same & ~small
    hidden = small.copy()
    while True:
        frame = pd.DataFrame(hidden, index=counts.index, columns=counts.columns)
        exposed = determined_cells(counts, frame)
        if not exposed:
            break
        row_label, col_label = exposed[0]
        cell = (counts.index.get_loc(row_label), counts.columns.get_loc(col_label))
        cover = _choose_cover(values, hidden, locked, cell)
        if cover is None:
            raise DisclosureError(
                f"cannot protect cell (row {row_label!r}, column {col_label!r}): every other cell is hidden or was "
                "published before. Publish this table with coarser rows or columns instead."
            )
        hidden[cover] = True
    primary = pd.DataFrame(small, index=counts.index, columns=counts.columns)
    secondary = pd.DataFrame(hidden & ~small, index=counts.index, columns=counts.columns)
    return Suppressed(counts, primary, secondary, int(threshold))


# ---------------------------------------------------------------------------------------------------------------
# Rounding and the NHS Digital convention
# ---------------------------------------------------------------------------------------------------------------


def round_to_base(values: ArrayLike, base: int = 5) -> np.ndarray:
    """Round whole numbers to the nearest multiple of ``base``, halves upwards (so 2 -> 0, 3 -> 5 for base 5)."""
    if not isinstance(base, (int, np.integer)) or base < 1:
        raise DisclosureError(f"base must be a whole number of 1 or more, got {base!r}")
    return (np.floor_divide(np.asarray(values, dtype="int64") * 2 + base, 2 * base) * base).astype("int64")


def round_counts(table: pd.DataFrame, base: int = 5) -> pd.DataFrame:
    """Every cell rounded to ``base``; totals are summed from the unrounded counts and then rounded.

    Rounding totals separately means a total may not equal the sum of its rounded cells. That is deliberate:
    summing rounded cells would add up the rounding errors, and a total that always matched its cells would
    let readers work back towards the true small values.
    """
    counts = add_totals(table)
    return pd.DataFrame(round_to_base(counts.to_numpy(), base), index=counts.index, columns=counts.columns)


@dataclass(frozen=True)
class Rounded:
    """A table under a rounding convention: the published values and which cells were hidden."""

    published: pd.DataFrame  # Int64, <NA> where hidden
    hidden: pd.DataFrame

    def display(self) -> pd.DataFrame:
        return self.published.astype(str).mask(self.hidden, SUPPRESSED)


def nhs_digital(
    table: pd.DataFrame, *, low: int = 1, high: int = 7, base: int = 5, national_row: bool = False
) -> Rounded:
    """NHS Digital's convention for counts below national level (from September 2018).

    Counts from ``low`` to ``high`` (1 to 7) are hidden as ``*``; every other count is rounded to the nearest
    ``base`` (5). Totals are computed from the unrounded counts and then treated the same way. The convention
    adds no secondary suppression: because every published cell and total is rounded, subtracting published
    figures gives a range rather than a number. That works because of all three steps together; rounding alone
    (:func:`round_counts`) can be unpicked, and even this rule can, in rare tables, narrow a hidden cell to a
    single value (see ``test_even_the_nhs_rule_can_pin_a_hidden_cell_in_a_rare_row``). If the ``Total`` row is
    the national count (rows are areas covering the whole country), pass ``national_row=True`` to publish it as
    it is: the convention does not control national counts.
    """
    low, high, base = _whole("low", low, 0), _whole("high", high, 0), _whole("base", base, 1)
    if low > high:
        raise DisclosureError(
            f"low ({low}) is above high ({high}), so nothing would be hidden: counts from low to "
            "high are the ones hidden (1 to 7 under the NHS Digital rule)"
        )
    counts = add_totals(table)
    values = counts.to_numpy()
    hidden = (values >= low) & (values <= high)
    rounded = round_to_base(values, base)
    if national_row:
        hidden[-1, :] = False
        rounded[-1, :] = values[-1, :]
    published = pd.DataFrame(rounded, index=counts.index, columns=counts.columns).astype("Int64")
    hidden = pd.DataFrame(hidden, index=counts.index, columns=counts.columns)
    return Rounded(published.mask(hidden), hidden)


# ---------------------------------------------------------------------------------------------------------------
# Rates and percentages
# ---------------------------------------------------------------------------------------------------------------


def protected_rates(
    release: Suppressed | Rounded,
    numerator: Hashable,
    denominator: Hashable = TOTAL,
    *,
    axis: str = "columns",
    per: float = 100,
    decimals: int = 1,
) -> pd.Series:
    """Rates to publish beside a protected table, worked out from its published counts and nothing else.

    ``release`` is what :func:`suppress` or :func:`nhs_digital` returned. ``numerator`` and ``denominator`` are
    two column labels (``axis="columns"``, one rate per row) or two row labels (``axis="index"``, one rate per
    column); the denominator is the ``Total`` column or row unless you say otherwise. Each rate is the published
    numerator divided by the published denominator, times ``per`` (100 for a percentage), rounded to
    ``decimals`` places. It is ``<NA>`` where the numerator or the denominator is hidden, and where the
    denominator is 0.

    Why only the published counts: a rate worked out from the true counts, printed next to a rounded or hidden
    count, lets a reader work that count back (3 out of 23 is 13.0%, and no other small count next to a
    published 20 gives 13.0%). A rate from the published counts tells a reader nothing the counts do not. The
    cost is accuracy: with a small denominator the rate can be several points away from the true rate, so
    choose ``decimals`` to match (a rate from counts rounded to 5 is not worth more places than the counts).
    """
    if not isinstance(release, (Suppressed, Rounded)):
        raise DisclosureError(
            f"expected the result of suppress() or nhs_digital(), got {type(release).__name__}: rates must be "
            "worked out from the protected counts, never from the true ones"
        )
    if axis not in ("columns", "index"):
        raise DisclosureError(f"axis must be 'columns' or 'index', got {axis!r}")
    if isinstance(per, bool) or not isinstance(per, (int, float, np.integer, np.floating)) or not per > 0:
        raise DisclosureError(f"per must be a number above 0 (100 for a percentage), got {per!r}")
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)) or decimals < 0:
        raise DisclosureError(f"decimals must be a whole number of 0 or more, got {decimals!r}")
    published = release.published if axis == "columns" else release.published.T
    tag = "column" if axis == "columns" else "row"
    for role, label in (("numerator", numerator), ("denominator", denominator)):
        if label not in published.columns:
            raise DisclosureError(
                f"the {role} {label!r} is not a {tag} of the table; {tag}s are {[str(c) for c in published.columns]}"
            )
    top, bottom = published[numerator], published[denominator]
    rates = (top.astype("Float64") / bottom.astype("Float64") * per).round(decimals)
    rates = rates.mask(top.isna() | bottom.isna() | (bottom == 0))
    rates.name = f"{numerator} per {per:g} {denominator}"
    return rates


# ---------------------------------------------------------------------------------------------------------------
# Differencing between releases
# ---------------------------------------------------------------------------------------------------------------


def rounding_interval(published: ArrayLike, base: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The true values a published rounded count can stand for: (lowest, highest), never below 0."""
    published = np.asarray(published, dtype="int64")
    low = np.maximum(published - base // 2, 0)
    high = published + (base - 1) // 2 if base % 2 else published + base // 2 - 1
    return low, high


def differencing_exposures(
    earlier: pd.DataFrame, later: pd.DataFrame, threshold: int = 10, base: int = 1, *, can_fall: bool = True
) -> pd.DataFrame:
    """What an attacker learns by subtracting an earlier release of running totals from a later one.

    Both frames hold published values for the same labels (``<NA>`` where hidden), for example the number of
    people on the list so far in each area, published each week. With exact counts (``base=1``) the change is
    known exactly, and a change of 1 to ``threshold - 1`` either way (people joining, or leaving) is a small number
    that neither release showed. With rounded counts the attacker only gets a range. Returns one row per cell
    published in both releases: the change's lowest and highest possible value (below 0 for a fall), and
    ``exposed`` where it is exact and small. Pass ``can_fall=False`` for totals that never fall (people registered
    so far): the attacker knows that too, so the range starts at 0, and a release where the total did fall is an
    error.
    """
    threshold, base = _whole("threshold", threshold, 1), _whole("base", base, 1)
    if (
        earlier.shape != later.shape
        or not earlier.index.equals(later.index)
        or not earlier.columns.equals(later.columns)
    ):
        raise DisclosureError("the two releases must have the same rows and columns in the same order")
    rows = []
    for row in earlier.index:
        for col in earlier.columns:
            a, b = earlier.at[row, col], later.at[row, col]
            if pd.isna(a) or pd.isna(b):
                continue
            for value in (a, b):
                if not isinstance(value, (int, float, np.integer, np.floating)) or value < 0 or value % base:
                    raise DisclosureError(
                        f"cell (row {row!r}, column {col!r}) holds {value}: published counts must be whole "
                        f"numbers of 0 or more, multiples of base={base}. Pass the base the releases were rounded to."
                    )
            a_low, a_high = rounding_interval(int(a), base)
            b_low, b_high = rounding_interval(int(b), base)
            low, high = int(b_low - a_high), int(b_high - a_low)
            if not can_fall:
                if high < 0:
                    raise DisclosureError(
                        f"cell (row {row!r}, column {col!r}) fell from {a} to {b}, but "
                        "can_fall=False says these totals never fall: check the releases"
                    )
                low = max(low, 0)
            rows.append(
                {
                    "row": row,
                    "column": col,
                    "earlier": int(a),
                    "later": int(b),
                    "change_low": low,
                    "change_high": high,
                    "exposed": low == high and 0 < abs(low) < threshold,
                }
            )
    return pd.DataFrame(rows, columns=["row", "column", "earlier", "later", "change_low", "change_high", "exposed"])
