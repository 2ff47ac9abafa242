// Brute-force brakes for sign-in and mail-sending routes, through the Rate Limiting binding
// (isolate memory would count per isolate, not per deployment).
import { rateLimited } from "../../lib/errors";

// Both bindings use a 60 s period in wrangler.toml; a client that waits that long is let in again.
const PERIOD_SECONDS = 60;

export async function limitByEmail(env: Env, key: string) {
  const { success } = await env.AUTH_EMAIL_LIMITER.limit({ key });
  if (!success) throw rateLimited(PERIOD_SECONDS);
}

export async function limitByIp(env: Env, ip: string) {
  const { success } = await env.AUTH_IP_LIMITER.limit({ key: `ip:${ip}` });
  if (!success) throw rateLimited(PERIOD_SECONDS);
}

/** One attempt from `ip` about the account `email`: both budgets are spent. */
export async function limitAuthAttempt(env: Env, action: "login" | "password-reset", email: string, ip: string) {
  await limitByIp(env, ip);
  await limitByEmail(env, `${action}:${email}`);
}
