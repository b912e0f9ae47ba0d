"""The tick kernel: ninja physics, entity behaviour and collision queries as numba functions.

All simulation state lives in a handful of numpy arrays (see ``layout.py`` for the column
meanings) so that a whole replay can run inside one compiled call and a snapshot is a few array
copies. Floating-point expressions deliberately keep the reference simulator's order of operations
(IEEE doubles, no fast-math) because demonstrations must replay bit-for-bit.

Order of one tick (the reference's order):

1. store the inputs;
2. every active movable entity moves (drones, bounce blocks, thwumps, boost pads), by type then
   load order;
3. every active thinking entity thinks (mines, regular doors, thwumps, death balls, shove thwumps);
4. unless the ninja is dead or disabled: integrate (drag, gravity, position), reset the contact
   accumulators, then four rounds of "physical entity contacts, then tiles" and finally the
   post-collision pass (logical entity contacts, wall detection, floor/ceiling normals, impact and
   crush deaths);
5. the ninja thinks: input buffers, the state machine, jumps.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._jit_cache import ensure_fresh_cache
from .layout import (
    E_ACTIVE,
    E_AUX,
    E_CELL,
    E_CLOSED,
    E_DIR,
    E_EDGE_X,
    E_EDGE_Y,
    E_LINK,
    E_MODE,
    E_STATE,
    E_TIDX,
    E_TYPE,
    E_VERT,
    EF_GRIDW,
    EF_NX,
    EF_NY,
    EF_RAD,
    EF_SPEED,
    EF_X,
    EF_XO,
    EF_XS,
    EF_XT,
    EF_Y,
    EF_YO,
    EF_YS,
    EF_YT,
    N_AIRBORN,
    N_AIRBORN_OLD,
    N_CCOUNT,
    N_CNX,
    N_CNY,
    N_CRLEN,
    N_CRUSHABLE,
    N_CSUMX,
    N_CSUMY,
    N_DOORS,
    N_DRAG,
    N_FBUF,
    N_FCOUNT,
    N_FNX,
    N_FNY,
    N_FRAME,
    N_FSUMX,
    N_FSUMY,
    N_GOLD,
    N_GRAV,
    N_HOR,
    N_JBUF,
    N_JDUR,
    N_JIN_OLD,
    N_JUMP,
    N_LPBUF,
    N_STATE,
    N_WALLED,
    N_WALLN,
    N_WBUF,
    N_X,
    N_XCR,
    N_XLP,
    N_XOLD,
    N_XS,
    N_XSOLD,
    N_Y,
    N_YCR,
    N_YLP,
    N_YOLD,
    N_YS,
    N_YSOLD,
)
from .tiles import (
    GRID_H,
    SEG_ARC_CONVEX,
    SEG_LINE,
    SEG_LINE_2S,
    SF_BX0,
    SF_BX1,
    SF_BY0,
    SF_BY1,
    SF_CX,
    SF_CY,
    SF_HOR,
    SF_LEN,
    SF_LENSQ,
    SF_NX,
    SF_NY,
    SF_PX,
    SF_PY,
    SF_RAD,
    SF_VER,
    SF_X1,
    SF_X2,
    SF_Y1,
    SF_Y2,
)

ensure_fresh_cache()

# ---------------------------------------------------------------------------------------------
# constants (pixels, frames)
NINJA_RADIUS = 10.0
GRAVITY_FALL = 0.06666666666666665
GRAVITY_JUMP = 0.01111111111111111
GROUND_ACCEL = 0.06666666666666665
AIR_ACCEL = 0.04444444444444444
DRAG_REGULAR = 0.9933221725495059
DRAG_SLOW = 0.8617738760127536
FRICTION_GROUND = 0.9459290248857720
FRICTION_GROUND_SLOW = 0.8617738760127536
FRICTION_WALL = 0.9113380468927672
MAX_HOR_SPEED = 3.333
MAX_JUMP_DURATION = 45
MAX_SURVIVABLE_IMPACT = 6.0
MIN_SURVIVABLE_CRUSHING = 0.05
LAUNCH_PAD_BOOST = 36 / 7
BOUNCE_STIFFNESS = 0.02222222222222222
BOUNCE_DAMPENING = 0.98
BOUNCE_STRENGTH = 0.2
THWUMP_FORWARD = 20 / 7
THWUMP_BACKWARD = 8 / 7
DIAG = math.sqrt(2) / 2

# ninja states
ST_IMMOBILE, ST_RUNNING, ST_SLIDING, ST_JUMPING, ST_FALLING, ST_WALLSLIDE = 0, 1, 2, 3, 4, 5
ST_DEAD, ST_DYING, ST_CELEBRATING, ST_DISABLED = 6, 7, 8, 9


# ---------------------------------------------------------------------------------------------
# small helpers


@njit(cache=True)
def _clampi(v, lo, hi):
    if v < lo:
        return lo
    if v > hi:
        return hi
    return v


@njit(cache=True)
def overlap_circles(x1, y1, r1, x2, y2, r2):
    """True when two discs overlap (strictly)."""
    return math.sqrt((x1 - x2) ** 2 + (y1 - y2) ** 2) < r1 + r2


@njit(cache=True)
def square_depenetration(sx, sy, px, py, semi):
    """Shortest way to push point (px, py) out of the axis-aligned square centred on (sx, sy).

    Returns (hit, nx, ny, pen_main, pen_other): the unit push direction and the penetration along
    it and along the other axis. Ties prefer the vertical push.
    """
    dx = px - sx
    dy = py - sy
    penx = semi - abs(dx)
    peny = semi - abs(dy)
    if penx > 0 and peny > 0:
        if peny <= penx:
            return True, 0.0, (-1.0 if dy < 0 else 1.0), peny, penx
        return True, (-1.0 if dx < 0 else 1.0), 0.0, penx, peny
    return False, 0.0, 0.0, 0.0, 0.0


@njit(cache=True)
def overlap_circle_segment(x, y, r, px1, py1, px2, py2):
    px = px2 - px1
    py = py2 - py1
    dx = x - px1
    dy = y - py1
    u = (dx * px + dy * py) / (px ** 2 + py ** 2)
    if u < 0:
        u = 0.0
    if u > 1:
        u = 1.0
    a = px1 + u * px
    b = py1 + u * py
    return (x - a) ** 2 + (y - b) ** 2 < r ** 2


@njit(cache=True)
def orientation_vector(o):
    """Unit vector for orientation 0-7 (0 = east, then 45 degree steps clockwise, y down)."""
    if o == 0:
        return 1.0, 0.0
    if o == 1:
        return DIAG, DIAG
    if o == 2:
        return 0.0, 1.0
    if o == 3:
        return -DIAG, DIAG
    if o == 4:
        return -1.0, 0.0
    if o == 5:
        return -DIAG, -DIAG
    if o == 6:
        return 0.0, -1.0
    return DIAG, -DIAG


# ---------------------------------------------------------------------------------------------
# grid edges (12-px lattice) used by thwumps, drones and shove thwumps


@njit(cache=True, inline="always")
def is_empty_row(hor_e, x1, x2, y, d):
    """No horizontal grid edge blocks moving from half-cell row y in direction d (+1 down, -1 up)."""
    yy = y + 1 if d == 1 else y
    yy = _clampi(yy, 0, 49)
    for x in range(x1, x2 + 1):
        if hor_e[_clampi(x, 0, 87), yy] != 0:
            return False
    return True


@njit(cache=True, inline="always")
def is_empty_column(ver_e, x, y1, y2, d):
    """No vertical grid edge blocks moving from half-cell column x in direction d (+1 right)."""
    xx = x + 1 if d == 1 else x
    xx = _clampi(xx, 0, 87)
    for y in range(y1, y2 + 1):
        if ver_e[xx, _clampi(y, 0, 49)] != 0:
            return False
    return True


@njit(cache=True, inline="always")
def is_empty_lane(hor_e, ver_e, vertical, c, c1, c2, d):
    """Moving along an axis in direction d from half-cell line c, across cells c1..c2: no grid edge
    blocks (vertical motion: row c, columns c1..c2; horizontal motion: column c, rows c1..c2)."""
    if vertical:
        return is_empty_row(hor_e, c1, c2, c, d)
    return is_empty_column(ver_e, c, c1, c2, d)


# ---------------------------------------------------------------------------------------------
# segment queries


@njit(cache=True)
def _toi_circle_circle(x, y, vx, vy, a, b, r):
    dx = x - a
    dy = y - b
    dist_sq = dx ** 2 + dy ** 2
    vel_sq = vx ** 2 + vy ** 2
    dot = dx * vx + dy * vy
    if dist_sq - r ** 2 > 0:
        radicand = dot ** 2 - vel_sq * (dist_sq - r ** 2)
        if vel_sq > 0.0001 and dot < 0 and radicand >= 0:
            return (-dot - math.sqrt(radicand)) / vel_sq
        return 1.0
    return 0.0


@njit(cache=True)
def _toi_circle_line(x, y, dx, dy, a1, b1, seg_len, nx, ny, r):
    normal_proj = (x - a1) * ny - (y - b1) * nx
    hor_proj = (x - a1) * nx + (y - b1) * ny
    if abs(normal_proj) >= r:
        d = dx * ny - dy * nx
        if d * normal_proj < 0:
            t = (abs(normal_proj) - r) / abs(d)
            if t > 1:
                t = 1.0
            hor_proj2 = hor_proj + t * (dx * nx + dy * ny)
            if 0 <= hor_proj2 <= seg_len:
                return t
    else:
        if 0 <= hor_proj <= seg_len:
            return 0.0
    return 1.0


@njit(cache=True)
def _toi_circle_arc(x, y, vx, vy, a, b, hor, ver, r_arc, r):
    dx = x - a
    dy = y - b
    dist_sq = dx ** 2 + dy ** 2
    vel_sq = vx ** 2 + vy ** 2
    dot = dx * vx + dy * vy
    r1 = r_arc + r
    r2 = r_arc - r
    t = 1.0
    if dist_sq > r1 ** 2:
        radicand = dot ** 2 - vel_sq * (dist_sq - r1 ** 2)
        if vel_sq > 0.0001 and dot < 0 and radicand >= 0:
            t = (-dot - math.sqrt(radicand)) / vel_sq
    elif dist_sq < r2 ** 2:
        radicand = dot ** 2 - vel_sq * (dist_sq - r2 ** 2)
        if vel_sq > 0.0001:
            t = (-dot + math.sqrt(radicand)) / vel_sq
            if t > 1:
                t = 1.0
    else:
        t = 0.0
    if (dx + t * vx) * hor > 0 and (dy + t * vy) * ver > 0:
        return t
    return 1.0


@njit(cache=True, inline="always")
def _segment_toi(seg_kind, seg_f, i, x, y, dx, dy, r):
    """Earliest fraction of the move (x, y) -> (x+dx, y+dy) at which a disc of radius r touches
    the segment; 0 if already touching, 1 if not within this move."""
    kind = seg_kind[i]
    if kind <= SEG_LINE_2S:
        t1 = _toi_circle_circle(x, y, dx, dy, seg_f[i, SF_X1], seg_f[i, SF_Y1], r)
        t2 = _toi_circle_circle(x, y, dx, dy, seg_f[i, SF_X2], seg_f[i, SF_Y2], r)
        t3 = _toi_circle_line(x, y, dx, dy, seg_f[i, SF_X1], seg_f[i, SF_Y1], seg_f[i, SF_LEN], seg_f[i, SF_NX],
                              seg_f[i, SF_NY], r)
    else:
        cx = seg_f[i, SF_CX]
        cy = seg_f[i, SF_CY]
        hor = seg_f[i, SF_HOR]
        ver = seg_f[i, SF_VER]
        rad = seg_f[i, SF_RAD]
        t1 = _toi_circle_circle(x, y, dx, dy, cx + rad * hor, cy, r)
        t2 = _toi_circle_circle(x, y, dx, dy, cx, cy + rad * ver, r)
        t3 = _toi_circle_arc(x, y, dx, dy, cx, cy, hor, ver, rad, r)
    t = t1
    if t2 < t:
        t = t2
    if t3 < t:
        t = t3
    return t


@njit(cache=True, inline="always")
def segment_closest(seg_kind, seg_f, i, x, y):
    """Closest point (a, b) of a segment to (x, y) and whether (x, y) is on its inner side."""
    kind = seg_kind[i]
    if kind <= SEG_LINE_2S:
        dx = x - seg_f[i, SF_X1]
        dy = y - seg_f[i, SF_Y1]
        px = seg_f[i, SF_PX]
        py = seg_f[i, SF_PY]
        u = (dx * px + dy * py) / seg_f[i, SF_LENSQ]
        if u < 0:
            u = 0.0
        if u > 1:
            u = 1.0
        a = seg_f[i, SF_X1] + u * px
        b = seg_f[i, SF_Y1] + u * py
        back = (dy * px - dx * py < 0) and kind == SEG_LINE
        return back, a, b
    cx = seg_f[i, SF_CX]
    cy = seg_f[i, SF_CY]
    hor = seg_f[i, SF_HOR]
    ver = seg_f[i, SF_VER]
    rad = seg_f[i, SF_RAD]
    dx = x - cx
    dy = y - cy
    if dx * hor > 0 and dy * ver > 0:
        dist = math.sqrt(dx ** 2 + dy ** 2)
        if dist == 0:
            if dx * hor > dy * ver:
                return False, cx + rad * hor, cy
            return False, cx, cy + rad * ver
        a = cx + rad * dx / dist
        b = cy + rad * dy / dist
        if kind == SEG_ARC_CONVEX:
            back = dist < rad
        else:
            back = dist > rad
        return back, a, b
    if dx * hor > dy * ver:
        return False, cx + rad * hor, cy
    return False, cx, cy + rad * ver


@njit(cache=True, inline="always")
def _box_dist_sq(seg_f, i, x, y):
    """Squared distance from (x, y) to the bounding box of segment i (0 inside)."""
    ddx = 0.0
    if x < seg_f[i, SF_BX0]:
        ddx = seg_f[i, SF_BX0] - x
    elif x > seg_f[i, SF_BX1]:
        ddx = x - seg_f[i, SF_BX1]
    ddy = 0.0
    if y < seg_f[i, SF_BY0]:
        ddy = seg_f[i, SF_BY0] - y
    elif y > seg_f[i, SF_BY1]:
        ddy = y - seg_f[i, SF_BY1]
    return ddx * ddx + ddy * ddy


@njit(cache=True)
def _cell_range(lo, hi, n):
    c0 = _clampi(math.floor(lo / 24), 0, n - 1)
    c1 = _clampi(math.floor(hi / 24), 0, n - 1)
    return c0, c1


@njit(cache=True, inline="always")
def sweep_circle(geo_start, seg_kind, seg_f, x, y, dx, dy, r):
    """Earliest time of impact of a disc moving by (dx, dy) against the segments near its path."""
    xn = x + dx
    yn = y + dy
    w = r + 1
    x1 = min(x, xn) - w
    y1 = min(y, yn) - w
    x2 = max(x, xn) + w
    y2 = max(y, yn) + w
    cx0, cx1 = _cell_range(x1, x2, 44)
    cy0, cy1 = _cell_range(y1, y2, 25)
    best = 1.0
    for cx in range(cx0, cx1 + 1):
        for cy in range(cy0, cy1 + 1):
            c = cx * GRID_H + cy
            for i in range(geo_start[c], geo_start[c + 1]):
                # a segment outside the swept box (already grown by r + 1) cannot be touched
                if (seg_f[i, SF_BX0] > x2 or seg_f[i, SF_BX1] < x1 or seg_f[i, SF_BY0] > y2
                        or seg_f[i, SF_BY1] < y1):
                    continue
                t = _segment_toi(seg_kind, seg_f, i, x, y, dx, dy, r)
                if t < best:
                    best = t
    return best


@njit(cache=True, inline="always")
def _closest_in_cell(geo_start, seg_kind, seg_f, c, x, y, r, best, result, ra, rb):
    for i in range(geo_start[c], geo_start[c + 1]):
        # only segments whose bounding box overlaps the query square are candidates
        if (seg_f[i, SF_BX0] > x + r or seg_f[i, SF_BX1] < x - r
                or seg_f[i, SF_BY0] > y + r or seg_f[i, SF_BY1] < y - r):
            continue
        # skip segments whose bounding box is already farther than the best candidate
        # (a lower bound, with a margin, so the choice is exactly the reference's)
        if _box_dist_sq(seg_f, i, x, y) - 0.1 - 1e-6 > best:
            continue
        back, a, b = segment_closest(seg_kind, seg_f, i, x, y)
        d = (x - a) ** 2 + (y - b) ** 2
        if not back:
            d -= 0.1
        if d < best:
            best = d
            ra = a
            rb = b
            result = -1 if back else 1
    return best, result, ra, rb


@njit(cache=True, inline="always")
def closest_point_cells(geo_start, seg_kind, seg_f, x, y, r, n, c0, c1, c2, c3):
    """Closest segment point to (x, y) among the segments of the n listed cells whose bounding
    box overlaps the square of half-size r around (x, y).

    Surfaces seen from their outer side are favoured (their squared distance is reduced by 0.1).
    Returns (result, a, b) with result 1 (outer side), -1 (inner side) or 0 (no segment).
    """
    best = np.inf
    result = 0
    ra = 0.0
    rb = 0.0
    for k in range(n):
        c = c0 if k == 0 else (c1 if k == 1 else (c2 if k == 2 else c3))
        best, result, ra, rb = _closest_in_cell(geo_start, seg_kind, seg_f, c, x, y, r,
                                                best, result, ra, rb)
    return result, ra, rb


@njit(cache=True, inline="always")
def gather_cells(geo_start, seg_f, x1, y1, x2, y2):
    """Cells overlapping the box whose segments' joint bounding box also overlaps it (the
    reference's segment index skips a cell otherwise), x outer, y inner.

    A box narrower than a cell touches at most 2 x 2 cells: returns (count, c0, c1, c2, c3).
    """
    cx0, cx1 = _cell_range(x1, x2, 44)
    cy0, cy1 = _cell_range(y1, y2, 25)
    n = 0
    c0 = c1 = c2 = c3 = -1
    for cx in range(cx0, cx1 + 1):
        for cy in range(cy0, cy1 + 1):
            c = cx * GRID_H + cy
            s0 = geo_start[c]
            s1 = geo_start[c + 1]
            if s1 == s0:
                continue
            bx0 = seg_f[s0, SF_BX0]
            by0 = seg_f[s0, SF_BY0]
            bx1 = seg_f[s0, SF_BX1]
            by1 = seg_f[s0, SF_BY1]
            for i in range(s0 + 1, s1):
                bx0 = min(bx0, seg_f[i, SF_BX0])
                by0 = min(by0, seg_f[i, SF_BY0])
                bx1 = max(bx1, seg_f[i, SF_BX1])
                by1 = max(by1, seg_f[i, SF_BY1])
            if x2 < bx0 or x1 > bx1 or y2 < by0 or y1 > by1:
                continue
            if n == 0:
                c0 = c
            elif n == 1:
                c1 = c
            elif n == 2:
                c2 = c
            else:
                c3 = c
            n += 1
    return n, c0, c1, c2, c3


@njit(cache=True, inline="always")
def closest_point(geo_start, seg_kind, seg_f, x, y, r):
    """Closest segment point among the segments near (x, y), gathered for this query alone
    (same candidates as ``gather_cells`` + ``closest_point_cells``, without the cell list)."""
    best = np.inf
    result = 0
    ra = 0.0
    rb = 0.0
    cx0, cx1 = _cell_range(x - r, x + r, 44)
    cy0, cy1 = _cell_range(y - r, y + r, 25)
    for cx in range(cx0, cx1 + 1):
        for cy in range(cy0, cy1 + 1):
            c = cx * GRID_H + cy
            # with the same square for cell and segment tests, the cell test adds nothing
            best, result, ra, rb = _closest_in_cell(geo_start, seg_kind, seg_f, c, x, y, r,
                                                    best, result, ra, rb)
    return result, ra, rb


# ---------------------------------------------------------------------------------------------
# entity grid (24-px cells, ordered doubly linked lists per cell)


@njit(cache=True)
def grid_append(ghead, gtail, enext, eprev, e, cell):
    t = gtail[cell]
    eprev[e] = t
    enext[e] = -1
    if t >= 0:
        enext[t] = e
    else:
        ghead[cell] = e
    gtail[cell] = e


@njit(cache=True)
def grid_remove(ghead, gtail, enext, eprev, e, cell):
    p = eprev[e]
    n = enext[e]
    if p >= 0:
        enext[p] = n
    else:
        ghead[cell] = n
    if n >= 0:
        eprev[n] = p
    else:
        gtail[cell] = p
    enext[e] = -1
    eprev[e] = -1


@njit(cache=True)
def entity_cell(x, y):
    return _clampi(math.floor(x / 24), 0, 43) * GRID_H + _clampi(math.floor(y / 24), 0, 24)


@njit(cache=True)
def grid_move(ef, ei, ghead, gtail, enext, eprev, e):
    """Move entity e to the list of the cell containing its centre if it changed cell."""
    c = entity_cell(ef[e, EF_X], ef[e, EF_Y])
    old = ei[e, E_CELL]
    if c != old:
        grid_remove(ghead, gtail, enext, eprev, e, old)
        ei[e, E_CELL] = c
        grid_append(ghead, gtail, enext, eprev, e, c)


@njit(cache=True, inline="always")
def gather_entities(ei, ghead, enext, x, y, out):
    """Active entities of the 3x3 cells around (x, y), cell by cell (x outer), in list order."""
    cx = _clampi(math.floor(x / 24), 0, 43)
    cy = _clampi(math.floor(y / 24), 0, 24)
    n = 0
    for gx in range(max(cx - 1, 0), min(cx + 1, 43) + 1):
        for gy in range(max(cy - 1, 0), min(cy + 1, 24) + 1):
            e = ghead[gx * GRID_H + gy]
            while e >= 0:
                if ei[e, E_ACTIVE]:
                    out[n] = e
                    n += 1
                e = enext[e]
    return n


# ---------------------------------------------------------------------------------------------
# ninja state changes


@njit(cache=True, inline="always")
def _ninja_end(nf, ni, state):
    """Enter ``state`` unless already dead, dying, celebrating or disabled (a jump's gravity ends)."""
    if ni[N_STATE] < 6:
        if ni[N_STATE] == ST_JUMPING:
            nf[N_GRAV] = GRAVITY_FALL
        ni[N_STATE] = state


@njit(cache=True, inline="always")
def ninja_kill(nf, ni):
    """Start dying (state 7)."""
    _ninja_end(nf, ni, ST_DYING)


@njit(cache=True, inline="always")
def ninja_win(nf, ni):
    _ninja_end(nf, ni, ST_CELEBRATING)


@njit(cache=True, inline="always")
def ninja_targetable(ni):
    s = ni[N_STATE]
    return s != ST_DEAD and s != ST_CELEBRATING and s != ST_DISABLED


# ---------------------------------------------------------------------------------------------
# entity behaviour


@njit(cache=True)
def door_set_closed(ei, hor_e, ver_e, e, closed):
    """Open or close a door: adds +1 (close) or -1 (open) to its two grid-edge counters.

    Doors act only through these grid edges (which drones, thwumps and shove thwumps respect).
    The reference builds its segment lookup before doors are loaded, so door segments never
    collide with the ninja or death balls; we reproduce that by not creating door segments.
    The counters change on every call, even when the door is already in that state (a regular
    door touched on consecutive frames keeps decrementing them), as the reference does.
    """
    ei[e, E_CLOSED] = 1 if closed else 0
    d = 1 if closed else -1
    x = ei[e, E_EDGE_X]
    y = ei[e, E_EDGE_Y]
    if ei[e, E_VERT]:
        ver_e[x, y] += d
        ver_e[x, y + 1] += d
    else:
        hor_e[x, y] += d
        hor_e[x + 1, y] += d


@njit(cache=True)
def mine_radius(state):
    if state == 0:
        return 4.0
    if state == 1:
        return 3.5
    return 4.5


@njit(cache=True, inline="always")
def oneway_depenetration(ef, e, nf):
    """Push-out of the ninja from a one-way platform, only when it arrives from the open side."""
    nx = ef[e, EF_NX]
    ny = ef[e, EF_NY]
    dx = nf[N_X] - ef[e, EF_X]
    dy = nf[N_Y] - ef[e, EF_Y]
    lateral = dy * nx - dx * ny
    direction = (nf[N_YS] * nx - nf[N_XS] * ny) * lateral
    radius_scalar = 0.91 if direction < 0 else 0.51
    if abs(lateral) < radius_scalar * NINJA_RADIUS + 12:
        normal_dist = dx * nx + dy * ny
        if 0 < normal_dist <= NINJA_RADIUS:
            normal_proj = nf[N_XS] * nx + nf[N_YS] * ny
            if normal_proj <= 0:
                dx_old = nf[N_XOLD] - ef[e, EF_X]
                dy_old = nf[N_YOLD] - ef[e, EF_Y]
                normal_dist_old = dx_old * nx + dy_old * ny
                if NINJA_RADIUS - normal_dist_old <= 1.1:
                    return True, nx, ny, NINJA_RADIUS - normal_dist
    return False, 0.0, 0.0, 0.0


@njit(cache=True)
def physical_contact(ef, ei, e, nf):
    """Solid contact of the ninja with entity e: (hit, normal x, normal y, push length)."""
    t = ei[e, E_TYPE]
    if t == 11:
        return oneway_depenetration(ef, e, nf)
    if t == 17:
        hit, dx, dy, pen, _ = square_depenetration(ef[e, EF_X], ef[e, EF_Y], nf[N_X], nf[N_Y],
                                                   9 + NINJA_RADIUS)
        if hit:
            k = 1 - BOUNCE_STRENGTH
            ef[e, EF_X] -= dx * pen * k
            ef[e, EF_Y] -= dy * pen * k
            ef[e, EF_XS] -= dx * pen * k
            ef[e, EF_YS] -= dy * pen * k
            return True, dx, dy, pen * BOUNCE_STRENGTH
        return False, 0.0, 0.0, 0.0
    if t == 20:
        hit, dx, dy, pen, _ = square_depenetration(ef[e, EF_X], ef[e, EF_Y], nf[N_X], nf[N_Y],
                                                   9 + NINJA_RADIUS)
        return hit, dx, dy, pen
    if t == 28:
        if ei[e, E_STATE] <= 1:
            hit, dx, dy, pen, _ = square_depenetration(ef[e, EF_X], ef[e, EF_Y], nf[N_X],
                                                       nf[N_Y], 12 + NINJA_RADIUS)
            if hit:
                if ei[e, E_STATE] == 0 or ef[e, EF_NX] * dx + ef[e, EF_NY] * dy >= 0.01:
                    return True, dx, dy, pen
    return False, 0.0, 0.0, 0.0


@njit(cache=True)
def logical_contact(ef, ei, e, nf, ni, ghead, gtail, enext, eprev, hor_e, ver_e):
    """Non-solid interaction of the ninja with entity e.

    Returns (kind, a, b): kind 0 = nothing to report, 1 = wall normal a (entity sides the ninja
    can wall-jump from), 2 = launch-pad boost (a, b).
    """
    t = ei[e, E_TYPE]
    x = ef[e, EF_X]
    y = ef[e, EF_Y]
    px = nf[N_X]
    py = nf[N_Y]
    if t == 1 or t == 21:
        if ninja_targetable(ni) and ei[e, E_STATE] == 0:
            if overlap_circles(x, y, mine_radius(0), px, py, NINJA_RADIUS):
                ei[e, E_STATE] = 1
                ninja_kill(nf, ni)
    elif t == 2:
        if ni[N_STATE] != ST_CELEBRATING:
            if overlap_circles(x, y, 6.0, px, py, NINJA_RADIUS):
                ni[N_GOLD] += 1
                ei[e, E_ACTIVE] = 0
    elif t == 3:
        if overlap_circles(x, y, 12.0, px, py, NINJA_RADIUS):
            ninja_win(nf, ni)
    elif t == 4:
        if overlap_circles(x, y, 6.0, px, py, NINJA_RADIUS):
            ei[e, E_ACTIVE] = 0
            door = ei[e, E_LINK]
            grid_append(ghead, gtail, enext, eprev, door, ei[door, E_CELL])
            ei[door, E_AUX] = 1
    elif t == 5 or t == 6 or t == 8:
        # touched doors: a regular door (5) opens and restarts its timer; a locked door (6) opens
        # and a trap door (8) closes, once
        if overlap_circles(x, y, 10.0 if t == 5 else 5.0, px, py, NINJA_RADIUS):
            if t == 6:
                ni[N_DOORS] += 1
            door_set_closed(ei, hor_e, ver_e, e, t == 8)
            if t == 5:
                ei[e, E_AUX] = 0
            else:
                ei[e, E_ACTIVE] = 0
    elif t == 10:
        if ninja_targetable(ni):
            if overlap_circles(x, y, 6.0, px, py, NINJA_RADIUS):
                nx = ef[e, EF_NX]
                ny = ef[e, EF_NY]
                if ((x - (px - NINJA_RADIUS * nx)) * nx
                        + (y - (py - NINJA_RADIUS * ny)) * ny) >= -0.1:
                    yscale = 1.0
                    if ny < 0:
                        yscale = 1 - ny
                    return 2, nx * LAUNCH_PAD_BOOST, ny * LAUNCH_PAD_BOOST * yscale
    elif t == 11:
        hit, nx, ny, _ = oneway_depenetration(ef, e, nf)
        if hit and abs(nx) == 1:
            return 1, nx, 0.0
    elif t == 14 or t == 26:
        if ninja_targetable(ni):
            if overlap_circles(x, y, ef[e, EF_RAD], px, py, NINJA_RADIUS):
                ninja_kill(nf, ni)
    elif t == 17:
        hit, nx, ny, _, _ = square_depenetration(x, y, px, py, 9 + NINJA_RADIUS + 0.1)
        if hit:
            return 1, nx, 0.0
    elif t == 20:
        if ninja_targetable(ni):
            hit, nx, ny, _, _ = square_depenetration(x, y, px, py, 9 + NINJA_RADIUS + 0.1)
            if hit:
                d = ei[e, E_DIR]
                if ei[e, E_VERT]:  # horizontal thwump (moves along x)
                    ddx = (9 + 2) * d
                    ddy = 9 - 2
                    x1, y1 = x + ddx, y - ddy
                    x2, y2 = x + ddx, y + ddy
                else:
                    ddx = 9 - 2
                    ddy = (9 + 2) * d
                    x1, y1 = x - ddx, y + ddy
                    x2, y2 = x + ddx, y + ddy
                if overlap_circle_segment(px, py, NINJA_RADIUS + 2, x1, y1, x2, y2):
                    ninja_kill(nf, ni)
                return 1, nx, 0.0
    elif t == 25:
        if ninja_targetable(ni):
            if overlap_circles(x, y, 5.0, px, py, NINJA_RADIUS):
                dx = x - px
                dy = y - py
                dist = math.sqrt(dx ** 2 + dy ** 2)
                if dist > 0:  # a ball exactly on the ninja has no direction to bounce in (nclone divides by 0)
                    ef[e, EF_XS] += dx / dist * 10
                    ef[e, EF_YS] += dy / dist * 10
                ninja_kill(nf, ni)
    elif t == 28:
        hit, nx, ny, _, pen2 = square_depenetration(x, y, px, py, 12 + NINJA_RADIUS + 0.1)
        st = ei[e, E_STATE]
        if hit and st <= 1:
            if st == 0:
                ei[e, E_AUX] = 1  # activated
                if pen2 > 0.2:
                    ef[e, EF_NX] = nx
                    ef[e, EF_NY] = ny
                    ei[e, E_STATE] = 1
            elif st == 1:
                if ef[e, EF_NX] * nx + ef[e, EF_NY] * ny >= 0.01:
                    ei[e, E_AUX] = 1
                else:
                    return 0, 0.0, 0.0
            return 1, nx, 0.0
        if overlap_circles(px, py, NINJA_RADIUS, x, y, 8.0):
            ninja_kill(nf, ni)
    return 0, 0.0, 0.0


@njit(cache=True)
def _dir_vec(d):
    if d == 0:
        return 1.0, 0.0
    if d == 1:
        return 0.0, 1.0
    if d == 2:
        return -1.0, 0.0
    return 0.0, -1.0


# preferred turn (0 ahead, 1 right, 2 back, 3 left) order per patrol mode
_DRONE_TURNS = np.array([[1, 0, 3, 2], [3, 0, 1, 2], [0, 1, 3, 2], [0, 3, 1, 2]], dtype=np.int64)


@njit(cache=True)
def _drone_try(ef, e, d, hor_e, ver_e):
    """Can the drone reach the centre of the next grid cell in direction d? Sets the target."""
    xd, yd = _dir_vec(d)
    x = ef[e, EF_X]
    y = ef[e, EF_Y]
    r = ef[e, EF_RAD]
    gw = ef[e, EF_GRIDW]
    xt = x + gw * xd
    yt = y + gw * yd
    vertical = yd != 0
    # along the motion: position p, target pt, direction pd; across it: position q
    p, pt, pd, q = (y, yt, yd, x) if vertical else (x, xt, xd, y)
    ipd = int(pd)
    c = math.floor((p + pd * r) / 12)
    ct = math.floor((pt + pd * r) / 12)
    c1 = math.floor((q - r) / 12)
    c2 = math.floor((q + r) / 12)
    while c != ct:
        if not is_empty_lane(hor_e, ver_e, vertical, c, c1, c2, ipd):
            return False
        c += ipd
    ef[e, EF_XT] = xt
    ef[e, EF_YT] = yt
    return True


@njit(cache=True)
def thwump_move(ef, ei, e, hor_e, ver_e, ghead, gtail, enext, eprev):
    """Charging (state 1) or retreating (state -1) thwump; stops at walls and at its origin."""
    st = ei[e, E_STATE]
    if st == 0:
        return
    speed = THWUMP_FORWARD if st == 1 else THWUMP_BACKWARD
    sd = ei[e, E_DIR] * st
    vertical = not ei[e, E_VERT]
    # columns of the position along the motion, its origin, and the position across it
    ca, co, cq = (EF_Y, EF_YO, EF_X) if vertical else (EF_X, EF_XO, EF_Y)
    p = ef[e, ca]
    q = ef[e, cq]
    pnew = p + speed * sd
    if st == -1 and (pnew - ef[e, co]) * (p - ef[e, co]) < 0:
        ef[e, ca] = ef[e, co]
        ei[e, E_STATE] = 0
        return
    c = math.floor((p + sd * 11) / 12)
    cn = math.floor((pnew + sd * 11) / 12)
    if c != cn:
        c1 = math.floor((q - 11) / 12)
        c2 = math.floor((q + 11) / 12)
        if not is_empty_lane(hor_e, ver_e, vertical, c, c1, c2, sd):
            ei[e, E_STATE] = -1
            return
    ef[e, ca] = pnew
    grid_move(ef, ei, ghead, gtail, enext, eprev, e)


@njit(cache=True)
def thwump_think(ef, ei, e, nf, ni, hor_e, ver_e):
    """An idle thwump charges when the ninja is in its lane and nothing solid lies between."""
    if ei[e, E_STATE] != 0 or not ninja_targetable(ni):
        return
    rng = 2 * (9 + NINJA_RADIUS)
    d = ei[e, E_DIR]
    vertical = not ei[e, E_VERT]
    # the thwump's and the ninja's positions along its lane (p, np_) and across it (q, nq)
    if vertical:
        p, q, np_, nq = ef[e, EF_Y], ef[e, EF_X], nf[N_Y], nf[N_X]
    else:
        p, q, np_, nq = ef[e, EF_X], ef[e, EF_Y], nf[N_X], nf[N_Y]
    if abs(q - nq) < rng:
        nc = math.floor(np_ / 12)
        tc = math.floor((p - d * 11) / 12)
        c1 = math.floor((q - 11) / 12)
        c2 = math.floor((q + 11) / 12)
        dc = nc - tc
        if dc * d >= 0:
            i = 0
            for i in range(100):  # noqa: B007 (i is read after the loop)
                if not is_empty_lane(hor_e, ver_e, vertical, tc, c1, c2, d):
                    dc = nc - tc
                    break
                tc += d
            if i > 0 and dc * d <= 0:
                ei[e, E_STATE] = 1


@njit(cache=True)
def shove_thwump_step(ef, ei, e, xd, yd, speed, hor_e, ver_e, ghead, gtail, enext, eprev):
    """Move a shove thwump by speed along (xd, yd) unless a grid edge blocks; then retreat."""
    vertical = ef[e, EF_NY] != 0
    # columns of the position along the motion and across it; the direction along it
    ca, cq, pd = (EF_Y, EF_X, yd) if vertical else (EF_X, EF_Y, xd)
    p = ef[e, ca]
    q = ef[e, cq]
    pnew = p + pd * speed
    c = math.floor(p / 12)
    cn = math.floor(pnew / 12)
    if c != cn:
        c1 = math.floor((q - 8) / 12)
        c2 = math.floor((q + 8) / 12)
        if not is_empty_lane(hor_e, ver_e, vertical, c, c1, c2, int(pd)):
            ei[e, E_STATE] = 3
            return
    ef[e, ca] = pnew
    grid_move(ef, ei, ghead, gtail, enext, eprev, e)


@njit(cache=True)
def shove_thwump_think(ef, ei, e, hor_e, ver_e, ghead, gtail, enext, eprev):
    """States: 0 idle, 1 pushed (armed), 2 launching away from the push, 3 returning home."""
    st = ei[e, E_STATE]
    if st == 1:
        if ei[e, E_AUX]:
            ei[e, E_AUX] = 0
            return
        ei[e, E_STATE] = 2
        st = 2
    if st == 3:
        dist = abs(ef[e, EF_X] - ef[e, EF_XO]) + abs(ef[e, EF_Y] - ef[e, EF_YO])
        if dist >= 1:
            shove_thwump_step(ef, ei, e, ef[e, EF_NX], ef[e, EF_NY], 1.0, hor_e, ver_e,
                              ghead, gtail, enext, eprev)
        else:
            ef[e, EF_X] = ef[e, EF_XO]
            ef[e, EF_Y] = ef[e, EF_YO]
            ei[e, E_STATE] = 0
    elif st == 2:
        shove_thwump_step(ef, ei, e, -ef[e, EF_NX], -ef[e, EF_NY], 4.0, hor_e, ver_e,
                          ghead, gtail, enext, eprev)


@njit(cache=True)
def death_ball_motion(ef, e, px, py, targetable, geo_start, seg_kind, seg_f):
    """Death-ball steering and tile collision (the first part of its think step).

    Accelerates towards the ninja (or slows down without a target), sweeps and depenetrates
    against tiles (radius 8) and bounces off them. Returns False when the ball sits exactly on
    a surface point (the reference then ends the think step early).
    """
    if not targetable:
        ef[e, EF_XS] *= 0.95
        ef[e, EF_YS] *= 0.95
    else:
        dx = px - ef[e, EF_X]
        dy = py - ef[e, EF_Y]
        dist = math.sqrt(dx ** 2 + dy ** 2)
        if dist > 0:
            dx /= dist
            dy /= dist
        ef[e, EF_XS] += dx * 0.04
        ef[e, EF_YS] += dy * 0.04
        speed = math.sqrt(ef[e, EF_XS] ** 2 + ef[e, EF_YS] ** 2)
        if speed > 0.85:
            new_speed = (speed - 0.85) * 0.9
            if new_speed <= 0.01:
                new_speed = 0.0
            new_speed += 0.85
            ef[e, EF_XS] = ef[e, EF_XS] / speed * new_speed
            ef[e, EF_YS] = ef[e, EF_YS] / speed * new_speed
    xo = ef[e, EF_X]
    yo = ef[e, EF_Y]
    xs = ef[e, EF_XS]
    ys = ef[e, EF_YS]
    t = sweep_circle(geo_start, seg_kind, seg_f, xo, yo, xs, ys, 8 * 0.5)
    x = xo + t * xs
    y = yo + t * ys
    xn = 0.0
    yn = 0.0
    for _ in range(16):
        res, a, b = closest_point(geo_start, seg_kind, seg_f, x, y, 8.0)
        if res == 0:
            break
        dx = x - a
        dy = y - b
        dist = math.sqrt(dx ** 2 + dy ** 2)
        depen = 8 - dist * res
        if depen < 0.0000001:
            break
        if dist == 0:
            ef[e, EF_X] = x
            ef[e, EF_Y] = y
            return False
        xnorm = dx / dist
        ynorm = dy / dist
        x += xnorm * depen
        y += ynorm * depen
        xn += xnorm
        yn += ynorm
    ef[e, EF_X] = x
    ef[e, EF_Y] = y
    nl = math.sqrt(xn ** 2 + yn ** 2)
    if nl > 0:
        dx = xn / nl
        dy = yn / nl
        dot = ef[e, EF_XS] * dx + ef[e, EF_YS] * dy
        if dot < 0:
            speed = math.sqrt(ef[e, EF_XS] ** 2 + ef[e, EF_YS] ** 2)
            bounce = 1.0 if speed <= 1.35 else 2.0
            ef[e, EF_XS] -= dx * dot * bounce
            ef[e, EF_YS] -= dy * dot * bounce
    return True


@njit(cache=True)
def mine_next_state(st, mx, my, px, py, targetable, ninja_dead):
    """Think step of a toggle mine as a pure function of scalars (see ``toggle_mine_think``)."""
    if targetable:
        if st == 1:
            if overlap_circles(mx, my, 3.5, px, py, NINJA_RADIUS):
                return 2
        elif st == 2:
            if not overlap_circles(mx, my, 4.5, px, py, NINJA_RADIUS):
                return 0
    else:
        if st == 2 and ninja_dead:
            return 1
    return st


@njit(cache=True)
def drone_glide(x, y, xt, yt, speed, d):
    """Advance a drone towards its target: (arrived, x, y, dist); on arrival x, y = target."""
    vx, vy = _dir_vec(d)
    xs = speed * vx
    ys = speed * vy
    dx = xt - x
    dy = yt - y
    dist = math.sqrt(dx ** 2 + dy ** 2)
    if dist < 0.000001 or (dx * (xt - (x + xs)) + dy * (yt - (y + ys))) < 0:
        return True, xt, yt, dist
    return False, x + xs, y + ys, dist


@njit(cache=True)
def drone_turn(ef, ei, e, dist, hor_e, ver_e):
    """At a cell centre: pick the next direction by patrol mode and move the leftover distance."""
    speed = ef[e, EF_SPEED]
    mode = ei[e, E_MODE] % 4
    for i in range(4):
        nd = (ei[e, E_DIR] + _DRONE_TURNS[mode, i]) % 4
        if _drone_try(ef, e, nd, hor_e, ver_e):
            ei[e, E_DIR] = nd
            disp = speed - dist
            wx, wy = _dir_vec(nd)
            ef[e, EF_X] += disp * wx
            ef[e, EF_Y] += disp * wy
            return


@njit(cache=True)
def bounce_block_step(x, y, xs, ys, xo, yo):
    """Damped spring pulling a bounce block back to its origin (scalar form)."""
    xs *= BOUNCE_DAMPENING
    ys *= BOUNCE_DAMPENING
    x += xs
    y += ys
    xf = BOUNCE_STIFFNESS * (xo - x)
    yf = BOUNCE_STIFFNESS * (yo - y)
    x += xf
    y += yf
    xs += xf
    ys += yf
    return x, y, xs, ys


@njit(cache=True)
def boost_pad_step(touching, bx, by, px, py, xs, ys, targetable):
    """Boost pad: adds 2 px/frame along the ninja's velocity on first contact.
    Returns (touching, xs, ys)."""
    if not targetable:
        return False, xs, ys
    if overlap_circles(bx, by, 6.0, px, py, NINJA_RADIUS):
        if not touching:
            v = math.sqrt(xs ** 2 + ys ** 2)
            if v > 0:
                xb = 2 * xs / v
                yb = 2 * ys / v
                xs += xb
                ys += yb
        return True, xs, ys
    return False, xs, ys


@njit(cache=True)
def ninja_integrate(nf):
    nf[N_XS] *= nf[N_DRAG]
    nf[N_YS] *= nf[N_DRAG]
    nf[N_YS] += nf[N_GRAV]
    nf[N_XOLD] = nf[N_X]
    nf[N_YOLD] = nf[N_Y]
    nf[N_X] += nf[N_XS]
    nf[N_Y] += nf[N_YS]


@njit(cache=True)
def ninja_pre_collision(nf, ni):
    nf[N_XSOLD] = nf[N_XS]
    nf[N_YSOLD] = nf[N_YS]
    ni[N_FCOUNT] = 0
    ni[N_CCOUNT] = 0
    nf[N_FSUMX] = 0.0
    nf[N_FSUMY] = 0.0
    nf[N_CSUMX] = 0.0
    nf[N_CSUMY] = 0.0
    ni[N_CRUSHABLE] = 0
    nf[N_XCR] = 0.0
    nf[N_YCR] = 0.0
    nf[N_CRLEN] = 0.0


@njit(cache=True, inline="always")
def _add_contact_normal(nf, ni, nx, ny):
    """A contact normal pointing down-ish (or sideways) counts as ceiling, up-ish as floor."""
    if ny >= -0.0001:
        ni[N_CCOUNT] += 1
        nf[N_CSUMX] += nx
        nf[N_CSUMY] += ny
    else:
        ni[N_FCOUNT] += 1
        nf[N_FSUMX] += nx
        nf[N_FSUMY] += ny


@njit(cache=True, inline="always")
def _far(ef, e, nf):
    """True when entity e is beyond any interaction range of the ninja (no contact test needed:
    the largest reach is a shove thwump's 12 + 10 + 0.1 px square)."""
    return abs(ef[e, EF_X] - nf[N_X]) > 40.0 or abs(ef[e, EF_Y] - nf[N_Y]) > 40.0


@njit(cache=True)
def ninja_collide_entities(nf, ni, ef, ei, scratch, n):
    """Solid contacts with one-way platforms, bounce blocks, thwumps and shove thwumps among the
    n entities listed in scratch."""
    for k in range(n):
        e = scratch[k]
        t = ei[e, E_TYPE]
        if t != 11 and t != 17 and t != 20 and t != 28:
            continue
        if _far(ef, e, nf):
            continue
        hit, dx, dy, pen = physical_contact(ef, ei, e, nf)
        if not hit:
            continue
        popx = dx * pen
        popy = dy * pen
        nf[N_X] += popx
        nf[N_Y] += popy
        if t != 17:
            nf[N_XCR] += popx
            nf[N_YCR] += popy
            nf[N_CRLEN] += pen
        if t == 20:
            ni[N_CRUSHABLE] = 1
        if t == 17 or t == 20 or t == 28:
            nf[N_XS] += popx
            nf[N_YS] += popy
        if t == 11:
            xs = nf[N_XS]
            ys = nf[N_YS]
            nf[N_XS] = (xs * dy - ys * dx) * dy
            nf[N_YS] = (xs * dy - ys * dx) * (-dx)
        _add_contact_normal(nf, ni, dx, dy)


@njit(cache=True)
def ninja_collide_tiles(nf, ni, geo_start, seg_kind, seg_f):
    """Swept-circle (radius 5) interpolation against tile segments, then up to 32 depenetration
    steps of the radius-10 body against the closest segment point.

    Candidate cells are gathered once, after the sweep (a cell counts only if the joint bounding
    box of its segments overlaps the ninja's 20-px square, as in the reference's segment index);
    every step then considers the segments of those cells whose own bounding box overlaps the
    square around the current position. This matters only when the ninja is pushed far within one
    call (e.g. spawned inside solid tiles), but there it decides where it ends up."""
    x0 = nf[N_XOLD]
    y0 = nf[N_YOLD]
    dx = nf[N_X] - x0
    dy = nf[N_Y] - y0
    t = sweep_circle(geo_start, seg_kind, seg_f, x0, y0, dx, dy, NINJA_RADIUS * 0.5)
    x = x0 + t * dx
    y = y0 + t * dy
    xs = nf[N_XS]
    ys = nf[N_YS]
    # candidate cells are gathered once, around the position after the sweep; each query then
    # keeps the segments whose bounding box overlaps its own square
    nc, c0, c1, c2, c3 = gather_cells(geo_start, seg_f, x - NINJA_RADIUS, y - NINJA_RADIUS,
                                      x + NINJA_RADIUS, y + NINJA_RADIUS)
    for _ in range(32):
        res, a, b = closest_point_cells(geo_start, seg_kind, seg_f, x, y, NINJA_RADIUS,
                                        nc, c0, c1, c2, c3)
        if res == 0:
            break
        dx = x - a
        dy = y - b
        if abs(dx) <= 0.0000001:
            # the reference nudges three specific positions to reproduce N++ corner cases
            dx = 0.0
            if x == 50.51197510492316 or x == 49.23232124849253:
                dx = -(2.0 ** -47)
            if x == 49.153536108584795:
                dx = 2.0 ** -47
        dist_sq = dx * dx + dy * dy
        if dist_sq < 1e-16:
            break
        dist = math.sqrt(dist_sq)
        depen = NINJA_RADIUS - dist * res
        if depen < 0.0000001:
            break
        # unit normal via the reciprocal, as the reference computes it (bit-exactness)
        inv = 1.0 / dist
        ndx = dx * inv
        ndy = dy * inv
        depx = ndx * depen
        depy = ndy * depen
        x += depx
        y += depy
        nf[N_XCR] += depx
        nf[N_YCR] += depy
        nf[N_CRLEN] += depen
        if xs * dx + ys * dy < 0:  # moving into the surface: keep only the tangential part
            cross = xs * dy - ys * dx
            inv2 = inv * inv
            xs, ys = cross * inv2 * dy, cross * inv2 * (-dx)
        _add_contact_normal(nf, ni, ndx, ndy)
    nf[N_X] = x
    nf[N_Y] = y
    nf[N_XS] = xs
    nf[N_YS] = ys


@njit(cache=True)
def ninja_post_collision(nf, ni, ef, ei, ghead, gtail, enext, eprev, hor_e, ver_e,
                         geo_start, seg_kind, seg_f, scratch):
    """Logical entity contacts, wall detection, floor/ceiling normals, impact and crush deaths."""
    wall = 0.0
    n = gather_entities(ei, ghead, enext, nf[N_X], nf[N_Y], scratch)
    for k in range(n):
        e = scratch[k]
        if ei[e, E_TYPE] == 24:
            continue  # boost pads act in their move step only
        if _far(ef, e, nf):
            continue
        kind, a, b = logical_contact(ef, ei, e, nf, ni, ghead, gtail, enext, eprev,
                                     hor_e, ver_e)
        if kind == 2:
            xb = a * 2 / 3
            yb = b * 2 / 3
            nf[N_X] += xb
            nf[N_Y] += yb
            nf[N_XS] = xb
            nf[N_YS] = yb
            ni[N_FCOUNT] = 0
            ni[N_FBUF] = -1
            bs = math.sqrt(xb ** 2 + yb ** 2)
            nf[N_XLP] = xb / bs
            nf[N_YLP] = yb / bs
            ni[N_LPBUF] = 0
            if ni[N_STATE] == ST_JUMPING:
                nf[N_GRAV] = GRAVITY_FALL
            ni[N_STATE] = ST_FALLING
        elif kind == 1:
            wall += a

    # walls from tile segments: a closest point level with the centre within radius + 0.1
    x = nf[N_X]
    y = nf[N_Y]
    rad = NINJA_RADIUS + 0.1
    cx0, cx1 = _cell_range(x - rad, x + rad, 44)
    cy0, cy1 = _cell_range(y - rad, y + rad, 25)
    for cx in range(cx0, cx1 + 1):
        for cy in range(cy0, cy1 + 1):
            c = cx * GRID_H + cy
            for i in range(geo_start[c], geo_start[c + 1]):
                if _box_dist_sq(seg_f, i, x, y) > rad * rad + 1e-6:
                    continue
                _, a, b = segment_closest(seg_kind, seg_f, i, x, y)
                dx = x - a
                dy = y - b
                dist = math.sqrt(dx ** 2 + dy ** 2)
                if abs(dy) < 0.00001 and 0 < dist <= rad:
                    wall += dx / dist

    ni[N_AIRBORN_OLD] = ni[N_AIRBORN]
    ni[N_AIRBORN] = 1
    ni[N_WALLED] = 0
    if wall != 0:
        ni[N_WALLED] = 1
        nf[N_WALLN] = wall / abs(wall)

    if ni[N_FCOUNT] > 0:
        ni[N_AIRBORN] = 0
        fs = math.sqrt(nf[N_FSUMX] ** 2 + nf[N_FSUMY] ** 2)
        if fs == 0:
            nf[N_FNX] = 0.0
            nf[N_FNY] = -1.0
        else:
            nf[N_FNX] = nf[N_FSUMX] / fs
            nf[N_FNY] = nf[N_FSUMY] / fs
        if ni[N_STATE] != ST_CELEBRATING and ni[N_AIRBORN_OLD]:
            impact = -(nf[N_FNX] * nf[N_XSOLD] + nf[N_FNY] * nf[N_YSOLD])
            if impact > MAX_SURVIVABLE_IMPACT - 4 / 3 * abs(nf[N_FNY]):
                nf[N_XS] = nf[N_XSOLD]
                nf[N_YS] = nf[N_YSOLD]
                ninja_kill(nf, ni)

    if ni[N_CCOUNT] > 0:
        cs = math.sqrt(nf[N_CSUMX] ** 2 + nf[N_CSUMY] ** 2)
        if cs == 0:
            nf[N_CNX] = 0.0
            nf[N_CNY] = 1.0
        else:
            nf[N_CNX] = nf[N_CSUMX] / cs
            nf[N_CNY] = nf[N_CSUMY] / cs
        if ni[N_STATE] != ST_CELEBRATING:
            impact = -(nf[N_CNX] * nf[N_XSOLD] + nf[N_CNY] * nf[N_YSOLD])
            if impact > MAX_SURVIVABLE_IMPACT - 4 / 3 * abs(nf[N_CNY]):
                nf[N_XS] = nf[N_XSOLD]
                nf[N_YS] = nf[N_YSOLD]
                ninja_kill(nf, ni)

    if ni[N_CRUSHABLE] and nf[N_CRLEN] > 0:
        if math.sqrt(nf[N_XCR] ** 2 + nf[N_YCR] ** 2) / nf[N_CRLEN] < MIN_SURVIVABLE_CRUSHING:
            ninja_kill(nf, ni)


@njit(cache=True)
def _floor_jump(nf, ni):
    ni[N_JBUF] = -1
    ni[N_FBUF] = -1
    ni[N_LPBUF] = -1
    ni[N_STATE] = ST_JUMPING
    nf[N_GRAV] = GRAVITY_JUMP
    hor = ni[N_HOR]
    if nf[N_FNX] == 0:
        jx = 0.0
        jy = -2.0
    else:
        fx = nf[N_FNX]
        fy = nf[N_FNY]
        if nf[N_XS] * fx >= 0:  # moving downhill (or standing)
            if nf[N_XS] * hor >= 0:
                jx = 2 / 3 * fx
                jy = 2 * fy
            else:
                jx = 0.0
                jy = -1.4
        else:  # moving uphill
            if nf[N_XS] * hor > 0:
                jx = 0.0
                jy = -1.4
            else:
                nf[N_XS] = 0.0
                jx = 2 / 3 * fx
                jy = 2 * fy
    if nf[N_YS] > 0:
        nf[N_YS] = 0.0
    nf[N_XS] += jx
    nf[N_YS] += jy
    nf[N_X] += jx
    nf[N_Y] += jy
    ni[N_JDUR] = 0


@njit(cache=True)
def _wall_jump(nf, ni):
    wn = nf[N_WALLN]
    if ni[N_HOR] * wn < 0 and ni[N_STATE] == ST_WALLSLIDE:
        jx = 2 / 3
        jy = -1.0
    else:
        jx = 1.0
        jy = -1.4
    ni[N_STATE] = ST_JUMPING
    nf[N_GRAV] = GRAVITY_JUMP
    if nf[N_XS] * wn < 0:
        nf[N_XS] = 0.0
    if nf[N_YS] > 0:
        nf[N_YS] = 0.0
    nf[N_XS] += jx * wn
    nf[N_YS] += jy
    nf[N_X] += jx * wn
    nf[N_Y] += jy
    ni[N_JBUF] = -1
    ni[N_WBUF] = -1
    ni[N_LPBUF] = -1
    ni[N_JDUR] = 0


@njit(cache=True)
def _launch_pad_jump(nf, ni):
    ni[N_FBUF] = -1
    ni[N_WBUF] = -1
    ni[N_JBUF] = -1
    ni[N_LPBUF] = -1
    bs = 2 * abs(nf[N_XLP]) + 2
    if bs == 2:
        bs = 1.7
    nf[N_XS] += nf[N_XLP] * bs * (2 / 3)
    nf[N_YS] += nf[N_YLP] * bs * (2 / 3)


@njit(cache=True)
def _buffer_step(v, limit):
    """Advance a buffer counter: counts up while in (-1, limit), otherwise resets to -1."""
    if -1 < v < limit:
        return v + 1
    return -1


@njit(cache=True)
def ninja_think(nf, ni):
    """Input buffers and the movement state machine (runs after the collision phase)."""
    jump = ni[N_JUMP]
    hor = ni[N_HOR]
    new_jump = jump != 0 and ni[N_JIN_OLD] == 0
    ni[N_JIN_OLD] = jump

    ni[N_LPBUF] = _buffer_step(ni[N_LPBUF], 3)
    in_lp = -1 < ni[N_LPBUF] < 4
    ni[N_JBUF] = _buffer_step(ni[N_JBUF], 5)
    in_jump = -1 < ni[N_JBUF] < 5
    ni[N_WBUF] = _buffer_step(ni[N_WBUF], 5)
    in_wall = -1 < ni[N_WBUF] < 5
    ni[N_FBUF] = _buffer_step(ni[N_FBUF], 5)
    in_floor = -1 < ni[N_FBUF] < 5

    airborn = ni[N_AIRBORN] != 0
    walled = ni[N_WALLED] != 0
    if new_jump and airborn:
        ni[N_JBUF] = 0
    if walled:
        ni[N_WBUF] = 0
    if not airborn:
        ni[N_FBUF] = 0

    st = ni[N_STATE]
    if st == ST_DEAD or st == ST_DISABLED:
        return
    if st == ST_DYING:
        ni[N_STATE] = ST_DEAD
        return
    if st == ST_CELEBRATING:
        nf[N_DRAG] = DRAG_REGULAR if airborn else DRAG_SLOW
        return

    if not airborn:
        xs_new = nf[N_XS] + GROUND_ACCEL * hor
        if abs(xs_new) < MAX_HOR_SPEED:
            nf[N_XS] = xs_new
        if ni[N_STATE] > 2:
            if ni[N_STATE] == ST_JUMPING:
                nf[N_GRAV] = GRAVITY_FALL
            if nf[N_XS] * hor <= 0:
                ni[N_STATE] = ST_SLIDING
            else:
                ni[N_STATE] = ST_RUNNING
        if not in_jump and not new_jump:
            st = ni[N_STATE]
            fnx = nf[N_FNX]
            fny = nf[N_FNY]
            if st == ST_SLIDING:
                proj = abs(nf[N_YS] * fnx - nf[N_XS] * fny)
                if hor * proj * nf[N_XS] > 0:
                    ni[N_STATE] = ST_RUNNING
                    return
                if proj < 0.1 and fnx == 0:
                    ni[N_STATE] = ST_IMMOBILE
                    return
                if nf[N_YS] < 0 and fnx != 0:
                    # friction when sliding up a slope uses its own formula
                    speed = math.sqrt(nf[N_XS] ** 2 + nf[N_YS] ** 2)
                    fric = abs(nf[N_XS] * (1 - FRICTION_GROUND) * fny)
                    fric2 = speed - fric * fny ** 2
                    nf[N_XS] = nf[N_XS] / speed * fric2
                    nf[N_YS] = nf[N_YS] / speed * fric2
                    return
                nf[N_XS] *= FRICTION_GROUND
                return
            if st == ST_RUNNING:
                proj = abs(nf[N_YS] * fnx - nf[N_XS] * fny)
                if hor * proj * nf[N_XS] > 0:
                    if hor * fnx >= 0:  # flat or downhill
                        return
                    if abs(xs_new) < MAX_HOR_SPEED:
                        boost = GROUND_ACCEL / 2 * hor
                        xb = boost * fny * fny
                        yb = boost * fny * -fnx
                        nf[N_XS] += xb
                        nf[N_YS] += yb
                    return
                ni[N_STATE] = ST_SLIDING
            else:  # immobile
                if hor != 0:
                    ni[N_STATE] = ST_RUNNING
                    return
                proj = abs(nf[N_YS] * fnx - nf[N_XS] * fny)
                if proj < 0.1:
                    nf[N_XS] *= FRICTION_GROUND_SLOW
                    return
                ni[N_STATE] = ST_SLIDING
            return
        _floor_jump(nf, ni)
        return

    xs_new = nf[N_XS] + AIR_ACCEL * hor
    if abs(xs_new) < MAX_HOR_SPEED:
        nf[N_XS] = xs_new
    st = ni[N_STATE]
    if st < 3:
        ni[N_STATE] = ST_FALLING
        return
    if st == ST_JUMPING:
        ni[N_JDUR] += 1
        if jump == 0 or ni[N_JDUR] > MAX_JUMP_DURATION:
            nf[N_GRAV] = GRAVITY_FALL
            ni[N_STATE] = ST_FALLING
            return
    if in_jump or new_jump:
        if walled or in_wall:
            _wall_jump(nf, ni)
            return
        if in_floor:
            _floor_jump(nf, ni)
            return
        if in_lp and new_jump:
            _launch_pad_jump(nf, ni)
            return
    st = ni[N_STATE]
    if not walled:
        if st == ST_WALLSLIDE:
            ni[N_STATE] = ST_FALLING
    else:
        wn = nf[N_WALLN]
        if st == ST_WALLSLIDE:
            if hor * wn <= 0:
                nf[N_YS] *= FRICTION_WALL
            else:
                ni[N_STATE] = ST_FALLING
        else:
            if nf[N_YS] > 0 and hor * wn < 0:
                if st == ST_JUMPING:
                    nf[N_GRAV] = GRAVITY_FALL
                ni[N_STATE] = ST_WALLSLIDE


# ---------------------------------------------------------------------------------------------
# one tick and a whole replay


@njit(cache=True)
def tick(nf, ni, ef, ei, ghead, gtail, enext, eprev, hor_e, ver_e,
         geo_start, seg_kind, seg_f, order_move, order_think, db_ids, db_count, scratch,
         hor, jump):
    """Advance the world by one frame with horizontal input ``hor`` and jump input ``jump``."""
    ni[N_FRAME] += 1
    ni[N_HOR] = hor
    ni[N_JUMP] = jump

    # move phase. Hot paths work on scalars; array-taking helpers run only when needed
    # (every call passing arrays costs atomic reference-count updates).
    targetable = ninja_targetable(ni)
    for e in order_move:
        if not ei[e, E_ACTIVE]:
            continue
        t = ei[e, E_TYPE]
        if t == 14 or t == 26:
            arrived, x, y, dist = drone_glide(ef[e, EF_X], ef[e, EF_Y], ef[e, EF_XT],
                                              ef[e, EF_YT], ef[e, EF_SPEED], ei[e, E_DIR])
            ef[e, EF_X] = x
            ef[e, EF_Y] = y
            if arrived:
                drone_turn(ef, ei, e, dist, hor_e, ver_e)  # no cell update on this frame
            elif entity_cell(x, y) != ei[e, E_CELL]:
                grid_move(ef, ei, ghead, gtail, enext, eprev, e)
        elif t == 17:
            x, y, xs, ys = bounce_block_step(ef[e, EF_X], ef[e, EF_Y], ef[e, EF_XS], ef[e, EF_YS],
                                             ef[e, EF_XO], ef[e, EF_YO])
            ef[e, EF_X] = x
            ef[e, EF_Y] = y
            ef[e, EF_XS] = xs
            ef[e, EF_YS] = ys
            if entity_cell(x, y) != ei[e, E_CELL]:
                grid_move(ef, ei, ghead, gtail, enext, eprev, e)
        elif t == 20:
            if ei[e, E_STATE] != 0:
                thwump_move(ef, ei, e, hor_e, ver_e, ghead, gtail, enext, eprev)
        elif t == 24:
            touching, xs, ys = boost_pad_step(ei[e, E_AUX] != 0, ef[e, EF_X], ef[e, EF_Y],
                                              nf[N_X], nf[N_Y], nf[N_XS], nf[N_YS], targetable)
            ei[e, E_AUX] = 1 if touching else 0
            nf[N_XS] = xs
            nf[N_YS] = ys

    # think phase
    px = nf[N_X]
    py = nf[N_Y]
    dead = ni[N_STATE] == ST_DEAD
    for e in order_think:
        if not ei[e, E_ACTIVE]:
            continue
        t = ei[e, E_TYPE]
        if t == 1 or t == 21:
            ei[e, E_STATE] = mine_next_state(ei[e, E_STATE], ef[e, EF_X], ef[e, EF_Y], px, py,
                                             targetable, dead)
        elif t == 5:
            if not ei[e, E_CLOSED]:
                ei[e, E_AUX] += 1
                if ei[e, E_AUX] > 5:
                    door_set_closed(ei, hor_e, ver_e, e, True)
        elif t == 20:
            # idle thwumps look along their lane only when the ninja is within reach of it
            if ei[e, E_STATE] == 0 and targetable:
                if ei[e, E_VERT]:
                    near = abs(ef[e, EF_Y] - py) < 2 * (9 + NINJA_RADIUS)
                else:
                    near = abs(ef[e, EF_X] - px) < 2 * (9 + NINJA_RADIUS)
                if near:
                    thwump_think(ef, ei, e, nf, ni, hor_e, ver_e)
        elif t == 25:
            # death balls steer and collide, then push apart balls later in load order
            if death_ball_motion(ef, e, px, py, targetable, geo_start, seg_kind, seg_f):
                idx = ei[e, E_TIDX]
                if idx + 1 < db_count:
                    for kk in range(idx + 1, db_ids.shape[0]):
                        o = db_ids[kk]
                        dx = ef[e, EF_X] - ef[o, EF_X]
                        dy = ef[e, EF_Y] - ef[o, EF_Y]
                        dist = math.sqrt(dx ** 2 + dy ** 2)
                        if 0 < dist < 16:  # two balls exactly on top of each other have no direction (nclone divides by 0)
                            dx = dx / dist * 4
                            dy = dy / dist * 4
                            ef[e, EF_XS] += dx
                            ef[e, EF_YS] += dy
                            ef[o, EF_XS] -= dx
                            ef[o, EF_YS] -= dy
                if entity_cell(ef[e, EF_X], ef[e, EF_Y]) != ei[e, E_CELL]:
                    grid_move(ef, ei, ghead, gtail, enext, eprev, e)
        elif t == 28:
            if ei[e, E_STATE] != 0:
                shove_thwump_think(ef, ei, e, hor_e, ver_e, ghead, gtail, enext, eprev)

    st = ni[N_STATE]
    if st == ST_DISABLED:
        return
    if st != ST_DEAD:
        ninja_integrate(nf)
        ninja_pre_collision(nf, ni)
        # the neighbourhood is gathered once, at the integrated position
        n = gather_entities(ei, ghead, enext, nf[N_X], nf[N_Y], scratch)
        for _ in range(4):
            ninja_collide_entities(nf, ni, ef, ei, scratch, n)
            ninja_collide_tiles(nf, ni, geo_start, seg_kind, seg_f)
        ninja_post_collision(nf, ni, ef, ei, ghead, gtail, enext, eprev, hor_e,
                             ver_e, geo_start, seg_kind, seg_f, scratch)
    ninja_think(nf, ni)


@njit(cache=True)
def switch_is_hit(ei, last_switch):
    """Whether the last exit switch loaded has been collected (False for a map without one)."""
    if last_switch < 0:
        return False
    return ei[last_switch, E_ACTIVE] == 0


@njit(cache=True)
def run_replay(nf, ni, ef, ei, ghead, gtail, enext, eprev, hor_e, ver_e,
               geo_start, seg_kind, seg_f, order_move, order_think, db_ids, db_count, scratch,
               last_switch, hor, jump, out_f, out_s, record_from):
    """Run all frames; column 0 of the outputs is the state before the first tick.

    out_f rows: x, y, xspeed, yspeed. out_s rows: state, switch hit, gold, airborn, walled.
    Columns before ``record_from`` are not written (``record_from = n + 1`` just steps).
    Returns (outcome, frame): outcome 0 neither, 1 won, 2 died; frame of the first such state.
    """
    n = hor.shape[0]
    outcome = 0
    when = -1
    for i in range(n + 1):
        if i > 0:
            tick(nf, ni, ef, ei, ghead, gtail, enext, eprev, hor_e, ver_e,
                 geo_start, seg_kind, seg_f, order_move, order_think, db_ids, db_count, scratch,
                 hor[i - 1], jump[i - 1])
        if i < record_from:
            continue
        out_f[0, i] = nf[N_X]
        out_f[1, i] = nf[N_Y]
        out_f[2, i] = nf[N_XS]
        out_f[3, i] = nf[N_YS]
        st = ni[N_STATE]
        out_s[0, i] = st
        out_s[1, i] = 1 if switch_is_hit(ei, last_switch) else 0
        out_s[2, i] = ni[N_GOLD]
        out_s[3, i] = ni[N_AIRBORN]
        out_s[4, i] = ni[N_WALLED]
        if outcome == 0:
            if st == ST_CELEBRATING:
                outcome = 1
                when = i
            elif st == ST_DEAD or st == ST_DYING:
                outcome = 2
                when = i
    return outcome, when


@njit(cache=True)
def decode_input_bytes(b, left_wins):
    """Input bytes -> (hor, jump) int8 arrays (bit 0 jump, bit 1 right, bit 2 left)."""
    n = b.shape[0]
    hor = np.empty(n, dtype=np.int8)
    jump = np.empty(n, dtype=np.int8)
    for i in range(n):
        v = b[i]
        jump[i] = v & 1
        right = (v >> 1) & 1
        left = (v >> 2) & 1
        if left_wins and left:
            hor[i] = -1
        else:
            hor[i] = right - left
    return hor, jump
