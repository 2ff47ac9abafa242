// People the editor suggests after "@": asked of the API for each query (the editor debounces),
// with the reader's own cookie, so only members get anyone and only readers of the space are offered.
import type { Route } from "./+types/community-mention-suggestions";
import { cloudflareContext } from "../context";
import { apiFetch } from "../lib/api.server";
import type { MentionSuggestion } from "../lib/types";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const url = new URL(request.url);
  const q = url.searchParams.get("q") ?? "";
  const spaceId = url.searchParams.get("spaceId") ?? "";
  if (!cf.user || !spaceId) return { q, people: [] as MentionSuggestion[] };
  const qs = new URLSearchParams({ q, spaceId });
  const result = await apiFetch<{ items: MentionSuggestion[] }>(cf, request, `/api/v1/communities/${encodeURIComponent(params.slug)}/mention-suggestions?${qs}`);
  // a refused query (too long, a space that went away) offers nobody; the text stays as typed
  return { q, people: result.ok ? result.data.items : [] };
}
