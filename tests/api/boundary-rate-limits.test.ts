// Rate limits beyond login and reset (issue 10 §4, API.md "Conventions": 429 rate_limited with
// Retry-After): sign-up per address, posts, comments and searches per member through the Rate
// Limiting binding, and the daily upload and export budgets in rate_counters (ADR 021).
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { DAILY_BUDGETS, limitExport, limitUpload, spendDaily } from "../../workers/domain/rate-limits";
import { DomainError } from "../../workers/lib/errors";
import { addMember, db, env, expectError, makeCommunity } from "../community-fixtures";
import { makeSpace, writePost } from "../discussion-fixtures";
import { awayFromMinuteEdge, call, createUser, ORIGIN, unique, type CallOptions } from "../helpers";
import { drainEvents } from "../queue-fixtures";
import { png } from "../upload-fixtures";
import { SELF } from "cloudflare:test";

// every test speaks from its own address, so budgets spent elsewhere in the run never reach it
let lastOctet = 0;
const freshIp = () => `198.51.100.${++lastOctet}`;

function expectRateLimited(res: { status: number; body: unknown; headers: Headers }, seconds: number) {
  expectError(res, 429, "rate_limited");
  expect(res.headers.get("Retry-After")).toBe(String(seconds));
  expect(res.body).toMatchObject({ error: { retryAfter: seconds } });
}

/**
 * The local Rate Limiting binding counts in windows aligned to the wall clock (miniflare's
 * RateLimiterObject: epoch = now / period): a test that spends a budget and expects the refusal
 * starts where at least 15 s of the current minute are left, so a window never turns mid-test.
 */
async function startOfAWindow() {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/** Send `n` requests one after another and answer their statuses. */
async function statuses(n: number, send: (i: number) => Promise<{ status: number }>) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send(i)).status);
  return out;
}

describe("sign-up", () => {
  it("takes 30 sign-ups a minute from one address, then answers 429 with Retry-After: 60, while other addresses still sign up", async () => {
    await awayFromMinuteEdge();
    await startOfAWindow();
    const ip = freshIp();
    const signUp = (email: string, from = ip) =>
      call("/api/v1/auth/signup", { body: { email, password: "long enough pw", name: "Probe" }, headers: { "CF-Connecting-IP": from } });
    // probing which addresses have accounts: the first creates one, the next 29 learn "taken"
    const email = `${unique("probe")}@example.com`;
    expect(await statuses(30, () => signUp(email))).toEqual([201, ...Array(29).fill(409)]);
    expectRateLimited(await signUp(`${unique("late")}@example.com`), 60);
    expect((await signUp(`${unique("other")}@example.com`, freshIp())).status).toBe(201);
  });
});

