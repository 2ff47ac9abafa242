import { useTranslation } from "react-i18next";
import { Name } from "../components/name";
import { data, Form, redirect, useActionData, useSearchParams } from "react-router";
import type { Route } from "./+types/community-space-settings";
import { CommunityHeader } from "../components/community-header";
import { Breadcrumbs } from "../components/discussions";
import { FormError, SubmitButton } from "../components/form-bits";
import { Alert, Avatar, Card, CardTitle, Checkbox, Container, Field, SelectField, TextareaField } from "../components/ui";
import { cloudflareContext } from "../context";
import { addSpaceMembers, archiveSpace, listSpaceMembers, removeSpaceMember, updateSpace } from "../../workers/domain/discussions/spaces";
import { SpaceMembersBody, UpdateSpaceBody } from "../../workers/domain/schemas/discussions";
import { parseInput } from "../../workers/lib/validation";
import { openCommunityPage, requirePermission } from "../lib/community.server";
import { attempt, inCommunity } from "../lib/use-case.server";
import { activeMember } from "../../workers/domain/access";
import { listMembers } from "../../workers/domain/communities/members";
import { MemberChecklist, type PickablePerson } from "../components/member-picker";
import { assertRole, openSpace } from "../../workers/domain/discussions/access";
import { loadSpaces, loadTiers } from "../lib/discussions.server";
import { fail, field, requireSignedIn, textFields, unknownIntent } from "../lib/forms.server";
import { tierKeys, type List, type Member, type Person } from "../lib/types";
import { revalidateAfterRace } from "../lib/revalidate";

type SpaceMember = { user: Person; addedAt: string };

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const { access, answer } = await openCommunityPage(cf, params.slug);
  requirePermission(answer, "space.create");
  const [spaces, tiers] = await Promise.all([loadSpaces(cf, access), loadTiers(cf, access)]);
  const entry = spaces?.find((e) => e.space.id === params.spaceId);
  if (!entry) throw new Response(null, { status: 404 });
  const member = activeMember(access);
  if (!member) throw data(null, { status: 404 });
  const [inSpace, everyone] = await Promise.all([
    attempt(async () => listSpaceMembers(cf.env, assertRole(inCommunity(await openSpace(cf.env, params.spaceId, cf.reader, "write"), params.slug), "admin"))),
    attempt(() => listMembers(cf.env, member, { limit: 100 })),
  ]);
  const listed = inSpace.ok ? inSpace.data : [];
  const listedIds = new Set(listed.map((m) => m.user.id));
  return {
    ...answer,
    space: entry.space,
    tiers,
    listed,
    // the first page may all be listed already while members past it are not: the picker searches them
    moreMembers: everyone.ok && everyone.data.next !== null,
    candidates: everyone.ok ? everyone.data.items.filter((m) => !listedIds.has(m.user.id)).map((m): PickablePerson => ({ id: m.user.id, name: m.user.name, role: m.role })) : [],
  };
}

// a 409 or 404 means the data moved: show what is true now (lib/revalidate.ts)
export const shouldRevalidate = revalidateAfterRace;

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  const intent = field(form, "intent");
  // every change here is the admin's (PATCH, DELETE and the member list of /spaces/{spaceId})
  const space = async () => assertRole(inCommunity(await openSpace(cf.env, params.spaceId, cf.reader, "write"), params.slug), "admin");
  const here = `/c/${params.slug}/s/${params.spaceId}/settings`;
  if (intent === "save") {
    const values = { name: field(form, "name"), description: field(form, "description"), minTier: field(form, "minTier"), private: form.get("private") === "on" ? "on" : "" };
    const body = { name: values.name, description: values.description, minTier: values.minTier, private: values.private === "on" };
    const result = await attempt(async () => updateSpace(cf.env, await space(), parseInput(UpdateSpaceBody, body)));
    if (!result.ok) return fail(result, { ...values, intent });
    return redirect(`${here}?done=saved`);
  }
  if (intent === "add-members") {
    const userIds = textFields(form, "userIds").filter(Boolean);
    if (userIds.length === 0) return redirect(here);
    const result = await attempt(async () => addSpaceMembers(cf.env, await space(), parseInput(SpaceMembersBody, { userIds }).userIds));
    if (!result.ok) return fail(result, { intent });
    return redirect(`${here}?done=added#members`);
  }
  if (intent === "remove-member") {
    const result = await attempt(async () => removeSpaceMember(cf.env, await space(), field(form, "userId")));
    if (!result.ok) return fail(result, { intent });
    return redirect(`${here}?done=removed#members`);
  }
  if (intent === "archive") {
    const result = await attempt(async () => archiveSpace(cf.env, await space()));
    if (!result.ok) return fail(result, { intent });
    return redirect(`/c/${params.slug}?space=archived#spaces`);
  }
  return unknownIntent();
}

