import { useTranslation } from "react-i18next";
import { Name, NamedText } from "../components/name";
import { ItemBoundary } from "../components/item-boundary";
import { data, Form, redirect, useActionData, useSearchParams } from "react-router";
import type { Route } from "./+types/community-members";
import { CommunityHeader } from "../components/community-header";
import { ConfirmAction, FormError, SubmitButton } from "../components/form-bits";
import { Alert, Avatar, Badge, ButtonLink, Card, CardTitle, Container, EmptyState, Field, LoadError, PageHeader, SelectField, cx, focusRing } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { openMemberPage } from "../lib/community.server";
import { attempt, refuseBadCursor } from "../lib/use-case.server";
import { assertMemberRole, openMembership, requireReaderUser } from "../../workers/domain/access";
import { banMember } from "../../workers/domain/communities/bans";
import { withOnline } from "../../workers/domain/chat/inbox";
import { usePresence } from "../lib/presence-socket";
import { OnlineDot } from "../components/online-dot";
import { listMembers, removeMember, updateMember } from "../../workers/domain/communities/members";
import { listExports, requestExport } from "../../workers/domain/data-rights/export-jobs";
import { BanBody, MemberExportRequest, UpdateMemberBody } from "../../workers/domain/schemas/communities";
import { parseInput } from "../../workers/lib/validation";
import { pageRequest, pageResponse } from "../../workers/domain/paging";
import { fail, field, requireSignedIn, unknownIntent } from "../lib/forms.server";
import { useFormatDate } from "../components/local-time";
import { tierKeys, type Role, type Viewer } from "../lib/types";
import { ExportJobPanel } from "../components/export-job";
import { revalidateAfterRace } from "../lib/revalidate";
import { dmAction } from "../lib/dm.server";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  // every active member may read the list, as GET /communities/{slug}/members; each row's
  // viewer.permissions decides which management controls it shows
  const { me, access, answer, member, cursor } = await openMemberPage(cf, request, params.slug);
  const [members, exports] = await Promise.all([
    attempt(async () => {
      const page = await listMembers(cf.env, member, pageRequest({ limit: 50, cursor }));
      return pageResponse({ ...page, items: await withOnline(cf.env, member.community.id, page.items) });
    }).then(refuseBadCursor),
    // the member list export is the owner's alone (API.md)
    answer.viewer?.permissions.includes("export.members")
      ? listExports(cf.env, me.id, { kind: "members", communityId: access.community.id, slug: access.community.slug }, { limit: 1 })
      : null,
  ]);
  return {
    ...answer,
    meId: me.id,
    locale: findLocale(request, cf.user),
    members: members.ok ? members.data.items : [],
    loadFailed: !members.ok,
    nextCursor: members.ok ? members.data.nextCursor : null,
    latestExport: exports?.items[0] ?? null,
    isFirstPage: !cursor,
  };
}

// a 409 or 404 means the data moved: show what is true now (lib/revalidate.ts)
export const shouldRevalidate = revalidateAfterRace;

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  const intent = field(form, "intent");
  const userId = field(form, "userId");
  const { env, reader } = cf;
  // the same role each API route asks: owner to export, admin to change a member, moderator to remove or ban
  const asRole = async (role: "owner" | "admin" | "moderator") => assertMemberRole(await openMembership(env, params.slug, reader), role);
  if (intent === "export") {
    const format = field(form, "format") === "csv" ? "csv" : "json";
    const exported = await attempt(async () => {
      const access = await asRole("owner");
      const input = parseInput(MemberExportRequest, { format });
      const scope = { kind: "members" as const, communityId: access.community.id, slug: access.community.slug };
      return requestExport(env, (await requireReaderUser(reader)).id, { ...scope, format: input.format });
    });
    if (!exported.ok) return fail(exported, { userId: "", intent });
    return redirect(`/c/${params.slug}/members#export`);
  }
  // "Message" and "Block" on a row (issue 13): the DM pages' intents, a 1:1 opens at once
  if (intent === "dmStart" || intent === "dmBlock") {
    const dm = await dmAction(cf, params.slug, intent, form);
    if (!dm?.ok) return fail(dm!, { userId, intent });
    if (dm.data.conversation) return redirect(`/c/${params.slug}/messages/${dm.data.conversation.id}`);
    return redirect(`/c/${params.slug}/members?done=${intent}`);
  }
  let result;
  if (intent === "role") result = await attempt(async () => updateMember(env, await asRole("admin"), userId, parseInput(UpdateMemberBody, { role: field(form, "role") })));
  else if (intent === "comp") {
    const tier = field(form, "compTier");
    result = await attempt(async () => updateMember(env, await asRole("admin"), userId, parseInput(UpdateMemberBody, { compTier: tier === "none" ? null : tier })));
  } else if (intent === "remove") result = await attempt(async () => removeMember(env, await asRole("moderator"), userId));
  else if (intent === "ban") {
    result = await attempt(async () => {
      const access = await asRole("moderator");
      const input = parseInput(BanBody, { userId, reason: field(form, "reason") });
      return banMember(env, access, input.userId, input.reason);
    });
  } else return unknownIntent();
  if (!result.ok) return fail(result, { userId, intent });
  return redirect(`/c/${params.slug}/members?done=${intent}`);
}

