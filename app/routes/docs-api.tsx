// A readable API reference, rendered on the server from /api/v1/openapi.json (no CDN scripts).
import { useTranslation } from "react-i18next";
import type { Route } from "./+types/docs-api";
import { Badge, Container, PageHeader, cx, focusRing } from "../components/ui";
import { openApiDocument } from "../../workers/api";

type Schema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
};
type Parameter = { name: string; in: string; required?: boolean; description?: string; schema?: Schema };
type Operation = {
  tags?: string[];
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string }>;
};
type OpenApi = { info?: { title?: string; version?: string; description?: string }; paths?: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } };

type Field = { name: string; type: string; required: boolean; description: string };
type Op = { id: string; method: string; path: string; summary: string; description: string; params: Field[]; bodyType: string | null; body: Field[]; responses: Array<{ status: string; description: string }> };

const methods = ["get", "post", "put", "patch", "delete"];

function resolve(doc: OpenApi, schema: Schema | undefined, depth = 0): Schema {
  if (!schema || depth > 5) return {};
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop() ?? "";
    return resolve(doc, doc.components?.schemas?.[name], depth + 1);
  }
  if (schema.allOf) {
    const merged: Schema = { type: "object", properties: {}, required: [] };
    for (const part of schema.allOf) {
      const r = resolve(doc, part, depth + 1);
      Object.assign(merged.properties!, r.properties ?? {});
      merged.required!.push(...(r.required ?? []));
    }
    return merged;
  }
  return schema;
}

function typeName(doc: OpenApi, raw: Schema | undefined, depth = 0): string {
  if (!raw) return "any";
  const refName = raw.$ref?.split("/").pop();
  const schema = resolve(doc, raw);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants && depth < 3) return variants.map((v) => typeName(doc, v, depth + 1)).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type;
  if (type === "array") return `${typeName(doc, schema.items, depth + 1)}[]`;
  if (type === "object" && refName) return refName;
  return [type ?? refName ?? "any", schema.format ? `(${schema.format})` : ""].filter(Boolean).join(" ");
}

function fieldsOf(doc: OpenApi, raw: Schema | undefined): Field[] {
  const schema = resolve(doc, raw);
  if (!schema.properties) return [];
  return Object.entries(schema.properties).map(([name, prop]) => ({
    name,
    type: typeName(doc, prop),
    required: (schema.required ?? []).includes(name),
    description: resolve(doc, prop).description ?? prop.description ?? "",
  }));
}

