import { useState, type ReactNode } from "react";
import { Name } from "../components/name";
import { useTranslation } from "react-i18next";
import { data, Form, redirect, useActionData, useSearchParams } from "react-router";
import type { Route } from "./+types/community-settings";
import { CommunityHeader } from "../components/community-header";
import { FormError, SubmitButton, type ClientFormErrors } from "../components/form-bits";
import { Alert, Badge, ButtonLink, Card, CardTitle, Container, Field, SelectField, TextareaField, TextLink } from "../components/ui";
import { cloudflareContext } from "../context";
import { locales } from "../i18n";
import { openCommunityPage, requirePermission } from "../lib/community.server";
import { loadTiers } from "../lib/discussions.server";
import { activeMember, assertMemberRole, openMembership } from "../../workers/domain/access";
import { deleteCommunity, transferOwnership, updateCommunity } from "../../workers/domain/communities/manage-community";
import { requireTierKey, updateTier } from "../../workers/domain/communities/tiers";
import { TransferBody, UpdateCommunityBody, UpdateTierBody } from "../../workers/domain/schemas/communities";
import { parseInput } from "../../workers/lib/validation";
import { attempt } from "../lib/use-case.server";
import { listMembers } from "../../workers/domain/communities/members";
import { useMemberSearch, type PickablePerson } from "../components/member-picker";
import { countDeadLetters } from "../../workers/domain/events/dead-letters";
import { fail, field, requireSignedIn, unknownIntent } from "../lib/forms.server";
import type { Tier, Viewer } from "../lib/types";
import { revalidateAfterRace } from "../lib/revalidate";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const me = requireSignedIn(cf, request);
  const { access, answer } = await openCommunityPage(cf, params.slug);
  requirePermission(answer, "community.update");
  const member = activeMember(access);
  if (!member) throw data(null, { status: 404 });
  const may = (action: Viewer["permissions"][number]) => answer.viewer?.permissions.includes(action) ?? false;
  const [tiers, members, deadLetterCount] = await Promise.all([
    loadTiers(cf, access),
    may("community.transfer") ? listMembers(cf.env, member, { limit: 100 }) : null,
    // only the count, for the link's badge; a failure hides the number, the link stays
    countDeadLetters(cf.env, { communityId: access.community.id }).catch(() => 0),
  ]);
  return {
    ...answer,
    isOwner: may("tiers.update"),
    tiers,
    deadLetterCount,
    meId: me.id,
    transferCandidates: members ? members.items.filter((m) => m.user.id !== me.id).map((m): PickablePerson => ({ id: m.user.id, name: m.user.name, role: m.role })) : [],
  };
}

type Section = "general" | "tier" | "transfer" | "delete";

// a 409 or 404 means the data moved: show what is true now (lib/revalidate.ts)
export const shouldRevalidate = revalidateAfterRace;

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  const intent = field(form, "intent") as Section;
  const { env, reader } = cf;
  // general settings are the admin's; tiers, ownership and deletion the owner's (as in the API)
  const asRole = async (role: "owner" | "admin") => assertMemberRole(await openMembership(env, params.slug, reader), role);
  const back = (done: string) => redirect(`/c/${params.slug}/settings?saved=${done}`);

  if (intent === "general") {
    const values = {
      name: field(form, "name"),
      description: field(form, "description"),
      visibility: field(form, "visibility"),
      defaultLocale: field(form, "defaultLocale"),
    };
    const result = await attempt(async () => updateCommunity(env, await asRole("admin"), parseInput(UpdateCommunityBody, values)));
    if (!result.ok) return fail(result, { ...values, section: "general" });
    return back("general");
  }
  if (intent === "tier") {
    const key = field(form, "key");
    // prices are the billing settings' (synced to Stripe, ADR 037): this form names and describes the tier
    const values = { section: `tier:${key}`, name: field(form, "name"), description: field(form, "description"), trialDays: field(form, "trialDays") };
    const body: Record<string, unknown> = { name: values.name, description: values.description };
    if (values.trialDays !== "") body.trialDays = Number(values.trialDays);
    const result = await attempt(async () => updateTier(env, await asRole("owner"), requireTierKey(key), parseInput(UpdateTierBody, body)));
    if (!result.ok) return fail(result, values);
    return back("tier");
  }
  if (intent === "transfer") {
    const userId = field(form, "userId");
    const result = await attempt(async () => transferOwnership(env, await asRole("owner"), parseInput(TransferBody, { userId }).userId));
    if (!result.ok) return fail(result, { section: "transfer" });
    return redirect(`/c/${params.slug}?transferred=1`);
  }
  if (intent === "delete") {
    if (field(form, "confirm") !== params.slug) {
      return fail(
        { ok: false, status: 400, error: { code: "validation_failed", message: "", issues: [{ path: "confirm", message: "", code: "confirm_mismatch" }] } },
        { section: "delete" },
      );
    }
    const result = await attempt(async () => deleteCommunity(env, await asRole("owner")));
    if (!result.ok) return fail(result, { section: "delete" });
    return redirect("/?deleted=1");
  }
  return unknownIntent();
}

