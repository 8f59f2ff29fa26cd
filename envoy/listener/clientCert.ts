/**
 * The caller's identity for the app, in `x-forwarded-client-cert`. SANITIZE_SET drops whatever XFCC the client
 * sent and sets one from the verified peer certificate; `uri: true` puts its SPIFFE ID in as `URI=...`
 * (source/common/http/conn_manager_utility.cc, mutateXfccRequestHeader). Only the mTLS inbound listener does this:
 * every other HCM keeps Envoy's default SANITIZE, which strips a client-sent XFCC and adds nothing.
 */
import type { Configurer } from "../configurer";
import type { HttpConnectionManager } from "../types";

export function forwardCallerIdentity(): Configurer<HttpConnectionManager> {
  return (hcm) => {
    hcm.forward_client_cert_details = "SANITIZE_SET";
    hcm.set_current_client_cert_details = { uri: true };
  };
}
