/**
 * WebSocket over HTTP/1.1: the HCM refuses an `Upgrade: websocket` request unless `upgrade_configs` names it
 * (source/common/http/conn_manager_impl.cc, ActiveStream::decodeHeaders → createUpgradeFilterChain). A route
 * timeout still bounds the handshake only; once upgraded, the stream idle timeout governs the connection.
 */
import type { Configurer } from "../configurer";
import type { HttpConnectionManager } from "../types";

export function websocketUpgrades(): Configurer<HttpConnectionManager> {
  return (hcm) => {
    hcm.upgrade_configs = [{ upgrade_type: "websocket" }];
  };
}
