/** An anchor (`&name`) or alias (`*name`) where YAML allows one: after a key's colon, a dash, or at a line start. */
export const YAML_ANCHOR_OR_ALIAS = /(^|[:-] |^\s*- )[&*][^\s,\]}]+/m;
