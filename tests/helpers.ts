// Test helpers: make people and call the API as they would. Users are inserted straight into
// D1 (with a real PBKDF2 hash and a real session) so a feature's tests do not depend on the
// sign-up route; the auth tests exercise that route itself.
import { SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { getDb, schema } from "../workers/db/client";
import { createSession } from "../workers/domain/auth/sessions";
import { hashPassword } from "../workers/lib/crypto";
import { newId } from "../workers/lib/ids";

export const ORIGIN = "http://localhost";
export const PASSWORD = "correct horse battery";

let counter = 0;
export const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

export type TestUser = { id: string; email: string; name: string; cookie: string };

// A real PBKDF2 hash of PASSWORD (100,000 iterations, its own salt), computed once per test file
// and stored for every user it makes: signing in as one still verifies a real hash, and a file of
// fifty users does not spend fifty hashes on a password it is not testing.
let passwordHash: Promise<string> | undefined;
const hashOfPassword = () => (passwordHash ??= hashPassword(PASSWORD));

export async function createUser(opts: { email?: string; name?: string; verified?: boolean } = {}): Promise<TestUser> {
  const email = opts.email ?? `${unique("user")}@example.com`;
  const name = opts.name ?? unique("Person ");
  const id = newId("usr");
  const db = getDb(env);
  await db.insert(schema.users).values({
    id,
    email,
    ...schema.userName(name),
    passwordHash: await hashOfPassword(),
    emailVerifiedAt: opts.verified === false ? null : new Date(),
  });
  const session = await createSession(env, id);
  await session.insert;
  return { id, email, name, cookie: `enclave_session=${session.token}` };
}

export type CallOptions = { method?: string; body?: unknown; as?: TestUser | null; headers?: Record<string, string> };

export async function call(path: string, opts: CallOptions = {}) {
  const headers: Record<string, string> = { Origin: ORIGIN, ...opts.headers };
  if (opts.as) headers.Cookie = opts.as.cookie;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["Content-Type"] ??= "application/json";
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
  }
  const res = await SELF.fetch(`${ORIGIN}${path}`, { method: opts.method ?? (body ? "POST" : "GET"), headers, body });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
}

/**
 * Waits out the last seconds of a wall-clock minute: the local Rate Limiting binding counts in
 * windows aligned to the clock (miniflare's ratelimit object), so a test that makes N calls and
 * expects the next to be refused would see the count reset if the minute turned in between.
 */
export async function awayFromMinuteEdge(margin_ms = 8_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < margin_ms) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
