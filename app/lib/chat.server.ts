// The chat space's page on the server: its newest history through the domain (one Reader, the
// guards the API uses), and the page actions that call the chat use cases (ADR 022, 023).
import { data } from "react-router";
import type { CloudflareContext } from "../context";
import type { ChatViewer } from "../components/chat";
import { attempt, inCommunity, type Outcome } from "./use-case.server";
import { textField } from "./forms.server";
import { configureChannel, listMessages, listMessagesAround, notifyLevelOf, openChannel, postMessage, setNotifyLevel } from "../../workers/domain/chat/channels";
import { ChannelSettingsBody, NotifyLevelBody, SendMessageBody } from "../../workers/domain/schemas/chat";
import { parseInput } from "../../workers/lib/validation";
import { hasRole } from "../../workers/domain/access";
import type { HistoryPage } from "./chat-state";

/** What a chat space's page renders from: its history (newest, or around one message) and the viewer's flags. */
export type ChatPage = { history: HistoryPage; viewer: ChatViewer };

/** Messages the page renders first; older ones load by seq from the browser. */
export const CHAT_FIRST_PAGE = 50;
/** Around a linked message (`?seq=`): this many before it and after it, so it stands mid-screen. */
export const CHAT_AROUND = 25;

/**
 * The `?seq=` of a link to one message (search hits, notifications: `?seq=N#msg-N`): null when
 * absent; a seq otherwise. Throws a 400 page for anything but a whole number from 1, as a
 * malformed `?cursor=` is (use-case.server.ts refuseBadCursor).
 */
export function linkedSeq(url: URL): number | null {
  const raw = url.searchParams.get("seq");
  if (raw === null) return null;
  if (!/^[1-9][0-9]{0,14}$/.test(raw)) throw data(null, { status: 400 });
  return Number(raw);
}

/**
 * The chat space `spaceId` as its page starts: the newest CHAT_FIRST_PAGE messages, or with
 * `seq` (a linked message) the CHAT_AROUND before and after it (the page loads older and newer
 * from there); and what the viewer may do there: read (anyone who may read the space), write (an
 * active member, so the page connects the socket), moderate (`content.moderate` from the
 * community's viewer.permissions). A refusal is an Outcome (openChannel's 401/403/404, 409 for a
 * space that is not a chat space).
 */
export function loadChat(cf: CloudflareContext, spaceId: string, permissions: readonly string[], seq: number | null = null): Promise<Outcome<ChatPage>> {
  return attempt(async () => {
    const access = await openChannel(cf.env, spaceId, cf.reader, "read");
    const member = Boolean(access.userId && hasRole(access.role, "member"));
    const [history, notifyLevel] = await Promise.all([
      seq === null
        ? listMessages(cf.env, access, { limit: CHAT_FIRST_PAGE })
        : listMessagesAround(cf.env, access, seq, { before: CHAT_AROUND, after: CHAT_AROUND }).then((w) => ({ ...w, focusSeq: seq })),
      member ? notifyLevelOf(cf.env, access.space.id, access.userId!) : null,
    ]);
    return {
      history,
      viewer: {
        userId: access.userId ?? "",
        name: access.identity.userName,
        canWrite: member,
        canModerate: permissions.includes("content.moderate"),
        notifyLevel,
      },
    };
  });
}

/**
 * The chat page's form intents, for a browser without JavaScript and the settings panel:
 * chatSend (POST /spaces/:id/messages), chatNotify (PUT .../chat/notifications), chatSlowMode
 * (PATCH .../chat). Null for any other intent.
 */
export async function chatAction(cf: CloudflareContext, slug: string, spaceId: string, intent: string, form: FormData): Promise<Outcome<unknown> | null> {
  const channel = async () => inCommunity(await openChannel(cf.env, spaceId, cf.reader, "write"), slug);
  switch (intent) {
    case "chatSend":
      return attempt(async () => {
        const input = parseInput(SendMessageBody, { body: textField(form, "body") });
        return postMessage(cf.env, await channel(), { clientId: null, body: input.body, replyTo: null, imageIds: [], mentionIds: [] });
      });
    case "chatNotify":
      return attempt(async () => setNotifyLevel(cf.env, await channel(), parseInput(NotifyLevelBody, { level: textField(form, "level") }).level));
    case "chatSlowMode":
      return attempt(async () => configureChannel(cf.env, await channel(), parseInput(ChannelSettingsBody, { slowModeSeconds: Number(textField(form, "slowModeSeconds")) })));
    default:
      return null;
  }
}
