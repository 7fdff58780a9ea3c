"""The one configuration file, ``shopreport.toml``, read into typed settings.

Nothing here runs at import time: call :func:`load_settings` (or ``Settings.load``) where the
configuration is needed. Every error names the file and the key that is wrong. Relative paths are
relative to the folder holding the configuration file. The SMTP password is never read from the
file, only from the environment variable named by ``mail.password_env``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CONFIG_FILE_NAME = "shopreport.toml"
CONFIG_ENV = "SHOPREPORT_CONFIG"
PLATFORMS = ("tmall", "taobao", "jd", "pinduoduo", "douyin", "shopify", "other")
BUILT_IN_LANGUAGES = ("zh-CN", "en")  # more: a translation file in paths.locales (docs/i18n.md)
SMTP_SECURITY = ("ssl", "starttls", "plain")
# the kinds of export a shop can be expected to deliver each business day (the raw_* entities)
SOURCE_ENTITIES = ("orders", "traffic", "ad_spend")
DEFAULT_RETRY_DELAYS = (30.0, 120.0, 600.0)


class ConfigError(ValueError):
    """A configuration problem; the message names the file and the key."""


@dataclass(frozen=True)
class ShopConfig:
    id: str
    name: str
    platform: str
    currency: str
    timezone: str = "Asia/Shanghai"
    gross_margin: float = 0.4
    # the exports expected every business day (freshness gate); None: the kinds the shop has had
    # before the report date
    expected_sources: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ProductRules:
    """``[products]``: how products get roles, lifecycle stages and abnormal flags.

    The rules are documented in docs/metrics.md ("Products"); the values reach the SQL through the
    ``seed_thresholds`` table (one row, one column per field) that the build writes. Shares, drops
    and rates are fractions (0.5 = 50 %).
    """

    # abnormal products: the day against the same weekday of the weeks before
    baseline_weeks: int = 4  # the same weekday in each of this many weeks before is the baseline
    min_orders: float = 3.0  # floor: baseline paid order lines per day (sales stopped, conversion drop)
    min_visitors: float = 100.0  # floor: baseline visitors per day (traffic and conversion drop)
    min_refund_lines: int = 3  # floor: refunded lines on the day (refund spike)
    traffic_drop: float = 0.5  # visitors fell by at least this share of the baseline
    conversion_drop: float = 0.5  # conversion fell by at least this share of the baseline
    refund_spike: float = 3.0  # refunds of the day ≥ this multiple of the baseline
    # roles and lifecycle stages: trailing weeks against the same number of weeks before them
    window_weeks: int = 4
    new_weeks: int = 4  # first sale less than this many weeks ago: stage "new"
    growth: float = 0.2  # GMV of the window ≥ +20 % on the window before: "growth"
    decline: float = 0.2  # GMV of the window ≤ −20 % on the window before: "decline"
    min_window_lines: int = 20  # growth/decline need this many paid lines in one of the two windows
    hit_gmv_share: float = 0.15  # share of the shop's GMV: role "hit" (爆款), stage "hot"
    traffic_driver_share: float = 0.10  # share of the shop's visitors (else buyers): traffic driver
    traffic_driver_price_ratio: float = 0.8  # … at an average price ≤ this × the shop's average
    profit_price_ratio: float = 1.2  # profit item: average price ≥ this × the shop's average …
    profit_min_gmv_share: float = 0.05  # … with at least this share of the shop's GMV …
    profit_max_refund_rate: float = 0.10  # … and a refund rate of at most this


PRODUCT_FRACTIONS = ("traffic_drop", "conversion_drop", "growth", "decline", "hit_gmv_share",
                     "traffic_driver_share", "profit_min_gmv_share", "profit_max_refund_rate")
PRODUCT_WEEKS = ("baseline_weeks", "window_weeks", "new_weeks")
PRODUCT_MULTIPLES = ("refund_spike", "traffic_driver_price_ratio", "profit_price_ratio")


@dataclass(frozen=True)
class MailSettings:
    sender: str = "shopreport@localhost"
    recipients: tuple[str, ...] = ()
    smtp_host: str = ""  # empty: write .eml files to the outbox folder instead of sending
    smtp_port: int = 465
    security: str = "ssl"  # ssl | starttls | plain
    user: str = ""
    password_env: str = "SHOPREPORT_SMTP_PASSWORD"
    timeout_seconds: float = 30.0
    admin_recipients: tuple[str, ...] = ()  # mail.admin_to: who hears about a failed run
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS  # seconds between SMTP attempts

    @property
    def password(self) -> str:
        """The SMTP password, read from the environment when asked for (never stored)."""
        return os.environ.get(self.password_env, "")

    @property
    def uses_outbox(self) -> bool:
        return not self.smtp_host


WEBHOOK_PLATFORMS = ("wecom", "dingtalk", "feishu", "slack")
ROLES = ("owner", "operator", "ads")
REPORT_KINDS = ("daily", "weekly")


@dataclass(frozen=True)
class WebhookSettings:
    """``[[webhooks]]``: a chat group that gets a short summary of each report.

    The URL (it holds the bot's key) and the signing secret are read from the environment
    variables named here, when the message is sent; they never sit in the file.
    """

    name: str
    platform: str  # wecom | dingtalk | feishu | slack
    url_env: str
    secret_env: str | None = None
    language: str | None = None  # None: report.language
    scopes: tuple[str, ...] | None = None  # shop ids and/or "all"; None: every report
    reports: tuple[str, ...] = REPORT_KINDS
    timeout_seconds: float = 10.0

    def webhook(self):
        """The :class:`flows.delivery.webhooks.Webhook` to send with (reads the environment now)."""
        from flows.delivery.webhooks import Webhook

        return Webhook(name=self.name, platform=self.platform, url=os.environ.get(self.url_env, ""),
                       secret=os.environ.get(self.secret_env, "") if self.secret_env else None,
                       timeout_seconds=self.timeout_seconds, language=self.language)


@dataclass(frozen=True)
class Recipient:
    """``[[recipients]]``: who gets which report, in which language.

    ``owner``: the all-shops report (the shop's report when there is one shop); ``operator``: the
    report of each shop in ``shops``; ``ads``: the ad-payback section of each scope in ``shops``
    (default: all shops together).
    """

    email: str
    role: str
    shops: tuple[str, ...]  # the scopes this person gets: shop ids and/or "all"
    name: str = ""
    language: str | None = None  # None: report.language
    reports: tuple[str, ...] = REPORT_KINDS


@dataclass(frozen=True)
class RetentionSettings:
    """``[retention]``: days to keep raw landing files and archived reports (None: forever)."""

    landing_days: int | None = None
    archive_days: int | None = None


@dataclass(frozen=True)
class Settings:
    config_path: Path
    inbox_dir: Path
    warehouse_path: Path
    landing_dir: Path
    archive_dir: Path
    outbox_dir: Path
    fx_rates_path: Path | None
    reporting_currency: str
    language: str
    timezone: str
    shops: tuple[ShopConfig, ...]
    mail: MailSettings = field(default_factory=MailSettings)
    profiles_dir: Path | None = None  # user-defined ingest profiles (*.toml), optional
    targets_path: Path | None = None  # monthly GMV and ad-cost targets per shop (CSV), optional
    products: ProductRules = field(default_factory=ProductRules)
    ledger_path: Path | None = None  # the send ledger (SQLite); None: beside the warehouse
    freshness_cutoff: dt.time = dt.time(10, 0)  # report.timezone, on the day after the report date
    freshness_retry_seconds: float = 300.0  # how often the freshness gate looks again
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    webhooks: tuple[WebhookSettings, ...] = ()
    recipients: tuple[Recipient, ...] = ()
    locale_dirs: tuple[Path, ...] = ()  # the user's translation folders (paths.locales), optional
    memory_limit: str | None = None  # warehouse.memory_limit: DuckDB's memory cap ("1GB"); None: DuckDB's default
    incremental_memory_limit: str | None = "256MB"  # warehouse.incremental_memory_limit; None: memory_limit
    ingest_workers: int | None = None  # ingest.workers: processes reading files ahead of the writer; None: one per core
    render_workers: int | None = None  # report.render_workers: processes rendering beside the flow; None: auto

    @property
    def base_dir(self) -> Path:
        return self.config_path.parent

    @property
    def incremental_build_limit(self) -> str | None:
        """The memory limit of an incremental build: ``incremental_memory_limit`` when it is
        below ``memory_limit`` (or no ``memory_limit`` is set), else none of its own."""
        if not self.incremental_memory_limit:
            return None
        if self.memory_limit and size_bytes(self.memory_limit) <= size_bytes(self.incremental_memory_limit):
            return None
        return self.incremental_memory_limit

    @property
    def send_ledger_path(self) -> Path:
        """The send ledger: ``paths.ledger``, else ``send_ledger.sqlite`` beside the warehouse."""
        return self.ledger_path or self.warehouse_path.parent / "send_ledger.sqlite"

    @property
    def run_lock_path(self) -> Path:
        """The lock file that lets one run at a time use this warehouse."""
        return self.warehouse_path.with_name(self.warehouse_path.name + ".run-lock")

    def shop(self, shop_id: str) -> ShopConfig:
        for shop in self.shops:
            if shop.id == shop_id:
                return shop
        known = ", ".join(s.id for s in self.shops) or "none"
        raise ConfigError(f"{self.config_path}: unknown shop {shop_id!r} (configured: {known})")

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Settings":
        return load_settings(path)


def find_config(path: str | Path | None = None) -> Path:
    """The configuration file to use: the argument, $SHOPREPORT_CONFIG, or ./shopreport.toml."""
    candidate = Path(path) if path else Path(os.environ.get(CONFIG_ENV, CONFIG_FILE_NAME))
    if candidate.is_dir():
        candidate = candidate / CONFIG_FILE_NAME
    if not candidate.is_file():
        raise ConfigError(
            f"{candidate}: configuration file not found. Run `shopreport init` to create a project "
            f"for your shops, or `shopreport demo` for a complete example, or pass --config PATH "
            f"(or set {CONFIG_ENV})."
        )
    return candidate.resolve()


def load_settings(path: str | Path | None = None) -> Settings:
    config_path = find_config(path)
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{config_path}: not UTF-8 text: {exc}") from exc
    return parse_settings(data, config_path)


class _Section:
    """Reads one table of the TOML document and reports unknown or mistyped keys by name."""

    def __init__(self, data: Any, name: str, config_path: Path):
        self.name = name
        self.path = config_path
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"{config_path}: [{name}] must be a table")
        self.data = data
        self.used: set[str] = set()

    def key(self, key: str) -> str:
        return f"{self.name}.{key}" if self.name else key

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {self.key(key)}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.fail(key, "is required")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(key, f"expected {_kind_names(kinds)}, got {value!r}")
        if not isinstance(value, kinds):
            raise self.fail(key, f"expected {_kind_names(kinds)}, got {type(value).__name__} {value!r}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    def finish(self, allowed_extra: tuple[str, ...] = ()) -> None:
        unknown = sorted(set(self.data) - self.used - set(allowed_extra))
        if unknown:
            raise self.fail(unknown[0], "unknown key (check the spelling; see the commented example "
                            "that `shopreport demo` writes)")


def _kind_names(kinds: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true/false",
             list: "a list", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _timezone(section: _Section, key: str, default: str) -> str:
    value = section.get(key, str, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise section.fail(key, f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from exc
    return value


def _currency(section: _Section, key: str, default: str | None = None, required: bool = False) -> str:
    value = section.get(key, str, default, required=required)
    if not (isinstance(value, str) and len(value) == 3 and value.isalpha() and value.isupper()):
        raise section.fail(key, f"must be a 3-letter ISO currency code such as CNY or USD; got {value!r}")
    return value


def _addresses(section: _Section, key: str) -> tuple[str, ...]:
    value = section.get(key, list, [])
    if not all(isinstance(r, str) and "@" in r for r in value):
        raise section.fail(key, f"must be a list of e-mail addresses; got {value!r}")
    return tuple(value)


def _clock_time(section: _Section, key: str, default: dt.time) -> dt.time:
    value = section.get(key, str, default.strftime("%H:%M"))
    try:
        if len(value) not in (5, 8):
            raise ValueError(value)
        return dt.time.fromisoformat(value)
    except ValueError as exc:
        raise section.fail(key, f'must be a time of day like "10:00" (or "10:00:30"); got {value!r}') from exc


def _positive_seconds(section: _Section, key: str, default: float) -> float:
    value = section.get(key, float, default)
    if not value > 0:
        raise section.fail(key, f"must be a number of seconds above 0; got {value!r}")
    return value


_UNITS = {"kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def size_bytes(size: str) -> float:
    """``"1.5GB"`` → bytes (DuckDB's units: KB = 1000, KiB = 1024)."""
    number, unit = _SIZE.fullmatch(size.strip()).groups()
    return float(number) * _UNITS[unit.lower()]


def _size(section: _Section, key: str, default: str, none: str | None = None) -> str | None:
    """A DuckDB memory size ("1GB", "512MB"); ``none`` (when given) or empty: no size."""
    value = section.get(key, str, default).strip()
    if not value or (none is not None and value.lower() == none):
        return None
    if not _SIZE.fullmatch(value):
        alternatives = f' or "{none}"' if none else ""
        raise section.fail(key, f"expected a size such as \"1GB\" or \"512MB\"{alternatives}; got {value!r}")
    return value


def _expected_sources(section: _Section) -> tuple[str, ...] | None:
    value = section.get("expected_sources", list, None)
    if value is None:
        return None
    bad = [v for v in value if v not in SOURCE_ENTITIES]
    if bad or len(set(value)) != len(value):
        raise section.fail("expected_sources", f"must list each of {', '.join(SOURCE_ENTITIES)} at "
                                               f"most once; got {value!r}")
    return tuple(value)


def parse_settings(data: dict[str, Any], config_path: Path) -> Settings:
    base = config_path.parent
    top = _Section(data, "", config_path)
    for key in ("paths", "report", "mail", "shops", "products", "retention", "webhooks", "recipients", "warehouse",
                "ingest"):
        top.used.add(key)
    top.finish()

    def resolve(p: str) -> Path:
        path = Path(os.path.expanduser(p))
        return path if path.is_absolute() else (base / path)

    paths = _Section(data.get("paths"), "paths", config_path)
    inbox = resolve(paths.get("inbox", str, "inbox"))
    warehouse = resolve(paths.get("warehouse", str, "warehouse/shopreport.duckdb"))
    landing = resolve(paths.get("landing", str, "landing"))
    archive = resolve(paths.get("archive", str, "archive"))
    outbox = resolve(paths.get("outbox", str, "outbox"))
    fx = paths.get("fx_rates", str, "")
    profiles = paths.get("profiles", str, "")
    targets = paths.get("targets", str, "")
    ledger = paths.get("ledger", str, "")
    locales = paths.get("locales", (str, list), "")
    if isinstance(locales, list) and not all(isinstance(p, str) for p in locales):
        raise paths.fail("locales", f"expected a folder or a list of folders, got {locales!r}")
    locale_dirs = tuple(resolve(p) for p in ([locales] if isinstance(locales, str) and locales else
                                             locales if isinstance(locales, list) else []))
    for folder in locale_dirs:
        if not folder.is_dir():
            raise paths.fail("locales", f"{folder} is not a folder (it holds <language>.toml translation files)")
    languages = _languages(locale_dirs)
    paths.finish()

    warehouse_section = _Section(data.get("warehouse"), "warehouse", config_path)
    memory_limit = _size(warehouse_section, "memory_limit", "")
    incremental_memory_limit = _size(warehouse_section, "incremental_memory_limit", "256MB", none="none")
    warehouse_section.finish()

    ingest_section = _Section(data.get("ingest"), "ingest", config_path)
    ingest_workers = _processes(ingest_section, "workers", 1, "1: no workers")
    ingest_section.finish()

    report = _Section(data.get("report"), "report", config_path)
    reporting_currency = _currency(report, "reporting_currency", "CNY")
    language = report.choice("language", languages, "zh-CN")
    timezone = _timezone(report, "timezone", "Asia/Shanghai")
    freshness_cutoff = _clock_time(report, "freshness_cutoff", dt.time(10, 0))
    freshness_retry = _positive_seconds(report, "freshness_retry_seconds", 300.0)
    render_workers = _processes(report, "render_workers", 0, "0: none")
    report.finish()

    raw_shops = data.get("shops", [])
    if not isinstance(raw_shops, list) or not raw_shops:
        raise ConfigError(f"{config_path}: shops: at least one [[shops]] table is required")
    shops: list[ShopConfig] = []
    for i, raw in enumerate(raw_shops):
        s = _Section(raw, f"shops[{i}]", config_path)
        shop_id = s.get("id", str, required=True)
        if not shop_id.replace("_", "").replace("-", "").isalnum() or not shop_id.isascii():
            raise s.fail("id", f"use letters, digits, - and _ only (it names a folder); got {shop_id!r}")
        if any(x.id == shop_id for x in shops):
            raise s.fail("id", f"duplicate shop id {shop_id!r}")
        margin = s.get("gross_margin", float, 0.4)
        if not 0 < margin <= 1:
            raise s.fail("gross_margin", f"must be a fraction between 0 and 1, e.g. 0.35; got {margin!r}")
        shops.append(ShopConfig(
            id=shop_id,
            name=s.get("name", str, shop_id),
            platform=s.choice("platform", PLATFORMS, "other"),
            currency=_currency(s, "currency", required=True),
            timezone=_timezone(s, "timezone", "Asia/Shanghai"),
            gross_margin=margin,
            expected_sources=_expected_sources(s),
        ))
        s.finish()

    mail = _Section(data.get("mail"), "mail", config_path)
    recipients = _addresses(mail, "to")
    admin_recipients = _addresses(mail, "admin_to")
    delays = mail.get("retry_delays", list, list(DEFAULT_RETRY_DELAYS))
    if not all(isinstance(d, (int, float)) and not isinstance(d, bool) and d >= 0 for d in delays):
        raise mail.fail("retry_delays", f"must be a list of seconds (numbers, 0 or more), e.g. "
                                        f"[30, 120, 600]; got {delays!r}")
    if "password" in mail.data:
        raise mail.fail("password", "the SMTP password is never read from the file; set it in the "
                        "environment variable named by mail.password_env (default SHOPREPORT_SMTP_PASSWORD)")
    port = mail.get("smtp_port", int, 465)
    if not 0 < port < 65536:
        raise mail.fail("smtp_port", f"must be a TCP port number; got {port}")
    mail_settings = MailSettings(
        sender=mail.get("from", str, "shopreport@localhost"),
        recipients=tuple(recipients),
        smtp_host=mail.get("smtp_host", str, ""),
        smtp_port=port,
        security=mail.choice("smtp_security", SMTP_SECURITY, "ssl"),
        user=mail.get("smtp_user", str, ""),
        password_env=mail.get("password_env", str, "SHOPREPORT_SMTP_PASSWORD"),
        timeout_seconds=_positive_seconds(mail, "timeout_seconds", 30.0),
        admin_recipients=admin_recipients,
        retry_delays=tuple(float(d) for d in delays),
    )
    mail.finish()

    products = _product_rules(_Section(data.get("products"), "products", config_path))
    retention = _retention(_Section(data.get("retention"), "retention", config_path))
    scope_ids = tuple(s.id for s in shops) + ("all",)
    webhooks = _webhooks(data.get("webhooks", []), config_path, scope_ids, languages)
    recipients = _recipients(data.get("recipients", []), config_path, tuple(s.id for s in shops), languages)

    return Settings(
        config_path=config_path,
        inbox_dir=inbox,
        warehouse_path=warehouse,
        landing_dir=landing,
        archive_dir=archive,
        outbox_dir=outbox,
        fx_rates_path=resolve(fx) if fx else None,
        reporting_currency=reporting_currency,
        language=language,
        timezone=timezone,
        shops=tuple(shops),
        mail=mail_settings,
        profiles_dir=resolve(profiles) if profiles else None,
        targets_path=resolve(targets) if targets else None,
        products=products,
        ledger_path=resolve(ledger) if ledger else None,
        freshness_cutoff=freshness_cutoff,
        freshness_retry_seconds=freshness_retry,
        retention=retention,
        webhooks=webhooks,
        recipients=recipients,
        locale_dirs=locale_dirs,
        memory_limit=memory_limit,
        ingest_workers=ingest_workers,
        render_workers=render_workers,
        incremental_memory_limit=incremental_memory_limit,
    )


def _processes(section: _Section, key: str, least: int, meaning: str) -> int | None:
    """A number of worker processes from ``least`` to 64, or ``"auto"`` (None)."""
    value = section.get(key, (int, str), "auto")
    if value == "auto":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and least <= value <= 64:
        return value
    raise section.fail(key, f'expected "auto" or a number of processes from {least} to 64 ({meaning}); got {value!r}')


def _table_list(raw: Any, name: str, config_path: Path) -> list[Any]:
    if not isinstance(raw, list):
        raise ConfigError(f"{config_path}: {name}: expected [[{name}]] tables")
    return raw


def _string_list(section: _Section, key: str, default: tuple[str, ...] | None,
                 allowed: tuple[str, ...]) -> tuple[str, ...] | None:
    value = section.get(key, list, None)
    if value is None:
        return default
    if not value or not all(isinstance(v, str) for v in value):
        raise section.fail(key, f"expected a list of names, e.g. {list(allowed[:2])}; got {value!r}")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise section.fail(key, f"unknown {unknown[0]!r} (choose from {', '.join(allowed)})")
    return tuple(value)


def _languages(locale_dirs: tuple[Path, ...]) -> tuple[str, ...]:
    """The languages there is a translation file for: built in, and in ``paths.locales``."""
    from flows.reports.i18n import available_locales

    return tuple(available_locales(locale_dirs))


def _language(section: _Section, languages: tuple[str, ...]) -> str | None:
    value = section.get("language", str, None)
    if value is not None and value not in languages:
        raise section.fail("language", f"expected one of {', '.join(languages)} (another language needs a "
                                       f"translation file in paths.locales), got {value!r}")
    return value


def _webhooks(raw: Any, config_path: Path, scope_ids: tuple[str, ...],
              languages: tuple[str, ...]) -> tuple[WebhookSettings, ...]:
    hooks: list[WebhookSettings] = []
    for i, item in enumerate(_table_list(raw, "webhooks", config_path)):
        w = _Section(item, f"webhooks[{i}]", config_path)
        name = w.get("name", str, required=True)
        if any(h.name == name for h in hooks):
            raise w.fail("name", f"duplicate webhook name {name!r}")
        if "url" in w.data or "secret" in w.data:
            raise w.fail("url" if "url" in w.data else "secret",
                         "a webhook URL and secret hold the bot's credentials: put them in environment "
                         "variables and name those with url_env / secret_env")
        w.get("platform", str, required=True)
        hooks.append(WebhookSettings(
            name=name, platform=w.choice("platform", WEBHOOK_PLATFORMS, ""),
            url_env=w.get("url_env", str, required=True), secret_env=w.get("secret_env", str, None),
            language=_language(w, languages), scopes=_string_list(w, "scopes", None, scope_ids),
            reports=_string_list(w, "reports", REPORT_KINDS, REPORT_KINDS) or REPORT_KINDS,
            timeout_seconds=_positive_seconds(w, "timeout_seconds", 10.0)))
        w.finish()
    return tuple(hooks)


def _recipients(raw: Any, config_path: Path, shop_ids: tuple[str, ...],
                languages: tuple[str, ...]) -> tuple[Recipient, ...]:
    people: list[Recipient] = []
    for i, item in enumerate(_table_list(raw, "recipients", config_path)):
        r = _Section(item, f"recipients[{i}]", config_path)
        email = r.get("email", str, required=True)
        if "@" not in email:
            raise r.fail("email", f"expected an e-mail address, got {email!r}")
        r.get("role", str, required=True)
        role = r.choice("role", ROLES, "")
        default = {"owner": ("all",) if len(shop_ids) > 1 else shop_ids,
                   "ads": ("all",) if len(shop_ids) > 1 else shop_ids, "operator": None}[role]
        shops = _string_list(r, "shops", default, shop_ids + ("all",))
        if shops is None:
            raise r.fail("shops", f"an operator needs the shops they run, e.g. [{shop_ids[0]!r}]")
        people.append(Recipient(email=email, role=role, shops=shops, name=r.get("name", str, ""),
                                language=_language(r, languages),
                                reports=_string_list(r, "reports", REPORT_KINDS, REPORT_KINDS) or REPORT_KINDS))
        r.finish()
    return tuple(people)


def _retention(section: _Section) -> RetentionSettings:
    """``[retention]``: whole days, at least 1; a key left out keeps things forever."""
    values = {}
    for key in ("landing_days", "archive_days"):
        value = section.get(key, int, None)
        if value is not None and value < 1:
            raise section.fail(key, f"must be a whole number of days, 1 or more (leave it out to keep "
                                    f"everything); got {value}")
        values[key] = value
    section.finish()
    return RetentionSettings(**values)


def _product_rules(section: _Section) -> ProductRules:
    """``[products]``: every key optional; fractions in (0, 1), multiples > 0, weeks 1–52."""
    values: dict[str, Any] = {}
    for spec in fields(ProductRules):
        name, default = spec.name, spec.default
        value = section.get(name, int if isinstance(default, int) else float, default)
        if name in PRODUCT_FRACTIONS and not 0 < value < 1:
            raise section.fail(name, f"must be a fraction between 0 and 1, e.g. {default}; got {value!r}")
        if name in PRODUCT_WEEKS and not 1 <= value <= 52:
            raise section.fail(name, f"must be a number of weeks from 1 to 52; got {value!r}")
        if name.startswith("min_") and value < 0:
            raise section.fail(name, f"must be 0 or more; got {value!r}")
        if name in PRODUCT_MULTIPLES and value <= 0:
            raise section.fail(name, f"must be a positive multiple, e.g. {default}; got {value!r}")
        values[name] = value
    section.finish()
    return ProductRules(**values)


# ----------------------------------------------------------------------------------------------
# what a report's rendering depends on, kept in its archive manifest
# ----------------------------------------------------------------------------------------------

def render_snapshot(settings: Settings) -> dict[str, Any]:
    """The settings a report context reads (language, currency, time zone, the shops), as JSON
    values; no paths and no secrets."""
    return {"language": settings.language, "reporting_currency": settings.reporting_currency,
            "timezone": settings.timezone, "locale_dirs": [str(p) for p in settings.locale_dirs],
            "shops": [{"id": s.id, "name": s.name, "platform": s.platform, "currency": s.currency,
                       "timezone": s.timezone, "gross_margin": s.gross_margin,
                       "expected_sources": list(s.expected_sources) if s.expected_sources is not None else None}
                      for s in settings.shops]}


def settings_from_snapshot(snapshot: dict[str, Any], folder: Path) -> Settings:
    """Settings for re-rendering an archived report: its snapshot, every path inside ``folder``
    (nothing is read from or written to them)."""
    shops = tuple(ShopConfig(id=s["id"], name=s["name"], platform=s["platform"], currency=s["currency"],
                             timezone=s["timezone"], gross_margin=s["gross_margin"],
                             expected_sources=tuple(s["expected_sources"])
                             if s.get("expected_sources") is not None else None)
                  for s in snapshot["shops"])
    return Settings(config_path=folder / "manifest.json", inbox_dir=folder, warehouse_path=folder / "none.duckdb",
                    landing_dir=folder, archive_dir=folder, outbox_dir=folder, fx_rates_path=None,
                    reporting_currency=snapshot["reporting_currency"], language=snapshot["language"],
                    timezone=snapshot["timezone"], shops=shops,
                    locale_dirs=tuple(Path(p) for p in snapshot.get("locale_dirs", []) if Path(p).is_dir()))
