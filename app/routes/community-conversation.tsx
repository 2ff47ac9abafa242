// One DM conversation (issue 13): the chat view a chat space uses, over the conversation's API base
// (chat-state.ts chatChannel), its history rendered on the server; the header names its members,
// and a group can be renamed or left. A conversation the caller is not in is "no such page".
import { useTranslation } from "react-i18next";
import { Form, Link, redirect, useActionData } from "react-router";
import type { Route } from "./+types/community-conversation";
import { CommunityHeader } from "../components/community-header";
import { ChatChannelView } from "../components/chat";
import { FormError, SubmitButton } from "../components/form-bits";
import { Name } from "../components/name";
import { OnlineDot } from "../components/online-dot";
import { Avatar, Container, Field, cx, focusRing } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { openCommunityPage } from "../lib/community.server";
import { CHAT_AROUND, CHAT_FIRST_PAGE, linkedSeq } from "../lib/chat.server";
import { dmAction } from "../lib/dm.server";
import type { HistoryPage } from "../lib/chat-state";
import { fail, field, requireSignedIn, unknownIntent } from "../lib/forms.server";
import { inCommunity, pageRead } from "../lib/use-case.server";
import { usePresence } from "../lib/presence-socket";
import { listMessages, listMessagesAround } from "../../workers/domain/chat/channels";
import { conversationView, openConversation } from "../../workers/domain/chat/conversations";
import { conversationTitle } from "./community-messages";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const me = requireSignedIn(cf, request);
  const seq = linkedSeq(new URL(request.url));
  // the conversation's own check (an active participant and member) beside the community's header
  const [{ answer }, { access, history }] = await Promise.all([
    openCommunityPage(cf, params.slug),
    pageRead(async () => {
      const access = inCommunity(await openConversation(cf.env, params.conversationId, cf.reader), params.slug);
      const history: HistoryPage =
        seq === null
          ? await listMessages(cf.env, access, { limit: CHAT_FIRST_PAGE })
          : { ...(await listMessagesAround(cf.env, access, seq, { before: CHAT_AROUND, after: CHAT_AROUND })), focusSeq: seq };
      return { access, history };
    }),
  ]);
  return {
    ...answer,
    meId: me.id,
    locale: findLocale(request, cf.user),
    conversation: conversationView(access.conversation, access.members),
    history,
    // no one else left in it (they left the community, were removed, banned or erased): read only
    alone: access.members.every((p) => p.id === me.id),
    chatViewer: { userId: me.id, name: access.identity.userName, canWrite: access.members.some((p) => p.id !== me.id), canModerate: false, notifyLevel: null },
  };
}

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  const intent = field(form, "intent");
  const result = await dmAction(cf, params.slug, intent, form, params.conversationId);
  if (!result) return unknownIntent();
  if (!result.ok) return fail(result, { intent });
  if (intent === "dmLeave") return redirect(`/c/${params.slug}/messages`);
  return { ok: true as const, intent };
}

export default function CommunityConversation({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const { community, viewer, conversation, meId, history, chatViewer, alone } = loaderData;
  const failed = (intent: string) => (actionData && "errors" in actionData && actionData.values?.intent === intent ? actionData.errors : null);
  const presence = usePresence(community.slug, viewer !== null);
  const title = conversationTitle(conversation, meId, t("dm.nobodyLeft"));
  const group = conversation.kind === "group";
  return (
    <>
      <title>{title + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container className="space-y-4">
        <Link to={`/c/${community.slug}/messages`} className={cx("text-sm font-semibold text-brand-700", focusRing)}>
          {t("dm.back")}
        </Link>
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div className="min-w-0">
            <h2 className="truncate text-xl font-bold text-slate-900" data-testid="dm-title">
              <Name>{title}</Name>
            </h2>
            <ul className="mt-2 flex flex-wrap gap-2" aria-label={t("dm.members")}>
              {conversation.members.map((m) => (
                <li key={m.id} className="flex items-center gap-1.5 rounded-full bg-slate-100 py-0.5 pl-0.5 pr-2.5 text-xs text-slate-700">
                  <span className="relative">
                    <Avatar name={m.name} size="sm" />
                    <OnlineDot online={presence.online.has(m.id)} />
                  </span>
                  <Name>{m.name}</Name>
                </li>
              ))}
            </ul>
          </div>
          {group ? (
            <details className="group relative">
              <summary className={cx("cursor-pointer list-none rounded-md text-sm font-semibold text-brand-700 [&::-webkit-details-marker]:hidden", focusRing)}>{t("dm.manage")}</summary>
              <div className="absolute right-0 z-20 mt-2 w-[min(20rem,calc(100vw-2rem))] space-y-4 rounded-2xl border border-slate-200 bg-white p-4 shadow-lg">
                <Form method="post" className="space-y-2">
                  <FormError errors={failed("dmRename")} />
                  <Field label={t("dm.groupName")} name="name" defaultValue={conversation.name ?? ""} maxLength={80} />
                  <SubmitButton intent="dmRename" variant="secondary" size="sm">
                    {t("dm.rename")}
                  </SubmitButton>
                </Form>
                <Form method="post">
                  <FormError errors={failed("dmLeave")} />
                  <SubmitButton intent="dmLeave" variant="danger" size="sm">
                    {t("dm.leave")}
                  </SubmitButton>
                </Form>
              </div>
            </details>
          ) : null}
        </div>
        {/* keyed: another conversation, or a link to another message, starts from that history */}
        {alone ? (
          <p className="mb-3 rounded-lg bg-slate-100 px-4 py-3 text-sm text-slate-700" data-testid="dm-alone">
            {t("dm.nobodyLeftNote")}
          </p>
        ) : null}
        <ChatChannelView key={`${conversation.id}:${history.focusSeq ?? ""}`} spaceId={conversation.id} spaceName={title} history={history} viewer={chatViewer} />
      </Container>
    </>
  );
}
