"""The observation contract: which modalities exist, their shapes, dtypes and meaning.

Policies size themselves from ``observation_space(modalities)``; the observation builder fills
exactly these arrays. The space is a flat gymnasium ``Dict`` (SB3's MultiInputPolicy does not
take nested dicts), so the graph is split into ``graph_*`` keys.

Modalities (choose any subset with ``env.observation``):

``player_frame``  uint8 (1, 84, 84): grayscale view centred on the ninja, 168x168 world px at 1/2 scale.
``global_view``   uint8 (1, 100, 176): the whole 1056x600 px level at 1/6 scale.
``game_state``    float32 (GAME_STATE_DIM,): ninja physics (see ``GAME_STATE_FIELDS``); never the
                  current input (the label), so BC cannot copy it.
``entities``      float32 (MAX_ENTITIES, ENTITY_FEATURES): one row per entity, row-major by entity
                  order in the map; column 0 is 1.0 for a real row and 0.0 for padding.
``graph``         the level graph with typed nodes and edges (for HGT):
                  ``graph_node_feats`` float32 (MAX_NODES, NODE_FEATURES),
                  ``graph_node_types`` uint8 (MAX_NODES,), ``graph_node_mask`` uint8 (MAX_NODES,),
                  ``graph_edge_index`` int16 (2, MAX_EDGES) (source, target node rows),
                  ``graph_edge_types`` uint8 (MAX_EDGES,), ``graph_edge_mask`` uint8 (MAX_EDGES,).
                  Padding edges point 0 -> 0 and have mask 0.
"""

from __future__ import annotations

from collections.abc import Sequence

FEATURE_BOUND = 8.0  # float features are clipped to [-8, 8] (normalised values lie well inside)

MODALITIES = ("player_frame", "global_view", "game_state", "entities", "graph")

PLAYER_FRAME_SHAPE = (1, 84, 84)
PLAYER_VIEW_PX = 168  # world pixels covered by the player frame (square, centred on the ninja)
GLOBAL_VIEW_SHAPE = (1, 100, 176)
GLOBAL_VIEW_SCALE = 6  # world px per global-view pixel

GAME_STATE_FIELDS = (
    "x_norm", "y_norm", "xspeed_norm", "yspeed_norm",
    *(f"state_{i}" for i in range(10)),
    "airborn", "walled",
    "floor_normal_x", "floor_normal_y", "wall_normal_x", "ceiling_normal_y",
    "jump_buffer", "floor_buffer", "wall_buffer", "launch_pad_buffer", "jump_duration",
    "switch_activated", "time_remaining",
    "to_switch_dx", "to_switch_dy", "to_exit_dx", "to_exit_dy",
    "path_dx", "path_dy", "path_distance", "jump_held",
    *(f"mine{i}_{f}" for i in range(4) for f in ("dx", "dy", "present")),
)  # fmt: skip
# jump_held: whether the jump button was down on the previous frame. It is part of the game's state
# (N++ jumps only on a fresh press, so the same pose needs "release" after a held jump and "press" after
# a release); it is not the label, which is the input about to be applied.
# The last three follow the route, not the straight line: the geodesic distance field to the current
# objective (exit switch until it is activated, then the exit door) over the level's free space
# (npp_sim.planner.field, mines cost extra), computed once per level. path_dx/dy: offset to the point
# PATH_LOOKAHEAD_CELLS steepest-descent steps down that field from the ninja, in units of PATH_OFFSET_PX;
# path_distance: the field's value at the ninja / PATH_DISTANCE_PX. An unreachable objective gives
# (0, 0, FEATURE_BOUND): no direction, "very far".
# mine{i}_*: the MINE_SLOTS nearest deadly mines (toggled; an untoggled toggle mine is safe) within
# MINE_RANGE_PX of the ninja, nearest first: offset from the ninja in units of MINE_OFFSET_PX and
# present = 1 (an empty slot is all zeros). Mines are 4-px dots in the player frame; most deaths of a BC
# policy on the medium, complex and mine_heavy levels were within touching distance of a mine, so the
# policy gets their exact positions as numbers, not only as pixels.
MINE_SLOTS = 4
MINE_RANGE_PX = 96.0
MINE_OFFSET_PX = 48.0
PATH_LOOKAHEAD_CELLS = 8
PATH_OFFSET_PX = 48.0
PATH_DISTANCE_PX = 1000.0
GAME_STATE_DIM = len(GAME_STATE_FIELDS)

