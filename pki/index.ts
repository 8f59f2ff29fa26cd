/** Pure PKI rules: validity and renewal maths, key settings, allowed uses, subjects and SANs, inventory. */
export * from "./validity";
export * from "./keys";
export * from "./uses";
export * from "./identity";
export * from "./names";
export * from "./inventory";
export * from "./certRequest";
export * from "./readCertRequest";
