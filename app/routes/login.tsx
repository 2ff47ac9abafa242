import { useTranslation } from "react-i18next";
import { Form, redirect, useActionData, useSearchParams } from "react-router";
import type { Route } from "./+types/login";
import { AuthLayout } from "../components/auth-layout";
import { FormError, SubmitButton } from "../components/form-bits";
import { Alert, Field, TextLink } from "../components/ui";
import { cloudflareContext } from "../context";
import { attempt } from "../lib/use-case.server";
import { logIn } from "../../workers/domain/auth/login";
import { clientIp, sessionCookie } from "../../workers/domain/auth/session-cookie";
import { LoginBody } from "../../workers/domain/schemas/user";
import { parseInput } from "../../workers/lib/validation";
import { fail, field, textField, safeNext } from "../lib/forms.server";

export async function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  if (cf.user) throw redirect(safeNext(new URL(request.url).searchParams.get("next")));
  return null;
}

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  const form = await request.formData();
  const values = { email: field(form, "email") };
  const body = { ...values, password: textField(form, "password") };
  const result = await attempt(() => logIn(cf.env, parseInput(LoginBody, body), clientIp(request.headers)));
  if (!result.ok) return fail(result, values);
  return redirect(safeNext(field(form, "next")), { headers: { "Set-Cookie": sessionCookie(request.url, result.data.session.token) } });
}

export default function Login() {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors;
  const [params] = useSearchParams();
  const next = params.get("next") ?? "";
  const signupHref = next ? `/signup?next=${encodeURIComponent(next)}` : "/signup";
  return (
    <AuthLayout
      title={t("login.title")}
      description={t("login.description")}
      footer={
        <>
          {t("login.noAccount")} <TextLink to={signupHref}>{t("login.signUp")}</TextLink>
        </>
      }
    >
      <title>{t("login.title") + " · " + t("app.name")}</title>
      {params.get("reset") === "done" ? (
        <Alert tone="success" className="mb-4">
          {t("login.resetDone")}
        </Alert>
      ) : null}
      <FormError errors={errors} />
      <Form method="post" className="space-y-5" noValidate>
        <input type="hidden" name="next" value={next} />
        <Field label={t("fields.email")} name="email" type="email" autoComplete="email" required defaultValue={actionData?.values?.email} error={errors?.fields.email} />
        <Field label={t("fields.password")} name="password" type="password" autoComplete="current-password" required error={errors?.fields.password} />
        <div className="flex justify-end">
          <TextLink to="/forgot-password" className="text-sm">
            {t("login.forgot")}
          </TextLink>
        </div>
        <SubmitButton className="w-full" size="lg">
          {t("login.submit")}
        </SubmitButton>
      </Form>
    </AuthLayout>
  );
}
