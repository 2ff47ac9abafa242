// The caller's DM inbox in a community (issue 13): their conversations newest first, each with its
// last message and unread count (one D1 read, ADR 033); "New message" picks 1–19 members and
// starts one; who may message me and the members I blocked.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Form, Link, redirect, useActionData, useRevalidator } from "react-router";
import type { Route } from "./+types/community-messages";
import { CommunityHeader } from "../components/community-header";
import { FormError, SubmitButton } from "../components/form-bits";
import { LocalTime } from "../components/local-time";
import { useMemberSearch, usePicked, type PickablePerson } from "../components/member-picker";
import { Name } from "../components/name";
import { Badge, Card, CardTitle, Container, EmptyState, Field, LoadError, PageHeader, SelectField, cx, focusRing } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { openMemberPage } from "../lib/community.server";
import { dmAction } from "../lib/dm.server";
import { fail, field, requireSignedIn, unknownIntent } from "../lib/forms.server";
import { attempt, refuseBadCursor } from "../lib/use-case.server";
import { usePresence } from "../lib/presence-socket";
import { isConversationId } from "../../durable-objects/protocol";
import { listConversations, MAX_CONVERSATION_MEMBERS, type ConversationView } from "../../workers/domain/chat/conversations";
import { dmPolicyOf, listBlocks } from "../../workers/domain/chat/blocks";
import { listMembers } from "../../workers/domain/communities/members";
import { pageRequest } from "../../workers/domain/paging";
import { dmPolicies } from "../../workers/db/schema";

/** Members the "New message" dialog lists before anything is typed (typing searches them all: useMemberSearch). */
const PICKABLE = 100;

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const { me, answer, member, cursor } = await openMemberPage(cf, request, params.slug);
  const [conversations, members, blocks] = await Promise.all([
    attempt(() => listConversations(cf.env, member, { cursor })).then(refuseBadCursor),
    attempt(() => listMembers(cf.env, member, pageRequest({ limit: PICKABLE, cursor: null }))),
    attempt(() => listBlocks(cf.env, member)),
  ]);
  return {
    ...answer,
    meId: me.id,
    locale: findLocale(request, cf.user),
    conversations: conversations.ok ? conversations.data.items : [],
    nextCursor: conversations.ok ? conversations.data.nextCursor : null,
    loadFailed: !conversations.ok,
    people: members.ok ? members.data.items.filter((m) => m.user.id !== me.id).map((m): PickablePerson => ({ id: m.user.id, name: m.user.name, role: m.role })) : [],
    blocks: blocks.ok ? blocks.data : [],
    policy: dmPolicyOf(member),
  };
}

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  const intent = field(form, "intent");
  const result = await dmAction(cf, params.slug, intent, form);
  if (!result) return unknownIntent();
  if (!result.ok) return fail(result, { intent, userId: field(form, "userId") });
  if (intent === "dmStart" && result.data.conversation) return redirect(`/c/${params.slug}/messages/${result.data.conversation.id}`);
  return { ok: true as const, intent };
}

/** A conversation's title: a group's name, else its other members' names (or the caller's own, alone in it). */
/**
 * A conversation's title: its name, else the other participants' names; `nobody` when no one else
 * is left in it (the other person left the community, was removed or banned, or erased their account).
 */
export function conversationTitle(c: Pick<ConversationView, "name" | "members">, meId: string, nobody: string): string {
  if (c.name) return c.name;
  const others = c.members.filter((m) => m.id !== meId).map((m) => m.name);
  return others.length ? others.join(", ") : nobody;
}

