"""Pictures of levels: ASCII (for terminals and test failures) and PNG (matplotlib).

Command line::

    python -m npp_sim.levelgen preview --category medium --seed 3 --out level.png
    python -m npp_sim.levelgen preview --map path/to/mapfile --out level.png
    python -m npp_sim.levelgen ascii --category exploration --seed 7
"""

from __future__ import annotations

import numpy as np

from .mapfile import decode_map_summary, units_to_cell

__all__ = ["ascii_map", "render_png"]

_ASCII_ENT = {0: "S", 1: "*", 2: "g", 3: "E", 4: "W", 6: "|", 7: "k", 21: "+"}
_NAMES = {0: "spawn", 1: "mine", 2: "gold", 3: "exit door", 4: "exit switch", 6: "locked door",
          7: "door switch", 21: "toggle mine"}
_COLOURS = {0: "#1f77b4", 1: "#d62728", 2: "#e6b800", 3: "#2ca02c", 4: "#98df8a", 6: "#8c564b",
            7: "#c49c94", 21: "#ff7f0e"}


def ascii_map(map_data) -> str:
    """One character per tile: '#' solid, '/' other shapes, '.' empty, letters for entities."""
    summ = decode_map_summary(map_data, strict=False)
    rows = [["." if v == 0 else "#" if v == 1 else "/" for v in row] for row in summ.tiles]
    for rec in summ.records:
        cx, cy = units_to_cell(rec[1], rec[2])
        if 0 <= cx < 42 and 0 <= cy < 23:
            rows[cy][cx] = _ASCII_ENT.get(rec[0], "e")
    return "\n".join("".join(r) for r in rows)


def _tile_polygon(tid: int):
    """Solid region of a tile in unit-cell coordinates (x right, y down), or None."""
    full = [(0, 0), (1, 0), (1, 1), (0, 1)]
    half = {2: [(0, 0), (1, 0), (1, .5), (0, .5)], 3: [(.5, 0), (1, 0), (1, 1), (.5, 1)],
            4: [(0, .5), (1, .5), (1, 1), (0, 1)], 5: [(0, 0), (.5, 0), (.5, 1), (0, 1)]}
    tri = {6: [(0, 0), (1, 0), (0, 1)], 7: [(0, 0), (1, 0), (1, 1)],
           8: [(1, 0), (1, 1), (0, 1)], 9: [(0, 0), (1, 1), (0, 1)]}
    if tid == 1:
        return full
    if tid in half:
        return half[tid]
    if tid in tri:
        return tri[tid]
    if 10 <= tid <= 17:  # quarter circles: sample the arc
        arcs = {10: (0, 0, 1), 11: (1, 0, 1), 12: (1, 1, 1), 13: (0, 1, 1),
                14: (1, 1, 0), 15: (0, 1, 0), 16: (0, 0, 0), 17: (1, 0, 0)}
        cx, cy, convex = arcs[tid]
        ang = np.linspace(0, np.pi / 2, 12)
        sx, sy = (1 if cx == 0 else -1), (1 if cy == 0 else -1)
        arc = [(cx + sx * np.cos(a), cy + sy * np.sin(a)) for a in ang]
        if convex:
            return [(cx, cy)] + arc
        corner = (1 - cx, 1 - cy)
        return arc + [corner]
    if 18 <= tid <= 33:  # mild / steep slopes: draw as a half-height wedge approximation
        return [(0, 1), (1, 1), (1, .5) if tid % 2 else (0, .5)]
    return None


def render_png(map_data, out_path, title: str | None = None, scale: float = 0.25) -> None:
    """Draw the level (tiles as grey shapes, entities as coloured markers) into a PNG file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon, Rectangle

    summ = decode_map_summary(map_data, strict=False)
    fig, ax = plt.subplots(figsize=(44 * scale, 25 * scale + 0.5), dpi=100)
    ax.add_patch(Rectangle((0, 0), 44, 25, color="#555555"))
    ax.add_patch(Rectangle((1, 1), 42, 23, color="#f4f1ea"))
    for y in range(23):
        for x in range(42):
            poly = _tile_polygon(int(summ.tiles[y, x]))
            if poly is not None:
                ax.add_patch(Polygon([(x + 1 + px, y + 1 + py) for px, py in poly],
                                     closed=True, color="#555555", lw=0))
    seen = set()
    for rec in summ.records:
        t, ux, uy = rec[0], rec[1] / 4.0, rec[2] / 4.0
        label = _NAMES.get(t, f"type {t}")
        kw = dict(color=_COLOURS.get(t, "#9467bd"), label=None if label in seen else label)
        seen.add(label)
        if t == 6:
            ax.plot([ux, ux], [uy - 0.5, uy + 0.5], lw=3, **kw)
        elif t == 3:
            ax.add_patch(Rectangle((ux - 0.5, uy - 0.5), 1, 1, fill=True, alpha=0.9, **kw))
        else:
            size = {0: 9, 1: 5, 21: 5, 2: 5}.get(t, 7)
            marker = {0: "o", 1: "X", 21: "P", 2: "D", 4: "s", 7: "s"}.get(t, "o")
            ax.plot([ux], [uy], marker=marker, markersize=size, lw=0, **kw)
    ax.set_xlim(0, 44)
    ax.set_ylim(25, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or summ.name or "level", fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=8, fontsize=7, frameon=False)
    fig.savefig(out_path, bbox_inches="tight")
    plt.close(fig)
