import { it } from "vitest";
import { renderMarkdown, excerpt } from "../../workers/lib/markdown";
it("fn", () => { console.log(renderMarkdown("a[^1] and again[^1] b[^note]\n\n[^1]: note\n[^note]: second *x*\n\n- [ ] todo\n- [x] done\n\n[top](#intro) ~~gone~~ www.example.com <b>x</b>\n\n<div>block</div>\n\nafter")); console.log(excerpt("# Hello\n\nSome **bold** [link](https://x.example) <script>alert(1)</script> text ![alt](https://a/b.png)\n\n> q\n\n```\ncode\n```")); });