export default function CommunityMessages({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const { community, viewer, conversations, meId, loadFailed, people, blocks, policy, nextCursor } = loaderData;
  const failure = actionData && "errors" in actionData ? actionData : null;
  const failed = (intent: string) => (failure?.values?.intent === intent ? failure.errors : null);
  // counts move live with the presence socket's inbox frames; the loader's are the first answer
  const presence = usePresence(community.slug, viewer !== null);
  const unreadOf = (id: string, loaded: number) => presence.unread.get(id) ?? loaded;
  // an inbox frame (a new message somewhere) re-reads the list: new conversations, excerpts, order
  const { revalidate } = useRevalidator();
  useEffect(() => {
    if (presence.inboxVersion > 0) void revalidate();
  }, [presence.inboxVersion, revalidate]);
  // counts read after this page's loader (a message mirrored in between) that it does not match:
  // read the list once more, at most once per new set of counts
  const behind =
    !nextCursor &&
    [...presence.unread].some(([id, unread]) => isConversationId(id) && conversations.find((c) => c.id === id)?.unread !== unread);
  useEffect(() => {
    if (behind) void revalidate();
  }, [behind, presence.unread, revalidate]);
  return (
    <>
      <title>{t("dm.title") + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container>
        <PageHeader title={t("dm.title")} description={t("dm.description")} actions={<NewMessage people={people} meId={meId} error={failed("dmStart")} />} />
        {loadFailed ? (
          <LoadError message={t("dm.loadError")} />
        ) : conversations.length === 0 ? (
          <EmptyState title={t("dm.emptyTitle")} description={t("dm.emptyBody")} />
        ) : (
          <ul className="divide-y divide-slate-200 overflow-hidden rounded-2xl border border-slate-200 bg-white shadow-sm" aria-label={t("dm.listLabel")}>
            {conversations.map((c) => {
              const unread = unreadOf(c.id, c.unread);
              const title = conversationTitle(c, meId, t("dm.nobodyLeft"));
              return (
                <li key={c.id}>
                  <Link to={`/c/${community.slug}/messages/${c.id}`} data-testid="dm-row" className={cx("flex items-center gap-3 p-4 hover:bg-slate-50 sm:px-6", focusRing)}>
                    <div className="min-w-0 flex-1">
                      <p className={cx("truncate text-slate-900", unread > 0 ? "font-bold" : "font-medium")}>
                        <Name>{title}</Name>
                      </p>
                      <p className="truncate text-sm text-slate-600">{c.lastMessage ? c.lastMessage.excerpt || t("dm.imageOnly") : t("dm.noMessages")}</p>
                    </div>
                    <div className="flex shrink-0 flex-col items-end gap-1">
                      {c.lastMessage ? <LocalTime value={c.lastMessage.at} relative className="text-xs text-slate-600" /> : null}
                      {unread > 0 ? (
                        <Badge tone="brand">
                          <span data-testid="dm-unread">{t("dm.unread", { count: unread })}</span>
                        </Badge>
                      ) : null}
                    </div>
                  </Link>
                </li>
              );
            })}
          </ul>
        )}
        {nextCursor ? (
          <div className="mt-6 flex justify-end">
            <Link className={cx("text-sm font-semibold text-brand-700", focusRing)} to={`/c/${community.slug}/messages?cursor=${encodeURIComponent(nextCursor)}`}>
              {t("common.nextPage")}
            </Link>
          </div>
        ) : null}
        <Card id="dm-settings" className="mt-8">
          <CardTitle description={t("dm.settings.description")}>{t("dm.settings.title")}</CardTitle>
          <FormError errors={failed("dmPolicy")} />
          {actionData && "intent" in actionData && actionData.intent === "dmPolicy" ? <p className="mb-2 text-sm text-emerald-700">{t("common.saved")}</p> : null}
          <Form method="post" className="flex flex-wrap items-end gap-2">
            <SelectField label={t("dm.settings.policy")} name="policy" defaultValue={policy} className="min-w-0 flex-1">
              {dmPolicies.map((p) => (
                <option key={p} value={p}>
                  {t(`dm.policy.${p}`)}
                </option>
              ))}
            </SelectField>
            <SubmitButton intent="dmPolicy" variant="secondary">
              {t("common.save")}
            </SubmitButton>
          </Form>
          <h3 className="mt-6 text-sm font-semibold text-slate-900">{t("dm.settings.blocked")}</h3>
          <FormError errors={failed("dmUnblock")} />
          {blocks.length === 0 ? (
            <p className="mt-2 text-sm text-slate-600">{t("dm.settings.noneBlocked")}</p>
          ) : (
            <ul className="mt-2 divide-y divide-slate-200" data-testid="blocked-list">
              {blocks.map((b) => (
                <li key={b.user.id} className="flex items-center justify-between gap-3 py-2">
                  <span className="min-w-0 truncate text-sm text-slate-900">
                    <Name>{b.user.name}</Name>
                  </span>
                  <Form method="post">
                    <input type="hidden" name="userId" value={b.user.id} />
                    <SubmitButton intent="dmUnblock" variant="secondary" size="sm">
                      {t("dm.unblock")}
                    </SubmitButton>
                  </Form>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </Container>
    </>
  );
}

/**
 * "New message": a disclosure (keyboard: Enter opens, Tab walks the list, Space picks) with a
 * filter over the community's members and a checkbox each; 1 to MAX_CONVERSATION_MEMBERS − 1
 * picks start a conversation (a name only for a group).
 */
function NewMessage({ people, meId, error }: { people: PickablePerson[]; meId: string; error: Parameters<typeof FormError>[0]["errors"] }) {
  const { t } = useTranslation();
  const [picked, toggle] = usePicked();
  const { filter, setFilter, people: found, searching } = useMemberSearch(people, new Set([meId]));
  // who is picked stays in the list (and in the form) whatever the filter shows now
  const shown = [...picked.values(), ...found.filter((p) => !picked.has(p.id))];
  const max = MAX_CONVERSATION_MEMBERS - 1;
  return (
    <details
      className="group relative"
      open={Boolean(error)}
      // opened: the search box has focus, so typing a name comes first
      onToggle={(e) => e.currentTarget.open && e.currentTarget.querySelector<HTMLInputElement>('input[name="filter"]')?.focus()}
    >
      <summary className={cx("inline-flex cursor-pointer list-none items-center rounded-lg bg-brand-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-brand-700 [&::-webkit-details-marker]:hidden", focusRing)}>
        {t("dm.new")}
      </summary>
      <div role="dialog" aria-label={t("dm.newLabel")} className="absolute right-0 z-20 mt-2 w-[min(22rem,calc(100vw-2rem))] rounded-2xl border border-slate-200 bg-white p-4 shadow-lg max-sm:fixed max-sm:inset-x-4 max-sm:w-auto">
        <Form method="post" className="space-y-3">
          <FormError errors={error} />
          <Field label={t("dm.search")} name="filter" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} autoComplete="off" />
          <fieldset>
            <legend className="text-sm font-medium text-slate-900">{t("dm.pick", { max })}</legend>
            <ul className="mt-2 max-h-60 space-y-1 overflow-y-auto">
              {shown.map((p) => (
                <li key={p.id}>
                  <label className="flex items-center gap-2 rounded-md px-2 py-1.5 text-sm hover:bg-slate-50">
                    <input
                      type="checkbox"
                      name="memberIds"
                      value={p.id}
                      checked={picked.has(p.id)}
                      disabled={!picked.has(p.id) && picked.size >= max}
                      onChange={(e) => toggle(p, e.currentTarget.checked)}
                      className="size-4 rounded border-slate-300"
                    />
                    <Name>{p.name}</Name>
                  </label>
                </li>
              ))}
              {shown.length === 0 ? <li className="px-2 py-1.5 text-sm text-slate-600">{searching ? t("picker.searching") : t("dm.nobody")}</li> : null}
            </ul>
          </fieldset>
          {picked.size > 1 ? <Field label={t("dm.groupName")} name="name" maxLength={80} /> : null}
          <SubmitButton intent="dmStart" disabled={picked.size === 0}>
            {t("dm.start")}
          </SubmitButton>
        </Form>
      </div>
    </details>
  );
}
