"""Where the general linker runs: DuckDB on one machine (the default), or Apache Spark, locally or on a cluster.

The linker writes its SQL (comparison levels, blocking rules) once, in DuckDB's dialect. On Spark the settings
are translated with sqlglot, the SQL translator Splink itself uses, and Spark is taught DuckDB's name for
Jaro-Winkler similarity from the jar of similarity functions that Splink ships. A saved model records the dialect
its SQL is in, so a model trained on one engine scores on the other.

Everything Spark writes while it works (shuffle files, checkpoints of intermediate tables) holds personal data; the
local session keeps it in one temporary folder, removed when the session stops or the process ends.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from playbook.splink_linker import LinkageInputError, comparisons

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import SparkSession
    from splink import SettingsCreator
    from splink.internals.database_api import DatabaseAPISubClass

ENGINES = ("duckdb", "spark")
PYSPARK = "pyspark==4.1.2"  # the Spark 4 release Splink 5.0.0 is tested with
JAVA_MIN = 17  # Spark 4 runs on Java 17 or later
# Spark has no function by DuckDB's name; these names (as written, and as sqlglot writes it) call the jar's instead.
SPARK_FUNCTIONS = {
    "jaro_winkler_similarity": "uk.gov.moj.dash.linkage.JaroWinklerSimilarity",
    "jarowinkler_similarity": "uk.gov.moj.dash.linkage.JaroWinklerSimilarity",
}

LOG_SETTINGS = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
"""  # Spark's errors only, without its start-up notes

SCRATCH_PREFIX = "playbook-spark-"  # then the process id, so a later run can clear up after a killed one
_local: dict[str, Any] = {}  # the local Spark session this process started, and its scratch folder


class EngineMissingError(LinkageInputError):
    """The chosen engine needs software that is not installed; the message says what to install."""


def check_engine(engine: object) -> None:
    """Refuse an unknown engine, or Spark without PySpark or a recent enough Java, in one line that says what to do."""
    if engine not in ENGINES:
        raise LinkageInputError(f"engine {engine!r} is not one of {', '.join(ENGINES)}. Leave it out to use duckdb.")
    if engine == "duckdb":
        return
    try:
        import pyspark  # noqa: F401
    except ImportError as error:
        raise EngineMissingError(
            f"--engine spark needs PySpark, which is not installed: run pip install {PYSPARK} (or use --engine duckdb)."
        ) from error
    java = _java()
    if java is None:
        raise EngineMissingError(
            f"--engine spark needs Java {JAVA_MIN} or later, and no java was found: install a "
            "Java runtime (on Debian or Ubuntu: apt-get install default-jre-headless) or set "
            "JAVA_HOME (or use --engine duckdb)."
        )
    version = _java_version(java)
    if version is not None and version < JAVA_MIN:
        raise EngineMissingError(
            f"--engine spark needs Java {JAVA_MIN} or later; {java} is Java {version}. Install "
            "a newer Java runtime and set JAVA_HOME to it (or use --engine duckdb)."
        )


def _java() -> str | None:
    """The java PySpark will start: JAVA_HOME's if set, otherwise the first on the PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        return str(java) if java.is_file() else None
    return shutil.which("java")


def _java_version(java: str) -> int | None:
    """The major version (17 for "17.0.15", 8 for "1.8.0"), or None if it cannot be read."""
    try:
        text = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not found:
        return None
    major = int(found[1])
    return int(found[2] or 0) if major == 1 else major


def engine_errors(engine: object) -> tuple[type[Exception], ...]:
    """The exception types an engine raises for SQL or data it cannot handle, for the linker's backstop."""
    if engine != "spark":
        return ()
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JJavaError)


# --- Database APIs -------------------------------------------------------------------------------------------


