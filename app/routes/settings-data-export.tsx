// A resource route: the browser downloads what GET /api/v1/me/export answers as a file (kept for
// links to it; the "my data" page now prepares the archive as a job).
import type { Route } from "./+types/settings-data-export";
import { redirect } from "react-router";
import { cloudflareContext } from "../context";
import { attempt } from "../lib/use-case.server";
import { exportAccountInlineOrJob } from "../../workers/domain/data-rights/export-jobs";
import { requireSignedIn } from "../lib/forms.server";

export async function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const user = requireSignedIn(cf, request);
  const result = await attempt(() => exportAccountInlineOrJob(cf.env, user.id));
  if (!result.ok) return Response.json(result.error, { status: result.status });
  // too large for one response: a job builds it, which the "my data" page follows
  if (!result.data.inline) return redirect("/settings/data#export");
  const archive = result.data.value;
  return new Response(JSON.stringify(archive, null, 2), {
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="enclave-export-${archive.exportedAt.slice(0, 10)}.json"`,
      "Cache-Control": "no-store",
    },
  });
}