/** The issue for input `name`: each field says it in the reader's language (lib/issues.ts issueText, in Field). */
function useFieldError(errors: ClientFormErrors | null | undefined) {
  return (name: string) => errors?.fields[name];
}

function TierEditor({ tier, errors }: { tier: Tier; errors: ClientFormErrors | null }) {
  const { t } = useTranslation();
  const err = useFieldError(errors);
  return (
    <Form method="post" className="space-y-4 rounded-xl border border-slate-200 p-4">
      <input type="hidden" name="key" value={tier.key} />
      <FormError errors={errors} />
      <div className="flex items-center justify-between">
        <h3 className="text-sm font-semibold uppercase tracking-wide text-slate-600">{t(`tiers.${tier.key}`)}</h3>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label={t("fields.tierName")} name="name" defaultValue={tier.name} required maxLength={60} error={err("name")} />
        <Field label={t("fields.trialDays")} name="trialDays" type="number" min={0} max={730} defaultValue={tier.trialDays} error={err("trialDays")} />
      </div>
      <TextareaField label={t("fields.tierDescription")} name="description" rows={2} defaultValue={tier.description} error={err("description")} />
      {tier.key !== "free" ? (
        <p className="text-sm text-slate-600">
          {t("billingSettings.pricesMoved")} <TextLink to="billing">{t("billingSettings.open")}</TextLink>
        </p>
      ) : null}
      <div className="flex justify-end">
        <SubmitButton intent="tier" variant="secondary">
          {t("settings.saveTier")}
        </SubmitButton>
      </div>
    </Form>
  );
}

