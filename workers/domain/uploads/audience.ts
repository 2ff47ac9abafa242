// Who an upload is for (API.md "uploads"): given at upload as a space or a DM conversation, or
// nobody in particular (avatars, community images: public). The audience is decided once, when
// the file is stored, and read from the uploads row on every fetch — never from the post or
// message the URL was pasted into — so an image from a VIP space stays for VIP readers wherever
// its URL travels.
import { DomainError } from "../../lib/errors";
import type { Reader } from "../auth/reader";
import { openSpace } from "../discussions/access";
import { openConversation } from "../chat/conversations";

/** `spaceId` or `conversationId` as given at upload; null for a public upload. */
export type UploadAudience = { spaceId: string } | { conversationId: string } | null;

/**
 * Refuses to tie an upload to a place the uploader cannot read now, with the answer a read of
 * that place would give: 404 not_found for a space they may not know of (or any conversation
 * they are not in), 403 tier_required for a space above their tier (discussions/access.ts).
 */
export async function requireAudienceReadable(env: Env, reader: Reader, audience: UploadAudience): Promise<void> {
  if (!audience) return;
  if ("spaceId" in audience) {
    await openSpace(env, audience.spaceId, reader, "read");
    return;
  }
  // an active participant who is an active member of its community (chat/conversations.ts), else 404
  await openConversation(env, audience.conversationId, reader);
}

/**
 * Whether `reader` may fetch an upload stored for `audience` now: always for a public one; for a
 * space, exactly when they may read the space (removed, banned, below its tier, not listed in a
 * private space, signed out where sign-in is needed: no); for a conversation, when they take part.
 */
export async function mayFetchUpload(env: Env, reader: Reader, audience: UploadAudience): Promise<boolean> {
  try {
    await requireAudienceReadable(env, reader, audience);
    return true;
  } catch (err) {
    // every refusal is the same "no" here: a 403 would tell a stranger the image exists
    if (err instanceof DomainError) return false;
    throw err;
  }
}

/** The audience as the uploads row stores it (space_id, conversation_id). */
export function audienceOf(row: { spaceId: string | null; conversationId: string | null }): UploadAudience {
  if (row.spaceId) return { spaceId: row.spaceId };
  if (row.conversationId) return { conversationId: row.conversationId };
  return null;
}
