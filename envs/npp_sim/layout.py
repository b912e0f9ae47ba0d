"""Column indices of the simulator's state arrays.

Ninja: ``nf`` (float64) and ``ni`` (int64) vectors. Entities: ``ef`` (float64, N x EF_COLS) and
``ei`` (int64, N x EI_COLS), one row per entity in load order (an exit door and its switch are two
rows). The entity grid is a set of ordered doubly linked lists, one per 24-px cell: ``ghead``,
``gtail`` (per cell) and ``enext``, ``eprev`` (per entity). Doors add to or subtract from the
grid-edge counters ``hor_e``/``ver_e`` (89 x 51, indexed [x, y] on the 12-px lattice).

The mutable state, in this order, is ``(nf, ni, ef, ei, ghead, gtail, enext, eprev, hor_e, ver_e)``.
"""

# ninja floats
(N_X, N_Y, N_XS, N_YS, N_XOLD, N_YOLD, N_XSOLD, N_YSOLD, N_GRAV, N_DRAG, N_FNX, N_FNY, N_CNX,
 N_CNY, N_FSUMX, N_FSUMY, N_CSUMX, N_CSUMY, N_XCR, N_YCR, N_CRLEN, N_WALLN, N_XLP,
 N_YLP) = range(24)
NF_SIZE = 24

# ninja ints
(N_STATE, N_AIRBORN, N_AIRBORN_OLD, N_WALLED, N_JIN_OLD, N_JDUR, N_JBUF, N_FBUF, N_WBUF,
 N_LPBUF, N_FCOUNT, N_CCOUNT, N_CRUSHABLE, N_GOLD, N_DOORS, N_HOR, N_JUMP, N_FRAME) = range(18)
NI_SIZE = 18

# entity floats: position, speed, origin, radius, normal/direction, drone target and parameters
(EF_X, EF_Y, EF_XS, EF_YS, EF_XO, EF_YO, EF_RAD, EF_NX, EF_NY, EF_XT, EF_YT, EF_SPEED, EF_GRIDW,
 EF_DIRSIGN) = range(14)
EF_COLS = 14

# entity ints: type, active flag, behaviour state, grid cell (x*25+y), orientation, mode,
# drone direction, (reserved), auxiliary counter/flag (door open timer, boost-pad contact,
# exit door switch hit, shove-thwump activated), linked row (exit door <-> switch),
# door is-vertical flag / thwump is-horizontal flag, first door grid edge, index within its type,
# door closed flag
(E_TYPE, E_ACTIVE, E_STATE, E_CELL, E_ORI, E_MODE, E_DIR, E_SEG, E_AUX, E_LINK, E_VERT,
 E_EDGE_X, E_EDGE_Y, E_TIDX, E_CLOSED) = range(15)
EI_COLS = 15
