import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Form, redirect, useActionData, useSearchParams } from "react-router";
import type { Route } from "./+types/signup";
import { PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS } from "../../workers/lib/vocabulary";
import { AuthLayout } from "../components/auth-layout";
import { FormError, SubmitButton } from "../components/form-bits";
import { Field, TextLink } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { attempt } from "../lib/use-case.server";
import { clientIp, mailOrigin, sessionCookie } from "../../workers/domain/auth/session-cookie";
import { signUp } from "../../workers/domain/auth/signup";
import { SignupBody } from "../../workers/domain/schemas/user";
import { parseInput } from "../../workers/lib/validation";
import { fail, field, textField, safeNext } from "../lib/forms.server";

export async function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const next = safeNext(new URL(request.url).searchParams.get("next"));
  if (cf.user) throw redirect(next);
  return null;
}

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  const form = await request.formData();
  const values = { name: field(form, "name"), email: field(form, "email") };
  const timezone = field(form, "timezone");
  const body = { ...values, password: textField(form, "password"), locale: findLocale(request, null), ...(timezone ? { timezone } : {}) };
  const result = await attempt(() =>
    signUp(cf.env, parseInput(SignupBody, body), {
      acceptLanguage: request.headers.get("Accept-Language") ?? undefined,
      origin: mailOrigin(cf.env, request.url),
      ip: clientIp(request.headers),
    }),
  );
  if (!result.ok) return fail(result, values);
  return redirect(safeNext(field(form, "next")), { headers: { "Set-Cookie": sessionCookie(request.url, result.data.session.token) } });
}

export default function Signup() {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors;
  const [params] = useSearchParams();
  const next = params.get("next") ?? "";
  const [timezone, setTimezone] = useState("");
  useEffect(() => setTimezone(Intl.DateTimeFormat().resolvedOptions().timeZone ?? ""), []);
  const loginHref = next ? `/login?next=${encodeURIComponent(next)}` : "/login";
  return (
    <AuthLayout
      title={t("signup.title")}
      description={next.startsWith("/invite/") ? t("signup.inviteDescription") : t("signup.description")}
      footer={
        <>
          {t("signup.haveAccount")} <TextLink to={loginHref}>{t("signup.signIn")}</TextLink>
        </>
      }
    >
      <title>{t("signup.title") + " · " + t("app.name")}</title>
      <FormError errors={errors} />
      <Form method="post" className="space-y-5" noValidate>
        <input type="hidden" name="next" value={next} />
        <input type="hidden" name="timezone" value={timezone} />
        <Field label={t("fields.name")} name="name" autoComplete="name" required defaultValue={actionData?.values?.name} error={errors?.fields.name} />
        <Field label={t("fields.email")} name="email" type="email" autoComplete="email" required defaultValue={actionData?.values?.email} error={errors?.fields.email} />
        <Field
          label={t("fields.password")}
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={PASSWORD_MIN_CHARS}
          maxLength={PASSWORD_MAX_CHARS}
          hint={t("signup.passwordHint", { count: PASSWORD_MIN_CHARS })}
          error={errors?.fields.password}
        />
        <SubmitButton className="w-full" size="lg">
          {t("signup.submit")}
        </SubmitButton>
        <p className="text-xs text-slate-600">{t("signup.terms")}</p>
      </Form>
    </AuthLayout>
  );
}
