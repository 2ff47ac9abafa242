// Loaders and actions call the domain's use cases directly, with the request's reader (resolved
// once, in workers/app.ts), through the same guards the API uses. A refusal is the same
// DomainError the API turns into its envelope; here it becomes an error page or a form failure.
import { data } from "react-router";
import { DomainError, errorBody, notFound } from "../../workers/lib/errors";

/** A use case's answer, or its refusal in API.md's envelope terms (`error.code`, `message`, extras). */
export type Outcome<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; status: number; error: { code: string; message: string; [k: string]: unknown } };

/** Runs `work`; a DomainError comes back as `{ ok: false }` with its status and envelope. Anything else is a bug and throws. */
export async function attempt<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, status: 200, data: await work() };
  } catch (err) {
    if (err instanceof DomainError) return { ok: false, status: err.status, error: errorBody(err.code, err.message, err.extra).error };
    throw err;
  }
}

/**
 * Runs a read a page cannot do without: a refusal becomes the error page of its status (a 400,
 * such as a malformed id, reads as "no such page": 404).
 */
export async function pageRead<T>(work: () => Promise<T>): Promise<T> {
  const outcome = await attempt(work);
  if (outcome.ok) return outcome.data;
  throw data(null, { status: outcome.status === 400 ? 404 : outcome.status });
}

/**
 * A list read refused for the URL's `?cursor=` (a 400 whose issues name `cursor`: `invalid_cursor`,
 * or `validation_failed` for one not even a cursor's shape, as the API answers) becomes the 400
 * error page, which says the link is malformed — on every page with a list, not a "could not be
 * loaded" that blames the network. Any other outcome (a query's own field error) comes back as is.
 */
export function refuseBadCursor<T>(outcome: Outcome<T>): Outcome<T> {
  if (!outcome.ok && outcome.status === 400) {
    const issues = (outcome.error.issues ?? []) as Array<{ path?: unknown; code?: unknown }>;
    if (outcome.error.code === "invalid_cursor" || issues.some((i) => i.path === "cursor" || i.code === "invalid_cursor")) throw data(null, { status: 400 });
  }
  return outcome;
}

/**
 * A space, post or comment opened by id answers for the community the page's URL names, or it is
 * "no such page" there: 404 `not_found` (a DomainError, so inside `attempt` it is a refusal).
 * Page actions take ids from the URL and the form, and nothing else ties them to `/c/:slug`.
 */
export function inCommunity<A extends { community: { slug: string } }>(access: A, slug: string): A {
  if (access.community.slug !== slug) throw notFound();
  return access;
}
