"""Benchmarks: speed, memory and scale, measured side by side in one run (`make bench`).

    python benchmarks/run.py                 # everything (several minutes: the live scrape is rate-limited)
    python benchmarks/run.py --quick         # a fast pass (one repetition, 2 seasons where every season is not needed)
    python benchmarks/run.py --smoke         # --quick with the golden path over 2 seasons too: the test suite's pass
    python benchmarks/run.py --only load,scale --repeat 3

Children find bytecode as `make run` does (the .venv's compiled files); `--bytecode cached` gives
them a cache of everything compiled up front instead, and measures the golden path both ways.

Every measurement that involves start-up runs in a fresh child process with its own temporary
Dagster instance ($DAGSTER_HOME with the repo's deploy/dagster.local.yaml), DuckDB file, output, archive and
landing folders; the repo's data/ and .dagster_home/ are never touched. Wall time is measured
around the child; peak memory is the child's maximum resident set size (wait4's rusage). The live
sources are local servers on 127.0.0.1 serving pages at PFR's and Spotrac's real URL paths, one
server (one host) per source, counting every request.

Each line is the median of several repetitions with min and max; ratios are medians over medians
from the same run, and paired measurements are interleaved so load from other processes on a
shared machine falls on both sides.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import pages  # noqa: E402

PY = sys.executable
DAGSTER_CLI = str(Path(sys.executable).with_name("dagster"))
RESULTS = REPO / "benchmarks" / "results" / "latest.md"
SECTIONS = ("load", "golden", "daily", "scrape", "backfill", "naive", "scale", "ui")
FIRST, LAST = 2011, 2025  # the seasons the package ships
DEFAULT_MIN_INTERVAL_S = 3.0  # the HTTP client's default rate limit (README: ANALYTICS_HTTP_MIN_INTERVAL_S)
SCALE_SIZES = (100, 1_000, 10_000)
SCALE_STEPS = ("team_season_risk", "season_summary", "pooled_fit")
MB = 1024 * 1024
# How children find compiled bytecode (set by main). As-is (the default): what `make run` gets, the
# .venv's compiled files (`make env` precompiles them) and, with PYTHONDONTWRITEBYTECODE=1, nothing
# else. With --bytecode cached: a cache of everything in the benchmark's temporary folder
# (PYTHONPYCACHEPREFIX), compiled before any measurement.
BYTECODE_ENV: dict[str, str | None] = {}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Child processes ------------------------------------------------------------------------


@dataclass
class Child:
    wall_s: float
    peak_rss_mb: float
    returncode: int
    out: Path
    err: Path

    def tail(self, lines: int = 25) -> str:
        text = self.err.read_text(errors="replace").splitlines() + self.out.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


class ChildFailed(RuntimeError):
    pass


_counter = 0


def run_child(argv: list[str], env: dict[str, str], logs: Path, name: str, check: bool = True) -> Child:
    """Run argv to completion; wall time around it and the child's peak RSS from wait4."""
    global _counter
    _counter += 1
    out, err = logs / f"{_counter:03d}-{name}.out", logs / f"{_counter:03d}-{name}.err"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=REPO, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    child = Child(wall, usage.ru_maxrss * 1024 / MB, proc.returncode, out, err)  # ru_maxrss is in KiB on Linux
    if check and child.returncode != 0:
        raise ChildFailed(f"{name} exited with {child.returncode}:\n{child.tail()}")
    return child


class Workspace:
    """Temporary folders for one measurement: Dagster instance, DuckDB file, outputs, archive, landing."""

    def __init__(self, root: Path, name: str, archive: Path | None = None):
        self.path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
        self.home = self.path / "dagster_home"
        self.home.mkdir()
        shutil.copy(REPO / "deploy" / "dagster.local.yaml", self.home / "dagster.yaml")
        self.db = self.path / "analytics.duckdb"
        self.outputs = self.path / "reports"
        self.archive = archive or self.path / "archive"
        self.landing = self.path / "landing"

    def env(self, **extra: str | None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ANALYTICS_", "PFR_", "SPOTRAC_", "NFLVERSE_", "DAGSTER_"))
            and k not in ("PYTHONPATH",)
        }
        env.update(
            {
                "DAGSTER_HOME": str(self.home),
                "ANALYTICS_DUCKDB_PATH": str(self.db),
                "ANALYTICS_OUTPUT_DIR": str(self.outputs),
                "ANALYTICS_ARCHIVE_DIR": str(self.archive),
                "ANALYTICS_LANDING_DIR": str(self.landing),
                # No measurement reaches the internet: unless a section serves pages, the live sources
                # point at a local port nobody listens on.
                "PFR_BASE_URL": "http://127.0.0.1:9",
                "SPOTRAC_BASE_URL": "http://127.0.0.1:9",
                "NFLVERSE_GAMES_URL": "http://127.0.0.1:9/nflverse/nfldata/master/data/games.csv",
            }
        )
        for key, value in {**BYTECODE_ENV, **extra}.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env


def season_run(ws: Workspace, first: int, last: int, logs: Path, name: str, **env: str | None) -> tuple[Child, dict]:
    """season_pipeline for each season of [first, last], one run per season in one fresh child process."""
    result_file = ws.path / f"{name}-{_counter + 1}.json"
    child = run_child(
        [
            PY,
            "-m",
            "benchmarks.worker",
            "season-run",
            "--first",
            str(first),
            "--last",
            str(last),
            "--out",
            str(result_file),
        ],
        ws.env(**env),
        logs,
        name,
    )
    return child, json.loads(result_file.read_text())


def run_durations(home: Path) -> tuple[dict[str, float], dict[str, float], dict[str, int]]:
    """Seconds per job (its runs summed), per step (summed over runs) and runs per job, from a
    finished Dagster instance's records."""
    import dagster as dg

    runs: dict[str, float] = {}
    steps: dict[str, float] = {}
    counts: dict[str, int] = {}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for run in reversed(instance.get_runs()):  # oldest first
            stats = instance.get_run_stats(run.run_id)
            counts[run.job_name] = counts.get(run.job_name, 0) + 1
            if stats.start_time and stats.end_time:
                runs[run.job_name] = runs.get(run.job_name, 0.0) + stats.end_time - stats.start_time
            for step in instance.get_run_step_stats(run.run_id):
                if step.start_time and step.end_time:
                    steps[step.step_key] = steps.get(step.step_key, 0.0) + step.end_time - step.start_time
    return runs, steps, counts


