/** The typed mesh model: schema, validation, resolution and derived names. Pure: no Pulumi imports. */
export * from "./schema";
export * from "./names";
export * from "./mesh";
export * from "./wan";
export * from "./intentions";
export * from "./validate";
export * from "./editDistance";
