// Opening the mailed link verifies on load; the button is there for a retry and for resending.
import { useTranslation } from "react-i18next";
import { Form, redirect, useActionData } from "react-router";
import type { Route } from "./+types/verify-email";
import { AuthLayout } from "../components/auth-layout";
import { SubmitButton } from "../components/form-bits";
import { Alert, ButtonLink, TextLink } from "../components/ui";
import { cloudflareContext } from "../context";
import { attempt } from "../lib/use-case.server";
import { requireReaderUser } from "../../workers/domain/access";
import { mailOrigin } from "../../workers/domain/auth/session-cookie";
import { resendVerification, verifyEmail } from "../../workers/domain/auth/verify-email";
import { VerifyEmailBody } from "../../workers/domain/schemas/user";
import { parseInput } from "../../workers/lib/validation";
import { isDevMode } from "../lib/forms.server";

export async function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const params = new URL(request.url).searchParams;
  const token = params.get("token");
  if (token) {
    // redirect after verifying so the next render (banner included) sees the verified account
    const result = await attempt(() => verifyEmail(cf.env, parseInput(VerifyEmailBody, { token }).token));
    throw redirect(`/verify-email?status=${result.ok ? "verified" : "failed"}`);
  }
  const status = params.get("status") === "verified" ? "verified" : params.get("status") === "failed" ? "failed" : "none";
  return { devMode: isDevMode(cf, request), signedIn: Boolean(cf.user), verified: Boolean(cf.user?.emailVerifiedAt), status };
}

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  // the only form here (and in the header banner) asks for a new link
  const result = await attempt(async () => resendVerification(cf.env, (await requireReaderUser(cf.reader)).id, mailOrigin(cf.env, request.url)));
  return { resent: result.ok, code: result.ok ? null : result.error.code };
}

export default function VerifyEmail({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const verified = loaderData.status === "verified";
  const failed = loaderData.status === "failed" && !verified;
  return (
    <AuthLayout title={verified ? t("verify.doneTitle") : t("verify.title")} description={verified ? t("verify.doneBody") : t("verify.description")}>
      <title>{t("verify.title") + " · " + t("app.name")}</title>
      {verified ? (
        <ButtonLink to="/" size="lg" className="w-full">
          {t("verify.continue")}
        </ButtonLink>
      ) : (
        <div className="space-y-4">
          {failed ? <Alert tone="danger">{t("verify.failed")}</Alert> : null}
          {actionData ? (
            <Alert tone={actionData.resent ? "success" : "danger"}>
              {actionData.resent ? t("verify.resent") : t(`apiError.${actionData.code}`, { defaultValue: t("apiError.error") })}
            </Alert>
          ) : null}
          {loaderData.signedIn && !loaderData.verified ? (
            <Form method="post">
              <SubmitButton intent="resend" className="w-full" size="lg" variant="secondary">
                {t("verify.resend")}
              </SubmitButton>
            </Form>
          ) : !loaderData.signedIn ? (
            <p className="text-sm text-slate-700">
              <TextLink to="/login?next=/verify-email">{t("verify.signInToResend")}</TextLink>
            </p>
          ) : null}
          {loaderData.devMode ? (
            <p className="text-sm text-slate-700">
              <TextLink to="/dev/outbox">{t("verifyBanner.devOutbox")}</TextLink>
            </p>
          ) : null}
        </div>
      )}
    </AuthLayout>
  );
}
