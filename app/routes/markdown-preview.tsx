// The composer's Preview tab posts the draft here and shows the answer: the same renderer and
// sanitiser the API uses for posts and comments, so the preview matches what will be published.
import { data } from "react-router";
import { textField } from "../lib/forms.server";
import type { Route } from "./+types/markdown-preview";
import { renderMarkdown } from "../../workers/lib/markdown";
import { cloudflareContext } from "../context";

const MAX_PREVIEW_CHARS = 40_000;

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  if (!cf.user) throw data({ html: "" }, { status: 401 });
  const form = await request.formData();
  const body = textField(form, "body").slice(0, MAX_PREVIEW_CHARS);
  return { html: renderMarkdown(body) };
}

export function loader() {
  throw data(null, { status: 405 });
}
