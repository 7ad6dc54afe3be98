"""Tests for streamed generation (synthetic_data/stream.py): the output does not depend on the chunk size, bad
chunk sizes are refused in one line, every row of every block goes through the safety checks, and the blocks
join up into one consistent set of tables. Small populations in small blocks, so several blocks are written and
the file stays fast. Time and peak memory at population scale are measured in benchmarks/bench_generator_scale.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from synthetic_data import __main__ as cli
from synthetic_data import generator, output, safety, stream
from synthetic_data.config import TEACHING, Config
from synthetic_data.schema import SCHEMA, TABLES

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Config(spl_people=2_300, seed=11)
BLOCK = 500  # five blocks, the last one short


def write(folder: Path, chunk_size: int, config: Config = CONFIG, names=TABLES) -> Path:
    output.write_streamed(config, folder, names, chunk_size, progress=False, block_people=BLOCK)
    return folder


def read(folder: Path) -> dict[str, pa.Table]:
    return {name: pq.read_table(folder / f"{name}.parquet") for name in TABLES}


@pytest.fixture(scope="module")
def streamed(tmp_path_factory) -> dict[str, pa.Table]:
    return read(write(tmp_path_factory.mktemp("streamed") / "out", 1_000))


# ----------------------------------------------------------------------------- the same whatever the chunk size


def test_output_is_the_same_whatever_the_chunk_size(tmp_path, streamed):
    for chunk_size in (7, 777, 10 ** 7):
        folder = write(tmp_path / str(chunk_size), chunk_size)
        for name, table in read(folder).items():
            assert table.equals(streamed[name]), (name, chunk_size)
    in_one_thread = stream.generate(CONFIG, block_people=BLOCK)  # no threads, no files: the same again
    assert all(in_one_thread[name].equals(streamed[name]) for name in TABLES)


def test_chunk_size_sets_the_row_groups_and_nothing_else(tmp_path):
    folder = write(tmp_path / "out", 777)
    for name in TABLES:
        metadata = pq.ParquetFile(folder / f"{name}.parquet").metadata
        sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        assert all(size == 777 for size in sizes[:-1]) and 0 < sizes[-1] <= 777, (name, sizes)
    manifests = [json.loads((write(tmp_path / str(c), c) / "manifest.json").read_text()) for c in (5, 5000)]
    assert manifests[0] == manifests[1] == json.loads((folder / "manifest.json").read_text())


def test_the_command_line_output_is_the_same_whatever_the_chunk_size(tmp_path):
    tables = []
    for chunk_size in ("100", "3,000"):
        out = tmp_path / chunk_size
        argv = ["--people", "1500", "--seed", "3", "--stream", "--chunk-size", chunk_size, "--out", str(out), "--quiet"]
        assert cli.main(argv) == 0
        tables.append(read(out))
    assert all(tables[0][name].equals(tables[1][name]) for name in TABLES)


# ----------------------------------------------------------------------------- bad chunk sizes and clashes


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "synthetic_data", *args], capture_output=True, text=True, env=env)


@pytest.mark.parametrize("args, message", [
    (["--chunk-size", "0"], "--chunk-size must be at least 1 row, not 0"),
    (["--chunk-size", "-5"], "--chunk-size must be at least 1 row, not -5"),
    (["--chunk-size", "many"], "--chunk-size must be a whole number of rows, not 'many'"),
    (["--format", "csv"], "streamed output is Parquet only"),
])
def test_bad_streaming_arguments_give_one_line_and_exit_2(tmp_path, args, message):
    result = _cli("--people", "10", "--stream", *args, "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, message", [
    (["--people", "10", "--chunk-size", "100"], "--chunk-size applies only when streaming: add --stream"),
    (["--teaching", "--stream"], "cannot be combined with --stream"),
    (["--teaching", "--chunk-size", "5"], "cannot be combined with --chunk-size"),
])
def test_streaming_options_that_would_do_nothing_are_refused(tmp_path, args, message, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main([*args, "--out", str(tmp_path / "out"), "--quiet"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_a_library_caller_gets_a_clear_error_for_a_bad_chunk_size(tmp_path):
    with pytest.raises(ValueError, match="chunk_size must be a whole number of at least 1, not 0"):
        output.write_streamed(CONFIG, tmp_path / "out", chunk_size=0, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_the_people_limit_allows_a_population_the_size_of_england():
    assert cli._people("56,000,000") == 56_000_000
    with pytest.raises(Exception, match="between 1 and 100,000,000"):
        cli._people(str(cli.MAX_PEOPLE + 1))


# ----------------------------------------------------------------------------- identifiers safe on every row


def test_every_row_of_every_block_is_safety_checked(tmp_path, monkeypatch):
    checked, counting = dict.fromkeys(TABLES, 0), threading.Lock()  # tables are checked in several threads
    real_check = safety.check_table

    def counting_check(name, data, nhs_mistyped=None):
        real_check(name, data, nhs_mistyped)
        with counting:
            checked[name] += data.num_rows

    monkeypatch.setattr(generator.safety, "check_table", counting_check)
    rows = output.write_streamed(CONFIG, tmp_path / "out", chunk_size=300, progress=False, block_people=BLOCK)
    assert checked == rows
    assert rows == {name: pq.ParquetFile(tmp_path / "out" / f"{name}.parquet").metadata.num_rows for name in TABLES}


def test_the_whole_streamed_set_passes_the_safety_checks(streamed):
    safety.check_tables(streamed)
    mistyped = pc.sum(streamed["truth"].column("nhs_number_mistyped")).as_py()
    assert mistyped > 0  # the check of deliberately mistyped numbers was exercised


def test_an_unsafe_row_in_a_late_block_stops_the_run_and_leaves_nothing(tmp_path, monkeypatch):
    real_builder = generator.BUILDERS["people"]

    def leaky(world):
        table = real_builder(world)
        if world.people.first == 0:
            return table
        mobile = table.column("mobile").to_pylist()
        mobile[-1] = "07911 123456"  # a real-looking mobile number, in the last block only
        return table.set_column(table.schema.get_field_index("mobile"), "mobile", pa.array(mobile, pa.string()))

    monkeypatch.setitem(generator.BUILDERS, "people", leaky)
    with pytest.raises(safety.UnsafeDataError, match="people.mobile row .*'07911 123456'"):
        output.write_streamed(CONFIG, tmp_path / "out", chunk_size=100_000, progress=False, block_people=2_000)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- the blocks join up


def test_tables_have_the_schema_and_the_expected_sizes(streamed):
    for name, table in streamed.items():
        assert table.schema.equals(SCHEMA[name].arrow_schema()), name
    assert streamed["spl"].num_rows == CONFIG.spl_people
    rate = CONFIG.non_spl_registrants_per_spl_person
    assert streamed["people"].num_rows == CONFIG.spl_people + round(rate * CONFIG.spl_people)
    assert streamed["local_authorities"].num_rows == len(generator.reference.LOCAL_AUTHORITIES)


def test_numbering_runs_on_across_blocks_without_gaps_or_repeats(streamed):
    for name, column in (("people", "person_id"), ("spl", "spl_row_id"), ("registrations", "registration_id")):
        ids = streamed[name].column(column).to_numpy()
        assert (ids == np.arange(1, len(ids) + 1)).all(), name
    assert pc.count_distinct(streamed["supermarket_customers"].column("customer_id")).as_py() == \
        streamed["supermarket_customers"].num_rows
    uprn = streamed["addresses"].column("uprn").cast(pa.int64()).to_numpy()
    assert (np.diff(uprn) > 0).all()  # one register in UPRN order, across blocks


def test_truth_points_at_real_rows_and_people(streamed):
    t = {name: table.to_pandas() for name, table in streamed.items()}
    truth, people = t["truth"], t["people"].set_index("person_id")
    for source, table, key in (("spl", "spl", "spl_row_id"), ("registrations", "registrations", "registration_id"),
                               ("supermarket_customers", "supermarket_customers", "customer_id")):
        ids = truth[truth.source_table == source].source_id
        assert sorted(ids) == sorted(t[table][key].astype(str)), source
    spl_truth = truth[truth.source_table == "spl"]
    assert set(spl_truth.person_id) == set(people.index[people.on_spl])
    spl = t["spl"].merge(spl_truth[["spl_row_id", "person_id"]], on="spl_row_id")
    assert (spl.nhs_number.to_numpy() == people.nhs_number.loc[spl.person_id].to_numpy()).all()
    assert set(truth.uprn) | set(people.uprn) | set(people.previous_uprn.dropna()) <= set(t["addresses"].uprn)
    registered = truth[(truth.source_table == "registrations") & truth.person_id.isin(spl_truth.person_id)]
    row_of = spl_truth.set_index("person_id").spl_row_id
    assert (registered.spl_row_id.to_numpy() == row_of.loc[registered.person_id].to_numpy()).all()


def test_streamed_rates_follow_the_configuration(tmp_path):
    tables = stream.generate(Config(spl_people=40_000), block_people=10_000)
    registrations = tables["registrations"].to_pandas()
    assert abs(registrations.nhs_number.isna().mean() - TEACHING.reg_nhs_number_missing_rate) < 0.02
    shares = tables["spl"].column("source").to_pandas().value_counts(normalize=True)
    assert abs(shares["hospital_data"] - TEACHING.share_hospital_medicines_maternity) < 0.02
    truth = tables["truth"].to_pandas()
    tags = truth[truth.source_table == "registrations"].corruptions.fillna("")
    second = tags.str.contains("second_registration")
    assert abs(second.sum() / (~second).sum() - TEACHING.duplicate_registration_rate) < 0.01


# ----------------------------------------------------------------------------- when streaming is used


def test_streaming_is_automatic_above_the_old_limit_and_off_below_it(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "STREAM_ABOVE", 50)
    assert cli.main(["--people", "60", "--out", str(tmp_path / "big"), "--quiet"]) == 0
    assert cli.main(["--people", "50", "--out", str(tmp_path / "small"), "--quiet"]) == 0
    big = json.loads((tmp_path / "big" / "manifest.json").read_text())
    small = json.loads((tmp_path / "small" / "manifest.json").read_text())
    assert big["streamed_in_blocks_of"] == stream.BLOCK_PEOPLE and big["format"] == "parquet"
    assert "streamed_in_blocks_of" not in small and small["format"] == "csv"


def test_a_streamed_folder_can_be_replaced_by_a_later_run(tmp_path):
    out = tmp_path / "out"
    write(out, 1_000)
    assert cli.main(["--people", "20", "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(["manifest.json", *(f"{n}.csv" for n in TABLES)])
