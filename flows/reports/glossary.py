"""The report glossary, generated from the model ``.yml`` files in ``transforms/<layer>/``.

Metric definitions are written once, in the model that computes them, and every report prints
them. In a model's ``.yml`` a column entry is either a plain string (a description for
developers; not in the glossary) or a mapping with a label::

    columns:
      order_id: the platform order id
      gmv:
        label: {zh-CN: 支付金额, en: GMV}
        definition: {zh-CN: 当日支付的订单行金额之和, en: sum of paid_amount of lines paid on the day}

Every labelled column becomes one glossary entry. Entries are deduplicated by label, keeping the
first in layer order (marts, reports, then intermediate and staging; files by name, columns in
file order).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.reports.i18n import DEFAULT_LANGUAGE

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TRANSFORMS_DIR = REPO_ROOT / "transforms"
# marts first (the canonical definitions), then reports; labels found only in earlier layers
# (e.g. breakeven ROAS on stg_shops) still belong in the glossary, after those
GLOSSARY_LAYERS = ("marts", "reports", "intermediate", "staging")


class GlossaryError(ValueError):
    """A model ``.yml`` file that cannot be read; the message names the file and the column."""


@dataclass(frozen=True)
class GlossaryEntry:
    """One labelled column, in every language its ``.yml`` gives."""

    label: Mapping[str, str]  # language → label, e.g. {"zh-CN": "支付金额", "en": "GMV"}
    definition: Mapping[str, str]  # language → definition (may be empty)
    model: str  # the model (file stem) the column was first found in
    column: str

    def term(self, language: str) -> str:
        return _in_language(self.label, language)

    def text(self, language: str) -> str:
        return _in_language(self.definition, language)


@dataclass(frozen=True)
class GlossaryItem:
    """One glossary line as a report prints it, in the report's language."""

    term: str  # e.g. "支付金额"
    definition: str
    other_term: str  # the label in the other languages, e.g. "GMV" ("" when the same)
    source: str  # "model.column", for readers who want the SQL


def _in_language(values: Mapping[str, str], language: str) -> str:
    for key in (language, DEFAULT_LANGUAGE):
        if values.get(key):
            return values[key]
    return next((v for v in values.values() if v), "")


def _localised(value: Any, where: str) -> dict[str, str]:
    """A label or definition: a mapping language → text, or one text for every language."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {DEFAULT_LANGUAGE: value.strip()}
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v.strip() for k, v in value.items()}
    hint = ""
    if isinstance(value, Mapping) and any(v is None for v in value.values()):
        hint = " (a comma inside an unquoted {…} mapping splits the text: put the text in quotes)"
    raise GlossaryError(f"{where}: expected a text or a mapping language → text, got {value!r}{hint}")


def _columns(document: Any, path: Path) -> Iterable[tuple[str, Any]]:
    if document is None:
        return []
    if not isinstance(document, Mapping):
        raise GlossaryError(f"{path}: expected a mapping at the top level")
    columns = document.get("columns") or {}
    if isinstance(columns, Mapping):
        return list(columns.items())
    if isinstance(columns, list):  # dbt style: [{name: ..., label: ..., definition: ...}]
        items = []
        for i, col in enumerate(columns):
            if not isinstance(col, Mapping) or "name" not in col:
                raise GlossaryError(f"{path}: columns[{i}]: expected a mapping with a name")
            items.append((str(col["name"]), col))
        return items
    raise GlossaryError(f"{path}: columns: expected a mapping of column → description")


def load_glossary(transforms_dir: Path = DEFAULT_TRANSFORMS_DIR,
                  layers: tuple[str, ...] = GLOSSARY_LAYERS) -> list[GlossaryEntry]:
    """Every labelled column of ``transforms_dir/<layer>/*.yml``, deduplicated by label."""
    import yaml  # only needed here; keeps `import flows.reports` cheap

    from flows.yamlfile import load_yaml

    entries: list[GlossaryEntry] = []
    seen: set[tuple[tuple[str, str], ...]] = set()
    for layer in layers:
        for path in sorted((Path(transforms_dir) / layer).glob("*.yml")):
            try:
                document = load_yaml(path.read_text(encoding="utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise GlossaryError(f"{path}: not valid YAML: {exc}") from exc
            for column, spec in _columns(document, path):
                if not isinstance(spec, Mapping) or "label" not in spec:
                    continue  # a plain description: not a glossary term
                where = f"{path}: columns.{column}"
                label = _localised(spec.get("label"), f"{where}.label")
                if not label:
                    continue
                key = tuple(sorted(label.items()))
                if key in seen:
                    continue
                seen.add(key)
                entries.append(GlossaryEntry(
                    label=label,
                    definition=_localised(spec.get("definition"), f"{where}.definition"),
                    model=path.stem,
                    column=str(column),
                ))
    return entries


def glossary_items(language: str, transforms_dir: Path = DEFAULT_TRANSFORMS_DIR,
                   layers: tuple[str, ...] = GLOSSARY_LAYERS) -> list[GlossaryItem]:
    """The glossary in ``language``: one item per distinct term, first definition wins."""
    items: list[GlossaryItem] = []
    seen: set[str] = set()
    for entry in load_glossary(transforms_dir, layers):
        term = entry.term(language)
        if term in seen:
            continue
        seen.add(term)
        others = [v for k, v in entry.label.items() if k != language and v and v != term]
        items.append(GlossaryItem(term=term, definition=entry.text(language),
                                  other_term=" / ".join(dict.fromkeys(others)),
                                  source=f"{entry.model}.{entry.column}"))
    return items
