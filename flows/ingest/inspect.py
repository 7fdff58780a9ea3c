"""``shopreport inspect FILE``: how ingest would read a file, without loading it."""

from __future__ import annotations

from pathlib import Path

from flows.ingest.load import FileRefused, parse_rows
from flows.ingest.profiles import NoMatch, load_profiles, match_profile
from flows.ingest.readers import UnreadableFile, read_table
from flows.settings import Settings, ShopConfig


def inspect_file(path: Path, settings: Settings | None, rows: int = 5) -> str:
    lines = [f"file: {path}"]
    try:
        table = read_table(path)
    except (UnreadableFile, OSError) as exc:
        return "\n".join(lines + [f"cannot read it: {exc}"])
    lines.append(f"encoding: {table.encoding}; {len(table.rows)} rows including header and title rows")
    match = match_profile(table.rows, load_profiles(settings.profiles_dir if settings else None))
    if isinstance(match, NoMatch):
        lines.append(match.explain())
        return "\n".join(lines)
    profile = match.profile
    lines.append(f"profile: {profile.name} — {profile.title} (entity {profile.entity}; header on row "
                 f"{table.row_numbers[match.header_index]})")
    lines.append("column mapping:")
    for spec in profile.columns:
        found = next((s for s in spec.sources if s in match.headers), None)
        if found:
            source = f"{found!r} as {spec.type}"
        elif spec.ordinal_within:
            source = f"position within {spec.ordinal_within!r}"
        elif spec.value is not None:
            source = f"constant {spec.value!r}"
        else:
            source = "MISSING" + (" (required)" if spec.required else "")
        lines.append(f"  {spec.name:20} ← {source}")
    unused = [h for h in match.headers if h and h not in profile.source_headers]
    if unused:
        lines.append(f"not used ({len(unused)}): {', '.join(unused[:30])}")
    shop = settings.shops[0] if settings else ShopConfig(id="inspect", name="inspect", platform="other",
                                                          currency="CNY")
    try:
        parsed = parse_rows(table.rows, table.row_numbers, match, shop, "inspect", path.name, table.encoding)
    except FileRefused as exc:
        lines.append(f"would be refused: {exc}")
        return "\n".join(lines)
    lines.append(f"rows: {parsed.rows_read} read, {len(parsed.frame)} parse cleanly, "
                 f"{parsed.rows_read - len(parsed.frame)} would be rejected, {parsed.summary_rows} summary rows skipped")
    for r in parsed.rejects[:10]:
        lines.append(f"  reject row {r['source_row']}, column {r['column_name']}: {r['reason']} "
                     f"(value {r['raw_value']!r})")
    if len(parsed.frame):
        lines.append("first rows as parsed:")
        lines.append(parsed.frame.head(rows).to_string(max_colwidth=24))
    return "\n".join(lines)
