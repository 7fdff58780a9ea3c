"""Declarative export profiles: one TOML file per export format.

A profile says how to recognise a file (``signature``: header names that must all be present),
which entity it feeds (orders, order_items, traffic or ad_spend) and how each canonical column
is read::

    name = "taobao_orders"
    title = "Taobao/Tmall 订单报表 (order export)"
    entity = "orders"
    platform = "tmall"
    shop_platforms = ["tmall", "taobao"]   # refuse it in another platform's shop ("other" takes all)
    signature = ["订单编号", ["订单创建时间", "创建时间"]]   # a list inside = any one of these
    signature_patterns = ['^Amount spent \\(\\w{3}\\)$']   # header regexes that must match a header
    signature_excludes = ["流量来源"]  # headers that must NOT be there (tells near twins apart)
    on_bad_row = "reject_row"          # or "reject_file": any bad row refuses the whole file
    coverage_from_file_name = true     # the last date in the file name is the last day covered
    date_from_file_name = true         # no date column: the day is in the file name …
    date_from_title = true             # … or in the title lines above the header
    null_values = ["", "-", "NA"]      # cells that mean "empty" (replaces the default list)

    [skip_rows_where_prefix]           # summary rows: counted apart, neither loaded nor rejected
    "日期" = ["总计", "合计"]

    [[reject_rows]]                    # rows that are not data of this entity, rejected with a reason
    where = { Quantity = "^-" }        # header = regex (every one must match)
    unless = { InvoiceNo = "^C" }
    reason = "negative quantity outside a credit note: a stock adjustment, not a sale"

    [columns.order_id]
    source = "订单编号"                 # or a list of alternative header names (the first found wins)
    type = "id"                        # text | id | decimal | number | integer | percent | date | timestamp | buyer
    required = true                    # the header must have it (else the file is refused)
    not_empty = true                   # and every row must have a value (else the row is rejected)

    [columns.status]
    source = "订单状态"
    map = { "交易成功" = "completed", "交易关闭" = "closed" }   # exact values …
    map_patterns = { "取消" = "closed" }                       # … then regexes, in order
    default = "paid"                   # for unmapped or empty cells; without it unmapped values are rejected

    [columns.cost]
    pattern = '^Amount spent \\((?P<currency>\\w{3})\\)$'   # a header regex; named groups become
    type = "decimal"                                       # $header.<group> constants

    [columns.currency]
    value = "$header.currency"         # a constant, "$shop.<setting>" or "$header.<group>"

    [columns.refund_amount]
    source = "用户实付金额(元)"
    when = { "售后状态" = "^退款成功$" }  # only on rows where these headers match (else empty);
    unless = { "订单状态" = "取消" }     # and not on rows where these match. A list of tables
                                       # means any one of them: [{ a = "x" }, { b = "y" }]

    [columns.campaign_id]
    concat = ["计划ID", "主体ID"]        # the present parts joined with `separator` (default " / ")

    [columns.paid_amount]
    product_of = ["Quantity", "UnitPrice"]   # a number: the product of these columns …
    scale = -1                              # … times this factor (also for 万元 headers: 10000)

    [columns.business_date]
    source = "Reporting starts"
    period_end = "Reporting ends"      # a row must cover one day: this column's date must equal it

Headers are compared after trimming spaces (also full-width ones), folding full-width brackets
to ASCII and ignoring case. Extra and reordered columns are fine. Built-in profiles live in
``flows/ingest/profiles/``; a user adds more, in the same format, in the folder named by
``paths.profiles`` in ``shopreport.toml`` (docs/formats.md has a worked example).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from flows.ingest.values import PARSERS

BUILTIN_DIR = Path(__file__).resolve().parent / "profiles"
ENTITIES = ("orders", "order_items", "traffic", "ad_spend")
TYPES = tuple(PARSERS) + ("buyer",)
SHOP_PLATFORMS = ("tmall", "taobao", "jd", "pinduoduo", "douyin", "shopify", "other")
NUMERIC_TYPES = ("decimal", "number", "integer", "percent")

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
    # line items of orders whose order export has one row per order (Taobao 宝贝报表): the items
    # of an order, without amounts paid; staging can split the order's amount over them.
    "order_items": {
        "order_id": "varchar", "line_id": "varchar", "sku": "varchar", "product_name": "varchar",
        "sku_properties": "varchar", "package_info": "varchar", "quantity": "integer",
        "unit_price": "decimal(18, 2)", "platform_status": "varchar", "currency": "varchar",
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
    "order_items": ("order_id",),
    "traffic": ("business_date",),
    "ad_spend": ("business_date", "channel"),
}
# Which timestamp or date says when a row happened, for the file's covered date range.
ENTITY_EVENT_COLUMN = {"orders": "created_at", "traffic": "business_date", "ad_spend": "business_date"}

_PROFILE_KEYS = {"name", "title", "entity", "platform", "shop_platforms", "signature",
                 "signature_patterns", "signature_excludes", "columns", "on_bad_row",
                 "header_search_rows", "skip_rows_where_prefix", "fill_down", "null_values",
                 "coverage_from_file_name", "date_from_file_name", "date_from_title", "reject_rows"}
_COLUMN_KEYS = {"source", "pattern", "type", "required", "not_empty", "value", "map", "map_patterns",
                "default", "ordinal_within", "when", "unless", "concat", "separator", "product_of",
                "scale", "period_end"}


class ProfileError(ValueError):
    """A profile file is malformed; the message names the file and the key."""


_TRANSLATE = str.maketrans({"\ufeff": None, "\u200b": None, "\u200e": None, "\u200f": None,
                            "\u3000": " ", "\u00a0": " ", "\t": " ", "\r": " ", "\n": " ",
                            "（": "(", "）": ")", "【": "[", "】": "]", "：": ":"})
_SPACES = re.compile(r" {2,}")


def normalise_header(name: str) -> str:
    """A header as shown: invisible characters removed, full-width brackets folded, spaces trimmed."""
    return _SPACES.sub(" ", name.translate(_TRANSLATE)).strip()


def header_key(name: str) -> str:
    """What headers are compared by: the normalised header, case-folded."""
    return normalise_header(name).casefold()


@dataclass(frozen=True)
class Condition:
    """Rows where, for one of the ``alternatives``, the value under every header matches its regex
    (``re.search``). A profile writes one alternative as a table, several as a list of tables."""

    alternatives: tuple[tuple[tuple[str, str], ...], ...] = ()  # ((header, regex), …) or …

    def __bool__(self) -> bool:
        return bool(self.alternatives)

    @property
    def headers(self) -> list[str]:
        return [h for alt in self.alternatives for h, _ in alt]

    def describe(self) -> str:
        return " or ".join(" and ".join(f"{h} ~ /{rx}/" for h, rx in alt) for alt in self.alternatives)


@dataclass(frozen=True)
class RowRule:
    where: Condition
    unless: Condition
    reason: str


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
    pattern: str | None = None  # a header regex (named groups are captured as $header.<name>)
    map_patterns: tuple[tuple[str, str], ...] = ()  # (regex, value), tried in order after `map`
    when: Condition = Condition()
    unless: Condition = Condition()
    concat: tuple[str, ...] = ()
    separator: str = " / "
    product_of: tuple[str, ...] = ()
    scale: float | None = None
    period_end: str | None = None

    @property
    def mapped(self) -> bool:
        return self.map is not None or bool(self.map_patterns)

    @property
    def headers_used(self) -> tuple[str, ...]:
        return self.sources + self.concat + self.product_of

    def describe_source(self) -> str:
        if self.concat:
            return " + ".join(self.concat)
        if self.product_of:
            return " × ".join(self.product_of)
        names = " / ".join(self.sources)
        if self.pattern:
            names = f"{names} / /{self.pattern}/" if names else f"/{self.pattern}/"
        return names


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    entity: str
    platform: str
    signature: tuple[str, ...]  # for display: one entry per group ("A / B" for alternatives)
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
    date_from_title: bool = False  # … or the title lines above its header do
    user_defined: bool = False
    signature_groups: tuple[tuple[str, ...], ...] = ()  # every group needs one of its names
    signature_patterns: tuple[str, ...] = ()
    signature_excludes: tuple[str, ...] = ()
    shop_platforms: tuple[str, ...] = ()  # empty: a shop of any platform
    reject_rows: tuple[RowRule, ...] = ()

    @property
    def source_headers(self) -> set[str]:
        return {header_key(s) for c in self.columns for s in c.headers_used}

    def required_sources(self) -> list[ColumnSpec]:
        return [c for c in self.columns if c.required and (c.sources or c.pattern or c.concat or c.product_of)]

    @property
    def specificity(self) -> int:
        return len(self.signature_groups) + len(self.signature_patterns) + len(self.signature_excludes)

    def fits_shop(self, shop_platform: str) -> bool:
        return not self.shop_platforms or shop_platform == "other" or shop_platform in self.shop_platforms


def _as_tuple(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (normalise_header(value),)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(normalise_header(v) for v in value)
    raise ProfileError(f"{where}: expected a header name or a list of names, got {value!r}")


def _regex(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ProfileError(f"{where}: expected a regular expression (a string), got {value!r}")
    try:
        re.compile(value)
    except re.error as exc:
        raise ProfileError(f"{where}: not a valid regular expression: {exc}") from exc
    return value


def _condition(value: object, where: str) -> Condition:
    if value is None:
        return Condition()
    tables = value if isinstance(value, list) else [value]
    if not tables or not all(isinstance(t, dict) and t for t in tables):
        raise ProfileError(f"{where}: expected a table of header = regex, e.g. {{ 售后状态 = \"退款成功\" }}, "
                           f"or a list of such tables (any one may hold)")
    return Condition(tuple(tuple((normalise_header(h), _regex(rx, f"{where}.{h}")) for h, rx in t.items())
                           for t in tables))


def _signature(data: dict, where: str) -> tuple[tuple[str, ...], ...]:
    raw = data["signature"]
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise ProfileError(f"{where}: signature must be a list of header names")
    groups = []
    for item in raw:
        if isinstance(item, str):
            groups.append((normalise_header(item),))
        elif isinstance(item, list) and item and all(isinstance(v, str) for v in item):
            groups.append(tuple(normalise_header(v) for v in item))
        else:
            raise ProfileError(f"{where}: signature: expected a header name or a list of alternatives, "
                               f"got {item!r}")
    return tuple(groups)


def _column(name: str, spec: object, entity: str, where: str) -> ColumnSpec:
    cwhere = f"{where}: columns.{name}"
    canonical = CANONICAL[entity]
    if name not in canonical:
        raise ProfileError(f"{cwhere}: not a canonical {entity} column (one of: {', '.join(canonical)})")
    if not isinstance(spec, dict):
        raise ProfileError(f"{cwhere}: must be a table")
    bad_keys = sorted(set(spec) - _COLUMN_KEYS)
    if bad_keys:
        raise ProfileError(f"{cwhere}: unknown key {bad_keys[0]!r}")
    ctype = spec.get("type", "text")
    if ctype not in TYPES:
        raise ProfileError(f"{cwhere}: type must be one of {', '.join(TYPES)}; got {ctype!r}")
    sources = _as_tuple(spec.get("source"), cwhere)
    pattern = _regex(spec["pattern"], f"{cwhere}.pattern") if "pattern" in spec else None
    concat = _as_tuple(spec.get("concat"), f"{cwhere}.concat")
    product_of = _as_tuple(spec.get("product_of"), f"{cwhere}.product_of")
    readers = sum(bool(x) for x in (sources or pattern, concat, product_of))
    if readers > 1:
        raise ProfileError(f"{cwhere}: use one of source/pattern, concat or product_of")
    if not readers and "value" not in spec and "ordinal_within" not in spec:
        raise ProfileError(f"{cwhere}: needs a source, a pattern, concat, product_of, a value or ordinal_within")
    if concat and ctype not in ("text", "id"):
        raise ProfileError(f"{cwhere}: concat makes text; its type must be text or id")
    if product_of and ctype not in NUMERIC_TYPES:
        raise ProfileError(f"{cwhere}: product_of needs a numeric type ({', '.join(NUMERIC_TYPES)})")
    scale = spec.get("scale")
    if scale is not None and (not isinstance(scale, int | float) or ctype not in NUMERIC_TYPES):
        raise ProfileError(f"{cwhere}: scale must be a number, on a numeric column")
    mapping = spec.get("map")
    if mapping is not None and not (isinstance(mapping, dict) and all(isinstance(v, str) for v in mapping.values())):
        raise ProfileError(f"{cwhere}: map must be a table of export value = canonical value")
    patterns = spec.get("map_patterns", {})
    if not isinstance(patterns, dict) or not all(isinstance(v, str) for v in patterns.values()):
        raise ProfileError(f"{cwhere}: map_patterns must be a table of regex = canonical value")
    if spec.get("period_end") and ctype != "date":
        raise ProfileError(f"{cwhere}: period_end needs type = \"date\"")
    value = spec.get("value")
    if value is not None and not isinstance(value, str):
        value = str(value)
    return ColumnSpec(
        name=name, sources=sources, type=ctype,
        required=bool(spec.get("required", False) or spec.get("not_empty", False)),
        not_empty=bool(spec.get("not_empty", False)),
        value=value, map=mapping, default=spec.get("default"),
        ordinal_within=normalise_header(spec["ordinal_within"]) if spec.get("ordinal_within") else None,
        pattern=pattern,
        map_patterns=tuple((_regex(rx, f"{cwhere}.map_patterns"), v) for rx, v in patterns.items()),
        when=_condition(spec.get("when"), f"{cwhere}.when"),
        unless=_condition(spec.get("unless"), f"{cwhere}.unless"),
        concat=concat, separator=str(spec.get("separator", " / ")), product_of=product_of,
        scale=float(scale) if scale is not None else None,
        period_end=normalise_header(spec["period_end"]) if spec.get("period_end") else None,
    )


def load_profile(path: Path, *, user_defined: bool = False) -> Profile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not a valid TOML profile: {exc}") from exc
    where = str(path)
    unknown = sorted(set(data) - _PROFILE_KEYS)
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
    if not isinstance(data["columns"], dict):
        raise ProfileError(f"{where}: columns must be tables [columns.<name>]")
    columns = [_column(name, spec, entity, where) for name, spec in data["columns"].items()]
    groups = _signature(data, where)
    patterns = tuple(_regex(p, f"{where}: signature_patterns") for p in data.get("signature_patterns", []))
    if not groups and not patterns:
        raise ProfileError(f"{where}: signature needs at least one header name")
    shop_platforms = _as_tuple(data.get("shop_platforms"), f"{where}: shop_platforms")
    bad_platforms = [p for p in shop_platforms if p not in SHOP_PLATFORMS]
    if bad_platforms:
        raise ProfileError(f"{where}: shop_platforms: {bad_platforms[0]!r} is not one of {', '.join(SHOP_PLATFORMS)}")
    fill = data.get("fill_down", {})
    skip = {normalise_header(k): _as_tuple(v, f"{where}: skip_rows_where_prefix")
            for k, v in data.get("skip_rows_where_prefix", {}).items()}
    rules = []
    for i, rule in enumerate(data.get("reject_rows", [])):
        rwhere = f"{where}: reject_rows[{i}]"
        if not isinstance(rule, dict) or "where" not in rule or "reason" not in rule:
            raise ProfileError(f"{rwhere}: needs where = {{ header = regex }} and a reason")
        bad = sorted(set(rule) - {"where", "unless", "reason"})
        if bad:
            raise ProfileError(f"{rwhere}: unknown key {bad[0]!r}")
        rules.append(RowRule(_condition(rule["where"], f"{rwhere}.where"),
                             _condition(rule.get("unless"), f"{rwhere}.unless"), str(rule["reason"])))
    display = tuple(" / ".join(g) for g in groups) + tuple(f"/{p}/" for p in patterns)
    profile = Profile(
        name=data["name"], title=data.get("title", data["name"]), entity=entity,
        platform=data.get("platform", "other"), signature=display,
        columns=tuple(columns), path=path, on_bad_row=on_bad_row,
        header_search_rows=int(data.get("header_search_rows", 30)),
        skip_rows_where_prefix=skip,
        fill_down_key=normalise_header(fill["key"]) if fill.get("key") else None,
        fill_down=_as_tuple(fill.get("columns"), where),
        null_values=tuple(data.get("null_values", Profile.null_values)),
        coverage_from_file_name=bool(data.get("coverage_from_file_name", False)),
        date_from_file_name=bool(data.get("date_from_file_name", False)),
        date_from_title=bool(data.get("date_from_title", False)),
        user_defined=user_defined,
        signature_groups=groups, signature_patterns=patterns,
        signature_excludes=_as_tuple(data.get("signature_excludes"), f"{where}: signature_excludes"),
        shop_platforms=shop_platforms, reject_rows=tuple(rules),
    )
    names = {c.name for c in columns}
    missing_keys = [k for k in ENTITY_KEYS[entity] if k not in names]
    dated_by_name = profile.date_from_file_name or profile.date_from_title
    if missing_keys and not (dated_by_name and missing_keys == ["business_date"]):
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
        if len([h for h in self.headers if h]) > 25:
            shown += f", … ({len([h for h in self.headers if h])} columns)"
        hint = ""
        if _looks_mojibake(self.headers):
            hint = (" The headers look garbled: the file was probably saved in one encoding and "
                    "converted as another; download it again or save it as UTF-8.")
        if self.closest is None:
            return f"unrecognised export: no known profile matches. Headers found: {shown}.{hint}"
        return (f"unrecognised export: headers found: {shown}. Closest profile: "
                f"{self.closest.name} ({self.closest.title}), which needs the missing "
                f"column(s): {', '.join(self.missing)}.{hint}")


_MOJIBAKE = re.compile(r"锟斤拷|\ufffd|ï»¿")


def _looks_mojibake(headers: list[str]) -> bool:
    """Chinese text decoded as Latin-1 (¶©µ¥±àºÅ …), or the marks a lossy conversion leaves."""
    text = "".join(h for h in headers if h).replace(" ", "")
    if _MOJIBAKE.search(text):
        return True
    latin1 = sum(1 for ch in text if "\u0080" <= ch <= "\u00ff")
    return latin1 >= 4 and latin1 > 0.3 * len(text)


def _signature_state(profile: Profile, keys: set[str], headers: list[str]) -> tuple[list[str], bool]:
    """(what the signature misses, whether an excluded header is present)."""
    missing = [" / ".join(g) for g in profile.signature_groups if not any(header_key(a) in keys for a in g)]
    missing += [f"/{p}/" for p in profile.signature_patterns
                if not any(re.fullmatch(p, h, flags=re.IGNORECASE) for h in headers if h)]
    excluded = any(header_key(x) in keys for x in profile.signature_excludes)
    return missing, excluded


def match_profile(rows: list[list[str]], profiles: list[Profile]) -> Match | NoMatch:
    """Find the header row and the profile whose signature it carries.

    When several profiles match the same row, the most specific one wins (the longest signature);
    on a tie, a user-defined profile wins over a built-in one.
    """
    best: Match | None = None
    closest: tuple[float, Profile | None, list[str], list[str]] = (0, None, [], [])
    search = max((p.header_search_rows for p in profiles), default=30)
    for index, row in enumerate(rows[:search]):
        headers = [normalise_header(c) for c in row]
        keys = {h.casefold() for h in headers} - {""}
        if len(keys) < 2:
            continue
        for profile in profiles:
            if index >= profile.header_search_rows:
                continue
            missing, excluded = _signature_state(profile, keys, headers)
            if not missing and not excluded:
                rank = (profile.specificity, profile.user_defined)
                if best is None or rank > (best.profile.specificity, best.profile.user_defined):
                    best = Match(profile=profile, header_index=index, headers=headers)
            elif not excluded:
                total = len(profile.signature_groups) + len(profile.signature_patterns)
                score = (total - len(missing)) / total if total else 0
                if score > closest[0]:
                    closest = (score, profile, missing, headers)
        if best is not None:
            return best
    first_headers = closest[3] or next(([normalise_header(c) for c in r] for r in rows if any(r)), [])
    return NoMatch(headers=first_headers, closest=closest[1], missing=closest[2])
