// The loader and action both dead-letter pages share (a community's, for its admins, and the
// platform's, for operators): they differ only in the scope they open and the page they return to.
import { data, redirect } from "react-router";
import type { CloudflareContext } from "../context";
import { fail, field } from "./forms.server";
import { attempt } from "./use-case.server";
import { readDeadLetters, retryDeadLetter, type DeadLetterScope } from "../../workers/domain/events/dead-letters";
import { PageQuery } from "../../workers/domain/schemas/common";
import { parseInput } from "../../workers/lib/validation";

/** A screenful: each row carries its error text, so fewer rows than a notification list. */
export const DEAD_LETTER_PAGE_SIZE = 20;

/** Opens the scope for the request's reader (domain/events/dead-letters.ts platformDeadLetterScope or communityDeadLetterScope). */
export type OpenScope = () => Promise<DeadLetterScope>;

/**
 * One page of dead letters in `scope`, at the `cursor` of the request's query. A 404 (a
 * non-operator on the platform list) becomes the 404 page; any other failure (a malformed
 * cursor: 400) is `loadFailed`, for LoadError, so the page never claims that nothing has failed.
 */
export async function loadDeadLetters(cf: CloudflareContext, request: Request, scope: OpenScope) {
  const cursor = new URL(request.url).searchParams.get("cursor");
  const query = { limit: String(DEAD_LETTER_PAGE_SIZE), ...(cursor ? { cursor } : {}) };
  const result = await attempt(async () => readDeadLetters(cf.env, await scope(), parseInput(PageQuery, query)));
  if (!result.ok && result.status === 404) throw data(null, { status: 404 });
  return {
    items: result.ok ? result.data.items : [],
    total: result.ok ? result.data.total : 0,
    nextCursor: result.ok ? result.data.nextCursor : null,
    cursor,
    loadFailed: !result.ok,
  };
}

/**
 * "Try again" on one row (form field `intent` = "retry:<eventId>"), as POST .../dead-letters/{id}/retry,
 * then back to `pagePath` on the same page with `retried=1`; a refusal (404 when it was already
 * sent back) is the action's data for the page's notice.
 */
export async function retryDeadLetterAction(cf: CloudflareContext, request: Request, scope: OpenScope, pagePath: string) {
  const form = await request.formData();
  const intent = field(form, "intent");
  if (!intent.startsWith("retry:")) return null;
  const id = intent.slice("retry:".length);
  const result = await attempt(async () => retryDeadLetter(cf.env, await scope(), id));
  if (!result.ok) return fail(result);
  const cursor = field(form, "cursor");
  return redirect(`${pagePath}?${new URLSearchParams({ ...(cursor ? { cursor } : {}), retried: "1" })}`);
}