export default function SpaceSettings({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { community, viewer, space, tiers, listed, candidates, moreMembers } = loaderData;
  const listedIds = new Set(listed.map((m) => m.user.id));
  const saveFailed = actionData?.values?.intent === "save";
  const errors = saveFailed ? actionData?.errors : undefined;
  const values = saveFailed ? actionData?.values : undefined;
  const done = params.get("done");
  const tierName = (key: string) => tiers.find((x) => x.key === key)?.name ?? t(`tiers.${key}`);
  return (
    <>
      <title>{t("spaceSettings.title") + " · " + space.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container size="md" className="space-y-6">
        <div>
          <Breadcrumbs items={[{ to: `/c/${community.slug}`, label: community.name }, { to: `/c/${community.slug}/s/${space.id}`, label: space.name }, { label: t("spaceSettings.title") }]} />
          <h1 className="text-2xl font-bold tracking-tight text-slate-900">{t("spaceSettings.title")}</h1>
        </div>
        {done ? <Alert tone="success">{t(`spaceSettings.done.${done}`, { defaultValue: t("common.saved") })}</Alert> : null}
        {actionData && !saveFailed ? <FormError errors={actionData.errors} /> : null}

        <Card>
          <CardTitle>{t("spaceSettings.details")}</CardTitle>
          <Form method="post" className="space-y-4" noValidate>
            <FormError errors={errors && Object.keys(errors.fields).length === 0 ? errors : undefined} />
            <Field label={t("spaces.name")} name="name" required maxLength={80} defaultValue={values?.name ?? space.name} error={errors?.fields.name} />
            <TextareaField label={t("spaces.descriptionField")} name="description" rows={2} maxLength={1000} defaultValue={values?.description ?? space.description} error={errors?.fields.description} />
            <SelectField label={t("spaces.minTier")} name="minTier" defaultValue={values?.minTier ?? space.minTier} hint={t("spaces.minTierHint")} error={errors?.fields.minTier}>
              {tierKeys.map((key) => (
                <option key={key} value={key}>
                  {tierName(key)}
                </option>
              ))}
            </SelectField>
            <Checkbox name="private" label={t("spaces.privateField")} hint={t("spaces.privateHint")} defaultChecked={values ? values.private === "on" : space.private} />
            <div className="flex justify-end">
              <SubmitButton intent="save">{t("common.saveChanges")}</SubmitButton>
            </div>
          </Form>
        </Card>

        <Card id="members" className="scroll-mt-24">
          <CardTitle description={space.private ? t("spaceSettings.membersPrivate") : t("spaceSettings.membersPublic")}>{t("spaceSettings.members")}</CardTitle>
          {listed.length === 0 ? (
            <p className="text-sm text-slate-600">{t("spaceSettings.noneListed")}</p>
          ) : (
            <ul className="divide-y divide-slate-100">
              {listed.map((m) => (
                <li key={m.user.id} className="flex items-center gap-3 py-2.5">
                  <Avatar name={m.user.name} src={m.user.avatarUrl} size="sm" />
                  <span className="min-w-0 flex-1 truncate text-sm font-medium text-slate-900">
                    <Name>{m.user.name}</Name>
                  </span>
                  <Form method="post">
                    <input type="hidden" name="userId" value={m.user.id} />
                    <SubmitButton intent="remove-member" variant="ghost" size="sm" aria-label={t("spaceSettings.removeLabel", { name: m.user.name })}>
                      {t("spaceSettings.remove")}
                    </SubmitButton>
                  </Form>
                </li>
              ))}
            </ul>
          )}
          {candidates.length > 0 || moreMembers ? (
            <Form method="post" className="mt-5 border-t border-slate-100 pt-5">
              <MemberChecklist name="userIds" initial={candidates} except={listedIds} legend={t("spaceSettings.add")} filterLabel={t("picker.filter")} nobody={t("dm.nobody")} />
              <div className="mt-4 flex justify-end">
                <SubmitButton intent="add-members" variant="secondary">
                  {t("spaceSettings.addSubmit")}
                </SubmitButton>
              </div>
            </Form>
          ) : null}
        </Card>

        <Card className="border-red-200">
          <CardTitle description={t("spaces.archiveQuestion", { name: space.name })}>{t("spaceSettings.archiveTitle")}</CardTitle>
          <Form method="post">
            <SubmitButton intent="archive" variant="danger">
              {t("spaces.archiveConfirm")}
            </SubmitButton>
          </Form>
        </Card>
      </Container>
    </>
  );
}