export default function CommunityMembers({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const formatDay = useFormatDate();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { community, viewer, members, locale, meId, loadFailed } = loaderData;
  const may = (action: Viewer["permissions"][number]) => viewer?.permissions.includes(action) ?? false;
  const done = params.get("done");
  // only the owner makes or unmakes admins
  const assignable: Role[] = may("members.roles.admin") ? ["member", "moderator", "admin"] : ["member", "moderator"];
  // the loader's dots, kept live by the presence socket the header opened (ADR 033)
  const presence = usePresence(community.slug, viewer !== null);
  const isOnline = (m: (typeof members)[number]) => presence.online.has(m.user.id) || (presence.online.size === 0 && m.online === true);
  return (
    <>
      <title>{t("members.title") + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container>
        <PageHeader title={t("members.title")} description={may("members.manage") ? t("members.description") : t("members.descriptionMember")} />
        {done ? (
          <Alert tone="success" className="mb-4">
            {t(`members.done.${done}`, { defaultValue: t("common.saved") })}
          </Alert>
        ) : null}
        {actionData && !actionData.errors.fields.role && !actionData.values?.intent?.startsWith("dm") ? <FormError errors={actionData.errors} /> : null}
        {loadFailed ? (
          <LoadError message={t("loadError.members")} />
        ) : members.length === 0 ? (
          <EmptyState
            title={t("members.emptyTitle")}
            description={t("members.emptyBody")}
            action={may("invite.create.paid") ? <ButtonLink to={`/c/${community.slug}/invites`}>{t("members.invite")}</ButtonLink> : null}
          />
        ) : (
          <ul className="divide-y divide-slate-200 overflow-hidden rounded-2xl border border-slate-200 bg-white shadow-sm">
            {members.map((m) => {
              const manageable = m.viewer.permissions.includes("member.remove");
              const canChangeRole = m.viewer.permissions.includes("member.role");
              const rowError = actionData?.values?.userId === m.user.id ? actionData.errors : null;
              return (
                <li key={m.user.id} className="p-4 sm:px-6">
                  <ItemBoundary>
                    <div className="flex flex-wrap items-center gap-3">
                      <span className="relative shrink-0">
                        <Avatar name={m.user.name} src={m.user.avatarUrl} />
                        <OnlineDot online={isOnline(m)} />
                      </span>
                      <div className="min-w-0 flex-1 basis-48">
                        <p className="truncate font-medium text-slate-900">
                          <Name>{m.user.name}</Name>
                          {m.user.id === meId ? <span className="ml-1 text-sm font-normal text-slate-600">{t("members.you")}</span> : null}
                        </p>
                        <p className="text-sm text-slate-600">
                          {t("community.joined", { date: formatDay(m.joinedAt) })}
                          {m.source && m.source !== "owner" ? <> · {t("members.via", { source: t(`sources.${m.source}`, { defaultValue: m.source }) })}</> : null}
                        </p>
                      </div>
                      {m.user.id !== meId ? (
                        <div className="flex gap-2">
                          <Form method="post">
                            {/* userId names the row a refusal is shown on */}
                            <input type="hidden" name="userId" value={m.user.id} />
                            <input type="hidden" name="memberIds" value={m.user.id} />
                            <SubmitButton intent="dmStart" size="sm" aria-label={t("dm.messageName", { name: m.user.name })}>
                              {t("dm.message")}
                            </SubmitButton>
                          </Form>
                          <ConfirmAction
                            label={t("dm.block")}
                            labelAria={t("dm.blockName", { name: m.user.name })}
                            question={t("dm.blockQuestion", { name: m.user.name })}
                            intent="dmBlock"
                            confirm={t("dm.blockConfirm")}
                          >
                            <input type="hidden" name="userId" value={m.user.id} />
                          </ConfirmAction>
                        </div>
                      ) : null}
                      <div className="flex flex-wrap gap-2">
                        <Badge tone={m.role === "member" ? "neutral" : "brand"}>{t(`roles.${m.role}`)}</Badge>
                        <Badge>{t(`tiers.${m.tier}`)}</Badge>
                        {m.compTier ? <Badge tone="success">{t("members.comped", { tier: t(`tiers.${m.compTier}`) })}</Badge> : null}
                      </div>
                    </div>
                    {rowError && (actionData?.values?.intent === "dmStart" || actionData?.values?.intent === "dmBlock") ? (
                      <div className="mt-3" data-testid="dm-refusal">
                        <FormError errors={rowError} />
                      </div>
                    ) : null}
                    {manageable ? (
                      <details className="group mt-3" open={Boolean(rowError)}>
                        <summary className={cx("inline-flex cursor-pointer list-none items-center gap-1 rounded-md text-sm font-semibold text-brand-700 [&::-webkit-details-marker]:hidden", focusRing)}>
                          <NamedText k="members.manage" names={{ name: m.user.name }} />
                        </summary>
                        <div className="mt-3 grid gap-4 rounded-xl bg-slate-50 p-4 sm:grid-cols-2">
                          {canChangeRole ? (
                            <Form method="post" className="flex items-end gap-2">
                              <input type="hidden" name="userId" value={m.user.id} />
                              <SelectField label={t("fields.role")} name="role" defaultValue={m.role} className="flex-1" error={rowError?.fields.role}>
                                {assignable.map((r) => (
                                  <option key={r} value={r}>
                                    {t(`roles.${r}`)}
                                  </option>
                                ))}
                              </SelectField>
                              <SubmitButton intent="role" variant="secondary">
                                {t("common.save")}
                              </SubmitButton>
                            </Form>
                          ) : null}
                          {canChangeRole ? (
                            <Form method="post" className="flex items-end gap-2">
                              <input type="hidden" name="userId" value={m.user.id} />
                              <SelectField label={t("fields.compTier")} name="compTier" defaultValue={m.compTier ?? "none"} className="flex-1" error={rowError?.fields.compTier}>
                                <option value="none">{t("members.noComp")}</option>
                                {tierKeys.map((k) => (
                                  <option key={k} value={k}>
                                    {t(`tiers.${k}`)}
                                  </option>
                                ))}
                              </SelectField>
                              <SubmitButton intent="comp" variant="secondary">
                                {t("members.grant")}
                              </SubmitButton>
                            </Form>
                          ) : null}
                          <Form method="post" className="flex items-end gap-2 sm:col-span-2">
                            <input type="hidden" name="userId" value={m.user.id} />
                            <Field label={t("fields.banReason")} name="reason" className="flex-1" maxLength={500} error={rowError?.fields.reason} />
                            <SubmitButton intent="ban" variant="danger">
                              {t("members.ban")}
                            </SubmitButton>
                          </Form>
                          <Form method="post" className="sm:col-span-2">
                            <input type="hidden" name="userId" value={m.user.id} />
                            <SubmitButton intent="remove" variant="secondary" size="sm">
                              {t("members.remove")}
                            </SubmitButton>
                            <span className="ml-3 text-sm text-slate-600">{t("members.removeHint")}</span>
                          </Form>
                        </div>
                      </details>
                    ) : null}
                  </ItemBoundary>
                </li>
              );
            })}
          </ul>
        )}
        {loaderData.nextCursor || !loaderData.isFirstPage ? (
          <div className="mt-6 flex justify-between">
            {!loaderData.isFirstPage ? (
              <ButtonLink to={`/c/${community.slug}/members`} variant="secondary">
                {t("common.firstPage")}
              </ButtonLink>
            ) : <span />}
            {loaderData.nextCursor ? (
              <ButtonLink to={`/c/${community.slug}/members?cursor=${encodeURIComponent(loaderData.nextCursor)}`} variant="secondary">
                {t("common.nextPage")}
              </ButtonLink>
            ) : null}
          </div>
        ) : null}
        {may("export.members") ? (
          <Card id="export" className="mt-8">
            <CardTitle description={t("members.export.description")}>{t("members.export.title")}</CardTitle>
            <FormError errors={actionData?.values?.intent === "export" ? actionData?.errors : null} />
            <ExportJobPanel
              job={loaderData.latestExport}
              intent="export"
              startLabel={t("members.export.start")}
              extraFields={
                <SelectField label={t("members.export.format")} name="format" defaultValue={loaderData.latestExport?.format ?? "csv"}>
                  <option value="csv">{t("members.export.csv")}</option>
                  <option value="json">{t("members.export.json")}</option>
                </SelectField>
              }
            />
          </Card>
        ) : null}
      </Container>
    </>
  );
}
