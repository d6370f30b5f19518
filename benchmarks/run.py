"""Time isotrack's commands as a user runs them: fresh processes, several runs, median and spread.

    python benchmarks/run.py [--scale small|middle|large|all] [--runs N] [--out FILE]

For each scale it builds a synthetic database (benchmarks/synthetic.py), then times each command
in a new process, and prints a table with each figure beside its floor measured in the same run:
`python -c pass` for start-up, and parsing the same database file with orjson for commands that
read it. Peak memory is the largest resident set of the command's process (wait4). Results are
also written as JSON (default benchmarks/results/latest.json). Nothing here is a test: timings
never decide whether the suite passes.
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
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

SCALES = {
    "small": (300, 15_000),
    "middle": (3_000, 150_000),
    "large": (30_000, 1_500_000),
}
TODAY = "2026-11-22"


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
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.stderr:
        process.stderr.close()
    return elapsed, usage.ru_maxrss / 1024, process.returncode


def timed(
    argv: list[str],
    env: dict[str, str],
    runs: int,
    ok: tuple[int, ...] = (0, 3),
    before: list[str] | None = None,
) -> tuple[float, float, float]:
    times, peaks = [], []
    for _ in range(runs):
        if before:
            subprocess.run(before, env=env, check=True, capture_output=True)
        elapsed, peak, code = run_once(argv, env)
        if code not in ok:
            raise SystemExit(f"benchmark command failed ({code}): {' '.join(argv)}")
        times.append(elapsed)
        peaks.append(peak)
    return statistics.median(times), max(times) - min(times), max(peaks)


def parse_floor(path: Path, runs: int) -> float:
    code = (
        "import gc, sys, time, orjson; gc.disable(); data = open(sys.argv[1], 'rb').read(); "
        "t = time.perf_counter(); orjson.loads(data); print(time.perf_counter() - t)"
    )
    values = [
        float(
            subprocess.run(
                [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(values)


def bench_scale(scale: str, runs: int, work: Path) -> list[Result]:
    units, events = SCALES[scale]
    db = work / f"{scale}.json"
    built_units, built_events = synthetic.build(db, units, events)
    isotrack = shutil.which("isotrack", path=str(Path(sys.executable).parent)) or "isotrack"
    env = {
        **os.environ,
        "ISOTRACK_DB": str(db),
        "ISOTRACK_TODAY": TODAY,
        "ISOTRACK_LANG": "en",
        "NO_COLOR": "1",
    }
    start_floor, _, _ = timed([sys.executable, "-c", "pass"], env, runs)
    read_floor = parse_floor(db, runs)
    some_unit = "QK1-P1-D1"
    results: list[Result] = []

    def measure(name: str, args: list[str], floor: str, **kw: object) -> None:
        median, spread, peak = timed([isotrack, *args], env, runs, **kw)  # type: ignore[arg-type]
        floor_s = start_floor if floor == "python -c pass" else read_floor
        results.append(Result(scale, name, median, spread, runs, peak, floor, floor_s))
        print(f"  {name:<28} {median:7.3f} s  (x{median / floor_s:5.1f} {floor})", flush=True)

    print(
        f"{scale}: {built_units} units, {built_events} events, {db.stat().st_size / 1e6:.1f} MB",
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
    counter = iter(range(1, 10**6))
    measure(
        "procedures set (1 write)",
        ["procedures", "set", some_unit, "--internal", str(next(counter) + 1000)],
        "parse",
    )
    shutil.copyfile(backup, db)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=[*SCALES, "all"], default="small")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args()
    scales = list(SCALES) if args.scale == "all" else [args.scale]
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as folder:
        for scale in scales:
            results.extend(bench_scale(scale, args.runs, Path(folder)))
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
