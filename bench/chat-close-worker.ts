// The close-timing measurement's Worker (bench/chat-close.mjs): the app's ChatChannel object, with
// identity headers set here from the query (a benchmark, never deployed), and `revoke` over RPC
// as the access module calls it. Nothing touches D1: opening a socket and revoking need none.
import { ChatChannel } from "../durable-objects/chat-channel";
import { IdentityHeader } from "../durable-objects/protocol";

export { ChatChannel };

type CloseEnv = { CHAT_CHANNEL: DurableObjectNamespace<ChatChannel> };

export default {
  async fetch(request: Request, env: CloseEnv): Promise<Response> {
    const url = new URL(request.url);
    const stub = env.CHAT_CHANNEL.getByName("close-timing");
    const user = url.searchParams.get("user") ?? "usr_close";
    if (url.pathname === "/revoke") return Response.json(await stub.revoke(user, Number(url.searchParams.get("epoch") ?? 1)));
    if (url.pathname !== "/socket") return new Response("ok");
    const headers = new Headers();
    for (const name of ["Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version"]) {
      const value = request.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    headers.set(IdentityHeader.userId, user);
    headers.set(IdentityHeader.userName, "Close Timing");
    headers.set(IdentityHeader.role, "member");
    headers.set(IdentityHeader.epoch, "0");
    headers.set(IdentityHeader.communityId, "com_closetiming");
    headers.set(IdentityHeader.channelId, "spc_closetiming");
    return stub.fetch(new Request("https://chat.internal/socket", { headers }));
  },
} satisfies ExportedHandler<CloseEnv>;