def run_statuses(home: Path) -> list[str]:
    """The status of every run in a Dagster instance, oldest first."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        return [run.status.value for run in reversed(instance.get_runs())]


# --- Figures -------------------------------------------------------------------------------


@dataclass
class Series:
    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def max(self) -> float:
        return max(self.values)


@dataclass
class Row:
    item: str
    what: str
    series: Series | None = None
    unit: str = "s"
    figure: str = ""
    target: str = ""
    result: str = ""


def fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"
    if unit == "ms":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value * 1000:.0f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "req":
        return f"{value:.0f}"
    return f"{value:g}"


def plural(count: float, noun: str) -> str:
    return f"{count:.0f} {noun}{'' if round(count) == 1 else 's'}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "**MISS**"


class Bench:
    def __init__(self, args: argparse.Namespace, root: Path):
        self.args = args
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir()
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.figures: dict[str, Series] = {}
        self.seeded_db: Path | None = None
        # A raw archive holding every shipped season's pages, and the local ports they were fetched
        # from: the archive is keyed by URL, so a replay asks for the same URLs with nobody serving them.
        self.archive: Path | None = None
        self.archive_ports: tuple[int, int] | None = None

    # repetitions
    @property
    def cheap(self) -> int:
        return self.args.repeat or (1 if self.args.quick else 5)

    @property
    def heavy(self) -> int:
        return self.args.repeat or (1 if self.args.quick else 3)

    @property
    def slow(self) -> int:
        return self.args.repeat_slow or 1

    @property
    def slow_seasons(self) -> list[int]:
        """The seasons of the live scrape, the backfill, the naive baseline and the UI's backfill: every
        shipped season, or 2 in a --quick pass."""
        return list(range(FIRST, FIRST + 2)) if self.args.quick else list(range(FIRST, LAST + 1))

    @property
    def golden_seasons(self) -> tuple[int, int]:
        """The golden path's seasons: `make run`'s, or its last 2 in a --smoke pass (the season in
        progress's daily run reads the last completed season stored by it)."""
        return (LAST - 1, LAST) if self.args.smoke else (FIRST, LAST)

    @property
    def golden_args(self) -> list[str]:
        first, last = self.golden_seasons
        return ["--from", str(first), "--to", str(last)]

    def series(self, key: str) -> Series:
        return self.figures.setdefault(key, Series())

    def row(self, item: str, what: str, key: str | None = None, **kw) -> Row:
        row = Row(item, what, self.figures.get(key) if key else None, **kw)
        self.rows.append(row)
        return row

    def workspace(self, name: str, archive: Path | None = None) -> Workspace:
        return Workspace(self.root, name, archive)

    def record_run(self, key: str, child: Child, result: dict) -> None:
        """Figures of one worker's season_pipeline runs (one per season): process wall, peak RSS, and
        where the time went (import, instance, the runs, each run, each step summed over the runs)."""
        self.series(key + ".wall").add(child.wall_s)
        self.series(key + ".rss").add(child.peak_rss_mb)
        for part in ("import", "instance", "run"):
            self.series(f"{key}.{part}").add(result[f"{part}_s"])
        self.series(key + ".runs").add(len(result["runs"]))
        for run in result["runs"]:
            self.series(key + ".per_run").add(run["run_s"])
        for step, seconds in result["steps"].items():
            self.series(f"{key}.step.{step}").add(seconds)

    def breakdown(self, key: str) -> str:
        """'import 0.7 s + instance 1.5 s + run 2.3 s (steps: standings 0.8 s, ...)', medians; for
        several runs, 'runs 30.1 s (15 runs, one per season: median 2.0 s, ...; steps summed over the runs: ...)'."""
        f = self.figures
        steps = sorted(k for k in f if k.startswith(key + ".step."))
        inner = ", ".join(f"{k.rsplit('.', 1)[1]} {f[k].median:.2f} s" for k in steps)
        runs = int(f[key + ".runs"].median)
        if runs == 1:
            what = f"run {f[key + '.run'].median:.2f} s (steps: {inner})"
        else:
            per = f[key + ".per_run"]
            what = (
                f"{runs} runs {f[key + '.run'].median:.2f} s (one per season: median {per.median:.2f} s, min "
                f"{per.min:.2f}, "
                f"max {per.max:.2f}; steps summed over the runs: {inner})"
            )
        return (
            f"import {f[key + '.import'].median:.2f} s + instance {f[key + '.instance'].median:.2f} s + {what}; "
            f"{f[key + '.rss'].median:.0f} MB peak"
        )

    # 1. Load ----------------------------------------------------------------------------
    def load(self) -> None:
        ws = self.workspace("load")
        for i in range(self.cheap):  # interleaved, so noise falls on both sides of the ratio
            for key, module in (("load.dagster", "dagster"), ("load.defs", "analytics_assets.definitions")):
                child = run_child([PY, "-c", f"import {module}"], ws.env(), self.logs, key)
                self.series(key).add(child.wall_s)
                self.series(key + ".rss").add(child.peak_rss_mb)
            log(
                f"load {i + 1}/{self.cheap}: dagster {self.series('load.dagster').values[-1]:.2f} s, definitions "
                f"{self.series('load.defs').values[-1]:.2f} s"
            )
        shares = self.import_shares(ws)
        floor, defs = self.figures["load.dagster"], self.figures["load.defs"]
        ratio = defs.median / floor.median
        self.row(
            "1",
            "Load: `import dagster` (the floor), process wall",
            "load.dagster",
            figure=f"{self.figures['load.dagster.rss'].median:.0f} MB peak",
        )
        self.row(
            "1",
            "Load: `import analytics_assets.definitions`, process wall",
            "load.defs",
            figure=f"**{ratio:.2f}x** the floor; {self.figures['load.defs.rss'].median:.0f} MB peak; `python -X "
            f"importtime` "
            f"(one run): {shares}",
            target="<= 1.5x",
            result=verdict(ratio <= 1.5),
        )

    def import_shares(self, ws: Workspace) -> str:
        """What the definitions import adds on top of `import dagster`, by top-level package.

        `python -X importtime` lists every module imported with its own time; modules that a bare
        `import dagster` also imports are the floor, the rest is grouped by top-level package.
        """

        def self_times(module: str) -> dict[str, int]:
            child = run_child([PY, "-X", "importtime", "-c", f"import {module}"], ws.env(), self.logs, "importtime")
            times: dict[str, int] = {}
            for line in child.err.read_text().splitlines():
                if line.startswith("import time:") and line.count("|") == 2:
                    own, _, name = (part.strip() for part in line.split(":", 1)[1].split("|"))
                    if own.isdigit():
                        times.setdefault(name, int(own))
            return times

        floor = self_times("dagster")
        extra: dict[str, int] = {}
        for name, us in self_times("analytics_assets.definitions").items():
            if name not in floor:
                root = name.split(".")[0]
                extra[root] = extra.get(root, 0) + us
        total = sum(extra.values())
        if not total:
            return "n/a"
        top = sorted(extra.items(), key=lambda kv: -kv[1])[:6]
        rest = total - sum(us for _, us in top)
        parts = [f"{name} {us / total:.0%}" for name, us in top] + ([f"other {rest / total:.0%}"] if rest else [])
        return f"what it adds to the floor is {', '.join(parts)}"

    # 2. Golden path ---------------------------------------------------------------------
    def golden(self) -> None:
        as_is = bool(BYTECODE_ENV)  # --bytecode cached: measure the golden path as-is beside it
        for i in range(self.heavy):
            if as_is:  # interleaved: the same run as this shell would start it
                ws = self.workspace("golden-as-is")
                plain = ws.env(
                    PYTHONDONTWRITEBYTECODE=os.environ.get("PYTHONDONTWRITEBYTECODE"),
                    PYTHONPYCACHEPREFIX=os.environ.get("PYTHONPYCACHEPREFIX"),
                )
                child = run_child(
                    [PY, "-m", "analytics_assets.run_pipeline", *self.golden_args], plain, self.logs, "golden-as-is"
                )
                self.series("golden.as_is.wall").add(child.wall_s)
                self.series("golden.as_is.rss").add(child.peak_rss_mb)
            # The framework floor, interleaved: the same graph, jobs, runs, executor and instance, no-op bodies.
            floor_ws = self.workspace("floor")
            floor = run_child(
                [PY, str(REPO / "benchmarks" / "floor_pipeline.py"), *self.golden_args],
                floor_ws.env(),
                self.logs,
                "floor",
            )
            self.series("floor.wall").add(floor.wall_s)
            floor_runs, _, floor_counts = run_durations(floor_ws.home)
            self.series("floor.runs").add(sum(floor_runs.values()))
            self.series("floor.run_count").add(sum(floor_counts.values()))
            ws = self.workspace("golden")
            child = run_child(
                [PY, "-m", "analytics_assets.run_pipeline", *self.golden_args], ws.env(), self.logs, "golden"
            )
            if not (ws.outputs / "risk_report.html").exists():
                raise ChildFailed(f"make run's equivalent wrote no risk_report.html in {ws.outputs}")
            self.series("golden.wall").add(child.wall_s)
            self.series("golden.rss").add(child.peak_rss_mb)
            runs, steps, counts = run_durations(ws.home)
            self.series("golden.outside_runs").add(child.wall_s - sum(runs.values()))
            for name, seconds in {**runs, **{f"step.{k}": v for k, v in steps.items()}}.items():
                self.series(f"golden.{name}").add(seconds)
            for name, count in counts.items():
                self.series(f"golden.count.{name}").add(count)
            if self.seeded_db is None:
                self.seeded_db = ws.db
            log(
                f"golden path {i + 1}/{self.heavy}: {child.wall_s:.2f} s, {child.peak_rss_mb:.0f} MB"
                + (
                    f" (as this shell runs it, no bytecode cache: {self.figures['golden.as_is.wall'].values[-1]:.2f} s)"
                    if as_is
                    else ""
                )
            )
        wall, rss = self.figures["golden.wall"], self.figures["golden.rss"]
        f = self.figures
        runs = [
            k
            for k in f
            if k.startswith("golden.")
            and k.count(".") == 1
            and k not in ("golden.wall", "golden.rss", "golden.outside_runs")
        ]
        steps = sorted((k for k in f if k.startswith("golden.step.")), key=lambda k: -f[k].median)[:4]

        def job_runs(key: str) -> str:
            job = key.split(".", 1)[1]
            count = int(f[f"golden.count.{job}"].median)
            return f"{plural(count, 'run')} of {job} {f[key].median:.2f} s"

        breakdown = (
            f"outside the runs (start-up, imports, and creating each run) {f['golden.outside_runs'].median:.2f} s + "
            + " + ".join(job_runs(k) for k in runs)
            + "; slowest steps (summed over the runs): "
            + ", ".join(f"{k.split('.', 2)[2]} {f[k].median:.2f} s" for k in steps)
        )
        first, last = self.golden_seasons
        self.row(
            "2",
            f"Golden path (`make run`: {first}-{last}, one run per season, then charts and report; embedded), "
            f"process wall",
            "golden.wall",
            figure=breakdown,
            target="<= 10 s",
            result=verdict(wall.median <= 10),
        )
        defs = self.figures.get("load.defs")
        if defs:
            ratio = wall.median / defs.median
            self.row(
                "2",
                "Golden path against the definitions import",
                figure=f"**{ratio:.2f}x**",
                target="<= 4x",
                result=verdict(ratio <= 4),
            )
        floor = self.figures["floor.wall"]
        ours = sum(f[k].median for k in runs) - f["floor.runs"].median
        self.row(
            "2",
            "Framework floor: the same graph and runs with no-op bodies (`benchmarks/floor_pipeline.py`), process wall",
            "floor.wall",
            figure=f"its {f['floor.run_count'].median:.0f} runs {f['floor.runs'].median:.2f} s",
        )
        self.row(
            "2",
            "Golden path against the framework floor",
            figure=f"**{wall.median / floor.median:.2f}x**; our own work in the runs "
            f"{ours:.2f} s (the golden path's runs less the floor's)",
            target="<= 2.0x",
            result=verdict(wall.median / floor.median <= 2.0),
        )
        self.row(
            "2",
            "Golden path peak memory (max RSS)",
            "golden.rss",
            unit="MB",
            target="<= 500 MB",
            result=verdict(rss.median <= 500 and rss.max <= 500),
        )
        if as_is:
            plain = f["golden.as_is.wall"]
            self.row(
                "2",
                f"Golden path as this shell starts it (bytecode: {bytecode_state()})",
                "golden.as_is.wall",
                figure=f"{plain.median / wall.median:.2f}x the line above; {f['golden.as_is.rss'].median:.0f} MB peak",
                target="<= 10 s",
                result=verdict(plain.median <= 10),
            )

    def ensure_seeded_db(self) -> Path:
        """A DuckDB file holding every shipped season, as `make run` leaves it."""
        if self.seeded_db is None:
            ws = self.workspace("seed")
            run_child([PY, "-m", "analytics_assets.run_pipeline", *self.golden_args], ws.env(), self.logs, "seed")
            self.seeded_db = ws.db
        return self.seeded_db

    # 3. Daily run -----------------------------------------------------------------------
    def daily(self) -> None:
        from analytics_assets.partitions import season_in_progress

        season = season_in_progress()
        seeded = self.ensure_seeded_db()
        pfr_pages, spotrac_pages = pages.pages_for([], in_progress=season)
        games = {pages.GAMES_PATH: pages.games_file(in_progress=season)}
        per_source: list[tuple[int, int, int]] = []
        with (
            pages.PageServer(games) as nfl,
            pages.PageServer(pfr_pages) as pfr,
            pages.PageServer(spotrac_pages) as spotrac,
        ):
            for i in range(self.cheap):
                ws = self.workspace("daily")
                shutil.copy(seeded, ws.db)
                for server in (nfl, pfr, spotrac):
                    server.reset()
                child, result = season_run(
                    ws,
                    season,
                    season,
                    self.logs,
                    "daily",
                    ANALYTICS_SOURCE=None,
                    PFR_BASE_URL=pfr.base_url,
                    SPOTRAC_BASE_URL=spotrac.base_url,
                    NFLVERSE_GAMES_URL=nfl.base_url + pages.GAMES_PATH,
                )
                if not result["success"]:
                    raise ChildFailed(f"the daily run of {season} failed:\n{child.tail()}")
                per_source.append((nfl.requests(), pfr.requests(), spotrac.requests()))
                self.record_run("daily", child, result)
                log(
                    f"daily run {season} {i + 1}/{self.cheap}: {child.wall_s:.2f} s (run {result['run_s']:.2f} s), "
                    f"requests nflverse {per_source[-1][0]}, PFR {per_source[-1][1]}, Spotrac {per_source[-1][2]}"
                )
        wall = self.figures["daily.wall"]
        self.row(
            "3",
            f"Daily run: season in progress ({season}) from the live sources (nflverse and PFR reconciled, Spotrac), "
            f"process wall",
            "daily.wall",
            figure=self.breakdown("daily"),
            target="<= 6 s",
            result=verdict(wall.median <= 6),
        )
        seen = sorted(set(per_source))
        self.row(
            "3",
            "Daily run: requests issued per run (nflverse, PFR, Spotrac)",
            figure="; ".join(", ".join(map(str, p)) for p in seen),
            target="1 per source",
            result=verdict(all(p == (1, 1, 1) for p in per_source)),
        )
        if any(p != (1, 1, 1) for p in per_source):
            self.notes.append(f"Daily run: requests per run (nflverse, PFR, Spotrac) were {per_source}.")

    # 6. Live scrape ---------------------------------------------------------------------
    def scrape(self) -> None:
        seasons = self.slow_seasons
        pfr_pages, spotrac_pages = pages.pages_for(seasons)
        games = {pages.GAMES_PATH: pages.games_file()}
        for i in range(self.slow):
            ws = self.workspace("scrape")
            with (
                pages.PageServer(games) as nfl,
                pages.PageServer(pfr_pages) as pfr,
                pages.PageServer(spotrac_pages) as spotrac,
            ):
                urls = dict(
                    ANALYTICS_SOURCE="live",
                    PFR_BASE_URL=pfr.base_url,
                    SPOTRAC_BASE_URL=spotrac.base_url,
                    NFLVERSE_GAMES_URL=nfl.base_url + pages.GAMES_PATH,
                )
                child, result = season_run(ws, seasons[0], seasons[-1], self.logs, "scrape", **urls)
                if not result["success"]:
                    raise ChildFailed(f"the live scrape failed:\n{child.tail()}")
                requests = (nfl.requests(), pfr.requests(), spotrac.requests())
                spans = [max(s.times()) - min(s.times()) if s.requests() > 1 else 0.0 for s in (pfr, spotrac)]
                # How long the two paced sites were fetched at the same time.
                both = min(max(pfr.times()), max(spotrac.times())) - max(min(pfr.times()), min(spotrac.times()))
                for server in (nfl, pfr, spotrac):
                    server.reset()
                again, again_result = season_run(ws, seasons[0], seasons[-1], self.logs, "scrape-again", **urls)
                requests_again = nfl.requests() + pfr.requests() + spotrac.requests()
            self.record_run("scrape", child, result)
            self.record_run("scrape.again", again, again_result)
            # The framework floor of the same scrape, interleaved: season_pipeline's graph, one run per
            # season in one process, fetch steps that only wait out the sites' spacing, no-op bodies elsewhere.
            floor_ws = self.workspace("scrape-floor")
            floor_child = run_child(
                [
                    PY,
                    str(REPO / "benchmarks" / "floor_pipeline.py"),
                    "--scrape",
                    "--from",
                    str(seasons[0]),
                    "--to",
                    str(seasons[-1]),
                ],
                floor_ws.env(),
                self.logs,
                "scrape-floor",
            )
            self.series("scrape.floor.wall").add(floor_child.wall_s)
            self.series("scrape.requests").add(sum(requests))
            self.series("scrape.nflverse_requests").add(requests[0])
            self.series("scrape.pfr_span").add(spans[0])
            self.series("scrape.spotrac_span").add(spans[1])
            self.series("scrape.overlap").add(max(both, 0.0))
            self.series("scrape.again.requests").add(requests_again)
            if self.archive is None:  # the backfill and the baseline replay the same seasons from it
                self.archive, self.archive_ports = ws.archive, (pfr.port, spotrac.port, nfl.port)
            log(
                f"live scrape {i + 1}/{self.slow}: {child.wall_s:.1f} s, requests {requests}; second run "
                f"{again.wall_s:.1f} s, {requests_again} requests"
            )
        n = len(seasons)
        floor = n * DEFAULT_MIN_INTERVAL_S
        wall = self.figures["scrape.wall"]
        expected = 2 * n + 1
        self.row(
            "6",
            f"Live scrape: {n} seasons, default rate limit ({DEFAULT_MIN_INTERVAL_S:g} s per host), "
            f"`season_pipeline` one run per season in one process, process wall",
            "scrape.wall",
            figure=f"**{wall.median / floor:.2f}x** the floor of {floor:.0f} s ({n} x {DEFAULT_MIN_INTERVAL_S:g} s); "
            f"{self.breakdown('scrape')}",
            target="<= 1.1x the floor",
            result=verdict(wall.median <= 1.1 * floor),
        )
        framework = self.figures["scrape.floor.wall"]
        self.row(
            "6",
            "Live scrape: its framework floor (`floor_pipeline.py --scrape`: season_pipeline's graph and runs, one "
            "per season, "
            "in one process on the same instance; fetch steps that only wait out each site's spacing, no-op bodies "
            "elsewhere), process wall",
            "scrape.floor.wall",
            figure=f"{framework.median / floor:.2f}x the floor of {floor:.0f} s: what Dagster's {n} runs take around "
            f"the pacing alone",
        )
        self.row(
            "6",
            "Live scrape against its framework floor",
            figure=f"**{wall.median / framework.median:.2f}x**; our own work "
            f"(fetching, archiving, parsing, validating, storing) {wall.median - framework.median:.1f} s",
        )
        pfr_span, spotrac_span = self.figures["scrape.pfr_span"].median, self.figures["scrape.spotrac_span"].median
        gaps = (n - 1) * DEFAULT_MIN_INTERVAL_S
        self.row(
            "6",
            "Live scrape: requests issued (nflverse + PFR + Spotrac)",
            "scrape.requests",
            unit="req",
            figure=f"nflverse {self.figures['scrape.nflverse_requests'].max:.0f} (one file for every season); first "
            f"to last request per host: "
            f"PFR {pfr_span:.1f} s, Spotrac {spotrac_span:.1f} s (spacing floor {gaps:.0f} s each); the two hosts' "
            f"first-to-last spans overlap "
            f"{self.figures['scrape.overlap'].median:.1f} s (each run fetches both, so one site's spacing is waited "
            f"out while the other's elapses)",
            target=f"{expected} (1 + {n} per paced source)",
            result=verdict(
                self.figures["scrape.requests"].max == expected and self.figures["scrape.requests"].min == expected
            ),
        )
        self.row(
            "6",
            f"Live scrape: the same {n} runs again (archived completed seasons), process wall",
            "scrape.again.wall",
            figure=f"{self.figures['scrape.again.requests'].max:.0f} requests; {self.breakdown('scrape.again')}",
            target="0 requests",
            result=verdict(self.figures["scrape.again.requests"].max == 0),
        )

    # 4. Backfill from the archive ---------------------------------------------------------
    def ensure_archive(self) -> Path:
        """A raw archive holding the pages of the backfill's seasons (fetched fast from the local servers)."""
        if self.archive is None:
            seasons = self.slow_seasons
            pfr_pages, spotrac_pages = pages.pages_for(seasons)
            ws = self.workspace("archive")
            games = {pages.GAMES_PATH: pages.games_file()}
            with (
                pages.PageServer(games) as nfl,
                pages.PageServer(pfr_pages) as pfr,
                pages.PageServer(spotrac_pages) as spotrac,
            ):
                season_run(
                    ws,
                    seasons[0],
                    seasons[-1],
                    self.logs,
                    "fill-archive",
                    ANALYTICS_SOURCE="live",
                    PFR_BASE_URL=pfr.base_url,
                    SPOTRAC_BASE_URL=spotrac.base_url,
                    NFLVERSE_GAMES_URL=nfl.base_url + pages.GAMES_PATH,
                    ANALYTICS_HTTP_MIN_INTERVAL_S="0",
                )
                if pfr.requests() != len(seasons) or spotrac.requests() != len(seasons) or nfl.requests() != 1:
                    raise ChildFailed(
                        f"filling the archive took {nfl.requests()} + {pfr.requests()} + {spotrac.requests()} "
                        f"requests, expected 1 + {len(seasons)} + {len(seasons)}"
                    )
            self.archive, self.archive_ports = ws.archive, (pfr.port, spotrac.port, nfl.port)
        return self.archive

    @contextmanager
    def offline(self) -> Iterator[tuple[Callable[[], int], dict[str, str]]]:
        """Replay from the archive, no network: the archived URLs are answered by servers with no
        pages, which count any request (a request would get 404 and fail the run)."""
        pfr_port, spotrac_port, nfl_port = self.archive_ports
        with (
            pages.PageServer(port=pfr_port) as pfr,
            pages.PageServer(port=spotrac_port) as spotrac,
            pages.PageServer(port=nfl_port) as nfl,
        ):
            yield (
                (lambda: pfr.requests() + spotrac.requests() + nfl.requests()),
                dict(
                    ANALYTICS_SOURCE="live",
                    PFR_BASE_URL=pfr.base_url,
                    SPOTRAC_BASE_URL=spotrac.base_url,
                    NFLVERSE_GAMES_URL=nfl.base_url + pages.GAMES_PATH,
                ),
            )

    def backfill(self) -> None:
        archive = self.ensure_archive()
        seasons = self.slow_seasons
        one = seasons[-1]  # the single season the backfill is compared with
        with self.offline() as (requests_seen, env):
            for i in range(self.heavy):  # interleaved: every season, then one
                for key, first in (("backfill.all", seasons[0]), ("backfill.1", one)):
                    ws = self.workspace(key, archive=archive)
                    child, result = season_run(ws, first, seasons[-1], self.logs, key, **env)
                    if not result["success"]:
                        raise ChildFailed(f"the backfill's runs of {result['failed']} failed:\n{child.tail()}")
                    self.record_run(key, child, result)
                log(
                    f"backfill {i + 1}/{self.heavy}: {len(seasons)} seasons "
                    f"{self.series('backfill.all.run').values[-1]:.2f} s "
                    f"({len(seasons)} runs), one season {self.series('backfill.1.run').values[-1]:.2f} s (its run "
                    f"alone)"
                )
            requests = requests_seen()
        f = self.figures
        n = len(seasons)
        run_ratio = f["backfill.all.run"].median / f["backfill.1.run"].median
        wall_ratio = f["backfill.all.wall"].median / f["backfill.1.wall"].median
        further = (f["backfill.all.run"].median - f["backfill.1.run"].median) / (n - 1)
        self.row(
            "4",
            f"Backfill {seasons[0]}-{seasons[-1]} replayed from the raw archive, one run per season in one process: "
            f"the runs",
            "backfill.all.run",
            figure=f"process wall {f['backfill.all.wall'].median:.2f} s = {self.breakdown('backfill.all')}; "
            f"{requests} requests",
        )
        self.row(
            "4",
            f"Backfill of one season ({one}) the same way: its run",
            "backfill.1.run",
            figure=f"process wall {f['backfill.1.wall'].median:.2f} s = {self.breakdown('backfill.1')}",
        )
        self.row(
            "4",
            f"Backfill: {n} seasons against one",
            figure=f"**{run_ratio:.2f}x** the runs ({wall_ratio:.2f}x process wall); "
            f"each further season adds {further:.2f} s, {further / f['backfill.1.run'].median:.0%} of the lone "
            f"season's run",
            target=f"<= {n}x (no season dearer than the lone one), 0 requests",
            result=verdict(run_ratio <= n and requests == 0),
        )

    # 5. Naive baseline ------------------------------------------------------------------
    def naive(self) -> None:
        """The same one-season runs as the backfill (item 4), the naive way: each season a CLI process of
        its own (`dagster job execute`), whose run starts a process per step (Dagster's default executor)."""
        archive = self.ensure_archive()
        seasons = self.slow_seasons
        with self.offline() as (requests_seen, env):
            for i in range(self.slow):
                ws = self.workspace("naive", archive=archive)
                total = 0.0
                for season in seasons:
                    child = run_child(
                        [
                            DAGSTER_CLI,
                            "job",
                            "execute",
                            "-m",
                            "benchmarks.naive_definitions",
                            "-d",
                            str(REPO),
                            "-j",
                            "season_pipeline",
                            "--tags",
                            json.dumps({"dagster/partition": str(season)}),
                        ],
                        ws.env(**env),
                        self.logs,
                        f"naive-{season}",
                    )
                    total += child.wall_s
                    self.series("naive.per_season").add(child.wall_s)
                    self.series("naive.rss").add(child.peak_rss_mb)
                    log(f"naive baseline {i + 1}/{self.slow}, season {season}: {child.wall_s:.1f} s")
                self.series("naive.total").add(total)
                # `dagster job execute` exits 0 whether or not its run succeeded: the run records say.
                statuses = run_statuses(ws.home)
                if statuses.count("SUCCESS") != len(seasons):
                    raise ChildFailed(
                        f"the naive baseline's runs ended {statuses}, expected {len(seasons)} successes; see "
                        f"{self.logs}"
                    )
            requests = requests_seen()
        total = self.figures["naive.total"]
        per = self.figures["naive.per_season"]
        ours = self.figures.get("backfill.all.wall")
        n = len(seasons)
        if ours:
            speedup = (
                f"our backfill (item 4: the same {n} runs in one process, steps in that process) is "
                f"**{total.median / ours.median:.1f}x** faster ({ours.median:.1f} s process wall)"
            )
        else:
            speedup = "(run the backfill section too for the speed-up)"
        self.row(
            "5",
            f"Naive baseline: the same {n} one-season runs of `season_pipeline`, each its own CLI process (`dagster "
            f"job execute`) "
            "with Dagster's default executor (a process per step); total wall",
            "naive.total",
            figure=f"{speedup}; per run median {per.median:.1f} s (min {per.min:.1f}, max {per.max:.1f}); {requests} "
            f"requests",
            target="report the speed-up",
            result="info",
        )

    # 7. Scale ---------------------------------------------------------------------------
    def scale(self) -> None:
        ws = self.workspace("scale")
        out = ws.path / "scale.json"
        repeat = self.cheap
        run_child(
            [
                PY,
                "-m",
                "benchmarks.worker",
                "scale",
                "--sizes",
                ",".join(map(str, SCALE_SIZES)),
                "--repeat",
                str(repeat),
                "--out",
                str(out),
            ],
            ws.env(),
            self.logs,
            "scale",
        )
        data = json.loads(out.read_text())["scale"]
        for step in SCALE_STEPS:
            previous = None
            for n in SCALE_SIZES:
                key = f"scale.{step}.{n}"
                for value in data[str(n)][step]:
                    self.series(key).add(value)
                s = self.figures[key]
                growth = f"x{s.median / previous:.1f} for 10x the rows" if previous else "(base)"
                self.row(
                    "7",
                    f"Scale: `{step}` on {n:,} team-seasons",
                    key,
                    unit="ms",
                    figure=growth,
                    target="linear or better" if previous else "",
                    result=(verdict(s.median / previous <= 10) if previous else ""),
                )
                previous = s.median
        log(
            "scale: "
            + ", ".join(
                f"{step} {self.figures[f'scale.{step}.{SCALE_SIZES[-1]}'].median * 1000:.1f} ms at {SCALE_SIZES[-1]:,}"
                for step in SCALE_STEPS
            )
        )

    def ui(self) -> None:
        """Item 8: latency in the UI through `make dev`'s webserver and daemon (benchmarks/ui_latency.py),
        with the repo's instance settings and with Dagster's defaults for the same settings (--quick:
        the repo's settings only)."""
        from benchmarks import ui_latency

        configs = {
            "defaults": ("Dagster's defaults", ui_latency.DAGSTER_DEFAULTS_YAML),
            "repo": ("deploy/dagster.local.yaml", (REPO / "deploy" / "dagster.local.yaml").read_text()),
        }
        if self.args.quick:
            del configs["defaults"]
        seasons = self.slow_seasons  # the backfill's seasons (--quick: 2)
        n = len(seasons)
        results: dict[str, list[dict]] = {name: [] for name in configs}
        for i in range(1 if self.args.quick else 2):
            for name, (_, text) in configs.items():  # alternating
                results[name].append(ui_latency.measure(text, self.root / f"ui-{name}-{i}", seasons[0], seasons[-1]))
        for name, (label, _) in configs.items():
            for r in results[name]:
                self.series(f"ui.{name}.season").add(r["season"]["click_to_done_s"])
                self.series(f"ui.{name}.season.over").add(r["season"]["click_to_done_s"] - r["season"]["run_s"])
                phases = r["season"].get("phases_s", {})
                for mark in ("queued", "dequeued", "worker_up", "started"):
                    if mark in phases:
                        self.series(f"ui.{name}.season.{mark}").add(phases[mark])
                b = r["backfill"]
                self.series(f"ui.{name}.backfill").add(b["click_to_done_s"])
                self.series(f"ui.{name}.backfill.over").add(b["click_to_done_s"] - b["span_s"])
                for part in (
                    "span_s",
                    "run_s",
                    "first_run_start_s",
                    "completed_after_last_run_s",
                    "max_concurrent_runs",
                    "runs",
                ):
                    self.series(f"ui.{name}.backfill.{part}").add(b[part])
                if r["refresh_after_change_s"] is not None:
                    self.series(f"ui.{name}.refresh").add(r["refresh_after_change_s"])
                if r["refresh_after_backfill_s"] is not None:
                    self.series(f"ui.{name}.refresh_backfill").add(r["refresh_after_backfill_s"])
                self.series(f"ui.{name}.refresh_backfill.rebuilds").add(r["rebuilds_since_backfill_launch"])
            f = self.figures
            runs = [r["season"]["run_s"] for r in results[name]]
            waits = ""
            if f"ui.{name}.season.started" in f:
                queued, dequeued, up, started = (
                    f[f"ui.{name}.season.{m}"].median for m in ("queued", "dequeued", "worker_up", "started")
                )
                waits = (
                    f" (run created and queued {queued:.1f} s after the click, dequeued +{dequeued - queued:.1f} s, "
                    f"run worker process up +{up - dequeued:.1f} s, run started +{started - up:.1f} s)"
                )
            self.row(
                "8",
                f"UI ({label}): one season, click to run success",
                f"ui.{name}.season",
                figure=f"run itself {statistics.median(runs):.1f} s; waiting "
                f"{f[f'ui.{name}.season.over'].median:.1f} s{waits}",
                target="<= run + 3 s",
                result=verdict(f[f"ui.{name}.season.over"].median <= 3),
            )
            bf = {
                part: f[f"ui.{name}.backfill.{part}"].median
                for part in (
                    "span_s",
                    "run_s",
                    "first_run_start_s",
                    "completed_after_last_run_s",
                    "max_concurrent_runs",
                    "runs",
                )
            }
            self.row(
                "8",
                f"UI ({label}): {n}-season backfill ({bf['runs']:.0f} runs, one per season), launch to completed",
                f"ui.{name}.backfill",
                figure=f"its runs, first start to last end, {bf['span_s']:.1f} s (their own times summed "
                f"{bf['run_s']:.1f} s, at most "
                f"{bf['max_concurrent_runs']:.0f} at once); waiting {f[f'ui.{name}.backfill.over'].median:.1f} s "
                f"(its first run started "
                f"{bf['first_run_start_s']:.1f} s after the launch; completed {bf['completed_after_last_run_s']:.1f} "
                f"s after its last run ended)",
                target="<= runs + 10 s",
                result=verdict(f[f"ui.{name}.backfill.over"].median <= 10),
            )
            if f"ui.{name}.refresh" in self.figures:
                self.row(
                    "8",
                    f"UI ({label}): charts and report rebuilt after a season changed (end of run to end of rebuild)",
                    f"ui.{name}.refresh",
                    target="<= 15 s",
                    result=verdict(self.figures[f"ui.{name}.refresh"].median <= 15),
                )
            if f"ui.{name}.refresh_backfill" in self.figures:
                self.row(
                    "8",
                    f"UI ({label}): the same after the {n}-season backfill (end of its last run to end of the last "
                    f"rebuild)",
                    f"ui.{name}.refresh_backfill",
                    figure=plural(f[f"ui.{name}.refresh_backfill.rebuilds"].median, "rebuild") + " from the launch on",
                    target="<= 15 s",
                    result=verdict(self.figures[f"ui.{name}.refresh_backfill"].median <= 15),
                )
            rebuilds = sum(r["rebuilds_after_identical_rows"] for r in results[name])
            self.row(
                "8",
                f"UI ({label}): rebuilds after storing identical rows again",
                figure=str(rebuilds),
                target="0",
                result=verdict(rebuilds == 0),
            )
        (self.root / "ui.json").write_text(json.dumps(results, indent=2))
        log(f"ui: {json.dumps({k: [r['season']['click_to_done_s'] for r in v] for k, v in results.items()})}")


def bytecode_state() -> str:
    """How children get bytecode when nothing is changed: from the .venv's compiled files or by compiling."""
    import sysconfig

    compiled = Path(sysconfig.get_paths()["purelib"]) / "dagster" / "__pycache__"
    no_write = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    if any(compiled.glob("__init__.*.pyc")):
        return "as `make run` finds it (.venv precompiled by `make env`" + (
            "; PYTHONDONTWRITEBYTECODE=1 in this shell)" if no_write else ")"
        )
    if no_write:
        return "none on disk and PYTHONDONTWRITEBYTECODE=1: every module compiled from source at every start"
    return "written by Python on first import"


def compile_bytecode(prefix: Path) -> None:
    """Compile the standard library, the virtualenv's packages and the project into a bytecode cache
    under `prefix`, and have every child read it (PYTHONPYCACHEPREFIX)."""
    import sysconfig

    start = time.perf_counter()
    paths = sysconfig.get_paths()
    folders = sorted({paths["stdlib"], paths["purelib"], paths["platlib"]}) + [
        str(REPO / "analytics_assets"),
        str(REPO / "benchmarks"),
    ]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(prefix)
    # Some files in site-packages are not Python 3.11 (templates, vendored tests): failures there are expected.
    subprocess.run(
        [PY, "-m", "compileall", "-q", "-j", "0", "-x", r"/(test|tests|idlelib|lib2to3)/", *folders],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    BYTECODE_ENV.update({"PYTHONDONTWRITEBYTECODE": None, "PYTHONPYCACHEPREFIX": str(prefix)})
    log(f"bytecode cache compiled in {time.perf_counter() - start:.1f} s under {prefix}")


# --- The table -----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "analytics_assets"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        code = f"commit {commit}" + (" with uncommitted changes under analytics_assets/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        code = "unknown commit"
    return {
        "code": code,
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "memory": memory,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "dagster": importlib.metadata.version("dagster"),
        "duckdb / pandas": f"{importlib.metadata.version('duckdb')} / {importlib.metadata.version('pandas')}",
    }


def table(
    bench: Bench, facts: dict[str, str], started: datetime, elapsed: float, loads: tuple, args: argparse.Namespace
) -> str:
    repeats = (
        f"{bench.cheap} repetitions for light lines, {bench.heavy} for heavy ones, {bench.slow} for the live "
        f"scrape and naive baseline"
    )
    repeats += "; bytecode: " + (
        "a cache of everything compiled up front" if args.bytecode == "cached" else bytecode_state()
    )
    lines = [
        f"Run {started:%Y-%m-%d %H:%M} UTC on {facts['code']}, {elapsed / 60:.1f} min; {repeats}"
        + ("; **--smoke**" if args.smoke else "; **--quick**" if args.quick else "")
        + ".",
        f"Machine: {facts['CPU']}, {facts['memory']} RAM, {facts['OS']}; Python {facts['Python']}, dagster "
        f"{facts['dagster']}, "
        f"duckdb / pandas {facts['duckdb / pandas']}. Load average (1 min) {loads[0]:.2f} at the start, "
        f"{loads[1]:.2f} at the end "
        "(the machine is shared: other processes' load is part of every figure, "
        "and falls on both sides of each ratio).",
        "",
        "| # | measurement | median | min | max | figure | target | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(bench.rows, key=lambda r: int(r.item)):  # stable: each item's lines stay in order
        if r.series:
            med, lo, hi = (fmt(v, r.unit) for v in (r.series.median, r.series.min, r.series.max))
        else:
            med = lo = hi = ""
        lines.append(f"| {r.item} | {r.what} | {med} | {lo} | {hi} | {r.figure} | {r.target} | {r.result} |")
    lines += [f"\n{n}" for n in bench.notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections among {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="repetitions of every light and heavy measurement (default 5 light, 3 heavy)",
    )
    parser.add_argument(
        "--repeat-slow",
        type=int,
        default=None,
        help="repetitions of the live scrape and the naive baseline (default 1)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a fast smoke pass: one repetition; 2 seasons for the scrape, the backfill, the baseline and the UI's "
        "backfill; "
        "the UI with the repo's instance settings only",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="--quick, and the golden path (and the database the daily run starts from) over the last 2 seasons: "
        "every section's rows in a minute or two, as the test suite runs it",
    )
    parser.add_argument(
        "--output",
        default=None,
        help=f"where to write the table (default {RESULTS.relative_to(REPO)} for a full run, nowhere otherwise)",
    )
    parser.add_argument(
        "--bytecode",
        choices=("as-is", "cached"),
        default="as-is",
        help="as-is (default): children find bytecode as `make run` does (the .venv's compiled files; with "
        "PYTHONDONTWRITEBYTECODE=1 nothing else is cached); cached: a bytecode cache of everything compiled "
        "before measuring, plus the golden path as-is beside it for comparison",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folders (logs of every child) for inspection"
    )
    args = parser.parse_args(argv)
    args.quick = args.quick or args.smoke
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose among {', '.join(SECTIONS)}")
    full = set(only) == set(SECTIONS) and not args.quick and args.repeat is None

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    load_start = os.getloadavg()[0]
    facts = machine()  # the code measured is the code at the start
    root = Path(tempfile.mkdtemp(prefix="analytics-bench-"))
    bench = Bench(args, root)
    log(f"temporary folders and child logs under {root}")
    if args.bytecode == "cached":
        compile_bytecode(root / "pycache")
    failed = False
    try:
        for section in SECTIONS:  # a fixed order: the scrape's archive feeds the backfill and the baseline
            if section in only:
                log(f"section {section}")
                getattr(bench, section)()
    except ChildFailed as exc:
        failed = True
        log(f"a measurement failed: {exc}")
        bench.notes.append(f"Incomplete: a measurement failed ({str(exc).splitlines()[0]}).")
    finally:
        text = table(bench, facts, started, time.perf_counter() - t0, (load_start, os.getloadavg()[0]), args)
        print(text)
        output = Path(args.output) if args.output else (RESULTS if full and not failed else None)
        if output:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text("# Benchmarks: latest results\n\nWritten by `make bench` (benchmarks/run.py).\n\n" + text)
            log(f"table written to {output}")
        if args.keep or failed:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