export async function loader(_: Route.LoaderArgs) {
  // the document as GET /api/v1/openapi.json serves it (JSON's round trip drops what JSON cannot say)
  const doc = JSON.parse(JSON.stringify(openApiDocument())) as OpenApi;
  const groups = new Map<string, Op[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of methods) {
      const op = item[method];
      if (!op) continue;
      const body = op.requestBody?.content ? Object.entries(op.requestBody.content)[0] : undefined;
      const entry: Op = {
        id: `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, "-").replace(/-+$/, ""),
        method,
        path,
        summary: op.summary ?? "",
        description: op.description ?? "",
        params: (op.parameters ?? []).map((p) => ({
          name: p.name,
          type: `${p.in} · ${typeName(doc, p.schema)}`,
          required: Boolean(p.required),
          description: p.description ?? p.schema?.description ?? "",
        })),
        bodyType: body ? body[0] : null,
        body: body ? fieldsOf(doc, body[1].schema) : [],
        responses: Object.entries(op.responses ?? {}).map(([status, r]) => ({ status, description: r.description ?? "" })),
      };
      const tag = op.tags?.[0] ?? "other";
      groups.set(tag, [...(groups.get(tag) ?? []), entry]);
    }
  }
  return {
    title: doc.info?.title ?? "API",
    version: doc.info?.version ?? "",
    description: doc.info?.description ?? "",
    groups: [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([tag, ops]) => ({ tag, ops })),
  };
}

const methodTone: Record<string, string> = {
  get: "bg-sky-100 text-sky-900",
  post: "bg-emerald-100 text-emerald-900",
  put: "bg-amber-100 text-amber-900",
  patch: "bg-violet-100 text-violet-900",
  delete: "bg-red-100 text-red-900",
};

function FieldTable({ caption, fields }: { caption: string; fields: Field[] }) {
  const { t } = useTranslation();
  return (
    // on a phone the table scrolls sideways: a focusable, named region, so keyboards can scroll it too
    <div className={cx("mt-4 overflow-x-auto rounded", focusRing)} tabIndex={0} role="region" aria-label={caption}>
      <table className="w-full min-w-[28rem] table-fixed text-left text-sm">
        <caption className="mb-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">{caption}</caption>
        <thead className="border-b border-slate-200 text-xs text-slate-600">
          <tr>
            <th scope="col" className="w-[32%] py-1.5 pr-4 font-semibold">{t("docs.name")}</th>
            <th scope="col" className="w-[28%] py-1.5 pr-4 font-semibold">{t("docs.type")}</th>
            <th scope="col" className="py-1.5 font-semibold">{t("docs.descriptionCol")}</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {fields.map((f) => (
            <tr key={f.name} className="align-top">
              <td className="break-words py-2 pr-4 font-mono text-slate-900">
                {f.name}
                {f.required ? <span className="ml-1 text-xs font-sans font-semibold text-red-700">{t("docs.required")}</span> : null}
              </td>
              <td className="break-words py-2 pr-4 font-mono text-xs text-slate-700">{f.type}</td>
              <td className="py-2 text-slate-700">{f.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function ApiDocs({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const { groups } = loaderData;
  return (
    <Container>
      <title>{t("docs.title") + " · " + t("app.name")}</title>
      <PageHeader
        eyebrow={<Badge tone="brand">{t("docs.version", { version: loaderData.version })}</Badge>}
        title={t("docs.title")}
        description={t("docs.description")}
        actions={
          <a href="/api/v1/openapi.json" className={cx("rounded text-sm font-semibold text-brand-700 underline underline-offset-2", focusRing)}>
            {t("docs.rawSpec")}
          </a>
        }
      />
      <div className="grid gap-8 lg:grid-cols-[14rem_1fr]">
        <nav aria-label={t("docs.toc")} className="lg:sticky lg:top-24 lg:self-start">
          <ul className="flex flex-wrap gap-2 lg:flex-col lg:gap-1">
            {groups.map((g) => (
              <li key={g.tag}>
                <a href={`#tag-${g.tag}`} className={cx("block rounded-md px-2 py-1 text-sm font-medium text-slate-700 hover:bg-slate-100 hover:text-slate-900", focusRing)}>
                  {g.tag} <span className="text-slate-600">({g.ops.length})</span>
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="min-w-0 space-y-10">
          {groups.map((g) => (
            <section key={g.tag} id={`tag-${g.tag}`} aria-labelledby={`tag-${g.tag}-h`} className="scroll-mt-24">
              <h2 id={`tag-${g.tag}-h`} className="mb-4 text-lg font-bold capitalize text-slate-900">
                {g.tag}
              </h2>
              <div className="space-y-4">
                {g.ops.map((op) => (
                  <article key={op.id} id={op.id} className="scroll-mt-24 rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
                    <h3 className="flex flex-wrap items-center gap-3">
                      <span className={cx("rounded-md px-2 py-0.5 font-mono text-xs font-bold uppercase", methodTone[op.method])}>{op.method}</span>
                      <code className="break-all font-mono text-sm font-semibold text-slate-900">{op.path}</code>
                    </h3>
                    {op.summary ? <p className="mt-2 text-sm text-slate-700">{op.summary}</p> : null}
                    {op.description ? <p className="mt-1 text-sm text-slate-600">{op.description}</p> : null}
                    {op.params.length ? <FieldTable caption={t("docs.parameters")} fields={op.params} /> : null}
                    {op.bodyType ? (
                      op.body.length ? (
                        <FieldTable caption={t("docs.body", { type: op.bodyType })} fields={op.body} />
                      ) : (
                        <p className="mt-4 text-xs font-semibold uppercase tracking-wide text-slate-600">{t("docs.body", { type: op.bodyType })}</p>
                      )
                    ) : null}
                    {op.responses.length ? (
                      <div className="mt-4 flex flex-wrap gap-2">
                        <span className="sr-only">{t("docs.responses")}</span>
                        {op.responses.map((r) => (
                          <span key={r.status} title={r.description} className="rounded-md bg-slate-100 px-2 py-0.5 font-mono text-xs text-slate-800">
                            {r.status}
                          </span>
                        ))}
                      </div>
                    ) : null}
                  </article>
                ))}
              </div>
            </section>
          ))}
        </div>
      </div>
    </Container>
  );
}