def database_api(
    engine: str = "duckdb",
    connection: duckdb.DuckDBPyConnection | SparkSession | None = None,
    threads: int | None = None,
) -> DatabaseAPISubClass:
    """Splink's database API for an engine.

    ``connection`` is a DuckDB connection or a SparkSession (for example one on a cluster); without one, DuckDB
    works in memory and Spark starts (or reuses) a local session. ``threads`` limits DuckDB's threads, or the
    cores of a local Spark session this call starts.
    """
    check_engine(engine)
    if engine == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        con = cast("duckdb.DuckDBPyConnection | None", connection) or duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        return DuckDBAPI(connection=con)
    from pyspark.errors import PySparkException
    from pyspark.sql.types import DoubleType
    from splink import SparkAPI
    from splink.backends.spark import similarity_jar_location

    # Each run in a session of its own, as each DuckDB run has its own connection: the same Spark context (and
    # its Java side), but none of an earlier run's tables, which would clash with this run's names.
    spark = (cast("SparkSession | None", connection) or spark_session(cores=threads)).newSession()
    try:
        for name, java_class in SPARK_FUNCTIONS.items():
            spark.udf.registerJavaFunction(name, java_class, DoubleType())
    except PySparkException as error:
        raise LinkageInputError(
            f"Spark cannot find Splink's similarity functions: start it with --jars "
            f"{similarity_jar_location()} (or spark.jars set to that file)."
        ) from error
    # Intermediate tables written as Parquet files (Splink's advice) keep Spark's plans short through training's
    # loops; they go to the checkpoint folder, so without one they are kept in memory instead.
    lineage = "parquet" if spark.sparkContext.getCheckpointDir() else "persist"
    return SparkAPI(spark_session=spark, break_lineage_method=lineage)


def spark_session(cores: int | None = None) -> SparkSession:
    """The session to link in: one already running (a notebook on a managed service), the cluster's when the job
    was started by spark-submit (with the settings given there), or else a local one."""
    check_engine("spark")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if "PYSPARK_GATEWAY_PORT" in os.environ:  # spark-submit started this Python and its Java side
        return SparkSession.builder.getOrCreate()
    return local_spark(cores=cores)


def local_spark(cores: int | None = None, memory_gib: int | None = None) -> SparkSession:
    """A Spark session on this machine, started once per process and shared; stopped at exit.

    Settings for a small machine: every core (or ``cores``), half the memory for Spark (the rest for Python and
    pandas), a few shuffle partitions per core rather than Spark's 200 (meant for clusters), no web interface, and
    every file Spark writes in one temporary folder.
    """
    check_engine("spark")
    if _local:
        return _local["session"]
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    cores = cores or os.cpu_count() or 1
    memory_gib = memory_gib or max(1, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**31)
    remove_stale_scratch()
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    (scratch / "log4j2.properties").write_text(LOG_SETTINGS, encoding="utf-8")
    partitions = str(max(4, 4 * cores))
    settings = {
        "spark.master": f"local[{cores}]",
        "spark.app.name": "playbook-linker",
        "spark.driver.memory": f"{memory_gib}g",
        "spark.jars": similarity_jar_location(),  # Jaro-Winkler, Damerau-Levenshtein and others, from Splink
        "spark.sql.shuffle.partitions": partitions,
        "spark.default.parallelism": partitions,
        "spark.sql.execution.arrow.pyspark.enabled": "true",  # fast pandas to Spark and back
        # Whole-stage code generation of a comparison's long CASE expression exceeds Java's 64 KB method limit, and
        # compiling it for each of training's many small queries costs more than it saves (Splink's examples too).
        "spark.sql.codegen.wholeStage": "false",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.local.dir": str(scratch / "local"),
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={scratch / 'derby'} "
        f"-Dlog4j.configurationFile={scratch / 'log4j2.properties'}",
        # Listen on this machine only: a local session has no reason to be reachable from the network.
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
    }
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Spark's Python workers: this Python, not the PATH's
    builder = SparkSession.builder
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(str(scratch / "checkpoints"))
    _local.update(session=spark, scratch=scratch)
    atexit.register(stop_local_spark)
    return spark


