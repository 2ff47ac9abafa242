// The chat fan-out benchmark's Node floors (bench/chat-fanout.mjs), each in its own process so its
// CPU time is its own: `node bench/chat-floor-servers.mjs ws <port>` — a minimal broadcast server
// on the `ws` package; `... socketio <port>` — a Socket.IO room (what teams commonly pick).
// Both broadcast a `send` as one `messages` frame serialised once for every client, as the app does.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";
import { Server } from "socket.io";

const [kind, portText] = process.argv.slice(2);
const port = Number(portText);
let rev = 0;
const http = createServer((req, res) => res.end("ok"));

if (kind === "ws") {
  const wss = new WebSocketServer({ server: http, path: "/socket" });
  wss.on("connection", (socket) => {
    socket.on("message", (data) => {
      let frame;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (frame?.type !== "send") return;
      const text = JSON.stringify({ type: "messages", messages: [{ rev: ++rev, clientId: frame.clientId, body: frame.body }] });
      for (const client of wss.clients) if (client.readyState === 1) client.send(text);
    });
  });
} else if (kind === "socketio") {
  const io = new Server(http, { transports: ["websocket"], serveClient: false });
  io.on("connection", (socket) => {
    socket.join("chat");
    socket.on("send", (frame) => {
      if (!frame || typeof frame !== "object") return;
      io.to("chat").emit("messages", { messages: [{ rev: ++rev, clientId: frame.clientId, body: frame.body }] });
    });
  });
} else {
  console.error(`unknown server kind ${kind}: ws or socketio`);
  process.exit(2);
}
http.listen(port, "127.0.0.1", () => console.log(`${kind} listening on ${port}`));
