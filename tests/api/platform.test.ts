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

  it("answers a wrong method on an existing path with 405 and the methods it takes in Allow", async () => {
    const res = await SELF.fetch("http://localhost/api/v1/posts/pst_anything", {
      method: "POST",
      headers: { Origin: "http://localhost", "Content-Type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("DELETE, GET, HEAD, OPTIONS, PATCH");
    expect(await res.json()).toEqual({
      error: { code: "method_not_allowed", message: expect.any(String), allow: ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH"] },
    });

    const login = await SELF.fetch("http://localhost/api/v1/auth/login");
    expect(login.status).toBe(405);
    expect(login.headers.get("Allow")).toBe("OPTIONS, POST");

    // a path with a wildcard parameter, and one with a literal segment beside a parameter
    const upload = await SELF.fetch("http://localhost/api/v1/uploads/usr_1/a/b.png", { method: "DELETE", headers: { Origin: "http://localhost" } });
    expect(upload.status).toBe(405);
    expect(upload.headers.get("Allow")).toBe("GET, HEAD, OPTIONS");
  });

  it("answers OPTIONS on an existing path with 204 and Allow, and 404 where no route is", async () => {
    const res = await SELF.fetch("http://localhost/api/v1/communities/some-slug", { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("Allow")).toBe("DELETE, GET, HEAD, OPTIONS, PATCH");
    const missing = await SELF.fetch("http://localhost/api/v1/no-such-thing", { method: "PATCH", headers: { Origin: "http://localhost" } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("Allow")).toBeNull();
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
