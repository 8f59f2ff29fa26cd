// Offline validator for Envoy v3 configs (bootstrap + file-based LDS/CDS/SDS), see cli.ts for the command.
export type { ConfigFile, ValidationIssue } from "./types";
export { validateConfigSet, validateConfigSetSync, validateMessage } from "./configSet";
export { getRoot, loadFullRoot, loadStats } from "./protos";