describe("posts and comments", () => {
  it("lets a member write 10 posts a minute; the 11th is 429 and stores nothing, and another member still posts", async () => {
    await awayFromMinuteEdge();
    await startOfAWindow();
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const busy = await addMember(c);
    for (let i = 0; i < 10; i++) await writePost(space, busy, { title: `Post ${i}` });
    const refused = await call(`/api/v1/spaces/${space.id}/posts`, { as: busy, body: { title: "One more", body: "x" } });
    expectRateLimited(refused, 60);
    const [{ n }] = await db().select({ n: count() }).from(schema.posts).where(eq(schema.posts.authorId, busy.id));
    expect(n).toBe(10);
    await writePost(space, await addMember(c), { title: "Someone else" });
  });

  it("answers a retried post's Idempotency-Key with its first result even once the budget is spent", async () => {
    await awayFromMinuteEdge();
    await startOfAWindow();
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const m = await addMember(c);
    const keyed: CallOptions = { as: m, body: { title: "Keyed", body: "x" }, headers: { "Idempotency-Key": "first-post" } };
    const first = await call(`/api/v1/spaces/${space.id}/posts`, keyed);
    expect(first.status).toBe(201);
    for (let i = 0; i < 9; i++) await writePost(space, m, { title: `Post ${i}` });
    expectRateLimited(await call(`/api/v1/spaces/${space.id}/posts`, { as: m, body: { title: "New", body: "x" } }), 60);
    const retry = await call(`/api/v1/spaces/${space.id}/posts`, keyed);
    expect(retry.status).toBe(201);
    expect(retry.body.post.id).toBe(first.body.post.id);
  });

  it("does not spend the budget on a post the bounds refuse (413)", async () => {
    await startOfAWindow();
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const m = await addMember(c);
    const huge = await call(`/api/v1/spaces/${space.id}/posts`, { as: m, body: { title: "Huge", body: "x".repeat(40_001) } });
    expectError(huge, 413, "too_large");
    for (let i = 0; i < 10; i++) await writePost(space, m, { title: `Post ${i}` });
  });

  it("lets a member write 30 comments a minute; the 31st is 429", async () => {
    await awayFromMinuteEdge();
    await startOfAWindow();
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner);
    const m = await addMember(c);
    const comment = () => call(`/api/v1/posts/${post.id}/comments`, { as: m, body: { body: "Agreed!" } });
    expect(await statuses(30, comment)).toEqual(Array(30).fill(201));
    expectRateLimited(await comment(), 60);
    // the author's own budget is theirs alone
    expect((await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner, body: { body: "Thanks" } })).status).toBe(201);
  });
});

describe("search", () => {
  it("answers 60 searches a minute per member, then 429; a signed-out reader of a public community is counted by address", async () => {
    await awayFromMinuteEdge();
    await startOfAWindow();
    const c = await makeCommunity({ visibility: "public" });
    const m = await addMember(c);
    const search = (as: typeof m | null, ip = "203.0.113.7") =>
      call(`/api/v1/communities/${c.slug}/search?q=tea`, { as, headers: { "CF-Connecting-IP": ip } });
    expect(await statuses(60, () => search(m, freshIp()))).toEqual(Array(60).fill(200));
    expectRateLimited(await search(m, freshIp()), 60);
    // another member, and a signed-out reader, have budgets of their own
    expect((await search(c.owner)).status).toBe(200);
    const anonymous = freshIp();
    expect(await statuses(60, () => search(null, anonymous))).toEqual(Array(60).fill(200));
    expectRateLimited(await search(null, anonymous), 60);
    expect((await search(null, freshIp())).status).toBe(200);
  });
});

/** The 429 a daily budget throws, or null when the call passed. */
async function refusal(attempt: Promise<unknown>): Promise<DomainError | null> {
  try {
    await attempt;
    return null;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}

describe("daily budgets (rate_counters)", () => {
  it("starts 10 exports a day per member; the 11th is 429 rate_limited with Retry-After to the window's end, and the next window opens afresh", async () => {
    const user = await createUser();
    const opened = Date.now();
    for (let i = 1; i <= 10; i++) expect(await limitExport(env, user.id)).toBe(i);
    const refused = await refusal(limitExport(env, user.id));
    expect(refused).toMatchObject({ status: 429, code: "rate_limited", extra: { reason: "daily_limit", limit: 10 } });
    const retryAfter = Number(refused?.headers["Retry-After"]);
    // the window opened with the first export and lasts a day
    expect(retryAfter).toBeGreaterThan(86_400 - 60);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil((opened + 86_400_000 - Date.now()) / 1000) + 1);
    expect(refused?.extra.retryAfter).toBe(retryAfter);
    const [row] = await db().select().from(schema.rateCounters).where(eq(schema.rateCounters.key, `export:${user.id}`));
    expect(row.count).toBe(10);
    // a day later the counter starts again at one
    expect(await spendDaily(env, "export", user.id, row.windowEndsAt.getTime() + 1)).toBe(1);
  });

  it("lets exactly 200 of 205 racing uploads through: one conditional statement, so no two take the last unit", async () => {
    const user = await createUser();
    const outcomes = await Promise.all(Array.from({ length: DAILY_BUDGETS.upload.limit + 5 }, () => refusal(limitUpload(env, user.id))));
    expect(outcomes.filter((o) => o === null)).toHaveLength(200);
    expect(outcomes.filter((o) => o?.status === 429)).toHaveLength(5);
    const [row] = await db().select().from(schema.rateCounters).where(eq(schema.rateCounters.key, `upload:${user.id}`));
    expect(row.count).toBe(200);
    // one member's spent budget is not another's
    expect(await limitUpload(env, (await createUser()).id)).toBe(1);
  });
});

