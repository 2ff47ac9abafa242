// A local stand-in for the mail provider (Resend-compatible JSON over HTTP), reached by the
// Worker's outbound fetch in tests at http://mail.test/ (vitest.config.ts outboundService). It
// keeps what it was sent, keyed by the Idempotency-Key header as Resend does, so a test can ask
// how many times a mail was delivered. Paths:
//   POST /ok/emails    accepts the mail (200 {id})
//   POST /down/emails  answers 503, as a provider in an outage does
//   GET  /deliveries?to=address  → [{ key, to, subject, count }] (what arrived, how often)
type Delivery = { key: string; to: string; subject: string; count: number };
const deliveries = new Map<string, Delivery>();

/** Handles one outbound request; anything but mail.test is refused (tests have no network). */
export async function mailApi(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.hostname !== "mail.test") return new Response("tests have no outbound network", { status: 502 });
  if (request.method === "GET" && url.pathname === "/deliveries") {
    const to = url.searchParams.get("to");
    return Response.json([...deliveries.values()].filter((d) => !to || d.to === to));
  }
  if (request.method !== "POST") return new Response("method not allowed", { status: 405 });
  if (url.pathname.startsWith("/down/")) return new Response(JSON.stringify({ message: "service unavailable" }), { status: 503 });
  const mail = (await request.json()) as { to: string[]; subject: string };
  const key = request.headers.get("Idempotency-Key") ?? crypto.randomUUID();
  const seen = deliveries.get(key);
  // a provider that honours Idempotency-Key sends once; `count` records how often we asked
  deliveries.set(key, { key, to: mail.to[0], subject: mail.subject, count: (seen?.count ?? 0) + 1 });
  return Response.json({ id: key });
}
