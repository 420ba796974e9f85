"""Which items of the project's reading lists (``shared/seeds``) cnnbench covers, item by item, and why not the rest.

``ITEMS`` is plain data (torch-free): one row per item a seed list names — every paper line of 000 (and the
networks its notes and tables name), every bullet of 003 (repeats included: a bullet that appears in two sections
is two rows), the headings and design steps of 001 — as ``(seed, section, item as written, names, kind, text)``.

``names`` are registry names (``resnet50``, aliases allowed), block names (``block:se``), reproductions
(``repro:resnet-checkpoints``) or fnmatch patterns over registry/block names (``shufflenet_v1_*``,
``block:*maxout*``), comma-separated; ``a|b`` is one name that exists when either alternative does. ``kind`` says
how the row's status is computed when it is rendered:

* ``net`` — a network, block or cost claim cnnbench measures: ``covered`` when every name exists at render time,
  else ``planned`` (``text`` is a note on a covered row).
* ``stand-in`` — what is registered differs from the paper's object, or covers it only in part: ``stand-in`` when
  every name exists, else ``planned``; ``text`` says what differs.
* ``not`` — ``not a network``: a training method, a theory paper, a survey, a non-CNN model; ``text`` says why.

The status is computed, never written down: rows whose networks other issue-21 work adds turn from ``planned`` to
``covered`` as soon as those names are registered.
"""

from __future__ import annotations

import fnmatch

from cnnbench.catalog.seed_items import ITEMS
from cnnbench.catalog.seed_items_common import NOT_BUILT, PLANNED, SEEDS, STATUSES


def covering_names(names: str | None) -> list[str]:
    """Split a ``names`` cell into its names (``[]`` for ``None`` or ``""``)."""
    return [n.strip() for n in names.split(",")] if names else []


def _known() -> tuple[set[str], set[str], set[str]]:
    """Registered network names, block names and reproduction names, now."""
    from cnnbench.catalog import list_specs
    from cnnbench.reproduce import REPRODUCTIONS

    nets = {s.name for s in list_specs(kind="network")}
    blocks = {s.name for s in list_specs(kind="block")}
    return nets, blocks, {r.name for r in REPRODUCTIONS}


def name_exists(name: str, known: tuple[set[str], set[str], set[str]] | None = None) -> bool:
    """Whether ``name`` (a registry name or alias, ``block:NAME``, ``repro:NAME`` or an fnmatch pattern) exists."""
    from cnnbench.catalog.registry import lookup

    nets, blocks, repros = known or _known()
    if "|" in name:
        return any(name_exists(alt, (nets, blocks, repros)) for alt in name.split("|"))
    if name.startswith("repro:"):
        return name[6:] in repros
    if name.startswith("torchvision:"):  # builds offline without registration (imports torchvision)
        from cnnbench.catalog import resolve
        from cnnbench.errors import CnnbenchError

        try:
            return resolve(name).kind == "network"
        except CnnbenchError:
            return False
    if name.startswith("block:"):
        rest = name[6:]
        if any(c in rest for c in "*?["):
            return bool(fnmatch.filter(blocks, rest))
        spec = lookup(rest)
        return spec is not None and spec.kind == "block"
    if any(c in name for c in "*?["):
        return bool(fnmatch.filter(nets, name))
    spec = lookup(name)
    return spec is not None and spec.kind == "network"


def resolve_names(names: str, known: tuple[set[str], set[str], set[str]] | None = None) -> list[str]:
    """``names`` with each pattern replaced by the registered names it matches (sorted); missing names dropped."""
    nets, blocks, repros = known or _known()
    out: list[str] = []
    for n in covering_names(names):
        if "|" in n:
            out += [m for alt in n.split("|") for m in resolve_names(alt, (nets, blocks, repros)) if m not in out]
        elif n.startswith("block:") and any(c in n for c in "*?["):
            out += ["block:" + b for b in sorted(fnmatch.filter(blocks, n[6:]))]
        elif not n.startswith(("block:", "repro:")) and any(c in n for c in "*?["):
            out += sorted(fnmatch.filter(nets, n))
        elif name_exists(n, (nets, blocks, repros)):  # an exact name, block:, repro: or torchvision:
            out.append(n)
    return out


def item_rows() -> list[dict[str, str]]:
    """``ITEMS`` as dicts with the status computed now: seed, section, item, status, names, reason."""
    known = _known()
    rows = []
    for seed, section, item, names, kind, text in ITEMS:
        wanted = covering_names(names)
        missing = [n for n in wanted if not name_exists(n, known)]
        if kind == "not":
            status, reason = "not a network", text
        elif not wanted or missing:
            status = "planned"
            if not wanted:
                reason = text
            elif text.startswith(NOT_BUILT):
                reason = f"{text} (nothing registered matches {', '.join(missing)})"
            else:
                reason = f"{PLANNED}: {', '.join(missing)} not registered yet"
        else:
            status, reason = ("covered" if kind == "net" else "stand-in"), "" if text.startswith(NOT_BUILT) else text
        shown = ", ".join(resolve_names(names, known)) if status in ("covered", "stand-in") else names
        rows.append({"seed": seed, "section": section, "item": item, "status": status, "names": shown,
                     "reason": reason})
    return rows


def totals(rows: list[dict[str, str]] | None = None) -> dict[str, dict[str, int]]:
    """Per seed (and ``all``): items and the count of each status."""
    rows = item_rows() if rows is None else rows
    out: dict[str, dict[str, int]] = {}
    for key in (*SEEDS, "all"):
        mine = [r for r in rows if key in ("all", r["seed"])]
        out[key] = {"items": len(mine), **{s: sum(r["status"] == s for r in mine) for s in STATUSES}}
    return out


def coverage_rows() -> list[dict[str, str]]:
    """The rows ``cnnbench list --coverage`` prints (one per item)."""
    return item_rows()


def render_markdown() -> str:
    """A Markdown report: per-seed item totals, then one table row per item."""
    rows = item_rows()
    t = totals(rows)
    lines = ["# Reading-list coverage", "",
             ("Every item the reading lists (`shared/seeds/`) name — networks, blocks, pooling, activations, "
              "techniques — with its status: covered (registry names), stand-in (what differs), not a network "
              "(why), planned (being added). Regenerate: `cnnbench list --coverage -f md > results/coverage.md`."),
             "", "| seed | items | covered | stand-in | not a network | planned |", "|---|---:|---:|---:|---:|---:|"]
    for key in (*SEEDS, "all"):
        c = t[key]
        lines.append(f"| {key} | {c['items']} | " + " | ".join(str(c[s]) for s in STATUSES) + " |")
    lines += ["", "| seed | section | item | status | covered by | reason / what differs |", "|---|---|---|---|---|---|"]
    for r in rows:
        cells = [r["seed"][:3], r["section"], r["item"], r["status"], f"`{r['names']}`" if r["names"] else "",
                 r["reason"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
