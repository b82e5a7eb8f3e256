import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/**
 * Proxies whose X-Forwarded-For we believe: loopback and private networks (a load balancer
 * beside the gateways, as in docker-compose.yml). The same rule serves Express (`trust proxy`)
 * and the socket handshake, so per-address limits see the real client either way.
 */
export const TRUSTED_PROXIES = ['loopback', 'uniquelocal'];

const trust = proxyAddr.compile(TRUSTED_PROXIES);

export function clientAddress(req: IncomingMessage): string {
  return proxyAddr(req, trust);
}
