// The benchmark's baseline: a Worker that runs only the feed SQL and the search SQL against the
// same persisted D1 databases as the app — no session, no access checks, no views. The app's
// latency is reported as a ratio to this.
import { plan, searchTerms } from "../workers/domain/search/plan";
import { FEED_SQL, SEARCH_LIMIT } from "./queries";

type BenchEnv = { DB: D1Database; SEARCH: D1Database };

export default {
  async fetch(request: Request, env: BenchEnv): Promise<Response> {
    const url = new URL(request.url);
    const p = url.searchParams;
    if (url.pathname === "/feed") {
      const { results } = await env.DB.prepare(FEED_SQL)
        .bind(p.get("space") ?? "", p.get("user") ?? "", Number(p.get("before") ?? Number.MAX_SAFE_INTEGER), Number(p.get("limit") ?? 21))
        .all();
      return Response.json({ items: results.length });
    }
    if (url.pathname === "/search") {
      // the readable spaces when the app filters by them (query.ts planFor); none for a reader of every space
      const spaces = p.get("spaces");
      const query = plan(p.get("community") ?? "", searchTerms(p.get("q") ?? ""), spaces ? spaces.split(",") : null);
      const { results } = await env.SEARCH.prepare(query.sql)
        .bind(...query.params, SEARCH_LIMIT, 0)
        .all();
      return Response.json({ items: results.length });
    }
    return new Response("ok");
  },
} satisfies ExportedHandler<BenchEnv>;
