"""``shopreport init``: a new project folder that works from the first run.

:func:`choose_project` turns the command-line values into a :class:`ProjectConfig`, asking for
what is missing when an ``ask`` function is given (the CLI passes one when stdin is a terminal)
and otherwise taking defaults and saying which. :func:`write_project` writes the folder: a
complete, commented ``shopreport.toml`` (the same writer as the demo's), ``inbox/<shop_id>/``
per shop, empty ``fx_rates.csv`` and ``targets.csv`` with their headers, a ``.gitignore`` and a
``README.txt`` saying what to do next.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flows.config_template import SMTP_PORTS, ProjectConfig, config_text
from flows.settings import (CONFIG_FILE_NAME, BUILT_IN_LANGUAGES, PLATFORMS, SMTP_SECURITY, ConfigError,
                            ShopConfig, parse_settings)

Ask = Callable[[str, str], str]  # (question, default) → answer ("" keeps the default)

DEFAULT_SHOP = ShopConfig(id="tmall_flagship", name="天猫旗舰店", platform="tmall", currency="CNY")
DEFAULT_TIMEZONE = "Asia/Shanghai"
OUTBOX_SENDER = "shopreport@localhost"
FX_HEADER = "rate_date,currency,rate_to_reporting\n"
TARGETS_HEADER = "shop_id,month,gmv_target,ad_cost_target\n"
GITIGNORE = """\
# written by `shopreport init`: what shopreport makes, and the exports (they hold customer data)
warehouse/
landing/
archive/
outbox/
inbox/
"""


class InitError(ValueError):
    """A value given to ``shopreport init`` is not usable; the message says which and why."""


@dataclass
class InitOptions:
    """What the command line gave (None: not given)."""

    shops: list[str] = field(default_factory=list)  # ID[:PLATFORM[:CURRENCY[:NAME]]]
    name: str | None = None
    platform: str | None = None
    currency: str | None = None
    reporting_currency: str | None = None
    language: str | None = None
    timezone: str | None = None
    mail_to: list[str] = field(default_factory=list)
    mail_from: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: str | None = None
    smtp_user: str | None = None


def default_currency(platform: str) -> str:
    return "USD" if platform == "shopify" else "CNY"


def parse_shop(spec: str, platform: str | None = None, currency: str | None = None,
               name: str | None = None, timezone: str = DEFAULT_TIMEZONE) -> ShopConfig:
    """``tmall_flagship:tmall:CNY:天猫旗舰店`` (platform, currency and name may be left out; then
    ``platform``/``currency``/``name`` apply, else tmall, CNY (USD for shopify) and the id)."""
    parts = spec.split(":", 3)
    shop_id = parts[0].strip()
    if not shop_id or not shop_id.isascii() or not shop_id.replace("_", "").replace("-", "").isalnum():
        raise InitError(f"--shop {spec!r}: the shop id names a folder; use letters, digits, - and _ "
                        f"(e.g. tmall_flagship)")
    shop_platform = (parts[1].strip().lower() if len(parts) > 1 and parts[1].strip() else platform) or "tmall"
    if shop_platform not in PLATFORMS:
        raise InitError(f"--shop {spec!r}: unknown platform {shop_platform!r} (one of {', '.join(PLATFORMS)})")
    shop_currency = _currency(parts[2] if len(parts) > 2 and parts[2].strip() else
                              currency or default_currency(shop_platform), f"--shop {spec!r}")
    shop_name = (parts[3].strip() if len(parts) > 3 and parts[3].strip() else name) or shop_id
    return ShopConfig(id=shop_id, name=shop_name, platform=shop_platform, currency=shop_currency,
                      timezone=timezone)


def _currency(value: str, where: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise InitError(f"{where}: a currency is a 3-letter ISO code such as CNY or USD; got {value!r}")
    return code


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InitError(f"--timezone: unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
    return value


def _addresses(values: list[str], where: str) -> tuple[str, ...]:
    found = tuple(a.strip() for v in values for a in v.replace(";", ",").split(",") if a.strip())
    bad = [a for a in found if "@" not in a]
    if bad:
        raise InitError(f"{where}: {bad[0]!r} is not an e-mail address")
    return found


def _asking(ask: Ask, question: str, default: str, check: Callable[[str], object]) -> str:
    """Ask until the answer passes ``check`` (which raises InitError with the reason)."""
    while True:
        answer = ask(question, default).strip() or default
        try:
            check(answer)
            return answer
        except InitError as exc:
            print(f"  {exc}")


def choose_project(options: InitOptions, ask: Ask | None = None,
                   say: Callable[[str], None] = print) -> ProjectConfig:
    """The project's configuration from ``options``; what is missing is asked with ``ask``, or,
    without it, taken from the defaults (each default named through ``say``)."""
    timezone = _timezone(options.timezone) if options.timezone else None
    if ask and timezone is None:
        timezone = _asking(ask, "Time zone of the reports (IANA name)", DEFAULT_TIMEZONE, _timezone)
    timezone = timezone or DEFAULT_TIMEZONE

    if options.name and len(options.shops) > 1:
        raise InitError("--name is for one shop; with several --shop give each name in the spec "
                        "(--shop ID:PLATFORM:CURRENCY:NAME)")
    shops = [parse_shop(spec, options.platform, options.currency, options.name, timezone)
             for spec in options.shops]
    if not shops and ask:
        shops = _ask_shops(ask, options, timezone)
    elif not shops:
        platform = options.platform or DEFAULT_SHOP.platform
        shop = parse_shop(DEFAULT_SHOP.id if platform == DEFAULT_SHOP.platform else f"{platform}_store",
                          platform, options.currency,
                          options.name or (DEFAULT_SHOP.name if platform == DEFAULT_SHOP.platform else None),
                          timezone)
        shops = [shop]
        say(f"no shop given (--shop): one {shop.platform} shop {shop.id!r} ({shop.name}) in {shop.currency}; "
            f"rename it or add shops in [[shops]] of shopreport.toml")
    ids = [s.id for s in shops]
    if len(set(ids)) != len(ids):
        raise InitError(f"--shop: a shop id appears twice ({', '.join(ids)})")

    currencies = list(dict.fromkeys(s.currency for s in shops))
    reporting = _currency(options.reporting_currency, "--reporting-currency") if options.reporting_currency else None
    if reporting is None and ask and len(currencies) > 1:
        reporting = _currency(_asking(ask, "Currency of the all-shops report", currencies[0],
                                      lambda v: _currency(v, "currency")), "currency")
    reporting = reporting or currencies[0]

    language = options.language
    if language is None and ask:
        language = _asking(ask, f"Report language ({' or '.join(BUILT_IN_LANGUAGES)})", BUILT_IN_LANGUAGES[0],
                           lambda v: _choice(v, BUILT_IN_LANGUAGES, "language"))
    language = language or BUILT_IN_LANGUAGES[0]

    mail_to = _addresses(options.mail_to, "--mail-to")
    if not mail_to and ask:
        mail_to = _addresses([_asking(ask, "Who gets the reports (e-mail addresses, comma-separated; "
                                           "empty: nobody yet)", "",
                                      lambda v: _addresses([v], "address"))], "address")

    smtp_host = options.smtp_host
    if smtp_host is None and ask:
        smtp_host = ask("SMTP server to send the mails (empty: write them to the outbox folder)", "").strip()
    smtp_host = (smtp_host or "").strip()
    security = options.smtp_security or ""
    port = options.smtp_port
    user = options.smtp_user or ""
    sender = options.mail_from or ""
    if smtp_host:
        if not security and ask:
            security = _asking(ask, f"SMTP security ({', '.join(SMTP_SECURITY)})", "ssl",
                               lambda v: _choice(v, SMTP_SECURITY, "security"))
        security = security or "ssl"
        if port is None and ask:
            port = int(_asking(ask, "SMTP port", str(SMTP_PORTS[security]), _port))
        port = port or SMTP_PORTS[security]
        if options.smtp_user is None and ask:
            user = ask("SMTP login (empty: no login)", "").strip()
        if not sender and ask:
            sender = _asking(ask, "Sender address (From)", user if "@" in user else f"shopreport@{smtp_host}",
                             lambda v: _addresses([v], "From"))
        sender = sender or (user if "@" in user else f"shopreport@{smtp_host}")
    else:
        if options.smtp_port or options.smtp_security or options.smtp_user:
            raise InitError("--smtp-port, --smtp-security and --smtp-user need --smtp-host")
        say("no SMTP server (--smtp-host): mails are written to the outbox folder as .eml files "
            "(set [mail] smtp_host in shopreport.toml to send them)")
        sender = sender or OUTBOX_SENDER
    if not mail_to:
        say("no recipients (--mail-to): add them to [mail] to in shopreport.toml")
    _addresses([sender], "--mail-from")
    if port is not None:
        _port(str(port))

    return ProjectConfig(
        shops=tuple(shops), title="shopreport configuration, written by `shopreport init`.",
        reporting_currency=reporting, language=language, timezone=timezone, mail_from=sender,
        mail_to=mail_to, smtp_host=smtp_host, smtp_port=port or 465, smtp_security=security or "ssl",
        smtp_user=user)


def _ask_shops(ask: Ask, options: InitOptions, timezone: str) -> list[ShopConfig]:
    shops: list[ShopConfig] = []
    while True:
        n = len(shops) + 1
        default_id = DEFAULT_SHOP.id if not shops else f"shop{n}"
        shop_id = _asking(ask, f"Shop {n}: id (letters, digits, _; names its inbox folder)", default_id,
                          lambda v: _new_shop_id(v, shops))
        platform = _asking(ask, f"Shop {n}: platform ({', '.join(PLATFORMS)})",
                           options.platform or DEFAULT_SHOP.platform,
                           lambda v: _choice(v.lower(), PLATFORMS, "platform")).lower()
        currency = _currency(_asking(ask, f"Shop {n}: currency", options.currency or default_currency(platform),
                                     lambda v: _currency(v, "currency")), "currency")
        name = _asking(ask, f"Shop {n}: name shown in the reports",
                       options.name or (DEFAULT_SHOP.name if shop_id == DEFAULT_SHOP.id else shop_id), len)
        shops.append(ShopConfig(id=shop_id, name=name, platform=platform, currency=currency, timezone=timezone))
        if not ask("Add another shop? (y/N)", "n").strip().lower().startswith("y"):
            return shops


def _new_shop_id(shop_id: str, shops: list[ShopConfig]) -> None:
    parse_shop(shop_id)  # raises InitError for an id that cannot name a folder
    if shop_id in [s.id for s in shops]:
        raise InitError(f"there is a shop {shop_id!r} already; choose another id")


def _choice(value: str, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise InitError(f"{what}: choose one of {', '.join(choices)}; got {value!r}")
    return value


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise InitError(f"port: a TCP port number such as 465 or 587; got {value!r}")
    return int(value)


def check_target(target: Path, *, force: bool = False) -> Path:
    """The configuration file to write in ``target``; InitError when one exists (and not ``force``)."""
    config = target / CONFIG_FILE_NAME
    if config.exists() and not force:
        raise InitError(f"{config} exists already; not overwriting it. Pass --force to replace it "
                        f"(the other files in the folder are kept), or choose another folder")
    if target.exists() and not target.is_dir():
        raise InitError(f"{target} is a file, not a folder")
    return config


def write_project(target: Path, project: ProjectConfig, *, force: bool = False) -> list[Path]:
    """Write the project folder; returns what was written. Refuses to replace an existing
    ``shopreport.toml`` unless ``force``; other existing files are kept as they are."""
    config = check_target(target, force=force)
    text = config_text(project)
    try:  # what init writes must load: check it before anything is written
        parse_settings(tomllib.loads(text), config.resolve())
    except (ConfigError, tomllib.TOMLDecodeError) as exc:
        raise InitError(f"the configuration would not load: {exc}") from exc
    target.mkdir(parents=True, exist_ok=True)
    written = [config]
    config.write_text(text, encoding="utf-8", newline="\n")
    for shop in project.shops:
        folder = target / "inbox" / shop.id
        folder.mkdir(parents=True, exist_ok=True)
        written.append(folder)
    for name, content in (("fx_rates.csv", FX_HEADER), ("targets.csv", TARGETS_HEADER),
                          (".gitignore", GITIGNORE), ("README.txt", readme_text(project))):
        path = target / name
        if not path.exists() or (force and name == "README.txt"):
            path.write_text(content, encoding="utf-8", newline="\n")
            written.append(path)
    return written


def readme_text(project: ProjectConfig) -> str:
    """``README.txt``: what to do next, in the project's words."""
    width = max(len(s.id) for s in project.shops) + 8
    shop_lines = "\n".join(f"     {f'inbox/{s.id}/':<{width}} {s.name} ({s.platform}, {s.currency})"
                           for s in project.shops)
    other = [s.currency for s in project.shops if s.currency != project.reporting_currency]
    fx = (f"\n   Shops in {', '.join(dict.fromkeys(other))} need a daily rate to {project.reporting_currency} "
          f"in fx_rates.csv\n   (rate_date,currency,rate_to_reporting) for the all-shops report.\n") if other else ""
    mail = (f"Mails are sent through {project.smtp_host}:{project.smtp_port} ({project.smtp_security}); "
            f"put the password\n   in the environment: export SHOPREPORT_SMTP_PASSWORD=…"
            if project.smtp_host else
            "Mails are written to outbox/ as .eml files until you set smtp_host in [mail].")
    return f"""\
shopreport project folder (written by `shopreport init`)

What to do next

1. Check the setup:            shopreport doctor
   It checks the fonts, the PDF engine, the warehouse, the inbox, SMTP and webhooks, and says
   what to fix.

2. Drop each shop's exports (orders, 生意参谋 traffic, ad spend; .csv or .xlsx, as downloaded)
   into its inbox folder:
{shop_lines}
   `shopreport inspect FILE` shows how a file would be read; `shopreport profiles` lists the
   formats shopreport recognises.
{fx}
3. Make yesterday's report:    shopreport run daily
   (or a given day: shopreport run daily --date 2026-11-22). The PDF lands in archive/daily/.
   {mail}

shopreport.toml holds every setting, with comments. Optional: monthly targets per shop in
targets.csv (shop_id,month,gmv_target,ad_cost_target), chat groups in [[webhooks]].
Run `shopreport doctor` again after any change.
"""
