"""Time isotrack's commands as a user runs them: fresh processes, several runs, median and spread.

    python benchmarks/run.py [--scale small|middle|large|all] [--runs N] [--out FILE]

For each scale it builds a synthetic database (benchmarks/synthetic.py), then times each command
in a new process, and prints a table with each figure beside its floor measured in the same run:
`python -c pass` for start-up, and parsing the same database file with orjson for commands that
read it. Then, once per run (the size does not depend on the scale), the import of a 100,000-row
snapshot sheet and of a 100,000-event file (benchmarks/import_export.py builds both) into an
empty database, each beside its peer: the same CSV loaded by ``sqlite-utils insert --csv`` into
SQLite, and the same coverage count done by one SQL query through ``sqlite-utils query``.
Peak memory is the largest resident set of the command's process (wait4). Results are also
written as JSON (default benchmarks/results/latest.json). Nothing here is a test: timings never
decide whether the suite passes.

The commands run as an installed isotrack runs: the package is byte-compiled first and
PYTHONDONTWRITEBYTECODE is removed from their environment (with it set, every run would
recompile the project's modules).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


SCALES = {
    "small": (300, 15_000),
    "middle": (3_000, 150_000),
    "large": (30_000, 1_500_000),
}
TODAY = "2026-11-22"
IMPORT_ROWS = 100_000
IMPORT_RUNS = 3  # an import takes seconds: fewer runs keep --scale small under two minutes


@dataclass
class Result:
    scale: str
    command: str
    median_s: float
    spread_s: float  # max - min
    runs: int
    peak_mb: float
    floor: str
    floor_s: float

    @property
    def ratio(self) -> float:
        return self.median_s / self.floor_s if self.floor_s else 0.0


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall time, peak resident memory (MB) and exit code of one fresh process."""
    with tempfile.TemporaryFile() as errors:  # a pipe nobody reads could fill and block it
        start = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            errors.seek(0)
            sys.stderr.write(errors.read()[-2000:].decode("utf-8", "replace"))
    return elapsed, usage.ru_maxrss / 1024, code


def timed(
    argv: list[str],
    env: dict[str, str],
    runs: int,
    ok: tuple[int, ...] = (0, 3),
    before: Callable[[], object] | None = None,
) -> tuple[float, float, float]:
    times, peaks = [], []
    for _ in range(runs):
        if before is not None:
            before()
        elapsed, peak, code = run_once(argv, env)
        if code not in ok:
            raise SystemExit(f"benchmark command failed ({code}): {' '.join(argv)}")
        times.append(elapsed)
        peaks.append(peak)
    return statistics.median(times), max(times) - min(times), max(peaks)


def parse_floor(path: Path, env: dict[str, str], runs: int) -> float:
    """The least a command that reads the database can cost: a fresh Python process that reads
    the file and parses it with orjson (start-up included, as in every measured command)."""
    code = "import gc, sys, orjson; gc.disable(); orjson.loads(open(sys.argv[1], 'rb').read())"
    median, _, _ = timed([sys.executable, "-c", code, str(path)], env, runs)
    return median


def command_env(db: Path) -> dict[str, str]:
    """The environment of a measured command: the user's, minus PYTHONDONTWRITEBYTECODE, and
    an empty catalog folder (the user's own catalogs must not change the figures)."""
    config = db.parent / "config"
    config.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "ISOTRACK_CONFIG_DIR": str(config),
        "ISOTRACK_DB": str(db),
        "ISOTRACK_TODAY": TODAY,
        "ISOTRACK_LANG": "en",
        "NO_COLOR": "1",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def isotrack_command() -> str:
    return shutil.which("isotrack", path=str(Path(sys.executable).parent)) or "isotrack"


