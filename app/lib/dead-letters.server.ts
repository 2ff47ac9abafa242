// The loader and action both dead-letter pages share (a community's, for its admins, and the
// platform's, for operators): they differ only in the API path they call and the page they return to.
import { data, redirect } from "react-router";
import type { CloudflareContext } from "../context";
import { apiFetch } from "./api.server";
import { fail, field } from "./forms.server";
import type { DeadLetterPage } from "./types";

/** A screenful: each row carries its error text, so fewer rows than a notification list. */
export const DEAD_LETTER_PAGE_SIZE = 20;

/**
 * One page of dead letters from `apiPath` (".../dead-letters"), at the `cursor` of the request's
 * query. An API 404 (a non-operator on the platform list) becomes the 404 page; any other
 * failure is `loadFailed`, for LoadError, so the page never claims that nothing has failed.
 */
export async function loadDeadLetters(cf: CloudflareContext, request: Request, apiPath: string) {
  const cursor = new URL(request.url).searchParams.get("cursor");
  const qs = new URLSearchParams({ limit: String(DEAD_LETTER_PAGE_SIZE) });
  if (cursor) qs.set("cursor", cursor);
  const result = await apiFetch<DeadLetterPage>(cf, request, `${apiPath}?${qs}`);
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
 * "Try again" on one row (form field `intent` = "retry:<eventId>"): POST `<apiPath>/<id>/retry`,
 * then back to `pagePath` on the same page with `retried=1`; a refusal (404 when it was already
 * sent back) is the action's data for the page's notice.
 */
export async function retryDeadLetterAction(cf: CloudflareContext, request: Request, apiPath: string, pagePath: string) {
  const form = await request.formData();
  const intent = field(form, "intent");
  if (!intent.startsWith("retry:")) return null;
  const id = intent.slice("retry:".length);
  const result = await apiFetch(cf, request, `${apiPath}/${encodeURIComponent(id)}/retry`, { method: "POST" });
  if (!result.ok) return fail(result);
  const cursor = field(form, "cursor");
  return redirect(`${pagePath}?${new URLSearchParams({ ...(cursor ? { cursor } : {}), retried: "1" })}`);
}
