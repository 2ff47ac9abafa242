// The composer's side of mentions: a stored body's `<@id>` tokens shown as `@Name` in the edit
// form and kept as picks, so that saving an edit mentions the same people (issue 9, part 1).
import { describe, expect, it } from "vitest";
import { DELETED_MEMBER_NAME } from "../../workers/lib/vocabulary";
import { MAX_PICKS, mentionIdsFor, mentionsForEditing, picksInText, readPicks, unreachableNames, withUnreachable } from "../../app/lib/mentions";

const admin = { id: "usr_admin", name: "Daniel Chen" };
const newcomer = { id: "usr_newcomer", name: "Daniel Chen" };

describe("mentionsForEditing", () => {
  it("shows a token as @Name and keeps whom it meant as a pick: the newcomer, not the admin of the same name", () => {
    const body = "<@usr_newcomer> could you review? cc <@usr_sofia>, and <@usr_newcomer> again";
    expect(mentionsForEditing(body, [newcomer, { id: "usr_sofia", name: "Sofia Rossi" }])).toEqual({
      text: "@Daniel Chen could you review? cc @Sofia Rossi, and @Daniel Chen again",
      picks: [newcomer, { id: "usr_sofia", name: "Sofia Rossi" }],
    });
  });

  it("leaves the tokens of two mentioned namesakes as written: \"@Daniel Chen\" twice could not come back apart", () => {
    const body = "<@usr_newcomer> and <@usr_admin>, with <@usr_sofia>";
    expect(mentionsForEditing(body, [newcomer, { ...admin, name: "daniel chen" }, { id: "usr_sofia", name: "Sofia Rossi" }])).toEqual({
      text: "<@usr_newcomer> and <@usr_admin>, with @Sofia Rossi",
      picks: [{ id: "usr_sofia", name: "Sofia Rossi" }],
    });
  });

  it("shows the member's current name, whatever name the body was written with", () => {
    expect(mentionsForEditing("Thanks <@usr_x>!", [{ id: "usr_x", name: "Sofia Rossi-Bianchi" }])).toEqual({
      text: "Thanks @Sofia Rossi-Bianchi!",
      picks: [{ id: "usr_x", name: "Sofia Rossi-Bianchi" }],
    });
  });

  it("leaves the token of an erased member, and of one the answer does not name, as written", () => {
    const body = "Thanks <@usr_gone> and <@usr_unknown>, and <@usr_empty>";
    expect(mentionsForEditing(body, [{ id: "usr_gone", name: DELETED_MEMBER_NAME }, { id: "usr_empty", name: "" }])).toEqual({ text: body, picks: [] });
  });

  it("changes nothing in a body without tokens, or with only look-alikes", () => {
    const body = "mail me at a@b.example, <@> and < @usr_x > are not tokens";
    expect(mentionsForEditing(body, [{ id: "usr_x", name: "X" }])).toEqual({ text: body, picks: [] });
    expect(mentionsForEditing("", undefined)).toEqual({ text: "", picks: [] });
  });
});

describe("picks in the form", () => {
  it("drops a pick whose @Name was deleted from the text: only the others are sent as mentionIds", () => {
    const sofia = { id: "usr_s", name: "Sofia Rossi" };
    expect(picksInText("hey @Daniel Chen", [admin, sofia])).toEqual([admin]);
    expect(picksInText("hey Sofia Rossi", [sofia])).toEqual([]);
    expect(mentionIdsFor("@Daniel Chen and @Sofia Rossi", [newcomer, sofia])).toEqual(["usr_newcomer", "usr_s"]);
  });

  it("reads the posted picks, ignoring malformed entries and duplicates, at most 50", () => {
    expect(readPicks(JSON.stringify([admin, { id: 3, name: "x" }, { id: "usr_admin", name: "Daniel Chen" }, "usr_y", null, { id: "", name: "E" }, newcomer]))).toEqual([admin, newcomer]);
    expect(readPicks("not json")).toEqual([]);
    expect(readPicks(JSON.stringify({ id: "usr_a", name: "A" }))).toEqual([]);
    expect(readPicks(null)).toEqual([]);
    const many = Array.from({ length: 60 }, (_, i) => ({ id: `usr_${i}`, name: `P ${i}` }));
    expect(readPicks(JSON.stringify(many))).toHaveLength(MAX_PICKS);
  });
});

describe("unreachable mentions after saving", () => {
  it("carries ids in the page's address, before its #fragment and beside its query", () => {
    const answer = { unreachableMentions: ["usr_s", "usr_h"] };
    expect(withUnreachable("/c/club/posts/pst_1?created=1", answer)).toBe("/c/club/posts/pst_1?created=1&unreachable=usr_s%2Cusr_h");
    expect(withUnreachable("/c/club/posts/pst_1#comment-cmt_1", answer)).toBe("/c/club/posts/pst_1?unreachable=usr_s%2Cusr_h#comment-cmt_1");
    expect(withUnreachable("/c/club/posts/pst_1#comment-cmt_1", { unreachableMentions: [] })).toBe("/c/club/posts/pst_1#comment-cmt_1");
    expect(withUnreachable("/c/club/posts/pst_1", {})).toBe("/c/club/posts/pst_1");
  });

  it("names only members the page's content mentions, with their current names", () => {
    const param = new URLSearchParams(withUnreachable("/p", { unreachableMentions: ["usr_s", "usr_h"] }).split("?")[1]).get("unreachable");
    expect(unreachableNames(param, [{ id: "usr_s", name: "Sofia Rossi" }, { id: "usr_h", name: "Hiro Tanaka" }])).toEqual(["Sofia Rossi", "Hiro Tanaka"]);
    // an id typed into the address bar that the post does not mention shows nothing
    expect(unreachableNames("usr_s,usr_forged", [{ id: "usr_s", name: "Sofia Rossi" }])).toEqual(["Sofia Rossi"]);
    expect(unreachableNames(null, [{ id: "usr_s", name: "Sofia Rossi" }])).toEqual([]);
  });
});
