export type * from "./core";
export type * from "./tls";
export type * from "./listener";
export type * from "./cluster";
export type * from "./bootstrap";
