import { useTranslation } from "react-i18next";
import { data, Form, redirect, useActionData, useSearchParams } from "react-router";
import type { Route } from "./+types/community-invites";
import { CommunityHeader } from "../components/community-header";
import { CopyButton } from "../components/copy-button";
import { FormError, SubmitButton } from "../components/form-bits";
import { Alert, Badge, Card, CardTitle, Container, EmptyState, Field, SelectField } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { openCommunityPage, requirePermission } from "../lib/community.server";
import { loadTiers } from "../lib/discussions.server";
import { attempt } from "../lib/use-case.server";
import { activeMember, assertMemberRole, openMembership } from "../../workers/domain/access";
import { createInvite, inviteOrigin, listInvites, revokeInvite } from "../../workers/domain/communities/invites";
import { CreateInviteBody } from "../../workers/domain/schemas/communities";
import { parseInput } from "../../workers/lib/validation";
import { pageResponse } from "../../workers/domain/paging";
import { fail, field, requireSignedIn } from "../lib/forms.server";
import { endOfDayIn } from "../lib/format";
import { useFormatDate } from "../components/local-time";
import { inviteSources, tierKeys, type Invite, type List, type Tier } from "../lib/types";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const { access, answer } = await openCommunityPage(cf, params.slug);
  // moderators create free invites (invite.create), as POST /communities/{slug}/invites lets them;
  // paid-tier invites are offered with invite.create.paid
  requirePermission(answer, "invite.create");
  const member = activeMember(access);
  if (!member) throw data(null, { status: 404 });
  const [invites, tierItems] = await Promise.all([
    attempt(async () => pageResponse(await listInvites(cf.env, member, { limit: 100 }, inviteOrigin(cf.env, request.url)))),
    loadTiers(cf, access),
  ]);
  return {
    ...answer,
    locale: findLocale(request, cf.user),
    timeZone: cf.user?.timezone ?? "UTC",
    invites: invites.ok ? invites.data.items : [],
    loadError: invites.ok ? null : invites.error.code,
    tierNames: Object.fromEntries(tierItems.map((x) => [x.key, x.name])) as Record<string, string>,
  };
}

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  const intent = field(form, "intent");
  // moderators and up, as POST and DELETE /communities/{slug}/invites
  const moderator = async () => assertMemberRole(await openMembership(cf.env, params.slug, cf.reader), "moderator");
  if (intent === "revoke") {
    const result = await attempt(async () => revokeInvite(cf.env, await moderator(), field(form, "code")));
    if (!result.ok) return fail(result);
    return redirect(`/c/${params.slug}/invites?revoked=1`);
  }
  const values = {
    tier: field(form, "tier") || "free",
    maxUses: field(form, "maxUses"),
    expiresAt: field(form, "expiresAt"),
    source: field(form, "source"),
  };
  const body: Record<string, unknown> = { tier: values.tier };
  if (values.maxUses) body.maxUses = Number(values.maxUses);
  if (values.source) body.source = values.source;
  if (values.expiresAt) {
    // <input type="date"> gives a calendar day: the invite works to the end of that day where
    // its creator lives (their profile's time zone); a malformed day goes on for the API to refuse
    body.expiresAt = endOfDayIn(values.expiresAt, cf.user?.timezone ?? "UTC") ?? values.expiresAt;
  }
  const result = await attempt(async () => {
    const access = await moderator();
    const input = parseInput(CreateInviteBody, body);
    return createInvite(cf.env, access, { ...input, expiresAt: input.expiresAt ? new Date(input.expiresAt) : undefined }, inviteOrigin(cf.env, request.url));
  });
  if (!result.ok) return fail(result, values);
  return redirect(`/c/${params.slug}/invites?created=${encodeURIComponent(result.data.code)}`);
}

const inviteStates = { valid: "active", revoked: "revoked", expired: "expired", used_up: "usedUp" } as const;
const inviteState = (invite: Invite) => inviteStates[invite.status];

const stateTone = { active: "success", revoked: "neutral", expired: "warning", usedUp: "warning" } as const;

