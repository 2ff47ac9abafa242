// After DELETE /me, nothing the API answers — to the owner, to other members, or to anyone —
// carries the erased person's email or name.
import { describe, expect, it } from "vitest";
import { call, createUser, PASSWORD, unique } from "../helpers";
import { makeCommunity } from "../community-fixtures";

describe("account erasure is complete", () => {
  it("leaves no email or name of the erased member in any API answer", async () => {
    const community = await makeCommunity({ visibility: "private" });
    const owner = community.owner;
    const name = unique("Erasable Person ");
    const member = await createUser({ name, email: `${unique("erase-me")}@example.com` });

    const invite = await call(`/api/v1/communities/${community.slug}/invites`, { as: owner, body: { source: "instagram", tier: "member" } });
    expect(invite.status).toBe(201);
    expect((await call(`/api/v1/invites/${invite.body.code}/accept`, { as: member, method: "POST" })).status).toBe(200);
    await call(`/api/v1/me/consents`, {
      as: member,
      method: "PUT",
      body: { items: [{ community: community.slug, purpose: "marketing_email", granted: true }] },
    });
    // an admin action that names the member, so the audit log has something to scrub
    expect((await call(`/api/v1/communities/${community.slug}/members/${member.id}`, { as: owner, method: "PATCH", body: { role: "moderator" } })).status).toBe(200);

    const before = await call(`/api/v1/communities/${community.slug}/export`, { as: owner });
    expect(JSON.stringify(before.body)).toContain(member.email);

    const erased = await call("/api/v1/me", { as: member, method: "DELETE", body: { password: PASSWORD } });
    expect(erased.status).toBe(204);

    const answers = await Promise.all([
      call(`/api/v1/communities/${community.slug}/export`, { as: owner }),
      call(`/api/v1/communities/${community.slug}/export`, { as: owner, headers: { Accept: "text/csv" } }),
      call(`/api/v1/communities/${community.slug}/members`, { as: owner }),
      call(`/api/v1/communities/${community.slug}/audit-log?limit=100`, { as: owner }),
      call(`/api/v1/communities/${community.slug}/invites`, { as: owner }),
      call(`/api/v1/communities/${community.slug}`, { as: owner }),
      call(`/api/v1/me/export`, { as: owner }),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
      expect(text).not.toContain(member.email);
      expect(text).not.toContain(name);
    }

    expect((await call("/api/v1/me", { as: member })).status).toBe(401);
    const login = await call("/api/v1/auth/login", { body: { email: member.email, password: PASSWORD }, headers: { "CF-Connecting-IP": "203.0.113.9" } });
    expect(login.status).toBe(401);
  });
});
