"""The ranking as a table with every figure, written to XLSX and CSV.

Rows come from `services.snapshot_rows` (the live ranking) or from a frozen snapshot, so both
export the same columns. Figures become numbers; writing goes through the shared
`award.exports` (formula-like text neutralized, numbers kept as numbers, CSV UTF-8 with BOM).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from award.exports import write_csv, write_xlsx
from award.i18n import _
from award.numbers import format_score
from award.ranking.models import RankingSnapshot

ROUND_KINDS = ("document", "presentation", "onsite")


def _number(text: str | None) -> float | None:
    return None if text is None else float(text)


def ranking_table(
    rows: Sequence[dict[str, Any]], *, categories: Sequence[tuple[str, str]], items: Sequence[str],
    methods: Sequence[tuple[str, str]], labels: dict[str, dict[str, str]],
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows for the export. `labels` translates status, reason, verdict and counted-record
    codes. Beside the total: which record counted in each round, the official method over the
    independent sheets and their lowest and highest total (per round when two rounds made totals)."""
    kinds = [k for k in ROUND_KINDS if any(k in (row.get("independent") or {}).get("ranges", {}) for row in rows)]
    round_names = {"document": _("Document review"), "presentation": _("Presentation and defence"),
                   "onsite": _("On-site review")}

    def ranged(title: str, kind: str) -> str:
        return f"{round_names[kind]}: {title}" if len(kinds) > 1 else title

    header = [
        _("Rank"), _("Application number"), _("Organization"), _("Sector"), _("Status"), _("Shortlisted"),
        _("Reason"), _("Total (official method)"), _("What counts"), _("Independent sheets: official method"),
        *(ranged(title, kind) for kind in kinds
          for title in (_("Independent sheets: lowest total"), _("Independent sheets: highest total"))),
        *(f"{cid} {name}" for cid, name in categories),
        *(_("Total: %(method)s", method=name) for _m, name in methods),
        *items,
        _("Valid sheets"), _("Decided by"), _("Mean z (leniency view)"), _("Excluded sheets"),
        _("Items for consensus discussion"), _("Incomplete sheets"), _("Dishonesty list"), _("Robustness"),
        _("Removal changes the result"),
    ]
    out: list[list[Any]] = []
    for row in rows:
        independent = row.get("independent") or {}
        ranges = independent.get("ranges") or {}
        out.append([
            row["rank"], row["application_id"], row["organization_name"], row["sector"],
            labels["status"].get(row["status"], row["status"]),
            _("yes") if row["in_shortlist"] else _("no"),
            _reason(row, labels) if row["reason"] else None,
            _number(row["total"]),
            "; ".join(f"{round_names[kind]}: {labels.get('counts', {}).get(record, record)}"
                      for kind, record in (row.get("counted") or {}).items()) or None,
            _number(independent.get("total")),
            *(_number(ranges[kind][end]) if kind in ranges else None for kind in kinds for end in (0, 1)),
            *(_number(row["categories"].get(cid)) for cid, _name in categories),
            *(_number(row["method_totals"].get(m)) for m, _name in methods),
            *(_number(row["items"].get(i)) for i in items),
            _sheets(row, round_names), _("Total") if row["decided_by"] == "total" else row["decided_by"],
            _number(row["mean_z"]),
            "; ".join(f"{e['expert'] or '?'}: {e['reason']}" for e in row["exclusions"]) or None,
            ", ".join(row["flags"].get("disagreements", [])) or None,
            row["flags"].get("incomplete_sheets", 0),
            "; ".join(row["flags"].get("blacklist", [])) or None,
            labels["verdict"].get(row["robustness"], row["robustness"]),
            ", ".join(row["flipped_by"]) or None,
        ])
    return header, out


def _sheets(row: dict[str, Any], round_names: dict[str, str]) -> int | str:
    """The valid sheets: per scored round when more than one scored it (a frozen snapshot keeps the one count)."""
    counts = row.get("sheet_counts") or {}
    if len(counts) > 1:
        return "; ".join(f"{round_names[kind]}: {n}" for kind, n in counts.items())
    return row["sheet_count"]


def _reason(row: dict[str, Any], labels: dict[str, dict[str, str]]) -> str:
    """Why the row is not shortlisted; a social veto with its own reason."""
    reason = labels["reason"].get(row["reason"], row["reason"])
    veto = (row.get("flags") or {}).get("social_veto")
    return f"{reason}: {veto}" if veto else reason


def rows_from_snapshot(snapshot: RankingSnapshot) -> list[dict[str, Any]]:
    """A frozen snapshot's entries in the same shape as services.snapshot_rows."""
    return [
        {
            "position": e.position, "application_id": e.application_id, "rank": e.rank,
            "organization_name": e.organization_name, "sector": e.sector, "status": e.status,
            "sheet_count": e.sheet_count, "total": None if e.total is None else format_score(e.total),
            "categories": e.categories, "method_totals": e.method_totals, "items": e.items,
            "mean_z": None if e.mean_z is None else format_score(e.mean_z), "decided_by": e.decided_by,
            "in_shortlist": e.in_shortlist, "reason": e.reason, "exclusions": e.exclusions, "flags": e.flags,
            "robustness": e.robustness, "flipped_by": e.flipped_by,
            "counted": e.counted or {}, "independent": e.independent or {},
            **({"level": e.level} if e.level is not None else {}),
        }
        for e in snapshot.entries
    ]


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    return write_csv(header, rows)


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str) -> bytes:
    return write_xlsx(header, rows, title=title)
