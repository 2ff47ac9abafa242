// Who is online in one community (ADR 033): one object per community (`presence:<communityId>`),
// holding the sockets every community page opens. Online = a socket open here now, or closed less
// than PRESENCE_GRACE_MS ago. Nothing is stored but revocations: open sockets (with their identity
// in the hibernation attachment) are the source, and the last-seen times of closed ones live in
// memory — an eviction forgets at most a minute of "recently left".
//
// It also carries the inbox push: after a channel's outbox forward, the channel object calls
// `inboxChanged`, and the members concerned get `{type:"inbox", channelId}` to re-read their counts.
import { DurableObject } from "cloudflare:workers";
import { answerClose } from "./sockets";
import { CloseCode, IdentityHeader, PING, PONG, type PresenceServerFrame } from "./protocol";
import { channelReadersAmong } from "../workers/domain/chat/inbox";
import type { Role } from "../workers/db/schema";

/** How long a member counts as online after their last socket here closed (ms): the 60 s. */
export const PRESENCE_GRACE_MS = 60_000;
/** Sockets one member may hold open here (tabs, devices). */
const MAX_SOCKETS_PER_MEMBER = 20;
/** Ids one onlineAmong call answers for at most (a member list page is 100 at most). */
const MAX_ASKED = 500;

/** Who a presence socket is, as the Worker established it (cookie, Origin, membership). */
type PresenceIdentity = { userId: string; userName: string; role: Role | null; epoch: number; communityId: string; session?: string };

