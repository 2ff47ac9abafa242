// People the editor suggests after "@": asked for each query (the editor debounces) of the use
// case GET /api/v1/communities/{slug}/mention-suggestions runs, with the reader's own session, so
// only members get anyone and only readers of the space are offered.
import type { Route } from "./+types/community-mention-suggestions";
import { cloudflareContext } from "../context";
import { attempt } from "../lib/use-case.server";
import { offerMentions } from "../../workers/domain/communities/mention-suggestions";
import { SuggestionQuery } from "../../workers/domain/schemas/communities";
import { parseInput } from "../../workers/lib/validation";
import type { MentionSuggestion } from "../lib/types";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const url = new URL(request.url);
  const q = url.searchParams.get("q") ?? "";
  const spaceId = url.searchParams.get("spaceId") ?? "";
  if (!cf.user || !spaceId) return { q, people: [] as MentionSuggestion[] };
  const result = await attempt(() => offerMentions(cf.env, cf.reader, params.slug, parseInput(SuggestionQuery, { q, spaceId })));
  // a refused query (too long, a space that went away) offers nobody; the text stays as typed
  return { q, people: result.ok ? result.data : [] };
}
