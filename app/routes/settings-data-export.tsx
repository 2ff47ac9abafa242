// A resource route: the browser downloads GET /api/v1/me/export as a file (kept for links to it;
// the "my data" page now prepares the archive as a job).
import type { Route } from "./+types/settings-data-export";
import { redirect } from "react-router";
import { cloudflareContext } from "../context";
import { apiFetch } from "../lib/api.server";
import { requireSignedIn } from "../lib/forms.server";

export async function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const result = await apiFetch(cf, request, "/api/v1/me/export");
  if (!result.ok) return Response.json(result.error, { status: result.status });
  // too large for one response: the API started a job, which the "my data" page follows
  if (result.status === 202) return redirect("/settings/data#export");
  const disposition = result.headers.get("Content-Disposition") ?? `attachment; filename="enclave-export-${new Date().toISOString().slice(0, 10)}.json"`;
  return new Response(JSON.stringify(result.data, null, 2), {
    headers: { "Content-Type": "application/json; charset=utf-8", "Content-Disposition": disposition, "Cache-Control": "no-store" },
  });
}
