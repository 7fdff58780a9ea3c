"""Report languages: one TOML file per language holds its texts and its number and date rules.

The built-in files are ``flows/reports/locales/zh-CN.toml`` and ``en.toml``; a user's own folders
(``paths.locales``, passed as ``extra_dirs``) may add languages (``ja.toml``) or override
built-in texts key by key (a ``zh-CN.toml`` holding only the keys to change). A key a language
lacks falls back to English, with one warning per key. docs/i18n.md describes the file.

This module holds only the generic logic the ``[format]`` rules drive:

- money: ``large_number_style`` "wan" (``¥12.3万``, ``¥1.23亿``, in every amount) or
  "thousands" (``¥123,456``, and ``$12.3K`` / ``¥1.2M`` in compact amounts: mail subjects,
  chart axes); currency symbols by code (CNY ¥, USD $, otherwise the code).
- percentages ``3.21%``; changes ``+8.3%``; percentage points ``+0.4个百分点`` / ``+0.4pp``.
- dates ``2026年11月22日 周日`` / ``Sun 22 Nov 2026``; ISO weeks ``2026-W47``.

Nothing here reads configuration; :func:`report_locale` takes the language and the extra folders
from a ``Settings``.
"""

from __future__ import annotations

import logging
import math
import string
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flows.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "zh-CN"
FALLBACK_LANGUAGE = "en"  # the reference file: every key, and the text of keys a language lacks
LOCALES_DIR = Path(__file__).resolve().parent / "locales"

CURRENCY_SYMBOLS: Mapping[str, str] = {"CNY": "¥", "USD": "$"}

# large_number_style → the amounts its large_number_units stand for, smallest first
LARGE_NUMBER_STEPS: Mapping[str, tuple[int, ...]] = {
    "wan": (10_000, 100_000_000),
    "thousands": (1_000, 1_000_000, 1_000_000_000),
}
# [format] rules whose value is one of a few words
FORMAT_CHOICES: Mapping[str, tuple[str, ...]] = {
    "currency_position": ("before", "after"),
    "large_number_style": tuple(LARGE_NUMBER_STEPS),
    "large_numbers_in": ("all", "compact"),
}
# labels the code fills with more values than a language needs to use: a translation picks
# (Latin file names name the shop by its id, Chinese ones by its name)
OPTIONAL_PLACEHOLDERS: Mapping[str, frozenset[str]] = {
    "file_stem": frozenset({"scope_name", "scope_id"}),
    "weekly.file_stem": frozenset({"scope_name", "scope_id"}),
}


class LocaleError(ValueError):
    """A translation file that cannot be used (unreadable, or a rule of the wrong kind)."""


class UnknownLanguageError(LocaleError):
    """A language with no translation file."""


