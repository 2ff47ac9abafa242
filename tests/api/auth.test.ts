import { SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { desc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { sha256Hex } from "../../workers/lib/crypto";
import { createWorkerApp } from "../../workers/server";
import { awayFromMinuteEdge, call, createUser, ORIGIN, PASSWORD, unique, type TestUser } from "../helpers";

const db = getDb(env);
// every test gets its own client address: the IP budget (20/min) is shared by the whole run
const fromNewIp = () => ({ "CF-Connecting-IP": unique("ip-") });
const newEmail = () => `${unique("auth")}@example.com`;

function sessionCookie(headers: Headers) {
  const setCookie = headers.get("Set-Cookie") ?? "";
  const match = /enclave_session=([^;]*)/.exec(setCookie);
  return { raw: setCookie, token: match?.[1] ?? "" };
}

async function signUp(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await call("/api/v1/auth/signup", { body, headers: { ...fromNewIp(), ...headers } });
  const { token } = sessionCookie(res.headers);
  const as: TestUser = { id: res.body?.user?.id, email: res.body?.user?.email, name: res.body?.user?.name, cookie: `enclave_session=${token}` };
  return { ...res, token, as };
}

async function latestMail(to: string, kind: string) {
  const [mail] = await db
    .select()
    .from(schema.outbox)
    .where(eq(schema.outbox.toEmail, to))
    .orderBy(desc(schema.outbox.createdAt));
  expect(mail?.kind).toBe(kind);
  return mail;
}

function tokenFromLink(text: string, path: string) {
  const match = new RegExp(`${ORIGIN}${path}\\?token=([A-Za-z0-9%_-]+)`).exec(text);
  expect(match, `no ${path} link in: ${text}`).not.toBeNull();
  return decodeURIComponent(match![1]);
}

const expectValidationError = (res: { status: number; body: any }) => {
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe("validation_failed");
  expect(typeof res.body.error.message).toBe("string");
};

describe("POST /auth/signup", () => {
  it("creates the account, answers the user and signs in with a HttpOnly Lax cookie for 30 days", async () => {
    const email = newEmail();
    const res = await signUp({ email, password: "long enough pw", name: "Mei", timezone: "Asia/Taipei" });
    expect(res.status).toBe(201);
    expect(res.body.user).toEqual({
      id: expect.stringMatching(/^usr_/),
      email,
      name: "Mei",
      bio: "",
      avatarUrl: null,
      locale: "en",
      timezone: "Asia/Taipei",
      notificationPrefs: { mentions: true, replies: true, new_posts: true, events: true, marketing_email: false, digest: true, missed_messages: true, direct_messages: true },
      emailVerified: false,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    const cookie = sessionCookie(res.headers).raw;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).toMatch(/Max-Age=2592000/);
    // plain-http localhost would never send a Secure cookie back
    expect(cookie).not.toMatch(/Secure/);

    const me = await call("/api/v1/me", { as: res.as });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(res.body.user.id);
  });

  it("marks the cookie Secure when the site is not localhost", async () => {
    const origin = "https://enclave.example";
    const res = await SELF.fetch(`${origin}/api/v1/auth/signup`, {
      method: "POST",
      headers: { Origin: origin, "Content-Type": "application/json", ...fromNewIp() },
      body: JSON.stringify({ email: newEmail(), password: "long enough pw", name: "Secure" }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("Set-Cookie")).toMatch(/;\s*Secure/);
  });

  it("stores a PBKDF2-SHA256 hash with 100000 iterations and only the SHA-256 of the session token", async () => {
    const email = newEmail();
    const res = await signUp({ email, password: "long enough pw", name: "Hash" });
    const [user] = await db.select().from(schema.users).where(eq(schema.users.id, res.body.user.id));
    expect(user.passwordHash).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(user.passwordHash).not.toContain("long enough pw");

    const sessions = await db.select().from(schema.sessions).where(eq(schema.sessions.userId, user.id));
    expect(sessions).toHaveLength(1);
    expect(res.token.length).toBeGreaterThan(40);
    expect(sessions[0].id).toBe(await sha256Hex(res.token));
    expect(JSON.stringify(sessions)).not.toContain(res.token);
  });

  it("trims and lower-cases the email, and refuses the same address again with 409", async () => {
    const local = unique("Case");
    const res = await signUp({ email: `  ${local}@Example.COM `, password: "long enough pw", name: "Case" });
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe(`${local.toLowerCase()}@example.com`);

    const again = await signUp({ email: `${local.toUpperCase()}@example.com`, password: "another password", name: "Copy" });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("conflict");
    expect(again.headers.get("Set-Cookie")).toBeNull();
  });

  it("writes an English verification mail with a link to /verify-email", async () => {
    const email = newEmail();
    await signUp({ email, password: "long enough pw", name: "Mailer" });
    const mail = await latestMail(email, "verify_email");
    expect(mail.subject).toMatch(/Confirm your email/);
    expect(mail.text).toMatch(/^Hi Mailer,/);
    expect(tokenFromLink(mail.text, "/verify-email").length).toBeGreaterThan(40);
  });

  it("picks zh-Hant from any zh Accept-Language and writes the mail in Traditional Chinese", async () => {
    const email = newEmail();
    const res = await signUp(
      { email, password: "long enough pw", name: "小美" },
      { "Accept-Language": "fr-FR, zh-CN;q=0.8, en;q=0.5" },
    );
    expect(res.body.user.locale).toBe("zh-Hant");
    const mail = await latestMail(email, "verify_email");
    expect(mail.subject).toContain("確認");
    expect(mail.text).toContain("小美 你好");
  });

  it("prefers English when Accept-Language ranks it above Chinese, and an explicit locale over both", async () => {
    const english = await signUp({ email: newEmail(), password: "long enough pw", name: "A" }, { "Accept-Language": "en-US,zh-TW;q=0.9" });
    expect(english.body.user.locale).toBe("en");
    const explicit = await signUp(
      { email: newEmail(), password: "long enough pw", name: "B", locale: "zh-Hant" },
      { "Accept-Language": "en-US" },
    );
    expect(explicit.body.user.locale).toBe("zh-Hant");
  });

  it("ignores unknown fields", async () => {
    const res = await signUp({ email: newEmail(), password: "long enough pw", name: "Extra", isAdmin: true, id: "usr_mine" });
    expect(res.status).toBe(201);
    expect(res.body.user.id).not.toBe("usr_mine");
  });

  it("answers 400 validation_failed with issues for missing, wrong-typed or out-of-range fields", async () => {
    const base = { email: newEmail(), password: "long enough pw", name: "V" };
    const missing = await signUp({ email: base.email });
    expectValidationError(missing);
    expect(missing.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["name", "password"]);

    expectValidationError(await signUp({ ...base, email: 42 }));
    expectValidationError(await signUp({ ...base, email: "not-an-email" }));
    expectValidationError(await signUp({ ...base, password: "7 chars" }));
    expectValidationError(await signUp({ ...base, password: "x".repeat(201) }));
    expectValidationError(await signUp({ ...base, name: "   " }));
    expectValidationError(await signUp({ ...base, locale: "fr" }));
    const zone = await signUp({ ...base, timezone: "Mars/Olympus" });
    expectValidationError(zone);
    expect(zone.body.error.issues[0]).toEqual({ path: "timezone", message: expect.stringContaining("IANA"), code: "time_zone" });
    // nothing was created by any of these
    expect(await db.select().from(schema.users).where(eq(schema.users.email, base.email))).toHaveLength(0);
  });

  it("accepts exactly 8 and 200 character passwords", async () => {
    expect((await signUp({ email: newEmail(), password: "12345678", name: "Min" })).status).toBe(201);
    expect((await signUp({ email: newEmail(), password: "p".repeat(200), name: "Max" })).status).toBe(201);
  });

  it("answers malformed JSON with the 400 envelope and a body that is not JSON with 415", async () => {
    const broken = await call("/api/v1/auth/signup", { body: '{"email": "a@b.c",', headers: fromNewIp() });
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({ error: { code: "validation_failed", message: expect.any(String) } });

    const form = await call("/api/v1/auth/signup", {
      body: "email=a@b.c",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe("unsupported_media_type");
  });
});

describe("POST /auth/login", () => {
  it("signs in with the right password (any case of the email) and sets a new session cookie", async () => {
    const user = await createUser();
    const res = await call("/api/v1/auth/login", {
      body: { email: user.email.toUpperCase(), password: PASSWORD },
      headers: fromNewIp(),
    });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: user.id, email: user.email, emailVerified: true });
    const cookie = sessionCookie(res.headers);
    expect(cookie.raw).toMatch(/HttpOnly/);
    expect(cookie.token).not.toBe(user.cookie.split("=")[1]);
    const me = await call("/api/v1/me", { as: { ...user, cookie: `enclave_session=${cookie.token}` } });
    expect(me.body.user.id).toBe(user.id);
  });

  it("answers an unknown email and a wrong password with the same 401 invalid_credentials", async () => {
    const user = await createUser();
    const wrong = await call("/api/v1/auth/login", { body: { email: user.email, password: "not the password" }, headers: fromNewIp() });
    const unknown = await call("/api/v1/auth/login", { body: { email: newEmail(), password: PASSWORD }, headers: fromNewIp() });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_credentials");
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.headers.get("Set-Cookie")).toBeNull();
  });

  it("validates the body", async () => {
    expectValidationError(await call("/api/v1/auth/login", { body: { email: "x@example.com" }, headers: fromNewIp() }));
    expectValidationError(await call("/api/v1/auth/login", { body: { email: "x@example.com", password: 12345678 }, headers: fromNewIp() }));
    expectValidationError(await call("/api/v1/auth/login", { body: "[1,2", headers: fromNewIp() }));
  });

  it("limits attempts per email to 5 a minute, from any address, with 429 and Retry-After", async () => {
    await awayFromMinuteEdge();
    const user = await createUser();
    for (let i = 0; i < 5; i++) {
      const res = await call("/api/v1/auth/login", { body: { email: user.email, password: "guess " + i }, headers: fromNewIp() });
      expect(res.status).toBe(401);
    }
    const blocked = await call("/api/v1/auth/login", { body: { email: user.email, password: PASSWORD }, headers: fromNewIp() });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe("rate_limited");
    expect(blocked.headers.get("Retry-After")).toBe("60");
    // another account is not affected
    const other = await createUser();
    expect((await call("/api/v1/auth/login", { body: { email: other.email, password: PASSWORD }, headers: fromNewIp() })).status).toBe(200);
  });

  it("limits attempts per client address to 20 a minute across emails", async () => {
    await awayFromMinuteEdge();
    const ip = fromNewIp();
    for (let i = 0; i < 20; i++) {
      const res = await call("/api/v1/auth/login", { body: { email: newEmail(), password: "whatever" }, headers: ip });
      expect(res.status).toBe(401);
    }
    const blocked = await call("/api/v1/auth/login", { body: { email: newEmail(), password: "whatever" }, headers: ip });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("Retry-After")).toBe("60");
  });

  it("relies on a local AUTH_EMAIL_LIMITER that really says no after 5 calls in the period", async () => {
    const key = unique("probe:");
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push((await env.AUTH_EMAIL_LIMITER.limit({ key })).success);
    expect(outcomes).toEqual([true, true, true, true, true, false]);
  });
});

describe("POST /auth/logout", () => {
  it("ends the session: 204, the cookie is cleared, the row is gone and the old cookie no longer works", async () => {
    const user = await createUser();
    const token = user.cookie.split("=")[1];
    const res = await call("/api/v1/auth/logout", { method: "POST", as: user });
    expect(res.status).toBe(204);
    expect(res.headers.get("Set-Cookie")).toMatch(/enclave_session=;.*Max-Age=0/);
    expect(await db.select().from(schema.sessions).where(eq(schema.sessions.id, await sha256Hex(token)))).toHaveLength(0);
    expect((await call("/api/v1/me", { as: user })).status).toBe(401);
  });

  it("answers 204 to a signed-out caller too", async () => {
    expect((await call("/api/v1/auth/logout", { method: "POST" })).status).toBe(204);
  });
});

describe("email verification", () => {
  it("verifies with the token from the mailed link, once", async () => {
    const email = newEmail();
    const signed = await signUp({ email, password: "long enough pw", name: "Verify" });
    const token = tokenFromLink((await latestMail(email, "verify_email")).text, "/verify-email");

    const res = await call("/api/v1/auth/verify-email", { body: { token } });
    expect(res.status).toBe(204);
    expect((await call("/api/v1/me", { as: signed.as })).body.user.emailVerified).toBe(true);

    const again = await call("/api/v1/auth/verify-email", { body: { token } });
    expectValidationError(again);
    expect(again.body.error.issues[0]).toEqual({ path: "token", message: "invalid_or_expired_token", code: "invalid_or_expired_token" });
  });

  it("stores only the hash of the mailed token", async () => {
    const email = newEmail();
    const signed = await signUp({ email, password: "long enough pw", name: "Hashed" });
    const token = tokenFromLink((await latestMail(email, "verify_email")).text, "/verify-email");
    const rows = await db.select().from(schema.emailTokens).where(eq(schema.emailTokens.userId, signed.body.user.id));
    expect(rows.map((r) => r.id)).toEqual([await sha256Hex(token)]);
  });

  it("refuses an unknown token and a token older than 24 hours", async () => {
    expectValidationError(await call("/api/v1/auth/verify-email", { body: { token: "made-up" } }));

    const email = newEmail();
    const signed = await signUp({ email, password: "long enough pw", name: "Late" });
    const token = tokenFromLink((await latestMail(email, "verify_email")).text, "/verify-email");
    await db
      .update(schema.emailTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(schema.emailTokens.userId, signed.body.user.id));
    expectValidationError(await call("/api/v1/auth/verify-email", { body: { token } }));
    expect((await call("/api/v1/me", { as: signed.as })).body.user.emailVerified).toBe(false);
  });

  it("validates the body", async () => {
    expectValidationError(await call("/api/v1/auth/verify-email", { body: {} }));
    expectValidationError(await call("/api/v1/auth/verify-email", { body: { token: 7 } }));
  });

  it("resends a working link to a signed-in, unverified user and nothing once verified", async () => {
    expect((await call("/api/v1/auth/verify-email/resend", { method: "POST" })).status).toBe(401);

    const email = newEmail();
    const signed = await signUp({ email, password: "long enough pw", name: "Resend" });
    const first = await latestMail(email, "verify_email");
    const res = await call("/api/v1/auth/verify-email/resend", { method: "POST", as: signed.as });
    expect(res.status).toBe(202);
    const second = await latestMail(email, "verify_email");
    expect(second.id).not.toBe(first.id);
    const token = tokenFromLink(second.text, "/verify-email");
    expect((await call("/api/v1/auth/verify-email", { body: { token } })).status).toBe(204);

    expect((await call("/api/v1/auth/verify-email/resend", { method: "POST", as: signed.as })).status).toBe(202);
    const mails = await db.select().from(schema.outbox).where(eq(schema.outbox.toEmail, email));
    expect(mails).toHaveLength(2);
  });
});

describe("password reset", () => {
  it("answers 202 for an unknown email and writes no mail", async () => {
    const email = newEmail();
    const res = await call("/api/v1/auth/password-reset", { body: { email }, headers: fromNewIp() });
    expect(res.status).toBe(202);
    expect(await db.select().from(schema.outbox).where(eq(schema.outbox.toEmail, email))).toHaveLength(0);
  });

  it("mails a link; using it sets the password, signs out every session and works only once", async () => {
    const user = await createUser();
    const res = await call("/api/v1/auth/password-reset", { body: { email: ` ${user.email.toUpperCase()}` }, headers: fromNewIp() });
    expect(res.status).toBe(202);
    const mail = await latestMail(user.email, "password_reset");
    expect(mail.subject).toMatch(/Reset your/);
    const token = tokenFromLink(mail.text, "/reset-password");

    const confirm = await call("/api/v1/auth/password-reset/confirm", { body: { token, password: "a brand new secret" } });
    expect(confirm.status).toBe(204);
    expect((await call("/api/v1/me", { as: user })).status).toBe(401);
    expect(await db.select().from(schema.sessions).where(eq(schema.sessions.userId, user.id))).toHaveLength(0);

    const oldPw = await call("/api/v1/auth/login", { body: { email: user.email, password: PASSWORD }, headers: fromNewIp() });
    expect(oldPw.status).toBe(401);
    const newPw = await call("/api/v1/auth/login", { body: { email: user.email, password: "a brand new secret" }, headers: fromNewIp() });
    expect(newPw.status).toBe(200);

    const replay = await call("/api/v1/auth/password-reset/confirm", { body: { token, password: "yet another one" } });
    expectValidationError(replay);
    expect(replay.body.error.issues[0].message).toBe("invalid_or_expired_token");
  });

  it("voids the other reset links once one is used", async () => {
    const user = await createUser();
    await call("/api/v1/auth/password-reset", { body: { email: user.email }, headers: fromNewIp() });
    const older = tokenFromLink((await latestMail(user.email, "password_reset")).text, "/reset-password");
    await call("/api/v1/auth/password-reset", { body: { email: user.email }, headers: fromNewIp() });
    const newer = tokenFromLink((await latestMail(user.email, "password_reset")).text, "/reset-password");
    expect(newer).not.toBe(older);

    expect((await call("/api/v1/auth/password-reset/confirm", { body: { token: newer, password: "first new password" } })).status).toBe(204);
    expectValidationError(await call("/api/v1/auth/password-reset/confirm", { body: { token: older, password: "second new password" } }));
    const login = await call("/api/v1/auth/login", { body: { email: user.email, password: "first new password" }, headers: fromNewIp() });
    expect(login.status).toBe(200);
  });

  it("refuses a link older than one hour and leaves the password alone", async () => {
    const user = await createUser();
    await call("/api/v1/auth/password-reset", { body: { email: user.email }, headers: fromNewIp() });
    const token = tokenFromLink((await latestMail(user.email, "password_reset")).text, "/reset-password");
    await db
      .update(schema.emailTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(schema.emailTokens.id, await sha256Hex(token)));
    expectValidationError(await call("/api/v1/auth/password-reset/confirm", { body: { token, password: "too late now" } }));
    expect((await call("/api/v1/me", { as: user })).status).toBe(200);
  });

  it("does not accept a verification token as a reset token", async () => {
    const email = newEmail();
    await signUp({ email, password: "long enough pw", name: "Cross" });
    const token = tokenFromLink((await latestMail(email, "verify_email")).text, "/verify-email");
    expectValidationError(await call("/api/v1/auth/password-reset/confirm", { body: { token, password: "hijacked pw" } }));
  });

  it("validates both bodies", async () => {
    expectValidationError(await call("/api/v1/auth/password-reset", { body: { email: "nope" }, headers: fromNewIp() }));
    expectValidationError(await call("/api/v1/auth/password-reset", { body: "{", headers: fromNewIp() }));
    expectValidationError(await call("/api/v1/auth/password-reset/confirm", { body: { token: "t", password: "short" } }));
    expectValidationError(await call("/api/v1/auth/password-reset/confirm", { body: { password: "long enough pw" } }));
  });

  it("limits reset requests per email with 429 and Retry-After", async () => {
    await awayFromMinuteEdge();
    const user = await createUser();
    for (let i = 0; i < 5; i++) {
      expect((await call("/api/v1/auth/password-reset", { body: { email: user.email }, headers: fromNewIp() })).status).toBe(202);
    }
    const blocked = await call("/api/v1/auth/password-reset", { body: { email: user.email }, headers: fromNewIp() });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("Retry-After")).toBe("60");
    expect(await db.select().from(schema.outbox).where(eq(schema.outbox.toEmail, user.email))).toHaveLength(5);
  });
});

describe("GET /dev/outbox", () => {
  it("lists the latest mails, filtered by recipient, when DEV_MODE is on", async () => {
    const email = newEmail();
    await signUp({ email, password: "long enough pw", name: "Dev" });
    const res = await call(`/api/v1/dev/outbox?to=${encodeURIComponent(email.toUpperCase())}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      {
        id: expect.any(String),
        to: email,
        kind: "verify_email",
        subject: expect.any(String),
        text: expect.stringContaining("/verify-email?token="),
        createdAt: expect.any(String),
        sentAt: null,
      },
    ]);
    const all = await call("/api/v1/dev/outbox");
    expect(all.body.items.length).toBeGreaterThan(1);
    expect(all.body.items.length).toBeLessThanOrEqual(50);
  });

  it("does not exist when DEV_MODE is off", async () => {
    const app = createWorkerApp();
    const res = await app.request("http://localhost/api/v1/dev/outbox", {}, { ...env, DEV_MODE: "false" });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });
});

describe("OpenAPI", () => {
  it("documents every auth route", async () => {
    const doc = await (await SELF.fetch(`${ORIGIN}/api/v1/openapi.json`)).json<{ paths: Record<string, Record<string, unknown>> }>();
    for (const path of [
      "/api/v1/auth/signup",
      "/api/v1/auth/login",
      "/api/v1/auth/logout",
      "/api/v1/auth/password-reset",
      "/api/v1/auth/password-reset/confirm",
      "/api/v1/auth/verify-email",
      "/api/v1/auth/verify-email/resend",
      "/api/v1/dev/outbox",
    ]) {
      expect(doc.paths[path]?.post ?? doc.paths[path]?.get, path).toBeDefined();
    }
  });
});
