// "Is this request from the machine the Worker runs on?" — for what only a developer's own
// `npm start` may show (the mail outbox). Behind Cloudflare a request's hostname is the zone's,
// never a loopback name, and CF-Connecting-IP is the visitor's; locally wrangler sets
// CF-Connecting-IP to the client's address, so a phone on the same Wi-Fi is not "local" either.
import ipaddr from "ipaddr.js";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** A loopback host name as a URL's `hostname` gives it: localhost, 127.0.0.1, [::1]. */
export const isLoopbackHost = (hostname: string) => LOOPBACK_HOSTS.has(hostname.toLowerCase());

// 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (ipaddr.js's "loopback" range, RFC 6890)
const isLoopbackAddress = (value: string) => {
  const ip = value.trim().replace(/^\[(.*)\]$/, "$1");
  return ipaddr.isValid(ip) && ipaddr.process(ip).range() === "loopback";
};

const hostnameOf = (host: string) => {
  try {
    return new URL(`http://${host.trim()}`).hostname;
  } catch {
    return "";
  }
};

const list = (value: string | null) => (value === null ? [] : value.split(","));

/**
 * True when `request` was addressed to a loopback host (its URL's hostname: localhost, 127.0.0.1
 * or [::1]) and no forwarding header says it came from elsewhere: CF-Connecting-IP, X-Real-IP and
 * every X-Forwarded-For entry must be loopback addresses, every X-Forwarded-Host a loopback name,
 * and a `Forwarded` header (RFC 7239, added only by a proxy or tunnel, whose quoting we do not
 * parse) makes it not local. Never throws.
 */
export function isLocalRequest(request: Request): boolean {
  let hostname: string;
  try {
    hostname = new URL(request.url).hostname;
  } catch {
    return false;
  }
  const h = request.headers;
  if (!isLoopbackHost(hostname) || h.has("Forwarded")) return false;
  const addresses = [...list(h.get("CF-Connecting-IP")), ...list(h.get("X-Real-IP")), ...list(h.get("X-Forwarded-For"))];
  return addresses.every(isLoopbackAddress) && list(h.get("X-Forwarded-Host")).every((host) => isLoopbackHost(hostnameOf(host)));
}