def compile_package() -> None:
    """Byte-compile isotrack as an install does, so no measured run pays for compiling it."""
    import isotrack

    folder = Path(isotrack.__file__).parent
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(folder)],
        env=command_env(Path("unused")),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def in_child(expression: str) -> Any:
    """Evaluate a builder call in a child process and return its (JSON) result.

    Building in this process would grow it, and a child's peak memory (wait4) starts from the
    parent's: every measured command would seem to need what the builder needed.
    """
    code = (
        f"import json, sys; from pathlib import Path; sys.path.insert(0, {str(HERE)!r}); "
        f"import import_export, synthetic; print(json.dumps({expression}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def bench_scale(scale: str, runs: int, work: Path) -> list[Result]:
    units, events = SCALES[scale]
    db = work / f"{scale}.json"
    built_units, built_events = in_child(f"synthetic.build(Path({str(db)!r}), {units}, {events})")
    isotrack = isotrack_command()
    env = command_env(db)
    # Reports and checks evaluate targets as users' databases have them: the Ministry's.
    subprocess.run([isotrack, "target", "install"], env=env, check=True, capture_output=True)
    start_floor, _, _ = timed([sys.executable, "-c", "pass"], env, runs)
    read_floor = parse_floor(db, env, runs)
    some_unit = "QK1-P1"  # a province: alive at every scale
    results: list[Result] = []

    def measure(name: str, args: list[str], floor: str, **kw: object) -> None:
        median, spread, peak = timed([isotrack, *args], env, runs, **kw)  # type: ignore[arg-type]
        floor_s = start_floor if floor == "python -c pass" else read_floor
        results.append(Result(scale, name, median, spread, runs, peak, floor, floor_s))
        print(f"  {name:<28} {median:7.3f} s  (x{median / floor_s:5.1f} {floor})", flush=True)

    print(
        f"{scale}: {built_units} units, {built_events} events, {db.stat().st_size / 1e6:.1f} MB, "
        "the Ministry's targets installed",
        flush=True,
    )
    measure("--help", ["--help"], "python -c pass")
    measure("--version", ["--version"], "python -c pass")
    measure("unit show", ["unit", "show", some_unit], "parse")
    measure("unit list --json", ["unit", "list", "--json"], "parse")
    measure("report", ["report"], "parse")
    measure("report --format json", ["report", "--format", "json"], "parse")
    measure(
        "report --format html", ["report", "--format", "html", "-o", str(work / "r.html")], "parse"
    )
    measure("check", ["check"], "parse")
    backup = work / "backup.json"
    shutil.copyfile(db, backup)
    measure(
        "procedures set (1 write)",
        ["procedures", "set", some_unit, "--internal", "1001"],
        "parse",
        before=lambda: shutil.copyfile(backup, db),  # the same write, each time on the same file
    )
    shutil.copyfile(backup, db)
    measure("export csv (snapshot)", ["export", str(work / "out.csv")], "parse")
    measure("export jsonl (events)", ["export", str(work / "out.jsonl")], "parse")
    return results


def bench_import(runs: int, work: Path) -> list[Result]:
    """100,000-row imports into an empty database, beside sqlite-utils doing the same."""
    sheet, event_file, db = work / "units.csv", work / "office.jsonl", work / "import.json"
    in_child(
        f"import_export.write_snapshot(Path({str(sheet)!r}), "
        f"import_export.snapshot_rows({IMPORT_ROWS}))"
    )
    in_child(f"import_export.write_event_file(Path({str(event_file)!r}), {IMPORT_ROWS})")
    env = command_env(db)
    isotrack = isotrack_command()
    results: list[Result] = []
    scale = "import"
    print(f"import: {IMPORT_ROWS:,} rows, {runs} runs each", flush=True)

    def fresh() -> None:
        db.unlink(missing_ok=True)
        shutil.rmtree(work / "import.json.backups", ignore_errors=True)

    def add(name: str, argv: list[str], floor: str, floor_s: float, **kw: object) -> float:
        median, spread, peak = timed(argv, env, runs, **kw)  # type: ignore[arg-type]
        results.append(Result(scale, name, median, spread, runs, peak, floor, floor_s))
        note = f"(x{median / floor_s:5.1f} {floor})" if floor_s else ""
        print(f"  {name:<28} {median:7.3f} s  {note}", flush=True)
        return median

    sqlite_utils = shutil.which("sqlite-utils", path=str(Path(sys.executable).parent))
    peer_insert = peer_query = 0.0
    sqlite_db = work / "peer.sqlite"
    # The coverage count: units whose QMS has reached at least "applying".
    query = "select count(*) from units where \"Giai đoạn\" in ('applying', 'announced')"
    if sqlite_utils is None:
        print("  (sqlite-utils is not installed: no peer figures; pip install -e '.[dev]')")
    else:

        def fresh_sqlite() -> None:
            sqlite_db.unlink(missing_ok=True)

        insert = [sqlite_utils, "insert", str(sqlite_db), "units", str(sheet), "--csv"]
        insert += ["--delimiter", ";"]  # the sheet is Excel's CSV UTF-8 with ';'
        peer_insert = add("peer: sqlite-utils insert", insert, "", 0.0, before=fresh_sqlite)
        ask = [sqlite_utils, "query", str(sqlite_db), query]
        counted = json.loads(subprocess.run(ask, check=True, capture_output=True).stdout)
        if not next(iter(counted[0].values())):
            raise SystemExit(f"the peer query counted nothing: {counted}")
        peer_query = add("peer: sqlite-utils query", ask, "", 0.0)
    peer = "sqlite-utils" if peer_insert else ""
    add("import snapshot csv", [isotrack, "import", str(sheet)], peer, peer_insert, before=fresh)
    # The same count in isotrack: a target over every unit, evaluated by `check`.
    target = ["target", "add", "all-applying", "--kind", "all", "--reach", "applying"]
    subprocess.run(
        [isotrack, *target, "--share", "100", "--by", "2030"],
        env=env,
        check=True,
        capture_output=True,
    )
    add("coverage count (check)", [isotrack, "check"], peer and "sqlite query", peer_query)
    # Other data than the peer's CSV: no ratio (the target of 3 s is its measure).
    add("import event file jsonl", [isotrack, "import", str(event_file)], "", 0.0, before=fresh)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=[*SCALES, "all"], default="small")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args()
    scales = list(SCALES) if args.scale == "all" else [args.scale]
    results: list[Result] = []
    compile_package()
    with tempfile.TemporaryDirectory() as folder:
        for scale in scales:
            results.extend(bench_scale(scale, args.runs, Path(folder)))
        results.extend(bench_import(min(args.runs, IMPORT_RUNS), Path(folder)))
    print()
    print(
        f"{'scale':<7} {'command':<28} {'median':>8} {'spread':>7} {'floor':>7} "
        f"{'ratio':>6} {'peak MB':>8}"
    )
    for r in results:
        print(
            f"{r.scale:<7} {r.command:<28} {r.median_s:8.3f} {r.spread_s:7.3f} "
            f"{r.floor_s:7.3f} {r.ratio:6.1f} {r.peak_mb:8.0f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "python": platform.python_version(),
                    "system": platform.platform(),
                    "cpus": os.cpu_count(),
                },
                "results": [{**asdict(r), "ratio": round(r.ratio, 2)} for r in results],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
