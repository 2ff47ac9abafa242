import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { csvCell } from "../../workers/lib/csv";
import { newId } from "../../workers/lib/ids";
import { addMember, db, expectError, makeCommunity, type TestCommunity } from "../community-fixtures";
import { call, createUser, type TestUser } from "../helpers";

const exportOf = (c: TestCommunity, as: TestUser | null, accept?: string) =>
  call(`/api/v1/communities/${c.slug}/export`, { as, headers: accept ? { Accept: accept } : {} });

async function consent(c: TestCommunity, user: TestUser, purpose: "essential" | "marketing_email" | "analytics" | "ai_personalization", granted: boolean, at: Date) {
  await db().insert(schema.consents).values({ id: newId("cns"), userId: user.id, communityId: c.id, purpose, granted, at });
}

/** RFC 4180 parser, enough to read back what the export wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") row.push(cell), (cell = "");
    else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell), rows.push(row), (row = []), (cell = ""), i++;
    } else cell += ch;
  }
  if (cell !== "" || row.length > 0) row.push(cell), rows.push(row);
  return rows;
}

describe("member export", () => {
  it("gives the owner each active member with the latest consent per purpose and the join source", async () => {
    const c = await makeCommunity();
    const fan = await addMember(c);
    await consent(c, fan, "marketing_email", true, new Date("2026-01-01T00:00:00Z"));
    await consent(c, fan, "marketing_email", false, new Date("2026-02-01T00:00:00Z"));
    await consent(c, fan, "analytics", true, new Date("2026-03-01T00:00:00Z"));
    await addMember(c, { status: "left" });

    const res = await exportOf(c, c.owner);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/application\/json/);
    expect(res.body.items).toHaveLength(2);
    const row = res.body.items.find((i: { user: { id: string } }) => i.user.id === fan.id);
    expect(row).toEqual({
      user: { id: fan.id, name: fan.name, email: fan.email },
      role: "member",
      tier: "free",
      paidTier: "free",
      compTier: null,
      joinedAt: expect.any(String),
      source: "direct",
      inviteCode: null,
      consents: {
        essential: null,
        marketing_email: { granted: false, at: "2026-02-01T00:00:00.000Z" },
        analytics: { granted: true, at: "2026-03-01T00:00:00.000Z" },
        ai_personalization: null,
      },
    });
    const ownerRow = res.body.items.find((i: { user: { id: string } }) => i.user.id === c.owner.id);
    expect(ownerRow.source).toBe("owner");
    expect(ownerRow.consents.essential).toEqual({ granted: true, at: expect.any(String) });
  });

  it("records the invite source and code of people who came by invite", async () => {
    const c = await makeCommunity();
    const invite = await call(`/api/v1/communities/${c.slug}/invites`, { as: c.owner, method: "POST", body: { source: "line" } });
    const u = await createUser();
    expect((await call(`/api/v1/invites/${invite.body.code}/accept`, { as: u, method: "POST" })).status).toBe(200);
    const res = await exportOf(c, c.owner);
    expect(res.body.items.find((i: { user: { id: string } }) => i.user.id === u.id)).toMatchObject({
      source: "line",
      inviteCode: invite.body.code,
      consents: { essential: { granted: true } },
    });
  });

  it("leaves erased people out entirely", async () => {
    const c = await makeCommunity();
    const erased = await addMember(c);
    await db().update(schema.users).set({ deletedAt: new Date(), email: null, name: "deleted member" }).where(eq(schema.users.id, erased.id));
    const res = await exportOf(c, c.owner);
    expect(res.body.items.map((i: { user: { id: string } }) => i.user.id)).toEqual([c.owner.id]);
    const csv = await exportOf(c, c.owner, "text/csv");
    expect(csv.body).not.toContain(erased.id);
  });

  it("writes CSV with quoting and neutralises spreadsheet formulas when asked for text/csv", async () => {
    const c = await makeCommunity();
    const tricky = await createUser({ name: 'Lee, "The Brewer"\nof Taipei' });
    await addMember(c, { user: tricky });
    const formula = await createUser({ name: "=HYPERLINK(\"http://evil\",\"x\")" });
    await addMember(c, { user: formula });
    const plus = await createUser({ name: "+886 fan" });
    await addMember(c, { user: plus });
    const at = await createUser({ name: "@handle" });
    await addMember(c, { user: at });
    const minus = await createUser({ name: "-minus" });
    await addMember(c, { user: minus });

    const res = await exportOf(c, c.owner, "text/csv");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/csv/);
    expect(res.headers.get("Content-Disposition")).toContain(`${c.slug}-members.csv`);
    const text: string = res.body;
    expect(text).toContain('"Lee, ""The Brewer""\nof Taipei"');

    const rows = parseCsv(text);
    const header = rows[0];
    expect(header).toEqual([
      "user_id", "name", "email", "role", "tier", "paid_tier", "comp_tier", "joined_at", "source", "invite_code",
      "essential", "essential_at", "marketing_email", "marketing_email_at", "analytics", "analytics_at",
      "ai_personalization", "ai_personalization_at",
    ]);
    const byId = new Map(rows.slice(1).map((r) => [r[0], r]));
    expect(rows.slice(1).every((r) => r.length === header.length)).toBe(true);
    expect(byId.get(tricky.id)?.[1]).toBe('Lee, "The Brewer"\nof Taipei');
    expect(byId.get(formula.id)?.[1]).toBe("'=HYPERLINK(\"http://evil\",\"x\")");
    expect(byId.get(plus.id)?.[1]).toBe("'+886 fan");
    expect(byId.get(at.id)?.[1]).toBe("'@handle");
    expect(byId.get(minus.id)?.[1]).toBe("'-minus");
    expect(byId.get(c.owner.id)?.slice(3, 5)).toEqual(["owner", "free"]);
    expect(byId.get(c.owner.id)?.[10]).toBe("granted");
  });

  it("quotes cells one by one as RFC 4180 says", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("line\r\nbreak")).toBe('"line\r\nbreak"');
    expect(csvCell("=1+1")).toBe("'=1+1");
    expect(csvCell("\t=cmd")).toBe("'\t=cmd");
    expect(csvCell(null)).toBe("");
  });

  it("is for the owner only: 401 signed out, 404 outsider, 403 admin", async () => {
    const c = await makeCommunity();
    expectError(await exportOf(c, null), 401, "unauthenticated");
    expectError(await exportOf(c, await createUser()), 404, "not_found");
    expectError(await exportOf(c, await addMember(c, { role: "admin" })), 403, "forbidden");
    expectError(await exportOf(c, await addMember(c, { role: "admin" }), "text/csv"), 403, "forbidden");
  });
});
