/** Socket addresses. Loopback is named once so "admin binds only to loopback" is checkable in one place. */
import type { Address } from "../types";

export const LOOPBACK = "127.0.0.1";
export const ANY_ADDRESS = "0.0.0.0";

export function socketAddress(address: string, port: number): Address {
  return { socket_address: { address, port_value: port } };
}
