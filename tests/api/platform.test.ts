import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("the API surface", () => {
  it("answers health and publishes an OpenAPI 3.1 document", async () => {
    const health = await SELF.fetch("http://localhost/api/v1/health");
    expect(health.status).toBe(200);
    const doc = await (await SELF.fetch("http://localhost/api/v1/openapi.json")).json<{ openapi: string; paths: object }>();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/api/v1/health");
  });

  it("answers an unknown API route with the error envelope, not HTML", async () => {
    const res = await SELF.fetch("http://localhost/api/v1/no-such-thing");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "not_found", message: expect.any(String) } });
  });

  it("refuses a state-changing request from a foreign Origin", async () => {
    const res = await SELF.fetch("http://localhost/api/v1/health", {
      method: "POST",
      headers: { Origin: "https://evil.example", "Content-Type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(403);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("forbidden");
  });

  it("refuses a body that is not JSON with 415", async () => {
    const res = await SELF.fetch("http://localhost/api/v1/health", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "hello",
    });
    expect(res.status).toBe(415);
  });

  it("sends security headers on every response", async () => {
    const res = await SELF.fetch("http://localhost/api/v1/health");
    expect(res.headers.get("Content-Security-Policy")).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get("Content-Security-Policy")).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("Referrer-Policy")).toBeTruthy();
  });

  it("lets nothing in an API response run or load: default-src 'none', no nonce", async () => {
    const res = await SELF.fetch("http://localhost/api/v1/health");
    expect(res.headers.get("Content-Security-Policy")).toMatch(/^default-src 'none';/);
    expect(res.headers.get("Content-Security-Policy")).not.toMatch(/nonce-/);
  });
});
