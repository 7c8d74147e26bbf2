"""What one benchmark child process does; run.py starts it and reads its JSON result.

    python -m benchmarks.worker season-run --first 2011 --last 2025 --out result.json
    python -m benchmarks.worker scale --sizes 100,1000,10000 --repeat 5 --out result.json

`season-run` runs the `season_pipeline` job (each raw page's fetch, standings, dead_cap,
team_season_risk) for each season from --first to --last, one run per season one after the other
in this process, as `make run` (analytics_assets.run_pipeline), the daily schedule and a backfill's
runs do, against the Dagster instance in $DAGSTER_HOME and the folders in the ANALYTICS_* variables.
A season that fails does not stop the next ones (as in `make run`); the result says which failed.
`scale` feeds synthetic leagues straight into the pure risk and summary functions.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402

SEASON_JOB = "season_pipeline"


def season_run(first: int, last: int) -> dict:
    """One run of season_pipeline per season in [first, last]: per-run and total times, and success."""
    import dagster as dg

    from analytics_assets.definitions import defs

    imported = time.perf_counter()
    instance = dg.DagsterInstance.get()
    job = defs.resolve_job_def(SEASON_JOB)
    ready = time.perf_counter()
    run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    runs: list[dict] = []
    steps: dict[str, float] = {}
    for season in range(first, last + 1):
        started = time.perf_counter()
        result = job.execute_in_process(
            instance=instance, partition_key=str(season), run_config=run_config, raise_on_error=False
        )
        run_s = time.perf_counter() - started
        run_steps = step_durations(instance, result.run_id)
        for step, seconds in run_steps.items():
            steps[step] = steps.get(step, 0.0) + seconds
        runs.append(
            {"season": season, "run_id": result.run_id, "success": result.success, "run_s": run_s, "steps": run_steps}
        )
    done = time.perf_counter()
    return {
        "import_s": imported - STARTED,
        "instance_s": ready - imported,
        "run_s": done - ready,
        "runs": runs,
        "steps": steps,
        "success": all(r["success"] for r in runs),
        "failed": [r["season"] for r in runs if not r["success"]],
    }


def step_durations(instance, run_id: str) -> dict[str, float]:
    """Seconds from STEP_START to STEP_SUCCESS (or failure) of every step, from the event log."""
    started, durations = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            durations[event.step_key] = entry.timestamp - started[event.step_key]
    return durations


def synthetic_league(n: int, seed: int = 11):
    """n team-seasons shaped like the joined standings + dead cap rows (32 teams a season)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    seasons = math.ceil(n / 32)
    season = np.repeat(np.arange(2011, 2011 + seasons), 32)[:n]
    team_no = np.tile(np.arange(32), seasons)[:n]
    games = np.full(n, 17)
    wins = rng.integers(0, 18, n)
    ties = (rng.random(n) < 0.02).astype(int) * (wins < 17)
    losses = games - wins - ties
    cap = 120.0 + (season - 2011) * 10.0
    dead = rng.gamma(2.0, 0.04, n) * cap
    win_pct = (wins + ties / 2) / games
    frame = pd.DataFrame(
        {
            "season": season,
            "team": [f"T{i:02d}" for i in team_no],
            "franchise": [f"F{i:02d}" for i in team_no],
            "conference": np.where(team_no < 16, "AFC", "NFC"),
            "division": [f"{'AFC' if i < 16 else 'NFC'} {['East', 'North', 'South', 'West'][i % 4]}" for i in team_no],
            "games": games,
            "wins": wins,
            "losses": losses,
            "ties": ties,
            "win_pct": win_pct,
            "dead_money_musd": dead,
            "total_cap_allocations_musd": cap * rng.uniform(0.9, 1.05, n),
            "league_salary_cap_musd": cap,
        }
    )
    following = frame[["season", "franchise", "win_pct"]].assign(season=lambda d: d["season"] - 1)
    return frame.merge(
        following.rename(columns={"win_pct": "next_season_win_pct"}), on=["season", "franchise"], how="left"
    )


def scale(sizes: list[int], repeat: int) -> dict:
    from analytics_assets.analytics import risk, summary

    steps = {
        "team_season_risk": lambda joined, risk_rows: risk.team_season_risk(joined),
        "season_summary": lambda joined, risk_rows: summary.season_summary(risk_rows),
        "pooled_fit": lambda joined, risk_rows: summary.pooled_fit(risk_rows),
    }
    # Warm-up: first calls pay for lazy imports and caches inside pandas and scipy.
    warm = synthetic_league(64)
    warm_risk = risk.team_season_risk(warm)
    for step in steps.values():
        step(warm, warm_risk)
    out: dict[str, dict[str, list[float]]] = {}
    for n in sizes:
        joined = synthetic_league(n)
        risk_rows = risk.team_season_risk(joined)
        assert len(risk_rows) == n
        out[str(n)] = {}
        for name, step in steps.items():
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                step(joined, risk_rows)
                times.append(time.perf_counter() - t0)
            out[str(n)][name] = times
    return {"scale": out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="task", required=True)
    run = sub.add_parser("season-run")
    run.add_argument("--first", type=int, required=True)
    run.add_argument("--last", type=int, required=True)
    run.add_argument("--out", required=True)
    sc = sub.add_parser("scale")
    sc.add_argument("--sizes", default="100,1000,10000")
    sc.add_argument("--repeat", type=int, default=5)
    sc.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.task == "season-run":
        result = season_run(args.first, args.last)
    else:
        result = scale([int(s) for s in args.sizes.split(",")], args.repeat)
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 0 if result.get("success", True) else 1


if __name__ == "__main__":
    sys.exit(main())