export default function CommunitySettings({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { community, viewer, tiers, isOwner, transferCandidates, deadLetterCount, meId } = loaderData;
  const section = actionData?.values?.section;
  const errorsFor = (s: string) => (section === s ? (actionData?.errors ?? null) : null);
  const general = errorsFor("general");
  const gErr = useFieldError(general);
  const transferErr = errorsFor("transfer");
  const deleteErr = errorsFor("delete");
  const dErr = useFieldError(deleteErr);
  const [confirm, setConfirm] = useState("");
  const saved = params.get("saved");
  return (
    <>
      <title>{t("settings.title") + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container size="md" className="space-y-6">
        {saved ? <Alert tone="success">{t("common.saved")}</Alert> : null}
        <Card>
          <CardTitle description={t("settings.generalDescription")}>{t("settings.general")}</CardTitle>
          <FormError errors={general} />
          <Form method="post" className="space-y-5" noValidate>
            <Field label={t("fields.communityName")} name="name" defaultValue={actionData?.values?.name ?? community.name} required maxLength={80} error={gErr("name")} />
            <Field label={t("fields.slug")} name="slug-readonly" value={community.slug} readOnly disabled hint={t("settings.slugFixed")} />
            <TextareaField label={t("fields.description")} name="description" defaultValue={actionData?.values?.description ?? community.description} maxLength={2000} error={gErr("description")} />
            <div className="grid gap-5 sm:grid-cols-2">
              <SelectField label={t("fields.visibility")} name="visibility" defaultValue={community.visibility} error={gErr("visibility")}>
                <option value="private">{t("visibility.private")}</option>
                <option value="public">{t("visibility.public")}</option>
              </SelectField>
              <SelectField label={t("fields.defaultLocale")} name="defaultLocale" defaultValue={community.defaultLocale} error={gErr("defaultLocale")}>
                {locales.map((l) => (
                  <option key={l} value={l}>
                    {t(`language.${l}`)}
                  </option>
                ))}
              </SelectField>
            </div>
            <div className="flex justify-end">
              <SubmitButton intent="general">{t("common.saveChanges")}</SubmitButton>
            </div>
          </Form>
        </Card>

        <Card>
          <CardTitle description={isOwner ? t("settings.tiersDescription") : t("settings.tiersOwnerOnly")}>{t("settings.tiers")}</CardTitle>
          {isOwner ? (
            <div className="space-y-4">
              {tiers.map((tier) => (
                <TierEditor key={tier.key} tier={tier} errors={errorsFor(`tier:${tier.key}`)} />
              ))}
            </div>
          ) : null}
        </Card>

        <LinkCard id="billing-settings" title={t("billingSettings.title")} description={t("billingSettings.cardDescription")} to={`/c/${community.slug}/settings/billing`}>
          {t("billingSettings.open")}
        </LinkCard>

        <LinkCard id="background-work" title={t("deadLetters.title")} description={t("settings.backgroundWorkDescription")} to={`/c/${community.slug}/settings/background-work`}>
          {t("settings.backgroundWorkOpen")}
          {deadLetterCount > 0 ? <Badge tone="danger">{t("settings.backgroundWorkFailed", { count: deadLetterCount })}</Badge> : null}
        </LinkCard>

        {isOwner ? (
          <Card>
            <CardTitle description={t("settings.transferDescription")}>{t("settings.transfer")}</CardTitle>
            <FormError errors={transferErr} />
            {transferCandidates.length === 0 ? (
              <p className="text-sm text-slate-600">{t("settings.transferNobody")}</p>
            ) : (
              <TransferForm candidates={transferCandidates} meId={meId} error={transferErr?.fields.userId} />
            )}
          </Card>
        ) : null}

        {isOwner ? (
          <section className="rounded-2xl border border-red-200 bg-white p-5 shadow-sm sm:p-6" aria-labelledby="danger-zone">
            <h2 id="danger-zone" className="text-base font-semibold text-red-800">
              {t("settings.delete")}
            </h2>
            <p className="mt-1 text-sm text-slate-700">{t("settings.deleteDescription")}</p>
            <FormError errors={deleteErr && !deleteErr.fields.confirm ? deleteErr : null} />
            <Form method="post" className="mt-4 space-y-4">
              <Field
                label={t("settings.deleteConfirm", { slug: community.slug })}
                name="confirm"
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                value={confirm}
                onChange={(e) => setConfirm(e.currentTarget.value)}
                error={dErr("confirm")}
              />
              <SubmitButton intent="delete" variant="danger">
                {t("settings.deleteSubmit")}
              </SubmitButton>
            </Form>
          </section>
        ) : null}
      </Container>
    </>
  );
}

/**
 * Choosing the new owner: a filter that searches every member (not only the first hundred the
 * page lists) above a select of those it finds.
 */
/** A settings card that only leads to another page: its title and description, and a button (`children`) to `to`. */
function LinkCard({ id, title, description, to, children }: { id: string; title: string; description: string; to: string; children: ReactNode }) {
  return (
    <Card aria-labelledby={id}>
      <div className="flex flex-col gap-4 sm:flex-row sm:items-center sm:justify-between">
        <div className="min-w-0">
          <h2 id={id} className="text-base font-semibold text-slate-900">
            {title}
          </h2>
          <p className="mt-1 text-sm text-slate-600">{description}</p>
        </div>
        <ButtonLink to={to} variant="secondary" size="sm" className="self-start sm:self-center">
          {children}
        </ButtonLink>
      </div>
    </Card>
  );
}

function TransferForm({ candidates, meId, error }: { candidates: PickablePerson[]; meId: string; error: Parameters<typeof SelectField>[0]["error"] }) {
  const { t } = useTranslation();
  const { filter, setFilter, people, searching } = useMemberSearch(candidates, new Set([meId]));
  return (
    <Form method="post" className="space-y-3">
      <Field label={t("picker.filter")} name="filter" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} autoComplete="off" />
      <div className="flex flex-col gap-3 sm:flex-row sm:items-end">
        <SelectField label={t("fields.newOwner")} name="userId" className="flex-1" error={error} disabled={people.length === 0}>
          {people.length === 0 ? <option value="">{searching ? t("picker.searching") : t("dm.nobody")}</option> : null}
          {people.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name} · {t(`roles.${m.role}`)}
            </option>
          ))}
        </SelectField>
        <SubmitButton intent="transfer" variant="secondary" disabled={people.length === 0}>
          {t("settings.transferSubmit")}
        </SubmitButton>
      </div>
    </Form>
  );
}