export default function CommunityInvites({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const formatDay = useFormatDate();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { community, viewer, invites, locale, tierNames, timeZone } = loaderData;
  const errors = actionData?.errors;
  const created = params.get("created");
  const createdInvite = created ? invites.find((i) => i.code === created) : undefined;
  return (
    <>
      <title>{t("invites.title") + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container className="grid gap-6 lg:grid-cols-5">
        <Card className="lg:col-span-2 lg:self-start">
          <CardTitle description={t("invites.createDescription")}>{t("invites.create")}</CardTitle>
          <FormError errors={errors} />
          <Form method="post" className="space-y-5" noValidate>
            <SelectField label={t("fields.tier")} name="tier" defaultValue={actionData?.values?.tier ?? "free"} error={errors?.fields.tier}>
              {tierKeys.filter((key) => key === "free" || viewer?.permissions.includes("invite.create.paid")).map((key) => (
                <option key={key} value={key}>
                  {tierNames[key] ?? t(`tiers.${key}`)}
                </option>
              ))}
            </SelectField>
            <SelectField label={t("fields.source")} name="source" defaultValue={actionData?.values?.source ?? ""} hint={t("invites.sourceHint")} error={errors?.fields.source}>
              <option value="">{t("invites.noSource")}</option>
              {inviteSources.map((s) => (
                <option key={s} value={s}>
                  {t(`sources.${s}`)}
                </option>
              ))}
            </SelectField>
            <Field
              label={t("fields.maxUses")}
              name="maxUses"
              type="number"
              min={1}
              inputMode="numeric"
              placeholder={t("invites.unlimited")}
              defaultValue={actionData?.values?.maxUses}
              error={errors?.fields.maxUses}
            />
            <Field label={t("fields.expiresAt")} name="expiresAt" type="date" hint={t("invites.expiryHint", { timeZone })} defaultValue={actionData?.values?.expiresAt} error={errors?.fields.expiresAt} />
            <SubmitButton intent="create" className="w-full">
              {t("invites.submit")}
            </SubmitButton>
          </Form>
        </Card>

        <section className="space-y-4 lg:col-span-3" aria-labelledby="invite-list">
          {createdInvite ? (
            <Alert tone="success" title={t("invites.created")}>
              <div className="mt-2 flex flex-wrap items-center gap-2">
                <code data-testid="new-invite-url" className="min-w-0 flex-1 break-all rounded-md bg-white px-2 py-1 font-mono text-xs text-slate-900 ring-1 ring-emerald-200">
                  {createdInvite.url}
                </code>
                <CopyButton text={createdInvite.url} />
              </div>
            </Alert>
          ) : null}
          {params.get("revoked") ? <Alert>{t("invites.revokedNote")}</Alert> : null}
          <h2 id="invite-list" className="text-base font-semibold text-slate-900">
            {t("invites.list")}
          </h2>
          {invites.length === 0 ? (
            <EmptyState title={t("invites.emptyTitle")} description={t("invites.emptyBody")} />
          ) : (
            <ul className="space-y-3">
              {invites.map((invite) => {
                const state = inviteState(invite);
                return (
                  <li key={invite.code} className="rounded-2xl border border-slate-200 bg-white p-4 shadow-sm" data-invite-code={invite.code}>
                    <div className="flex flex-wrap items-center gap-2">
                      <Badge tone={stateTone[state]}>{t(`invites.state.${state}`)}</Badge>
                      <Badge tone="brand">{tierNames[invite.tier] ?? t(`tiers.${invite.tier}`)}</Badge>
                      {invite.source ? <Badge>{t(`sources.${invite.source}`, { defaultValue: invite.source })}</Badge> : null}
                      <span className="ml-auto text-sm text-slate-700">
                        {invite.maxUses ? t("invites.usesOf", { uses: invite.uses, max: invite.maxUses }) : t("invites.uses", { count: invite.uses })}
                      </span>
                    </div>
                    <p className="mt-3 break-all font-mono text-sm text-slate-800" data-testid="invite-url">
                      {invite.url}
                    </p>
                    <div className="mt-3 flex flex-wrap items-center gap-2">
                      <p className="mr-auto text-xs text-slate-600">
                        {invite.expiresAt ? t("invites.expires", { date: formatDay(invite.expiresAt) }) : t("invites.noExpiry")}
                      </p>
                      {state === "active" ? (
                        <>
                          <CopyButton text={invite.url} />
                          <Form method="post">
                            <input type="hidden" name="code" value={invite.code} />
                            <SubmitButton intent="revoke" variant="ghost" size="sm" className="text-red-700 hover:bg-red-50 hover:text-red-800">
                              {t("invites.revoke")}
                            </SubmitButton>
                          </Form>
                        </>
                      ) : null}
                    </div>
                  </li>
                );
              })}
            </ul>
          )}
        </section>
      </Container>
    </>
  );
}