@dataclass(frozen=True)
class Locale:
    """Labels and formatters of one language. Every formatter returns the missing mark for None.

    ``labels`` maps a dotted key (``metric.gmv``) to its text; ``fmt`` holds the ``[format]``
    rules; ``files`` are the translation files read, English fallback first.
    """

    language: str
    labels: Mapping[str, str] = field(repr=False)
    fmt: Mapping[str, Any] = field(repr=False)
    files: tuple[Path, ...] = field(default=(), compare=False)

    # ----- labels -------------------------------------------------------------------------
    def t(self, key: str, **values: Any) -> str:
        """The label ``key``, with ``{placeholders}`` filled from ``values``."""
        text = self.labels[key]
        if not values:
            return text
        try:
            return text.format(**values)
        except (KeyError, IndexError) as exc:
            raise LocaleError(f"label {key!r} of {self.language!r} uses {{{exc.args[0]}}}, which the "
                              f"report does not fill (it fills {', '.join(sorted(values))})") from None

    def lookup(self, prefix: str, code: str) -> str:
        """The label ``prefix.code`` when there is one, else ``code`` itself (channel/source codes)."""
        return self.labels.get(f"{prefix}.{code}", code)

    @property
    def missing(self) -> str:
        return self.fmt["missing"]

    # ----- numbers ------------------------------------------------------------------------
    def _written(self, text: str) -> str:
        """A number Python wrote (``-1,234.5``, ``+8.3``) in this language's signs and separators."""
        return text.translate({ord(","): self.fmt["group_separator"], ord("."): self.fmt["decimal_separator"],
                               ord("-"): self.fmt["minus_sign"], ord("+"): self.fmt["plus_sign"]})

    def integer(self, value: float | None) -> str:
        """``12,345``."""
        if _absent(value):
            return self.missing
        return self._written(f"{round(value):,}")

    def number(self, value: float | None, decimals: int = 2) -> str:
        """``3.21`` (ROAS and other multiples)."""
        if _absent(value):
            return self.missing
        return self._written(f"{value:,.{decimals}f}")

    def money(self, value: float | None, currency: str, *, compact: bool = False,
              decimals: int | None = None) -> str:
        """``¥12.3万`` / ``¥1,234.56`` (zh-CN), ``¥123,456`` / ``$45.67`` / ``¥1.2M`` (en).

        ``compact`` uses the language's large-number units also where ``large_numbers_in`` is
        "compact" (mail subjects, chart axes); ``decimals`` overrides the decimals of amounts
        below the units.
        """
        if _absent(value):
            return self.missing
        negative = value < 0 and round(abs(value), 2) > 0
        amount = abs(value)
        digits = None
        for threshold, unit, unit_decimals in self._money_units(compact):
            if amount >= threshold:
                digits = self._written(f"{amount / threshold:,.{unit_decimals}f}") + unit
                break
        if digits is None:
            if decimals is None:
                whole = round(amount, 2) >= self.fmt["money_whole_from"]
                decimals = 0 if whole else self.fmt["money_decimals"]
            digits = self._written(f"{amount:,.{decimals}f}")
        sign = self.fmt["minus_sign"] if negative else ""
        symbol = currency_symbol(currency)
        if self.fmt["currency_position"] == "after":
            return f"{sign}{digits} {symbol.strip()}"
        return f"{sign}{symbol}{digits}"

    def signed_money(self, value: float | None, currency: str) -> str:
        """A change of an amount, always signed: ``+¥1.7万`` / ``-$250.00`` (``+`` for zero)."""
        if _absent(value):
            return self.missing
        sign = self.fmt["plus_sign"] if value >= 0 else self.fmt["minus_sign"]
        return sign + self.money(abs(value), currency)

    def _money_units(self, compact: bool) -> list[tuple[int, str, int]]:
        """(threshold, unit, decimals), largest first; none where this amount keeps its digits."""
        if not compact and self.fmt["large_numbers_in"] != "all":
            return []
        steps = LARGE_NUMBER_STEPS[self.fmt["large_number_style"]]
        units = zip(steps, self.fmt["large_number_units"], self.fmt["large_number_decimals"], strict=True)
        return sorted(units, reverse=True)

    def percent(self, fraction: float | None, decimals: int = 2) -> str:
        """A rate given as a fraction: 0.0321 → ``3.21%``."""
        if _absent(fraction):
            return self.missing
        return self.fmt["percent"].format(number=self._written(f"{fraction * 100:,.{decimals}f}"))

    def signed_percent(self, change: float | None, decimals: int = 1) -> str:
        """A relative change given as a fraction: 0.083 → ``+8.3%``, -0.031 → ``-3.1%``."""
        if _absent(change):
            return self.missing
        return self.fmt["percent"].format(number=self._signed(change * 100, decimals))

    def signed_pp(self, diff: float | None, decimals: int = 1) -> str:
        """A difference of two rates in percentage points: 0.004 → ``+0.4pp`` / ``+0.4个百分点``."""
        if _absent(diff):
            return self.missing
        return self.fmt["percentage_points"].format(number=self._signed(diff * 100, decimals))

    def signed_number(self, diff: float | None, decimals: int = 2) -> str:
        """A plain difference: 0.3 → ``+0.30``."""
        if _absent(diff):
            return self.missing
        return self._signed(diff, decimals)

    def _signed(self, value: float, decimals: int) -> str:
        """``+8.3`` / ``-3.1``; a value that rounds to zero has no sign (never ``-0.0``)."""
        rounded = round(value, decimals)
        if rounded == 0:
            return self._written(f"{0:.{decimals}f}")
        return self._written(f"{rounded:+,.{decimals}f}")

    # ----- dates --------------------------------------------------------------------------
    def _date(self, rule: str, d: date) -> str:
        iso_year, week, _ = d.isocalendar()
        return self.fmt[rule].format(year=d.year, month=d.month, day=d.day,
                                     weekday=self.fmt["weekdays"][d.weekday()],
                                     month_name=self.fmt["months"][d.month - 1],
                                     iso_year=iso_year, week=f"{week:02d}")

    def date_long(self, d: date | None) -> str:
        """``2026年11月22日 周日`` / ``Sun 22 Nov 2026``."""
        return self.missing if d is None else self._date("date_long", d)

    def date_short(self, d: date | None) -> str:
        """``11月22日`` / ``22 Nov``."""
        return self.missing if d is None else self._date("date_short", d)

    def date_axis(self, d: date) -> str:
        """Chart axis label: ``11/22`` / ``22 Nov``."""
        return self._date("date_axis", d)

    def month_year(self, d: date) -> str:
        """The month of ``d``: ``2026年11月`` / ``Nov 2026``."""
        return self._date("month_year", d)

    def iso_week(self, d: date) -> str:
        """The ISO week of ``d`` as the report shows it: ``2026-W47``."""
        return self._date("iso_week", d)

    def week_axis(self, d: date) -> str:
        """Chart axis label of the ISO week of ``d``: ``W47``."""
        return self._date("week_axis", d)


