"""Declarative export profiles: one TOML file per export format.

A profile says how to recognise a file (``signature``: header names that must all be present),
which entity it feeds (orders, traffic or ad_spend) and how each canonical column is read::

    name = "taobao_orders"
    title = "Taobao/Tmall 订单报表 (order export)"
    entity = "orders"
    platform = "tmall"
    signature = ["订单编号", "订单状态", "订单创建时间"]
    on_bad_row = "reject_row"          # or "reject_file": any bad row refuses the whole file
    coverage_from_file_name = true     # the last date in the file name is the last day covered

    [columns.order_id]
    source = "订单编号"                 # or a list of alternative header names
    type = "id"                        # text | id | decimal | number | integer | percent | date | timestamp | buyer
    required = true                    # the header must have it (else the file is refused)
    not_empty = true                   # and every row must have a value (else the row is rejected)

    [columns.status]
    source = "订单状态"
    map = { "交易成功" = "completed", "交易关闭" = "closed" }   # unmapped values are rejected

    [columns.currency]
    value = "$shop.currency"           # a constant, or a value from the shop's configuration

Headers are compared after trimming spaces (also full-width ones). Extra and reordered columns
are fine. Built-in profiles live in ``flows/ingest/profiles/``; a user adds more, in the same
format, in the folder named by ``paths.profiles`` in ``shopreport.toml``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from flows.ingest.values import PARSERS

BUILTIN_DIR = Path(__file__).resolve().parent / "profiles"
ENTITIES = ("orders", "traffic", "ad_spend")
TYPES = tuple(PARSERS) + ("buyer",)

# The canonical columns of each entity and their warehouse types (see docs/architecture.md).
CANONICAL: dict[str, dict[str, str]] = {
    "orders": {
        "order_id": "varchar", "line_id": "varchar", "sku": "varchar", "product_name": "varchar",
        "buyer_key": "varchar", "created_at": "timestamptz", "paid_at": "timestamptz",
        "shipped_at": "timestamptz", "completed_at": "timestamptz", "closed_at": "timestamptz",
        "status": "varchar", "platform_status": "varchar", "quantity": "integer",
        "unit_price": "decimal(18, 2)", "paid_amount": "decimal(18, 2)",
        "order_paid_amount": "decimal(18, 2)", "discount_amount": "decimal(18, 2)",
        "shipping_fee": "decimal(18, 2)", "refund_amount": "decimal(18, 2)",
        "order_refund_amount": "decimal(18, 2)", "refund_status": "varchar",
        "refunded_at": "timestamptz", "refund_reason": "varchar", "currency": "varchar",
    },
    "traffic": {
        "business_date": "date", "source": "varchar", "sku": "varchar", "visitors": "bigint",
        "page_views": "bigint", "add_to_cart_users": "bigint", "favorite_users": "bigint",
        "order_buyers": "bigint", "paying_buyers": "bigint", "paid_amount": "decimal(18, 2)",
        "bounce_rate": "double",
    },
    "ad_spend": {
        "business_date": "date", "channel": "varchar", "campaign_id": "varchar",
        "campaign": "varchar", "impressions": "bigint", "clicks": "bigint",
        "cost": "decimal(18, 2)", "attributed_orders": "double",
        "attributed_revenue": "decimal(18, 2)", "attribution_window": "varchar",
        "currency": "varchar",
    },
}
# What every row of an entity needs to be usable at all.
ENTITY_KEYS = {
    "orders": ("order_id",),
    "traffic": ("business_date",),
    "ad_spend": ("business_date", "channel"),
}
# Which timestamp or date says when a row happened, for the file's covered date range.
ENTITY_EVENT_COLUMN = {"orders": "created_at", "traffic": "business_date", "ad_spend": "business_date"}


class ProfileError(ValueError):
    """A profile file is malformed; the message names the file and the key."""


def normalise_header(name: str) -> str:
    return name.replace("\ufeff", "").replace("\u3000", " ").strip()


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    sources: tuple[str, ...] = ()
    type: str = "text"
    required: bool = False  # the header must have this column
    not_empty: bool = False  # every row must have a value (implies required)
    value: str | None = None
    map: dict[str, str] | None = None
    default: str | None = None  # a value for unmapped / empty cells (used with map)
    ordinal_within: str | None = None  # line_id = position of the row within this column's group


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    entity: str
    platform: str
    signature: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    path: Path
    on_bad_row: str = "reject_row"
    header_search_rows: int = 30
    skip_rows_where_prefix: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fill_down_key: str | None = None
    fill_down: tuple[str, ...] = ()
    null_values: tuple[str, ...] = ("", "-", "--", "—", "N/A", "n/a", "null", "NULL")
    coverage_from_file_name: bool = False
    date_from_file_name: bool = False  # a file without a date column: its name gives the day
    user_defined: bool = False

    @property
    def source_headers(self) -> set[str]:
        return {s for c in self.columns for s in c.sources}

    def required_sources(self) -> list[ColumnSpec]:
        return [c for c in self.columns if c.required and c.sources]


def _as_tuple(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (normalise_header(value),)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(normalise_header(v) for v in value)
    raise ProfileError(f"{where}: expected a header name or a list of names, got {value!r}")


def load_profile(path: Path, *, user_defined: bool = False) -> Profile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not a valid TOML profile: {exc}") from exc
    where = str(path)
    known = {"name", "title", "entity", "platform", "signature", "columns", "on_bad_row",
             "header_search_rows", "skip_rows_where_prefix", "fill_down", "null_values",
             "coverage_from_file_name", "date_from_file_name"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ProfileError(f"{where}: unknown key {unknown[0]!r}")
    for key in ("name", "entity", "signature", "columns"):
        if key not in data:
            raise ProfileError(f"{where}: {key} is required")
    entity = data["entity"]
    if entity not in ENTITIES:
        raise ProfileError(f"{where}: entity must be one of {', '.join(ENTITIES)}; got {entity!r}")
    on_bad_row = data.get("on_bad_row", "reject_row")
    if on_bad_row not in ("reject_row", "reject_file"):
        raise ProfileError(f"{where}: on_bad_row must be reject_row or reject_file")
    columns = []
    canonical = CANONICAL[entity]
    for name, spec in data["columns"].items():
        cwhere = f"{where}: columns.{name}"
        if name not in canonical:
            raise ProfileError(f"{cwhere}: not a canonical {entity} column "
                               f"(one of: {', '.join(canonical)})")
        if not isinstance(spec, dict):
            raise ProfileError(f"{cwhere}: must be a table")
        bad_keys = sorted(set(spec) - {"source", "type", "required", "not_empty", "value", "map",
                                       "default", "ordinal_within"})
        if bad_keys:
            raise ProfileError(f"{cwhere}: unknown key {bad_keys[0]!r}")
        ctype = spec.get("type", "text")
        if ctype not in TYPES:
            raise ProfileError(f"{cwhere}: type must be one of {', '.join(TYPES)}; got {ctype!r}")
        sources = _as_tuple(spec.get("source"), cwhere)
        if not sources and "value" not in spec and "ordinal_within" not in spec:
            raise ProfileError(f"{cwhere}: needs a source, a value or ordinal_within")
        columns.append(ColumnSpec(
            name=name, sources=sources, type=ctype,
            required=bool(spec.get("required", False) or spec.get("not_empty", False)),
            not_empty=bool(spec.get("not_empty", False)),
            value=spec.get("value"), map=spec.get("map"), default=spec.get("default"),
            ordinal_within=spec.get("ordinal_within"),
        ))
    fill = data.get("fill_down", {})
    skip = {normalise_header(k): _as_tuple(v, f"{where}: skip_rows_where_prefix")
            for k, v in data.get("skip_rows_where_prefix", {}).items()}
    profile = Profile(
        name=data["name"], title=data.get("title", data["name"]), entity=entity,
        platform=data.get("platform", "other"), signature=_as_tuple(data["signature"], where),
        columns=tuple(columns), path=path, on_bad_row=on_bad_row,
        header_search_rows=int(data.get("header_search_rows", 30)),
        skip_rows_where_prefix=skip,
        fill_down_key=normalise_header(fill["key"]) if fill.get("key") else None,
        fill_down=_as_tuple(fill.get("columns"), where),
        null_values=tuple(data.get("null_values", Profile.null_values)),
        coverage_from_file_name=bool(data.get("coverage_from_file_name", False)),
        date_from_file_name=bool(data.get("date_from_file_name", False)),
        user_defined=user_defined,
    )
    missing_keys = [k for k in ENTITY_KEYS[entity] if k not in {c.name for c in columns}]
    if missing_keys and not (profile.date_from_file_name and missing_keys == ["business_date"]):
        raise ProfileError(f"{where}: an {entity} profile must map {', '.join(missing_keys)}")
    return profile


def load_profiles(user_dir: Path | None = None) -> list[Profile]:
    """The built-in profiles, then the user's (a user profile with a built-in's name replaces it)."""
    found: dict[str, Profile] = {}
    for path in sorted(BUILTIN_DIR.glob("*.toml")):
        p = load_profile(path)
        found[p.name] = p
    if user_dir is not None and user_dir.is_dir():
        for path in sorted(user_dir.glob("*.toml")):
            p = load_profile(path, user_defined=True)
            found[p.name] = p
    return list(found.values())


@dataclass
class Match:
    profile: Profile
    header_index: int  # index into the raw rows
    headers: list[str]


@dataclass
class NoMatch:
    headers: list[str]
    closest: Profile | None
    missing: list[str]

    def explain(self) -> str:
        shown = ", ".join(h for h in self.headers[:25] if h) or "(no header found)"
        if self.closest is None:
            return f"unrecognised export: no known profile matches. Headers found: {shown}"
        return (f"unrecognised export: headers found: {shown}. Closest profile: "
                f"{self.closest.name} ({self.closest.title}), which needs the missing "
                f"column(s): {', '.join(self.missing)}")


def match_profile(rows: list[list[str]], profiles: list[Profile]) -> Match | NoMatch:
    """Find the header row and the profile whose signature it carries.

    When several profiles match, the one with the longest signature wins (the most specific).
    """
    best: Match | None = None
    closest: tuple[int, Profile | None, list[str], list[str]] = (-1, None, [], [])
    search = max((p.header_search_rows for p in profiles), default=30)
    for index, row in enumerate(rows[:search]):
        headers = [normalise_header(c) for c in row]
        present = set(headers)
        if len(present - {""}) < 2:
            continue
        for profile in profiles:
            if index >= profile.header_search_rows:
                continue
            missing = [s for s in profile.signature if s not in present]
            if not missing:
                if best is None or len(profile.signature) > len(best.profile.signature):
                    best = Match(profile=profile, header_index=index, headers=headers)
            else:
                score = len(profile.signature) - len(missing)
                if score > closest[0]:
                    closest = (score, profile, missing, headers)
        if best is not None:
            return best
    first_headers = closest[3] or next(([normalise_header(c) for c in r] for r in rows if any(r)), [])
    return NoMatch(headers=first_headers, closest=closest[1] if closest[0] > 0 else None,
                   missing=closest[2])