MAX_ENTITIES = 64
ENTITY_FIELDS = ("valid", "type_norm", "x_norm", "y_norm", "dx_norm", "dy_norm", "active", "state")
ENTITY_FEATURES = len(ENTITY_FIELDS)

# Graph: one node per non-solid 24-px cell of the inner 42x23 grid, one per entity, one for the ninja.
NODE_TYPES = ("cell", "ninja", "exit_switch", "exit_door", "hazard", "gold", "door_or_switch", "other_entity")
EDGE_TYPES = ("cell_horizontal", "cell_vertical", "entity_in_cell", "ninja_in_cell")
MAX_NODES = 42 * 23 + MAX_ENTITIES + 1
# Directed edges: 4-neighbour cell adjacency (at most 2 * (41*23 + 42*22) = 3734), entity <-> its
# cell (2 per entity) and ninja <-> its cell (2): at most 3864, so 4096 bounds every level.
MAX_EDGES = 4096
NODE_FEATURES = 6  # x_norm, y_norm, solid_neighbours/4, tile_coverage, entity_state, active
GRAPH_KEYS = (
    "graph_node_feats",
    "graph_node_types",
    "graph_node_mask",
    "graph_edge_index",
    "graph_edge_types",
    "graph_edge_mask",
)


def observation_keys(modalities: Sequence[str]) -> list[str]:
    """The Dict keys for a list of modalities, in a fixed order."""
    unknown = [m for m in modalities if m not in MODALITIES]
    if unknown:
        raise ValueError(f"unknown observation modality {unknown[0]!r}; known: {', '.join(MODALITIES)}")
    keys: list[str] = []
    for m in MODALITIES:
        if m in modalities:
            keys.extend(GRAPH_KEYS if m == "graph" else (m,))
    return keys


def observation_space(modalities: Sequence[str]):
    """The gymnasium Dict space for the chosen modalities."""
    import numpy as np
    from gymnasium import spaces

    parts: dict[str, spaces.Space] = {}
    for key in observation_keys(modalities):
        if key == "player_frame":
            parts[key] = spaces.Box(0, 255, PLAYER_FRAME_SHAPE, np.uint8)
        elif key == "global_view":
            parts[key] = spaces.Box(0, 255, GLOBAL_VIEW_SHAPE, np.uint8)
        elif key == "game_state":
            parts[key] = spaces.Box(-FEATURE_BOUND, FEATURE_BOUND, (GAME_STATE_DIM,), np.float32)
        elif key == "entities":
            parts[key] = spaces.Box(-FEATURE_BOUND, FEATURE_BOUND, (MAX_ENTITIES, ENTITY_FEATURES), np.float32)
        elif key == "graph_node_feats":
            parts[key] = spaces.Box(-FEATURE_BOUND, FEATURE_BOUND, (MAX_NODES, NODE_FEATURES), np.float32)
        elif key == "graph_node_types":
            parts[key] = spaces.Box(0, len(NODE_TYPES) - 1, (MAX_NODES,), np.uint8)
        elif key == "graph_node_mask":
            parts[key] = spaces.Box(0, 1, (MAX_NODES,), np.uint8)
        elif key == "graph_edge_index":
            parts[key] = spaces.Box(0, MAX_NODES - 1, (2, MAX_EDGES), np.int16)
        elif key == "graph_edge_types":
            parts[key] = spaces.Box(0, len(EDGE_TYPES) - 1, (MAX_EDGES,), np.uint8)
        elif key == "graph_edge_mask":
            parts[key] = spaces.Box(0, 1, (MAX_EDGES,), np.uint8)
    return spaces.Dict(parts)
