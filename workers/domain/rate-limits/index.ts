// Brakes on what one person or address can make the platform do: sign-in and mail-sending
// attempts, sign-ups, posts, comments, searches, uploads and exports. Isolate memory would count
// per isolate, not per deployment (TOOLCHAIN.md), so short bursts go through the Rate Limiting
// binding and daily budgets through one conditional D1 statement (ADR 021).
import { and, eq, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { rateLimited } from "../../lib/errors";

/** The env's Rate Limiting bindings (`[[ratelimits]]` in wrangler.toml). */
type LimiterBinding = { [K in keyof Env]: Env[K] extends RateLimit ? K : never }[keyof Env];

/**
 * Short-burst budgets. The count and period of each are its binding's in wrangler.toml (where each
 * figure is justified); `periodSeconds` repeats the period for Retry-After. The binding knows only
 * 10 and 60 s periods and counts per Cloudflare location, so these are brakes on floods, not quotas.
 */
const BURSTS = {
  /** 5 a minute per account and action (login, password reset, verification mail, erasure) */
  authEmail: { binding: "AUTH_EMAIL_LIMITER", periodSeconds: 60 },
  /** 20 sign-in and reset attempts a minute per IP address */
  authIp: { binding: "AUTH_IP_LIMITER", periodSeconds: 60 },
  /** 30 sign-ups a minute per IP address */
  signup: { binding: "SIGNUP_LIMITER", periodSeconds: 60 },
  /** 10 posts a minute per member */
  post: { binding: "POST_LIMITER", periodSeconds: 60 },
  /** 30 comments a minute per member */
  comment: { binding: "COMMENT_LIMITER", periodSeconds: 60 },
  /** 60 searches a minute per member, or per IP address when signed out */
  search: { binding: "SEARCH_LIMITER", periodSeconds: 60 },
  /** 10 checkout sessions a minute per member (each one is a Stripe API call) */
  checkout: { binding: "CHECKOUT_LIMITER", periodSeconds: 60 },
} as const satisfies Record<string, { binding: LimiterBinding; periodSeconds: 10 | 60 }>;

export type BurstPolicy = keyof typeof BURSTS;

/**
 * Spends one unit of `policy`'s budget for `key` (a user id, `ip:<address>`, …). Throws 429
 * `rate_limited` with Retry-After = the policy's period in seconds (the longest wait; the binding
 * does not say when its window turns) once the budget is spent.
 */
export async function limitBurst(env: Env, policy: BurstPolicy, key: string): Promise<void> {
  const { binding, periodSeconds } = BURSTS[policy];
  const { success } = await env[binding].limit({ key });
  if (!success) throw rateLimited(periodSeconds);
}

/** One attempt about an account, by `key` (`login:<email>`, `verify:<userId>`, …). 429 after 5 a minute. */
export const limitByEmail = (env: Env, key: string) => limitBurst(env, "authEmail", key);

/** One sign-in or reset attempt from `ip`. 429 after 20 a minute. */
export const limitByIp = (env: Env, ip: string) => limitBurst(env, "authIp", `ip:${ip}`);

/** One attempt from `ip` about the account `email`: both budgets are spent. */
export async function limitAuthAttempt(env: Env, action: "login" | "password-reset", email: string, ip: string) {
  await limitByIp(env, ip);
  await limitByEmail(env, `${action}:${email}`);
}

/** One sign-up from `ip` (CF-Connecting-IP). 429 after 30 a minute. */
export const limitSignup = (env: Env, ip: string) => limitBurst(env, "signup", `ip:${ip}`);

/** One new post by `userId`. 429 after 10 a minute. */
export const limitPost = (env: Env, userId: string) => limitBurst(env, "post", userId);

/** One new comment by `userId`. 429 after 30 a minute. */
export const limitComment = (env: Env, userId: string) => limitBurst(env, "comment", userId);

/** One search by `userId`, or by `ip` for a signed-out reader of a public community. 429 after 60 a minute. */
export const limitSearch = (env: Env, who: { userId: string | null; ip: string }) =>
  limitBurst(env, "search", who.userId ? `user:${who.userId}` : `ip:${who.ip}`);

/** One checkout session opened by `userId`. 429 after 10 a minute. */
export const limitCheckout = (env: Env, userId: string) => limitBurst(env, "checkout", userId);

const DAY_MS = 86_400_000;

/**
 * Daily budgets, counted in `rate_counters`. A window opens at a subject's first attempt and lasts
 * `windowMs`; the next attempt after it opens a new one. Both figures are far above real use: a
 * member exports their archive a few times a year, and 200 images a day is a busy photographer
 * posting every day; they exist so a script cannot fill R2 or keep the export queue busy.
 */
export const DAILY_BUDGETS = {
  /** files uploaded per member per day */
  upload: { limit: 200, windowMs: DAY_MS },
  /** exports (their own archive, or an owner's member export) started per member per day */
  export: { limit: 10, windowMs: DAY_MS },
} as const satisfies Record<string, { limit: number; windowMs: number }>;

export type DailyPolicy = keyof typeof DAILY_BUDGETS;

const rc = schema.rateCounters;

const dailyKey = (policy: DailyPolicy, subject: string) => `${policy}:${subject}`;

/** The counter keys of every daily budget for one subject (erasure deletes them: they hold the id). */
export const dailyCounterKeys = (subject: string): string[] =>
  (Object.keys(DAILY_BUDGETS) as DailyPolicy[]).map((policy) => dailyKey(policy, subject));

/**
 * Spends one unit of `policy`'s daily budget for `subject` (a user id) in ONE conditional upsert:
 * the row is created, reset when its window has ended, or counted up only while below the limit,
 * so two racing requests cannot both take the last unit (D1 runs statements one at a time; it has
 * no interactive transactions). Returns the count after this attempt. Throws 429 `rate_limited`
 * (`reason: "daily_limit"`, `limit`) with Retry-After = whole seconds until the window ends.
 */
export async function spendDaily(env: Env, policy: DailyPolicy, subject: string, now = Date.now()): Promise<number> {
  const { limit, windowMs } = DAILY_BUDGETS[policy];
  const key = dailyKey(policy, subject);
  const db = getDb(env);
  const ended = sql`${rc.windowEndsAt} <= ${now}`;
  const [spent] = await db
    .insert(rc)
    .values({ key, count: 1, windowEndsAt: new Date(now + windowMs) })
    .onConflictDoUpdate({
      target: rc.key,
      set: {
        count: sql`case when ${ended} then 1 else ${rc.count} + 1 end`,
        windowEndsAt: sql`case when ${ended} then excluded.window_ends_at else ${rc.windowEndsAt} end`,
      },
      setWhere: sql`${ended} or ${rc.count} < ${limit}`,
    })
    .returning({ count: rc.count });
  if (spent) return spent.count;
  // refused: the window's end says how long to wait (read after the refusal; a window that ended
  // in between makes the wait one second, and the retry then opens a new window)
  const [row] = await db.select({ windowEndsAt: rc.windowEndsAt }).from(rc).where(eq(rc.key, key)).limit(1);
  const retryAfter = Math.max(1, Math.ceil(((row?.windowEndsAt.getTime() ?? now) - now) / 1000));
  throw rateLimited(retryAfter, `You have reached today's limit of ${limit}. Try again later.`, { reason: "daily_limit", limit });
}

/** One upload by `userId` against the daily budget (200 files). Throws 429 as spendDaily. For the upload route. */
export const limitUpload = (env: Env, userId: string) => spendDaily(env, "upload", userId);

/** One export started by `userId` against the daily budget (10). Throws 429 as spendDaily. For the export routes and jobs. */
export const limitExport = (env: Env, userId: string) => spendDaily(env, "export", userId);

// Counters whose window has ended are deleted by the cron (jobs/purge.ts).

/**
 * Gives back one unit of `policy`'s budget for `subject` (an attempt that spent it and then did
 * nothing: a request that lost a race to an identical one). Never below zero; no-op without a row.
 */
export async function refundDaily(env: Env, policy: DailyPolicy, subject: string): Promise<void> {
  await getDb(env)
    .update(rc)
    .set({ count: sql`${rc.count} - 1` })
    .where(and(eq(rc.key, dailyKey(policy, subject)), sql`${rc.count} > 0`));
}
