import { useTranslation } from "react-i18next";
import { Form, useActionData } from "react-router";
import type { Route } from "./+types/forgot-password";
import { AuthLayout } from "../components/auth-layout";
import { FormError, SubmitButton } from "../components/form-bits";
import { Alert, Field, TextLink } from "../components/ui";
import { cloudflareContext } from "../context";
import { attempt } from "../lib/use-case.server";
import { requestPasswordReset } from "../../workers/domain/auth/password-reset";
import { clientIp, mailOrigin } from "../../workers/domain/auth/session-cookie";
import { PasswordResetBody } from "../../workers/domain/schemas/user";
import { parseInput } from "../../workers/lib/validation";
import { fail, field, isDevMode } from "../lib/forms.server";

export function loader({ context, request }: Route.LoaderArgs) {
  return { devMode: isDevMode(context.get(cloudflareContext), request) };
}

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  const form = await request.formData();
  const values = { email: field(form, "email") };
  const result = await attempt(() =>
    requestPasswordReset(cf.env, parseInput(PasswordResetBody, values).email, { ip: clientIp(request.headers), origin: mailOrigin(cf.env, request.url) }),
  );
  if (!result.ok) return fail(result, values);
  return { ok: true as const, email: values.email };
}

export default function ForgotPassword({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const sent = actionData && "email" in actionData;
  const errors = actionData && !actionData.ok ? actionData.errors : null;
  return (
    <AuthLayout
      title={t("forgot.title")}
      description={t("forgot.description")}
      footer={<TextLink to="/login">{t("forgot.back")}</TextLink>}
    >
      <title>{t("forgot.title") + " · " + t("app.name")}</title>
      {sent ? (
        <Alert tone="success" title={t("forgot.sentTitle")}>
          <p>{t("forgot.sentBody", { email: actionData.email })}</p>
          {loaderData.devMode ? (
            <p className="mt-2">
              <TextLink to="/dev/outbox">{t("verifyBanner.devOutbox")}</TextLink>
            </p>
          ) : null}
        </Alert>
      ) : (
        <>
          <FormError errors={errors} />
          <Form method="post" className="space-y-5" noValidate>
            <Field label={t("fields.email")} name="email" type="email" autoComplete="email" required error={errors?.fields.email} />
            <SubmitButton className="w-full" size="lg">
              {t("forgot.submit")}
            </SubmitButton>
          </Form>
        </>
      )}
    </AuthLayout>
  );
}
