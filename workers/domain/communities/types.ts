import type { Role } from "../../db/schema";
import type { CommunityAccess, Membership } from "../access";

/** The caller's view of a community they are an active member of (what requireMember returns). */
export type ActiveAccess = CommunityAccess & { membership: Membership; role: Role };

/** Keyset position: a time in epoch ms and an id that breaks ties. */
export type PageKey = [number, string];
export type PageRequest = { limit: number; after?: PageKey };
/** `next` is the key of the last item when more follow; the API turns it into an opaque cursor. */
export type Page<T> = { items: T[]; next: PageKey | null };
