"""The one settings model: every setting is a typed field of a Dagster resource, declared once with its
default and the environment variable that sets it (`setting(...)`).

- The code location binds each resource with `from_environment(cls)`: a field whose variable is set
  becomes `dg.EnvVar(...)`, resolved when a run starts (the UI shows the variable's name, never its
  value); a field whose variable is unset gets its default, shown as it is. Dagster's EnvVar covers
  text and whole numbers, so a fractional setting (the HTTP intervals) is read when the code location
  loads. Reload the code location after setting or unsetting a variable.
- Code outside a Dagster run (`make run`'s banner, direct calls, tests) asks for the same fields with
  the variables read at once: `from_environment(cls, bind=False)`.

The resources are `AnalyticsDuckDB` (storage.py), `HttpClientResource` (ingestion/http_resource.py: the
live sources and the HTTP client) and `AnalyticsSettings` below (where rows come from, where files go).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
from pydantic import Field

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"

SOURCE_MODES = ("embedded", "live", "auto")
DEFAULT_STANDINGS_SOURCES = "nflverse,pfr"  # standings come from two independent sources, reconciled

R = TypeVar("R", bound=dg.ConfigurableResource)


def setting(default: Any, env: str, description: str) -> Any:
    """A resource field with its default and the environment variable that may set it."""
    return Field(default=default, description=f"{description} Set by ${env}.", json_schema_extra={"env": env})


def env_var_of(cls: type[dg.ConfigurableResource], field: str) -> str | None:
    extra = cls.model_fields[field].json_schema_extra
    return str(extra["env"]) if isinstance(extra, dict) and "env" in extra else None


def _from_variable(cls: type[dg.ConfigurableResource], field: str, var: str, text: str, bind: bool) -> Any:
    kind = cls.model_fields[field].annotation
    if kind is int:
        if bind:
            return dg.EnvVar.int(var)
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{var}={text!r} is not a whole number.") from None
    if kind is float:
        # Dagster's EnvVar covers strings and whole numbers: a number with a fraction is read here.
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{var}={text!r} is not a number.") from None
    if kind is bool:
        return text.lower() in ("1", "true", "yes", "on")
    return dg.EnvVar(var) if bind else text


def from_environment(cls: type[R], *, bind: bool = True, **overrides: Any) -> R:
    """`cls` with every field whose variable is set taken from the environment, the rest at their defaults.

    bind=True (the code location): string and integer fields become `dg.EnvVar`, resolved when a run
    starts. bind=False (code outside a run): the values are read now. `overrides` win over both.
    """
    values: dict[str, Any] = {}
    for field, info in cls.model_fields.items():
        var = env_var_of(cls, field)
        if var is None or field in overrides:
            continue
        text = os.environ.get(var, "").strip()
        # A default is passed too, so the resource's page in the UI lists every setting a run uses.
        values[field] = _from_variable(cls, field, var, text, bind) if text else info.default
    return cls(**values, **overrides)


def as_path(value: str) -> Path:
    return Path(value.strip()).expanduser().resolve()


def source_mode(value: str) -> str:
    mode = value.strip().lower() or "auto"
    if mode not in SOURCE_MODES:
        raise ValueError(
            f"ANALYTICS_SOURCE (the settings resource's `source`) is {value!r}, not one of {', '.join(SOURCE_MODES)}."
        )
    return mode


def standings_sources(value: str, known: list[str]) -> list[str]:
    """The live standings sources in order of preference: the first that answers supplies the stored
    rows; the next one cross-checks them. `known`: the live sources that supply standings."""
    names = [n.strip().lower() for n in value.split(",") if n.strip()] or DEFAULT_STANDINGS_SOURCES.split(",")
    unknown = [n for n in names if n not in known]
    if unknown or len(set(names)) != len(names):
        raise ValueError(
            f"ANALYTICS_STANDINGS_SOURCES={value!r}: expected a comma-separated ordering of {', '.join(known)} "
            f"without repeats (for example 'nflverse,pfr', or 'pfr' alone); found {', '.join(unknown) or 'a repeat'}."
        )
    return names


class AnalyticsSettings(dg.ConfigurableResource):
    """Where each season's rows come from and where the files a run writes go."""

    source: str = setting(
        "auto",
        "ANALYTICS_SOURCE",
        "embedded (the package's facts only), live (nflverse and PFR reconciled, Spotrac) or auto (embedded where the "
        "package has the season, live otherwise).",
    )
    output_dir: str = setting(
        str(DATA_DIR / "reports"), "ANALYTICS_OUTPUT_DIR", "Where charts and the report are written."
    )
    highlight_franchises: str = setting(
        "SEA,NE", "ANALYTICS_HIGHLIGHT_FRANCHISES", "Comma-separated franchise ids the charts single out."
    )
    landing_dir: str = setting(
        str(DATA_DIR / "landing"), "ANALYTICS_LANDING_DIR", "Where manual CSV imports are dropped."
    )
    landing_max_bytes: int = setting(
        5 * 1024 * 1024, "ANALYTICS_LANDING_MAX_BYTES", "Landing files larger than this are rejected unread."
    )

    @property
    def source_mode(self) -> str:
        return source_mode(self.source)

    @property
    def output_path(self) -> Path:
        return as_path(self.output_dir)

    @property
    def landing_path(self) -> Path:
        return as_path(self.landing_dir)

    @property
    def highlighted(self) -> list[str]:
        codes = self.highlight_franchises.strip() or "SEA,NE"
        return list(dict.fromkeys(code.strip().upper() for code in codes.split(",") if code.strip()))


def current() -> AnalyticsSettings:
    """The settings as the environment has them now (code outside a Dagster run)."""
    return from_environment(AnalyticsSettings, bind=False)
