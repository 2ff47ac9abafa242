// The billing pages reach the billing routes (ADR 037) in-process, through the same Worker app the
// API is served by: the routes are built beside these pages by other hands, and their HTTP answer
// is the contract both sides agreed on (ADR 039). Nothing leaves the isolate.
import { redirect } from "react-router";
import type { CloudflareContext } from "../context";
import { createWorkerApp } from "../../workers/server";
import type { Outcome } from "./use-case.server";
import { safeNext } from "./forms.server";
import { billingPath, intervals, paidTierKeys, type Interval, type PaidTierKey, type PricingAnswer } from "./billing";

let worker: ReturnType<typeof createWorkerApp> | null = null;

/**
 * Calls `/api/v1/communities/:slug<path>` as the page's reader (their session cookie, this site's
 * Origin) and answers its JSON as an Outcome: `{ok: true, data}` for a 2xx, else the API.md
 * envelope's `error` with the status (a route that does not exist yet is a 404 `not_found`).
 */
export async function billingApi<T>(
  cf: CloudflareContext,
  request: Request,
  slug: string,
  path: string,
  init: { method?: "GET" | "POST" | "PUT" | "PATCH"; body?: unknown } = {},
): Promise<Outcome<T>> {
  worker ??= createWorkerApp();
  const origin = new URL(request.url).origin;
  const headers = new Headers({ Origin: origin, Accept: "application/json" });
  const cookie = request.headers.get("Cookie");
  if (cookie) headers.set("Cookie", cookie);
  if (init.body !== undefined) headers.set("Content-Type", "application/json");
  const url = `${origin}/api/v1/communities/${encodeURIComponent(slug)}${path}`;
  const res = await worker.fetch(
    new Request(url, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) }),
    cf.env,
    { waitUntil: (work: Promise<unknown>) => cf.ctx.waitUntil(work), passThroughOnException: () => {}, props: {} },
  );
  const body = (await res.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown } } | null;
  if (res.ok) return { ok: true, status: res.status, data: body as T };
  const error = body?.error && typeof body.error.code === "string" ? body.error : { code: "error", message: res.statusText };
  return { ok: false, status: res.status, error: { ...error, code: String(error.code), message: String(error.message ?? "") } };
}

/** The tier and interval a checkout form names, or null for anything else (free is never sold). */
export function checkoutChoice(form: FormData): { tier: PaidTierKey; interval: Interval } | null {
  const tier = form.get("tier");
  const interval = form.get("interval") ?? "month";
  if (!(paidTierKeys as readonly unknown[]).includes(tier) || !(intervals as readonly unknown[]).includes(interval)) return null;
  return { tier: tier as PaidTierKey, interval: interval as Interval };
}

/**
 * A refusal sends the buyer back to the page they came from (`from`, a path of ours) with
 * `?billing_error=<code>`, which BillingNotice says in their language: the checkout and portal
 * forms sit on several pages, and each shows the same notice.
 */
export function backWithError(slug: string, from: string | null, code: string): Response {
  const target = new URL(safeNext(from, billingPath(slug)), "http://x");
  target.searchParams.set("billing_error", code);
  return redirect(target.pathname + target.search);
}

/** A tier the reader can buy right now, and the interval its button starts with. */
export type UpgradeOffer = { tier: PaidTierKey; interval: Interval };

/**
 * What an Upgrade button for `tier` should start: the published pricing's month price (else its
 * year price), or null when the tier is not on sale (pricing unpublished, payments not
 * configured, no price) — then the page shows a link to the plans, not a button that fails.
 */
export async function upgradeOffer(cf: CloudflareContext, request: Request, slug: string, tier: string): Promise<UpgradeOffer | null> {
  if (!(paidTierKeys as readonly string[]).includes(tier)) return null;
  const pricing = await billingApi<PricingAnswer>(cf, request, slug, "/pricing");
  const prices = pricing.ok ? pricing.data.tiers.find((x) => x.key === tier)?.prices : undefined;
  if (!prices) return null;
  const interval = prices.month ? "month" : prices.year ? "year" : null;
  return interval ? { tier: tier as PaidTierKey, interval } : null;
}