def _absent(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def currency_symbol(currency: str) -> str:
    """``¥`` for CNY, ``$`` for USD, otherwise the code followed by a space (``EUR 12``)."""
    symbol = CURRENCY_SYMBOLS.get(currency)
    return symbol if symbol is not None else f"{currency} "


# ----------------------------------------------------------------------------------------------
# translation files
# ----------------------------------------------------------------------------------------------

def _locale_dirs(extra_dirs: Iterable[Path | str]) -> list[Path]:
    return [LOCALES_DIR, *(Path(d) for d in extra_dirs)]


def available_locales(extra_dirs: Iterable[Path | str] = ()) -> tuple[str, ...]:
    """The languages with a translation file, built in or in ``extra_dirs``, sorted."""
    return tuple(sorted({p.stem for d in _locale_dirs(extra_dirs) if d.is_dir() for p in d.glob("*.toml")}))


def read_locale_file(path: Path) -> dict[str, Any]:
    """One translation file as flat keys: labels (``metric.gmv`` → text) and ``format.<rule>``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LocaleError(f"{path}: cannot read the translation file: {exc}") from None
    flat: dict[str, Any] = {}
    fmt = data.pop("format", {})
    if not isinstance(fmt, dict):
        raise LocaleError(f"{path}: [format] must be a table of rules")
    flat.update({f"format.{rule}": value for rule, value in fmt.items()})

    def add(prefix: str, table: Mapping[str, Any]) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                add(f"{prefix}{key}.", value)
            elif isinstance(value, str):
                flat[f"{prefix}{key}"] = value
            else:
                raise LocaleError(f"{path}: {prefix}{key} must be a text in quotes, got {value!r}")

    add("", data)
    return flat


def _read_merged(files: Sequence[Path]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in files:
        merged.update(read_locale_file(path))
    return merged


def template_fields(text: str) -> set[str]:
    """The ``{placeholders}`` of a label: ``"{scope} 日报"`` → ``{"scope"}``."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text)
            if name is not None}


def placeholder_problem(key: str, text: str, reference: str) -> str | None:
    """Why ``text`` cannot stand for the English ``reference`` of label ``key``, or None when it can.

    A translation uses the same placeholders as English; in :data:`OPTIONAL_PLACEHOLDERS` it
    picks among the optional ones.
    """
    try:
        fields, expected = template_fields(text), template_fields(reference)
    except ValueError as exc:  # an unbalanced brace
        return f"{key}: {exc}"
    optional = OPTIONAL_PLACEHOLDERS.get(key, frozenset())
    unknown = fields - expected - optional
    lost = (expected - optional) - fields
    if unknown or lost:
        parts = [f"uses {{{n}}}, which English does not" for n in sorted(unknown)]
        parts += [f"lacks {{{n}}}" for n in sorted(lost)]
        return f"{key}: {'; '.join(parts)}"
    if optional and not fields & optional:
        return f"{key}: uses none of {', '.join('{' + n + '}' for n in sorted(optional))}"
    return None


def locale_problems(entries: Mapping[str, Any], reference: Mapping[str, Any]) -> list[str]:
    """What a translation (:func:`read_locale_file` output) lacks or adds against English."""
    problems = [f"{key}: missing" for key in reference if key not in entries]
    problems += [f"{key}: not a key of en.toml" for key in entries if key not in reference]
    for key, text in entries.items():
        if key in reference and not key.startswith("format.") and isinstance(reference[key], str):
            problem = placeholder_problem(key, text, reference[key])
            if problem:
                problems.append(problem)
    return problems


