import { redirect } from "react-router";
import type { Route } from "./+types/logout";
import { cloudflareContext } from "../context";
import { apiFetch, forwardCookies } from "../lib/api.server";

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  const result = await apiFetch(cf, request, "/api/v1/auth/logout", { method: "POST" });
  const headers = forwardCookies(result);
  // the session cookie is gone either way from the browser's point of view
  if (!headers.has("Set-Cookie")) headers.append("Set-Cookie", "enclave_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
  return redirect("/", { headers });
}

export function loader() {
  return redirect("/");
}
