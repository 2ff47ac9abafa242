// A message the server acknowledged survives a hard kill of the local server (SIGKILL of wrangler
// and workerd: no clean shutdown, sockets drop with 1006) and a restart: the channel object's
// SQLite is on disk (.wrangler state under the run's --persist-to). A resend of the same client
// ids after the restart is stored once. Plain WebSockets from Node, as any client would connect.
import assert from "node:assert/strict";

async function signUp(ORIGIN, name) {
  const email = `${name.toLowerCase()}-${Date.now().toString(36)}@e2e.example.com`;
  const res = await fetch(`${ORIGIN}/api/v1/auth/signup`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: ORIGIN },
    body: JSON.stringify({ email, password: "correct horse battery", name }),
  });
  assert.equal(res.status, 201, await res.text());
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  return { cookie };
}

async function call(ORIGIN, who, method, path, body) {
  const res = await fetch(`${ORIGIN}${path}`, {
    method,
    headers: { Origin: ORIGIN, Cookie: who.cookie, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path} → ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** A socket to the channel; resolves once `ready` arrived. Collects frames. */
function connect(ORIGIN, who, spaceId, after) {
  const url = `${ORIGIN.replace("http", "ws")}/api/v1/spaces/${spaceId}/socket${after === undefined ? "" : `?after=${after}`}`;
  const ws = new WebSocket(url, { headers: { Origin: ORIGIN, Cookie: who.cookie } });
  const frames = [];
  const waiters = new Set();
  ws.addEventListener("message", (e) => {
    if (e.data === "pong") return;
    const frame = JSON.parse(String(e.data));
    frames.push(frame);
    if (frame.type === "messages") ws.send(JSON.stringify({ type: "seen", rev: Math.max(...frame.messages.map((m) => m.rev)) }));
    for (const w of waiters) w();
  });
  const until = (test, ms = 10_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = test(frames);
        if (found) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out; frames: ${JSON.stringify(frames).slice(0, 1000)}`));
      }, ms);
      waiters.add(check);
      check();
    });
  const closed = new Promise((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
  return until((f) => f.find((x) => x.type === "ready")).then(() => ({ ws, frames, until, closed }));
}

export default async function chatRestartFlow({ ORIGIN, step, restartServer }) {
  let owner;
  let spaceId;
  const clientIds = Array.from({ length: 5 }, (_, i) => `restart-${Date.now().toString(36)}-${i}`);

  await step("five messages sent over a socket are acknowledged", async () => {
    owner = await signUp(ORIGIN, "Restarter");
    const slug = `restart-${Date.now().toString(36)}`;
    await call(ORIGIN, owner, "POST", "/api/v1/communities", { slug, name: "Restart club", visibility: "private" });
    const space = await call(ORIGIN, owner, "POST", `/api/v1/communities/${slug}/spaces`, { name: "Lounge", kind: "chat", minTier: "free", private: false });
    spaceId = space.space.id;
    const s = await connect(ORIGIN, owner, spaceId);
    for (const [i, clientId] of clientIds.entries()) s.ws.send(JSON.stringify({ type: "send", clientId, body: `before the kill ${i}` }));
    await s.until((f) => clientIds.every((id) => f.some((x) => x.type === "ack" && x.clientId === id)));
  });

  await step("after SIGKILL and a restart they are all there, in order, and a resend is stored once", async () => {
    await restartServer({ hard: true });
    const s = await connect(ORIGIN, owner, spaceId, 0);
    const got = await s.until((f) => {
      const messages = f.flatMap((x) => (x.type === "messages" ? x.messages : []));
      return messages.length >= 5 ? messages : null;
    });
    assert.deepEqual(got.map((m) => m.body), [0, 1, 2, 3, 4].map((i) => `before the kill ${i}`));
    // a client that never saw its acks sends its queue again: the same client ids, no duplicates
    for (const [i, clientId] of clientIds.entries()) s.ws.send(JSON.stringify({ type: "send", clientId, body: `before the kill ${i}` }));
    await s.until((f) => f.filter((x) => x.type === "ack").length >= 5);
    const history = await call(ORIGIN, owner, "GET", `/api/v1/spaces/${spaceId}/messages`);
    assert.equal(history.items.length, 5);
    s.ws.close();
  });
}
