// The DM pages on the server (issue 13): the form intents the inbox, a conversation and the member
// list share, each calling the use case its API route calls (ADR 022, 023), with the request's reader.
import type { CloudflareContext } from "../context";
import { attempt, inCommunity, type Outcome } from "./use-case.server";
import { field, textField, textFields } from "./forms.server";
import { openMembership } from "../../workers/domain/access";
import { createConversation, leaveConversation, openConversation, renameConversation, type ConversationView } from "../../workers/domain/chat/conversations";
import { blockMember, setDmPolicy, unblockMember } from "../../workers/domain/chat/blocks";
import { postMessage } from "../../workers/domain/chat/channels";
import { BlockBody, CreateConversationBody, DmSettingsSchema, RenameConversationBody, SendMessageBody } from "../../workers/domain/schemas/chat";
import { parseInput } from "../../workers/lib/validation";

/**
 * Runs the DM intent `intent` of a page in `/c/:slug` with `form`: dmStart (memberIds[], name —
 * POST /communities/:slug/conversations), dmBlock / dmUnblock (userId), dmPolicy (policy — PUT
 * dm-settings), and in a conversation (`conversationId`) dmRename (name), dmLeave and chatSend
 * (body, without JavaScript). Null for any other intent. Refusals are the API's: 400, 403
 * dm_not_allowed, 404 for a conversation the caller is not in or of another community, 409 for
 * leaving a 1:1.
 */
export async function dmAction(cf: CloudflareContext, slug: string, intent: string, form: FormData, conversationId?: string): Promise<Outcome<{ conversation?: ConversationView }> | null> {
  const { env, reader } = cf;
  const conversation = async () => inCommunity(await openConversation(env, conversationId ?? "", reader), slug);
  switch (intent) {
    case "dmStart":
      return attempt(async () => {
        const input = parseInput(CreateConversationBody, { memberIds: textFields(form, "memberIds"), name: textField(form, "name") || null });
        return { conversation: (await createConversation(env, await openMembership(env, slug, reader), input)).conversation };
      });
    case "dmBlock":
      return attempt(async () => (await blockMember(env, await openMembership(env, slug, reader), parseInput(BlockBody, { userId: field(form, "userId") }).userId), {}));
    case "dmUnblock":
      return attempt(async () => (await unblockMember(env, await openMembership(env, slug, reader), parseInput(BlockBody, { userId: field(form, "userId") }).userId), {}));
    case "dmPolicy":
      return attempt(async () => (await setDmPolicy(env, await openMembership(env, slug, reader), parseInput(DmSettingsSchema, { policy: field(form, "policy") }).policy), {}));
    case "dmRename":
      return attempt(async () => ({ conversation: await renameConversation(env, await conversation(), parseInput(RenameConversationBody, { name: textField(form, "name") || null }).name ?? null) }));
    case "dmLeave":
      return attempt(async () => (await leaveConversation(env, await conversation()), {}));
    case "chatSend":
      return attempt(async () => {
        const input = parseInput(SendMessageBody, { body: textField(form, "body") });
        await postMessage(env, await conversation(), { clientId: null, body: input.body, replyTo: null, imageIds: [], mentionIds: [] });
        return {};
      });
    default:
      return null;
  }
}
