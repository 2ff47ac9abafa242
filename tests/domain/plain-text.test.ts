// The words the search index holds for a Markdown body: what the page shows, without the marks.
import { describe, expect, it } from "vitest";
import { plainText } from "../../workers/domain/search/plain-text";

describe("plainText for the search index", () => {
  it("drops single and run-together emphasis marks and HTML comments, so 蝌蚪 is one word again", () => {
    expect(plainText("這是*蝌*蚪")).toBe("這是蝌蚪");
    expect(plainText("這是***蝌***蚪")).toBe("這是蝌蚪");
    expect(plainText("蝌<!-- x -->蚪")).toBe("蝌蚪");
    expect(plainText("這是*付*費模式 and **bold** ~~gone~~ `code`")).toBe("這是付費模式 and bold gone code");
  });

  it("keeps an underscore inside a word (snake_case) and drops a stranger's mention token", () => {
    expect(plainText("call read_file now <@usr_stranger>")).toBe("call read_file now");
  });
});
