// GET /api/v1/dev/outbox shows everyone's mail, so it answers only with DEV_MODE on AND to a
// request from this machine (issue 10 §4). Refused, it is a 404 like any route that does not
// exist, so it does not reveal itself. (The /dev/outbox page makes the same check, isDevMode in
// app/lib/forms.server.ts; the browser flow covers it.)
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createWorkerApp } from "../../workers/server";
import { env } from "../community-fixtures";

const outbox = (url: string, headers: Record<string, string> = {}) => SELF.fetch(url, { headers });

async function expectHidden(res: Response) {
  expect(res.status).toBe(404);
  const unknown = await SELF.fetch("http://localhost/api/v1/dev/no-such-route");
  expect(await res.json()).toEqual(await unknown.json());
}

describe("the dev outbox answers only to localhost", () => {
  it("answers a request to localhost, 127.0.0.1 or [::1], also when it names a loopback client address", async () => {
    for (const [url, headers] of [
      ["http://localhost/api/v1/dev/outbox", {}],
      ["http://127.0.0.1:8787/api/v1/dev/outbox", { "CF-Connecting-IP": "127.0.0.1" }],
      ["http://[::1]:8787/api/v1/dev/outbox", { "CF-Connecting-IP": "::1" }],
      ["http://localhost/api/v1/dev/outbox", { "X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": "localhost:8787" }],
    ] as const) {
      const res = await outbox(url, headers);
      expect(res.status, `${url} ${JSON.stringify(headers)}`).toBe(200);
      expect(await res.json()).toMatchObject({ items: expect.any(Array) });
    }
  });

  it("is a 404 for a request to any other host name, DEV_MODE or not", async () => {
    for (const host of ["enclave.example", "192.168.1.20:8787", "localhost.evil.example", "127.0.0.1.nip.io"]) {
      await expectHidden(await outbox(`http://${host}/api/v1/dev/outbox`));
    }
  });

  it("is a 404 on localhost when a forwarding header says the client or the host is elsewhere (a tunnel or proxy in front)", async () => {
    const forwarded: Array<Record<string, string>> = [
      { "CF-Connecting-IP": "203.0.113.9" },
      { "CF-Connecting-IP": "192.168.1.30" },
      { "X-Forwarded-Host": "dev.example.com" },
      { "X-Forwarded-For": "203.0.113.9, 127.0.0.1" },
      { "X-Real-IP": "203.0.113.9" },
      { Forwarded: "for=127.0.0.1;host=localhost" },
    ];
    for (const headers of forwarded) {
      const res = await outbox("http://localhost/api/v1/dev/outbox", headers);
      expect(res.status, JSON.stringify(headers)).toBe(404);
      await expectHidden(res);
    }
  });

  it("is a 404 on localhost when DEV_MODE is off", async () => {
    const res = await createWorkerApp().request("http://localhost/api/v1/dev/outbox", {}, { ...env, DEV_MODE: "false" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(await (await SELF.fetch("http://localhost/api/v1/dev/no-such-route")).json());
  });
});
