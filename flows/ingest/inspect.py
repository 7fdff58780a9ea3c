"""``shopreport inspect FILE``: how ingest would read a file, without loading it."""

from __future__ import annotations

from pathlib import Path

from flows.ingest.load import FileRefused, _Header, _resolve, parse_rows, recognise
from flows.ingest.profiles import NoMatch, load_profiles
from flows.ingest.readers import UnreadableFile, read_table
from flows.settings import Settings, ShopConfig


def inspect_file(path: Path, settings: Settings | None, rows: int = 5, shop_id: str | None = None) -> str:
    lines = [f"file: {path}"]
    try:
        table = read_table(path)
    except (UnreadableFile, OSError) as exc:
        return "\n".join(lines + [f"cannot read it: {exc}"])
    table, match = recognise(table, load_profiles(settings.profiles_dir if settings else None))
    where = f"; sheet {table.sheet!r}" if table.sheet else ""
    delimiter = {",": "comma", "\t": "tab", ";": "semicolon"}.get(table.delimiter or "", "")
    lines.append(f"encoding: {table.encoding}{where}{'; ' + delimiter + '-separated' if delimiter else ''}; "
                 f"{len(table.rows)} rows including header and title rows")
    if isinstance(match, NoMatch):
        lines.append(match.explain())
        return "\n".join(lines)
    profile = match.profile
    origin = "your profile " + str(profile.path) if profile.user_defined else "built-in"
    lines.append(f"profile: {profile.name} — {profile.title} (entity {profile.entity}, {origin}; header on "
                 f"row {table.row_numbers[match.header_index]})")
    shop = _shop(settings, shop_id, profile)
    if not profile.fits_shop(shop.platform):
        lines.append(f"note: shop {shop.id} is a {shop.platform} shop; ingest refuses this "
                     f"{', '.join(profile.shop_platforms)} export there")
    header = _Header(match.headers)
    try:
        resolved, captures = _resolve(profile, header)
    except FileRefused as exc:
        resolved, captures = [], {}
        refusal = str(exc)
    else:
        refusal = None
    lines.append("column mapping:")
    kinds = {r.spec.name: r for r in resolved}
    for spec in profile.columns:
        item = kinds.get(spec.name)
        if item is None:
            source = "MISSING" + (" (required)" if spec.required else "")
        elif item.kind == "source":
            source = f"{item.label!r} as {spec.type}"
        elif item.kind == "concat":
            source = " + ".join(repr(match.headers[i]) for i in item.positions) + f" as {spec.type}"
        elif item.kind == "product":
            source = " × ".join(repr(match.headers[i]) for i in item.positions) + f" as {spec.type}"
        elif item.kind == "ordinal":
            source = f"position within {spec.ordinal_within!r}"
        elif item.kind == "constant":
            source = f"constant {spec.value!r}"
        else:
            source = "not in this file"
        if spec.mapped and item is not None and item.kind == "source":
            source += " (mapped)"
        if spec.when or spec.unless:
            source += f" — only where {spec.when.describe() or 'any row'}" + (
                f", not where {spec.unless.describe()}" if spec.unless else "")
        lines.append(f"  {spec.name:20} ← {source}")
    if captures:
        lines.append("from the header: " + ", ".join(f"{k} = {v}" for k, v in captures.items()))
    used = {i for r in resolved for i in r.positions}
    unused = [h for i, h in enumerate(match.headers) if h and i not in used]
    if unused:
        lines.append(f"not used ({len(unused)}): {', '.join(unused[:30])}" + (" …" if len(unused) > 30 else ""))
    if refusal:
        lines.append(f"would be refused: {refusal}")
        return "\n".join(lines)
    try:
        parsed = parse_rows(table.rows, table.row_numbers, match, shop, "inspect", path.name, table.encoding)
    except FileRefused as exc:
        lines.append(f"would be refused: {exc}")
        return "\n".join(lines)
    if parsed.business_date_from:
        day = parsed.frame["business_date"].iloc[0] if len(parsed.frame) else None
        lines.append(f"no date column: the day comes from the {parsed.business_date_from}"
                     + (f" ({day:%Y-%m-%d})" if day is not None else ""))
    lines.append(f"rows: {parsed.rows_read} read, {len(parsed.frame)} parse cleanly, "
                 f"{parsed.rows_read - len(parsed.frame)} would be rejected, {parsed.summary_rows} summary rows skipped")
    for r in parsed.rejects[:10]:
        lines.append(f"  reject row {r['source_row']}, column {r['column_name'] or '(whole row)'}: {r['reason']} "
                     f"(value {r['raw_value']!r})")
    if len(parsed.rejects) > 10:
        lines.append(f"  … and {len(parsed.rejects) - 10} more")
    if len(parsed.frame):
        lines.append("first rows as parsed:")
        frame = parsed.frame.head(rows).dropna(axis="columns", how="all")
        lines.append(frame.to_string(max_colwidth=24))
    return "\n".join(lines)


def _shop(settings: Settings | None, shop_id: str | None, profile) -> ShopConfig:
    if settings and settings.shops:
        if shop_id:
            return settings.shop(shop_id)
        fitting = [s for s in settings.shops if profile.fits_shop(s.platform)]
        return (fitting or list(settings.shops))[0]
    return ShopConfig(id="inspect", name="inspect", platform="other", currency="CNY")
