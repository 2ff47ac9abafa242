// The language switcher posts here: remember the choice in a cookie, save it on the account when
// signed in, and go back to the page the visitor was on. Works without JavaScript.
import { redirect } from "react-router";
import type { Route } from "./+types/lang";
import { cloudflareContext } from "../context";
import { isLocale } from "../i18n";
import { langCookie } from "../i18n/locale.server";
import { attempt } from "../lib/use-case.server";
import { updateProfile } from "../../workers/domain/account/profile";
import { ProfilePatch } from "../../workers/domain/schemas/user";
import { parseInput } from "../../workers/lib/validation";
import { field, safeNext } from "../lib/forms.server";

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  const form = await request.formData();
  const locale = field(form, "locale");
  const back = safeNext(field(form, "redirectTo"));
  if (!isLocale(locale)) return redirect(back);
  // as PATCH /me { locale }; the cookie is set whether or not saving it to the profile worked
  const user = cf.user;
  if (user) await attempt(() => updateProfile(cf.env, user.id, parseInput(ProfilePatch, { locale })));
  return redirect(back, { headers: { "Set-Cookie": langCookie(locale) } });
}

export function loader() {
  return redirect("/");
}
