import { redirect } from "react-router";
import type { Route } from "./+types/logout";
import { cloudflareContext } from "../context";
import { logOut } from "../../workers/domain/auth/login";
import { sessionCookie } from "../../workers/domain/auth/session-cookie";

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  await logOut(cf.env, await cf.reader.session());
  return redirect("/", { headers: { "Set-Cookie": sessionCookie(request.url, null) } });
}

export function loader() {
  return redirect("/");
}
