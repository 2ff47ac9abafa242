// The chat fan-out benchmark's platform floor (bench/chat-fanout.mjs, system "bare DO"): one
// Durable Object on the hibernation API that broadcasts every `send` frame to every socket —
// no storage, no auth, no parsing beyond JSON — under the same `wrangler dev` as the app.
import { DurableObject } from "cloudflare:workers";

type BareEnv = { BARE_CHANNEL: DurableObjectNamespace<BareChannel>; STORED_CHANNEL: DurableObjectNamespace<StoredChannel> };

/** Broadcasts `{type:"send", clientId, body}` as `{type:"messages", messages:[{rev, clientId, body}]}`, serialised once. */
export class BareChannel extends DurableObject<BareEnv> {
  private rev = 0;

  async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return new Response("Expected a WebSocket upgrade.", { status: 426 });
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  async webSocketMessage(_ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (typeof message !== "string") return;
    let frame: { type?: unknown; clientId?: unknown; body?: unknown };
    try {
      frame = JSON.parse(message);
    } catch {
      return;
    }
    if (frame.type !== "send") return; // "seen" and anything else: nothing to do
    const rev = ++this.rev;
    this.store(rev, String(frame.body));
    const text = JSON.stringify({ type: "messages", messages: [{ rev, clientId: frame.clientId, body: frame.body }] });
    for (const socket of this.ctx.getWebSockets()) {
      try {
        socket.send(text);
      } catch {
        /* closing */
      }
    }
  }

  /** Nothing here: the floor without storage. */
  protected store(_rev: number, _body: string): void {}

  async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      /* already closed */
    }
  }
}

/**
 * The same broadcast after one SQLite insert per message (system "stored" in bench/chat-fanout.mjs):
 * the platform's floor for "acknowledged means stored" — the write, and the output gate that holds
 * the broadcast until the write is durable.
 */
export class StoredChannel extends BareChannel {
  constructor(ctx: DurableObjectState, env: BareEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS messages (rev INTEGER PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL)");
  }

  protected override store(rev: number, body: string): void {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO messages (rev, body, created_at) VALUES (?, ?, ?)", rev, body, Date.now());
  }
}

export default {
  async fetch(request: Request, env: BareEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/socket") return env.BARE_CHANNEL.getByName("bench").fetch(request);
    if (url.pathname === "/socket-stored") return env.STORED_CHANNEL.getByName("bench").fetch(request);
    return new Response("ok");
  },
} satisfies ExportedHandler<BareEnv>;
