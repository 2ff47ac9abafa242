import { useTranslation } from "react-i18next";
import { Form, redirect, useActionData, useSearchParams } from "react-router";
import type { Route } from "./+types/reset-password";
import { PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS } from "../../workers/lib/vocabulary";
import { AuthLayout } from "../components/auth-layout";
import { FormError, SubmitButton } from "../components/form-bits";
import { Alert, Field, TextLink } from "../components/ui";
import { cloudflareContext } from "../context";
import { attempt } from "../lib/use-case.server";
import { confirmPasswordReset } from "../../workers/domain/auth/password-reset";
import { PasswordResetConfirmBody } from "../../workers/domain/schemas/user";
import { parseInput } from "../../workers/lib/validation";
import { fail, field, textField } from "../lib/forms.server";

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  const form = await request.formData();
  const body = { token: field(form, "token"), password: textField(form, "password") };
  const result = await attempt(() => confirmPasswordReset(cf.env, parseInput(PasswordResetConfirmBody, body)));
  if (!result.ok) return fail(result);
  return redirect("/login?reset=done");
}

export default function ResetPassword() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors;
  return (
    <AuthLayout title={t("reset.title")} description={t("reset.description")} footer={<TextLink to="/forgot-password">{t("reset.again")}</TextLink>}>
      <title>{t("reset.title") + " · " + t("app.name")}</title>
      {!token ? (
        <Alert tone="warning">{t("reset.noToken")}</Alert>
      ) : (
        <>
          <FormError errors={errors} />
          {errors?.fields.token ? <Alert tone="danger" className="mb-4">{t("reset.badToken")}</Alert> : null}
          <Form method="post" className="space-y-5" noValidate>
            <input type="hidden" name="token" value={token} />
            <Field
              label={t("reset.newPassword")}
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
              {t("reset.submit")}
            </SubmitButton>
          </Form>
        </>
      )}
    </AuthLayout>
  );
}