def remove_stale_scratch() -> None:
    """Delete the scratch folders of local sessions whose process was killed: they hold personal data."""
    from outbox import run_has_ended

    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        pid = folder.name.removeprefix(SCRATCH_PREFIX).split("-")[0]
        if pid.isdigit() and run_has_ended(int(pid), folder):
            shutil.rmtree(folder, ignore_errors=True)


def stop_local_spark() -> None:
    """Stop the local session, if this process started one, and delete everything it wrote."""
    if not _local:
        return
    _local.pop("session").stop()
    shutil.rmtree(_local.pop("scratch"), ignore_errors=True)


# --- Settings and saved models -------------------------------------------------------------------------------


def settings_for(engine: str, settings: SettingsCreator | dict[str, Any]) -> SettingsCreator | dict[str, Any]:
    """Settings whose SQL the engine understands.

    ``settings`` is the linker's ``SettingsCreator`` (SQL in DuckDB's dialect) or a saved model's dict (which
    names its dialect). On its own engine it is returned as it is.
    """
    if not isinstance(settings, dict):
        if engine == "duckdb":
            return settings
        settings = settings.create_settings_dict("duckdb")
    source = settings.get("sql_dialect", "duckdb")
    if source == engine:
        return settings
    import sqlglot

    def translate(sql: str) -> str:
        return sql if sql.strip().upper() == "ELSE" else sqlglot.transpile(sql, read=source, write=engine)[0]

    out = json.loads(json.dumps(settings))  # a deep copy; the caller's dict is left as it was
    out["sql_dialect"] = engine
    for comparison in out.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = translate(level["sql_condition"])
    rules = out.get("blocking_rules_to_generate_predictions", [])
    for i, rule in enumerate(rules):
        if isinstance(rule, dict):
            rule.update(blocking_rule=translate(rule["blocking_rule"]), sql_dialect=engine)
        else:
            rules[i] = translate(rule)
    return out


def read_model(model: Path | str | dict[str, Any]) -> dict[str, Any]:
    """A saved model (the ``model.json`` a run wrote, or its dict), refused clearly if it is not one."""
    if isinstance(model, dict):
        settings, where = model, "model"
    else:
        where = str(model)
        try:
            settings = json.loads(Path(model).read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise LinkageInputError(f"{where}: no such file. Give the model.json a previous run wrote.") from error
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise LinkageInputError(
                f"{where}: cannot read it as a model ({type(error).__name__}: "
                f"{str(error)[:80]}). Give the model.json a previous run wrote."
            ) from error
    if (
        not isinstance(settings, dict)
        or not isinstance(settings.get("comparisons"), list)
        or settings.get("link_type") != "link_only"
    ):
        raise LinkageInputError(
            f"{where}: is not a linking model (no comparisons, or not link_only). Give the "
            "model.json a previous run wrote."
        )
    if settings.get("sql_dialect", "duckdb") not in ENGINES:
        raise LinkageInputError(
            f"{where}: its SQL is for {settings['sql_dialect']!r}, not one of "
            f"{', '.join(ENGINES)}. Train a model with this linker."
        )
    return settings


def check_model(settings: dict[str, Any], roles: Collection[str], where: str = "model") -> None:
    """Refuse a model whose comparisons are not the ones these roles give: its weights would mean something else."""

    def shape(items: Iterable[dict[str, Any]]) -> dict[str, list[Any]]:
        return {
            c["output_column_name"]: [level.get("label_for_charts") for level in c["comparison_levels"]] for c in items
        }

    theirs, ours = shape(settings["comparisons"]), shape(comparisons(roles))
    if theirs != ours:
        differ = sorted(name for name in set(theirs) | set(ours) if theirs.get(name) != ours.get(name))
        raise LinkageInputError(
            f"{where}: was trained on other comparisons than these files give (they differ in "
            f"{', '.join(differ)}). Map the same roles as when it was trained, or train a new "
            "model by leaving out --model."
        )
