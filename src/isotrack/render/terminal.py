"""Text for the terminal: event descriptions, plain aligned tables, the unit card."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from itertools import zip_longest

from isotrack import events as ev
from isotrack.catalog import Catalog
from isotrack.events import Event
from isotrack.i18n import stage_label, t
from isotrack.timeline import Registry, UnitState


def _date(iso_text: str, lang: str) -> str:
    from isotrack.dates import format_date

    return format_date(date.fromisoformat(iso_text[:10]), lang)


def describe_event(event: Event, lang: str) -> str:
    """One line saying what an event records, e.g. ``2020-03-01 QK2: stage -> applying``."""
    data = event.data
    what: str
    if event.type == ev.FOUNDED:
        parent = f" under {data['parent']}" if data.get("parent") else ""
        what = f"founded '{data.get('name')}' ({data.get('kind')}){parent}"
    elif event.type == ev.RENAMED:
        what = f"renamed '{data.get('name')}'"
    elif event.type == ev.MOVED:
        what = f"moved under {data.get('parent')}"
    elif event.type == ev.MERGED:
        what = f"merged into {data.get('into')}"
    elif event.type == ev.SPLIT:
        what = f"split into {', '.join(data.get('into') or [])}"
    elif event.type == ev.DISSOLVED:
        heir = data.get("successor")
        what = "dissolved" + (f", successor {heir}" if heir else "")
    elif event.type == ev.STAGE:
        what = f"stage -> {stage_label(str(data.get('stage')), lang)}"
        if data.get("edition"):
            what += f", edition {data['edition']}"
        if "consultant" in data:
            what += (
                f", consultant {data['consultant']}" if data["consultant"] else ", no consultant"
            )
        if data.get("decision"):
            what += f", decision {data['decision']}"
    elif event.type == ev.EDITION:
        what = f"edition -> {data.get('edition')}"
    elif event.type == ev.AUDIT:
        what = t(f"audit.{data.get('kind')}", lang)
        if data.get("findings") is not None:
            what += f", {data['findings']} {t('card.findings', lang)}"
    elif event.type == ev.PROCEDURES:
        what = "procedures " + ", ".join(
            f"{k}={data[k]}" for k in ev.PROCEDURE_CATEGORIES if k in data
        )
    elif event.type == ev.REVERTED:
        return f"undo changeset {str(data.get('changeset'))[:8]}"
    elif event.type == ev.TARGET_SET:
        share = float(data.get("share", 0)) * 100
        return (
            f"{_date(event.on, lang)} target {data.get('name')}: {share:g}% reaching "
            f"'{data.get('reach')}' by {data.get('deadline')}"
        )
    elif event.type == ev.TARGET_REMOVED:
        return f"{_date(event.on, lang)} target {data.get('name')} removed"
    else:
        what = event.type
    if data.get("basis") and event.type in ev.ENDINGS:
        what += f" ({t('card.basis', lang)} {data['basis']})"
    return f"{_date(event.on, lang)} {event.unit}: {what}"


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Iterator[str]:
    """Aligned columns without box drawing: fast for thousands of rows, and pipes well. A row
    shorter than the headers has blank cells at its end; a longer one is a ValueError."""
    widths = [len(h) for h in headers]
    longest = max(map(len, rows), default=0)
    if longest > len(widths):
        raise ValueError(f"a row of {longest} cells under {len(widths)} headers")
    # Each column's widest cell, a column at a time in C loops (a long listing has 100,000 rows).
    for index, column in enumerate(zip_longest(*rows, fillvalue="")):
        widths[index] = max(widths[index], max(map(len, column)))
    # Every column but the last padded to its width, by one format per line (C-level); format
    # ignores the blanks a full row does not need.
    fmt = "  ".join([*(f"{{:<{w}}}" for w in widths[:-1]), "{}"])
    blanks = [""] * len(widths)
    yield fmt.format(*headers).rstrip()
    yield fmt.format(*("-" * w for w in widths)).rstrip()
    for row in rows:
        yield fmt.format(*row, *blanks).rstrip()


def unit_rows(
    units: Sequence[UnitState], catalog: Catalog, lang: str, depth: dict[str, int]
) -> Iterator[list[str]]:
    for unit in units:
        name = "  " * depth.get(unit.code, 0) + unit.name
        if not unit.alive:
            heirs = " ".join(link.code for link in unit.successors)
            name += f" [{t('end.' + str(unit.end_reason), lang)} {heirs}]".replace(" ]", "]")
        yield [
            unit.code,
            name,
            unit.kind,
            unit.parent or "",
            stage_label(unit.stage, lang),
            unit.edition or "",
            str(unit.procedures_total),
        ]


def unit_card(unit: UnitState, registry: Registry, catalog: Catalog, lang: str) -> str:
    """A unit's card: identity, lineage, QMS, procedures, audits and a dated timeline."""
    lines: list[str] = []
    title = f"{unit.code}  {unit.name}"
    lines.append(title)
    lines.append("=" * min(len(title), 100))
    parent = registry.get(unit.parent) if unit.parent else None
    lines.append(f"{t('col.kind', lang)}: {catalog.kind_label(unit.kind, lang)} ({unit.kind})")
    if unit.parent:
        lines.append(
            f"{t('col.parent', lang)}: {unit.parent}" + (f"  {parent.name}" if parent else "")
        )
    lines.append(f"{t('card.founded', lang)}: {_date(unit.founded, lang)}")
    if unit.ended:
        heirs = ", ".join(link.code for link in unit.successors)
        end = f"{t('card.ended', lang)}: {_date(unit.ended, lang)}, " + t(
            f"end.{unit.end_reason}", lang
        )
        if heirs:
            end += f" {heirs}"
        if unit.end_basis:
            end += f" ({t('card.basis', lang)} {unit.end_basis})"
        lines.append(end)
    else:
        lines.append(f"{t('col.status', lang)}: {t('card.live', lang)}")
    if unit.predecessors:
        lines.append("")
        lines.append(t("card.lineage", lang))
        for link in unit.predecessors:
            other = registry.get(link.code)
            name = f"  {other.name}" if other else ""
            basis = f" ({t('card.basis', lang)} {link.basis})" if link.basis else ""
            lines.append(
                f"  {t('from.' + link.how, lang)} {link.code}{name}, {_date(link.on, lang)}{basis}"
            )
    lines.append("")
    lines.append(t("card.qms", lang))
    since = (
        f" ({t('card.since', lang)} {_date(unit.stage_since, lang)})" if unit.stage_since else ""
    )
    lines.append(f"  {t('col.stage', lang)}: {stage_label(unit.stage, lang)}{since}")
    if unit.edition:
        standard = catalog.editions.get(unit.edition)
        label = standard.standard if standard else f"ISO 9001:{unit.edition}"
        lines.append(
            f"  {t('col.edition', lang)}: {label} ({t('card.since', lang)} "
            f"{_date(str(unit.edition_since), lang)})"
        )
    if unit.consultant_used is not None:
        who = unit.consultant if unit.consultant_used else t("card.no_consultant", lang)
        lines.append(f"  {t('card.consultant', lang)}: {who}")
    for key, label in (
        ("model", "card.model"),
        ("decision", "card.decision"),
        ("scope", "card.scope"),
    ):
        value = getattr(unit, key)
        if value:
            lines.append(f"  {t(label, lang)}: {value}")
    counts = ", ".join(f"{t('proc.' + k, lang)} {v}" for k, v in unit.procedures.items())
    lines.append(f"  {t('col.procedures', lang)}: {unit.procedures_total} ({counts})")
    for kind, audit in sorted(unit.audits.items()):
        findings = audit.get("findings")
        extra = f", {findings} {t('card.findings', lang)}" if findings is not None else ""
        lines.append(f"  {t('audit.' + kind, lang)}: {_date(audit['on'], lang)}{extra}")
    children = registry.children(unit.code)
    if children:
        lines.append("")
        lines.append(f"{t('card.children', lang)}: {len(children)}")
        for child in sorted(children, key=lambda c: c.code)[:20]:
            lines.append(f"  {child.code}  {child.name}  ({stage_label(child.stage, lang)})")
        if len(children) > 20:
            lines.append(f"  … +{len(children) - 20}")
    lines.append("")
    lines.append(t("card.timeline", lang))
    for event in unit.history:
        lines.append("  " + describe_event(event, lang))
    return "\n".join(lines)
