// The language switcher posts here: remember the choice in a cookie, save it on the account when
// signed in, and go back to the page the visitor was on. Works without JavaScript.
import { redirect } from "react-router";
import type { Route } from "./+types/lang";
import { cloudflareContext } from "../context";
import { isLocale } from "../i18n";
import { langCookie } from "../i18n/locale.server";
import { apiFetch } from "../lib/api.server";
import { field, safeNext } from "../lib/forms.server";

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  const form = await request.formData();
  const locale = field(form, "locale");
  const back = safeNext(field(form, "redirectTo"));
  if (!isLocale(locale)) return redirect(back);
  if (cf.user) await apiFetch(cf, request, "/api/v1/me", { method: "PATCH", body: { locale } });
  return redirect(back, { headers: { "Set-Cookie": langCookie(locale) } });
}

export function loader() {
  return redirect("/");
}
