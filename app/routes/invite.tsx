import { useTranslation } from "react-i18next";
import { data, Form, redirect, useActionData } from "react-router";
import { Name, NamedText } from "../components/name";
import type { Route } from "./+types/invite";
import { FormError, SubmitButton } from "../components/form-bits";
import { Alert, Badge, ButtonLink } from "../components/ui";
import { cloudflareContext } from "../context";
import { attempt } from "../lib/use-case.server";
import { acceptInvite, previewInvite } from "../../workers/domain/communities/invites";
import { fail } from "../lib/forms.server";
import { revalidateAfterRace } from "../lib/revalidate";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const result = await attempt(() => previewInvite(cf.env, params.code));
  const me = cf.user ? { name: cf.user.name } : null;
  if (!result.ok) {
    return data({ code: params.code, preview: null, status: result.status === 404 ? "not_found" : result.error.code, me }, { status: result.status === 404 ? 404 : 200 });
  }
  return { code: params.code, preview: result.data, status: result.data.status, me };
}

// a 409 or 404 means the data moved: show what is true now (lib/revalidate.ts)
export const shouldRevalidate = revalidateAfterRace;

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  const next = `/invite/${encodeURIComponent(params.code)}`;
  if (!cf.user) throw redirect(`/login?next=${encodeURIComponent(next)}`);
  const user = cf.user;
  const result = await attempt(() => acceptInvite(cf.env, user.id, params.code));
  if (!result.ok) return fail(result);
  const preview = await attempt(() => previewInvite(cf.env, params.code));
  const slug = preview.ok ? preview.data.community.slug : undefined;
  return redirect(slug ? `/c/${slug}?welcome=1` : "/");
}

const knownStatuses = ["not_found", "expired", "revoked", "used_up"];

export default function InvitePage({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const { preview, status, me, code } = loaderData;
  const next = encodeURIComponent(`/invite/${code}`);
  const usable = preview && status === "valid";
  return (
    <div className="mx-auto w-full max-w-lg px-4 py-12 sm:py-20">
      <title>{(preview ? t("invite.titleWith", { name: preview.community.name }) : t("invite.invalidTitle")) + " · " + t("app.name")}</title>
      <div className="overflow-hidden rounded-3xl border border-slate-200 bg-white shadow-sm">
        <div className="bg-gradient-to-br from-brand-600 to-brand-900 px-6 py-8 text-white sm:px-8">
          {preview ? <p className="text-sm font-medium text-brand-100">{t("invite.eyebrow")}</p> : null}
          <h1 className="mt-2 text-2xl font-bold tracking-tight sm:text-3xl">{preview ? <Name>{preview.community.name}</Name> : t("invite.invalidTitle")}</h1>
        </div>
        <div className="px-6 py-6 sm:px-8">
          {preview ? (
            <>
              {preview.community.description ? <p className="whitespace-pre-line text-base leading-7 text-slate-700">{preview.community.description}</p> : null}
              <div className="mt-4 flex items-center gap-2 text-sm text-slate-700">
                <span>{t("invite.tier")}</span>
                <Badge tone="brand">{t(`tiers.${preview.tier}`)}</Badge>
              </div>
            </>
          ) : null}
          {!usable ? (
            <Alert tone="warning" className="mt-4" title={t(`invite.status.${knownStatuses.includes(status) ? status : "not_found"}.title`)}>
              {t(`invite.status.${knownStatuses.includes(status) ? status : "not_found"}.body`)}
            </Alert>
          ) : me ? (
            <div className="mt-6 space-y-3">
              <FormError errors={actionData?.errors} />
              <Form method="post">
                <SubmitButton size="lg" className="w-full">
                  {t("invite.accept")}
                </SubmitButton>
              </Form>
              <p className="text-center text-sm text-slate-600"><NamedText k="invite.signedInAs" names={{ name: me.name }} /></p>
            </div>
          ) : (
            <div className="mt-6 space-y-3">
              <ButtonLink to={`/signup?next=${next}`} size="lg" className="w-full">
                {t("invite.signUpToJoin")}
              </ButtonLink>
              <ButtonLink to={`/login?next=${next}`} size="lg" variant="secondary" className="w-full">
                {t("invite.signInToJoin")}
              </ButtonLink>
            </div>
          )}
          {!usable ? (
            <div className="mt-6">
              <ButtonLink to="/" variant="secondary" className="w-full">
                {t("errorPage.home")}
              </ButtonLink>
            </div>
          ) : null}
        </div>
      </div>
    </div>
  );
}
