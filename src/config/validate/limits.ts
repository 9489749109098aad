/** Hard limits that keep validation bounded on hostile input (reported as E004). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024
/** Deeper than any real pipeline (the deepest fixed path is ~7 levels plus the payload's own). */
export const MAX_DEPTH = 100
/** Nodes materialised through aliases; a "billion laughs" document stops here. */
export const MAX_ALIAS_NODES = 10_000
