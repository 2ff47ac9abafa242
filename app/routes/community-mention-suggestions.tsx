// People the editor suggests after "@": the community's members, read once per editor through the
// members API with the reader's own cookie (so a non-member gets nobody).
import type { Route } from "./+types/community-mention-suggestions";
import { cloudflareContext } from "../context";
import { apiFetch } from "../lib/api.server";
import type { List, Member, Person } from "../lib/types";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  if (!cf.user) return { people: [] as Person[] };
  const result = await apiFetch<List<Member>>(cf, request, `/api/v1/communities/${encodeURIComponent(params.slug)}/members?limit=100`);
  const me = cf.user.id;
  const people: Person[] = result.ok ? result.data.items.filter((m) => m.user.id !== me).map((m) => ({ id: m.user.id, name: m.user.name, avatarUrl: m.user.avatarUrl })) : [];
  return { people };
}