def get_locale(language: str | None = None, extra_dirs: Iterable[Path | str] = ()) -> Locale:
    """The :class:`Locale` for ``language`` (default zh-CN).

    ``<language>.toml`` is read from the built-in folder and then from each of ``extra_dirs``; a
    later file overrides the keys it holds. A key the language lacks, or a label with other
    placeholders than English, takes the English text (one warning each). Raises
    :class:`UnknownLanguageError` when no folder has the file and :class:`LocaleError` for a
    file that cannot be read or a ``[format]`` rule of the wrong kind.
    """
    language = language or DEFAULT_LANGUAGE
    dirs = _locale_dirs(extra_dirs)
    files = [d / f"{language}.toml" for d in dirs if (d / f"{language}.toml").is_file()]
    if not files:
        known = ", ".join(available_locales(extra_dirs))
        where = ", ".join(str(d) for d in dirs)
        raise UnknownLanguageError(f"unknown report language {language!r} (known: {known}; "
                                   f"translation files are looked for in {where})")
    entries = _read_merged(files)
    fallback_files = [d / f"{FALLBACK_LANGUAGE}.toml" for d in dirs if (d / f"{FALLBACK_LANGUAGE}.toml").is_file()]
    if language != FALLBACK_LANGUAGE:
        reference = _read_merged(fallback_files)
        for key, english in reference.items():
            if key not in entries:
                log.warning("report language %s has no %s; using the English text", language, key)
                entries[key] = english
            elif not key.startswith("format.") and (problem := placeholder_problem(key, entries[key], english)):
                log.warning("report language %s: %s; using the English text", language, problem)
                entries[key] = english
        files = [*fallback_files, *files]
    labels = {k: v for k, v in entries.items() if not k.startswith("format.")}
    fmt = {k.removeprefix("format."): v for k, v in entries.items() if k.startswith("format.")}
    _check_format(fmt, language, files)
    return Locale(language=language, labels=labels, fmt=fmt, files=tuple(files))


def report_locale(settings: "Settings", language: str | None = None) -> Locale:
    """The locale a report uses: ``language`` (default the configured one), with the translation
    files of the settings' ``locale_dirs`` (``paths.locales``)."""
    return get_locale(language or settings.language, settings.locale_dirs)


def _check_format(fmt: Mapping[str, Any], language: str, files: Sequence[Path]) -> None:
    """Raise :class:`LocaleError` for a ``[format]`` rule the formatters cannot use."""
    def fail(rule: str, expected: str) -> None:
        where = ", ".join(str(f) for f in files)
        raise LocaleError(f"report language {language}: [format] {rule} must be {expected}, "
                          f"got {fmt.get(rule)!r} ({where})")

    for rule, choices in FORMAT_CHOICES.items():
        if fmt.get(rule) not in choices:
            fail(rule, " or ".join(f'"{c}"' for c in choices))
    for rule in ("missing", "decimal_separator", "group_separator", "plus_sign", "minus_sign",
                 "percent", "percentage_points", "date_long", "date_short", "date_axis",
                 "month_year", "iso_week", "week_axis"):
        if not isinstance(fmt.get(rule), str):
            fail(rule, "a text in quotes")
    for rule in ("percent", "percentage_points"):
        if template_fields(fmt[rule]) != {"number"}:
            fail(rule, 'a text with {number}, e.g. "{number}%"')
    if not isinstance(fmt.get("money_decimals"), int) or fmt["money_decimals"] < 0:
        fail("money_decimals", "a whole number ≥ 0")
    if not isinstance(fmt.get("money_whole_from"), int | float):
        fail("money_whole_from", "a number (inf: never)")
    for rule, count in (("weekdays", 7), ("months", 12)):
        if not (isinstance(fmt.get(rule), list) and len(fmt[rule]) == count
                and all(isinstance(v, str) for v in fmt[rule])):
            fail(rule, f"a list of {count} texts")
    steps = len(LARGE_NUMBER_STEPS[fmt["large_number_style"]])
    units, decimals = fmt.get("large_number_units"), fmt.get("large_number_decimals")
    if not (isinstance(units, list) and len(units) == steps and all(isinstance(u, str) for u in units)):
        fail("large_number_units", f"a list of {steps} texts for large_number_style {fmt['large_number_style']!r}")
    if not (isinstance(decimals, list) and len(decimals) == steps
            and all(isinstance(n, int) and n >= 0 for n in decimals)):
        fail("large_number_decimals", f"a list of {steps} whole numbers")