export class CommunityPresence extends DurableObject<Env> {
  /** the clock (ms); a test sets it to move past the grace period without waiting */
  now: () => number = Date.now;
  /** members whose last socket closed, with when (ms) */
  private readonly lastSeen = new Map<string, number>();
  /** presence changes waiting for the zero timer that sends them together */
  private pending = new Map<string, boolean>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS revocations (user_id TEXT PRIMARY KEY, epoch INTEGER NOT NULL)`);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** The upgrade, forwarded by the Worker with identity headers it set itself. */
  async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return new Response("Expected a WebSocket upgrade.", { status: 426 });
    const identity = presenceIdentity(request.headers);
    if (!identity) return new Response("Missing identity.", { status: 400 });
    if (this.revokedEpoch(identity.userId) > identity.epoch || (identity.session && this.revokedEpoch(`session:${identity.session}`) >= 0)) {
      return new Response("No such community.", { status: 404 });
    }
    if (this.ctx.getWebSockets(`user:${identity.userId}`).length >= MAX_SOCKETS_PER_MEMBER) {
      return Response.json({ error: { code: "rate_limited", message: `At most ${MAX_SOCKETS_PER_MEMBER} open connections.` } }, { status: 429, headers: { "Retry-After": "10" } });
    }
    const wasOnline = this.isOnline(identity.userId);
    const pair = new WebSocketPair();
    const server = pair[1];
    this.ctx.acceptWebSocket(server, identity.session ? [`user:${identity.userId}`, `session:${identity.session}`] : [`user:${identity.userId}`]);
    server.serializeAttachment(identity);
    this.lastSeen.delete(identity.userId);
    send(server, { type: "online", userIds: this.onlineNow() });
    if (!wasOnline) this.queue(identity.userId, true);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  async webSocketMessage(): Promise<void> {
    // the page sends nothing but the keep-alive, which the runtime answers without waking us
  }

  async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.left(ws);
    answerClose(ws, code, reason);
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    this.left(ws);
  }

  /** The alarm: members whose grace ran out go offline. */
  async alarm(): Promise<void> {
    this.expire();
  }

  // ---- calls from the Worker and the channel objects (RPC) ----------------------------------------

  /** Which of `userIds` are online now (at most MAX_ASKED looked at): the member list's dots. */
  async onlineAmong(userIds: string[]): Promise<string[]> {
    this.expire();
    return userIds.slice(0, MAX_ASKED).filter((id) => this.isOnline(id));
  }

  /**
   * A channel's forward changed unread counts (ADR 033): `userIds` (their read position moved)
   * and, with `everyone`, every member here who may read the channel hear `{type:"inbox"}`.
   * D1: the access check of those online, only for `everyone`.
   */
  async inboxChanged(channelId: string, change: { userIds: string[]; everyone: boolean }): Promise<number> {
    const targets = new Set(change.userIds);
    if (change.everyone) {
      const here = new Map<string, string>();
      for (const ws of this.ctx.getWebSockets()) {
        const identity = ws.deserializeAttachment() as PresenceIdentity | null;
        if (identity) here.set(identity.userId, identity.communityId);
      }
      const communityId = here.values().next().value;
      if (communityId) for (const id of await channelReadersAmong(this.env, communityId, channelId, [...here.keys()])) targets.add(id);
    }
    const text = JSON.stringify({ type: "inbox", channelId } satisfies PresenceServerFrame);
    let told = 0;
    for (const userId of targets) {
      for (const ws of this.ctx.getWebSockets(`user:${userId}`)) {
        try {
          ws.send(text);
          told++;
        } catch {
          /* closing */
        }
      }
    }
    return told;
  }

  /**
   * Access changed at `epoch` (access-changes.ts, as for the chat objects): close the sockets of
   * `userId` (null: everyone's) authorised before it, refuse older upgrades from now on, and
   * count them offline at once. Idempotent; returns how many closed.
   */
  async revoke(userId: string | null, epoch: number): Promise<number> {
    this.ctx.storage.sql.exec(
      `INSERT INTO revocations (user_id, epoch) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET epoch = max(epoch, excluded.epoch)`,
      userId ?? "*",
      epoch,
    );
    let closed = 0;
    for (const ws of this.ctx.getWebSockets(userId ? `user:${userId}` : undefined)) {
      const identity = ws.deserializeAttachment() as PresenceIdentity | null;
      if (identity && identity.epoch < epoch) {
        closeSocket(ws, CloseCode.accessRevoked, "access_revoked");
        this.lastSeen.delete(identity.userId);
        closed++;
      }
    }
    if (userId && closed > 0 && !this.isOnline(userId)) this.queue(userId, false);
    return closed;
  }

  /** Sessions ended (sign-out, password reset): their sockets close and cannot come back. */
  async endSessions(sessions: string[]): Promise<number> {
    let closed = 0;
    for (const session of sessions) {
      this.ctx.storage.sql.exec(`INSERT INTO revocations (user_id, epoch) VALUES (?, 0) ON CONFLICT (user_id) DO NOTHING`, `session:${session}`);
      for (const ws of this.ctx.getWebSockets(`session:${session}`)) {
        closeSocket(ws, CloseCode.accessRevoked, "session_ended");
        closed++;
      }
    }
    return closed;
  }

  // ---- inside --------------------------------------------------------------------------------------

  private revokedEpoch(userId: string): number {
    const row = this.ctx.storage.sql.exec<{ epoch: number | null }>(`SELECT max(epoch) AS epoch FROM revocations WHERE user_id IN (?, '*')`, userId).toArray()[0];
    return row?.epoch ?? -1;
  }

  private openSockets(userId: string): number {
    return this.ctx.getWebSockets(`user:${userId}`).filter((ws) => ws.readyState === WebSocket.OPEN).length;
  }

  private isOnline(userId: string): boolean {
    if (this.openSockets(userId) > 0) return true;
    const seen = this.lastSeen.get(userId);
    return seen !== undefined && this.now() - seen < PRESENCE_GRACE_MS;
  }

  private onlineNow(): string[] {
    const ids = new Set<string>();
    for (const ws of this.ctx.getWebSockets()) {
      const identity = ws.deserializeAttachment() as PresenceIdentity | null;
      if (identity && ws.readyState === WebSocket.OPEN) ids.add(identity.userId);
    }
    const now = this.now();
    for (const [id, at] of this.lastSeen) if (now - at < PRESENCE_GRACE_MS) ids.add(id);
    return [...ids].sort();
  }

  /** A socket closed: its member's last one starts the grace period (an alarm ends it). */
  private left(ws: WebSocket): void {
    const identity = ws.deserializeAttachment() as PresenceIdentity | null;
    if (!identity || this.openSockets(identity.userId) > 0) return;
    this.lastSeen.set(identity.userId, this.now());
    void this.ctx.storage.setAlarm(Date.now() + PRESENCE_GRACE_MS);
  }

  /** Members whose grace ran out are offline now; an alarm waits for the next to run out. */
  private expire(): void {
    const now = this.now();
    let next = Infinity;
    for (const [id, at] of this.lastSeen) {
      if (this.openSockets(id) > 0) this.lastSeen.delete(id);
      else if (now - at >= PRESENCE_GRACE_MS) {
        this.lastSeen.delete(id);
        this.queue(id, false);
      } else next = Math.min(next, at + PRESENCE_GRACE_MS - now);
    }
    if (next !== Infinity) void this.ctx.storage.setAlarm(Date.now() + next);
  }

  /** Changes in one turn of the event loop go out together, each member's last one. */
  private queue(userId: string, online: boolean): void {
    this.pending.set(userId, online);
    if (this.flushTimer !== null) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      const changes = this.pending;
      this.pending = new Map();
      const texts = [...changes].map(([id, on]) => JSON.stringify({ type: "presence", userId: id, online: on } satisfies PresenceServerFrame));
      for (const ws of this.ctx.getWebSockets()) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        for (const text of texts) {
          try {
            ws.send(text);
          } catch {
            /* closing */
          }
        }
      }
    }, 0);
  }
}

function send(ws: WebSocket, frame: PresenceServerFrame): void {
  try {
    ws.send(JSON.stringify(frame));
  } catch {
    /* closed */
  }
}

function closeSocket(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    /* already closed */
  }
}

/** The identity the Worker put in the upgrade's headers (protocol.ts IdentityHeader), or null. */
function presenceIdentity(headers: Headers): PresenceIdentity | null {
  const userId = headers.get(IdentityHeader.userId);
  const userName = headers.get(IdentityHeader.userName);
  const role = headers.get(IdentityHeader.role) as Role | null;
  const epoch = Number(headers.get(IdentityHeader.epoch));
  const communityId = headers.get(IdentityHeader.communityId);
  if (!userId || userName === null || !role || !Number.isSafeInteger(epoch) || !communityId) return null;
  const session = headers.get(IdentityHeader.session);
  return { userId, userName: decodeURIComponent(userName), role, epoch, communityId, ...(session ? { session } : {}) };
}