describe("daily budgets at the routes", () => {
  it("refuses an upload past the day's 200 with 429 and stores nothing", async () => {
    const user = await createUser();
    await db().insert(schema.rateCounters).values({ key: `upload:${user.id}`, count: DAILY_BUDGETS.upload.limit, windowEndsAt: new Date(Date.now() + 3_600_000) });
    const form = new FormData();
    form.append("file", new File([png()], "a.png", { type: "image/png" }));
    const res = await SELF.fetch(`${ORIGIN}/api/v1/uploads`, { method: "POST", headers: { Origin: ORIGIN, Cookie: user.cookie }, body: form });
    const body = await res.json();
    expectRateLimited({ status: res.status, body, headers: res.headers }, 3600);
    expect((await env.UPLOADS.list({ prefix: `u/${user.id}/` })).objects).toEqual([]);
  });

  it("refuses a new export past the day's 10 with 429, yet answers the unfinished one, and the one-response GET spends nothing", async () => {
    const user = await createUser();
    const first = await call("/api/v1/me/exports", { as: user, method: "POST" });
    expect(first.status).toBe(202);
    await db().update(schema.rateCounters).set({ count: DAILY_BUDGETS.export.limit }).where(eq(schema.rateCounters.key, `export:${user.id}`));
    // a second click while the first is unfinished costs nothing
    expect((await call("/api/v1/me/exports", { as: user, method: "POST" })).body.export.id).toBe(first.body.export.id);
    // a GET another site could send with the member's cookie must not use up their exports
    expect((await call("/api/v1/me/export", { as: user })).status).toBe(200);
    await drainEvents();
    const refused = await call("/api/v1/me/exports", { as: user, method: "POST" });
    expectError(refused, 429, "rate_limited");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(80_000);
  });
});

describe("what an upload's budget counts", () => {
  it("spends no unit on a refused file: at 199 of 200, a file that is not an image is 415, the next image is stored, the one after is 429", async () => {
    const user = await createUser();
    await db().insert(schema.rateCounters).values({ key: `upload:${user.id}`, count: DAILY_BUDGETS.upload.limit - 1, windowEndsAt: new Date(Date.now() + 3_600_000) });
    const send = async (file: File) => {
      const form = new FormData();
      form.append("file", file);
      const res = await SELF.fetch(`${ORIGIN}/api/v1/uploads`, { method: "POST", headers: { Origin: ORIGIN, Cookie: user.cookie }, body: form });
      await res.arrayBuffer();
      return res.status;
    };
    expect(await send(new File(["<svg xmlns='http://www.w3.org/2000/svg'/>"], "a.png", { type: "image/png" }))).toBe(415);
    expect(await send(new File([png()], "a.png", { type: "image/png" }))).toBe(201);
    expect(await send(new File([png()], "b.png", { type: "image/png" }))).toBe(429);
  });

  it("refuses a body that is not multipart with 415 before reading it, even an endless chunked one", async () => {
    const user = await createUser();
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new TextEncoder().encode("a=".padEnd(64 * 1024, "b")));
      },
    });
    const res = await SELF.fetch(`${ORIGIN}/api/v1/uploads`, {
      method: "POST",
      headers: { Origin: ORIGIN, Cookie: user.cookie, "Content-Type": "application/x-www-form-urlencoded" },
      body: endless,
      // @ts-expect-error: workerd's fetch takes a stream body without `duplex`
      duplex: "half",
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
    expect(pulled).toBeLessThan(100);
  });
});
