import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/**
 * Proxies whose X-Forwarded-For we believe, by default: loopback only (nginx on the same host).
 * Anything else is configured (`trustedProxies` in the config, or TRUSTED_PROXIES); trusting
 * every private range let a client behind the load balancer forge its address.
 */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = ['loopback'];

export type AddressOf = (req: IncomingMessage) => string;

/**
 * The client's address as Express (`trust proxy`) and the socket handshake both see it, so
 * per-address limits count the same client either way. Entries are proxy-addr's: addresses,
 * CIDR ranges, or the names `loopback`, `linklocal`, `uniquelocal`.
 */
export function clientAddressResolver(trusted: readonly string[]): AddressOf {
  const trust = proxyAddr.compile([...trusted]);
  // A connection asks several times (its transport session, its handshake, the session's close):
  // the request's headers do not change, so the answer is worked out once per request.
  const known = new WeakMap<IncomingMessage, string>();
  return (req) => {
    let ip = known.get(req);
    if (ip === undefined) {
      ip = proxyAddr(req, trust);
      known.set(req, ip);
    }
    return ip;
  };
}
