// The filter every member picker shares: what the page rendered (the community's first members)
// until something is typed, then the server's answer for it (routes/community-member-search.tsx),
// so a member past the first page can be found too.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useFetcher, useParams } from "react-router";
import { Checkbox, Field } from "./ui";
import type { Role } from "../../workers/db/schema";

/** A member a picker can offer. */
export type PickablePerson = { id: string; name: string; role: Role };

const SEARCH_DEBOUNCE_MS = 200;

/**
 * `filter` and its setter for the picker's text field, and `people`: `initial` (filtered by the
 * typed text at once, so the list answers each key) merged with the server's matches for it once
 * they arrive; `except` ids are never offered (the caller, those already listed). `searching`
 * while an answer is on its way.
 */
export function useMemberSearch(initial: PickablePerson[], except: ReadonlySet<string> = new Set()) {
  const { slug } = useParams();
  const fetcher = useFetcher<{ q: string; people: PickablePerson[] }>();
  const [filter, setFilter] = useState("");
  const needle = filter.trim();
  const load = fetcher.load;
  useEffect(() => {
    if (!needle || !slug) return;
    const timer = setTimeout(() => load(`/c/${encodeURIComponent(slug)}/member-search?${new URLSearchParams({ q: needle })}`), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [needle, slug, load]);
  const lower = needle.toLocaleLowerCase();
  const local = needle ? initial.filter((p) => p.name.toLocaleLowerCase().split(/\s+/).some((word) => word.startsWith(lower)) || p.name.toLocaleLowerCase().startsWith(lower)) : initial;
  const remote = needle && fetcher.data?.q === needle ? fetcher.data.people : [];
  const seen = new Set<string>();
  const people = [...local, ...remote].filter((p) => !except.has(p.id) && !seen.has(p.id) && (seen.add(p.id), true));
  return { filter, setFilter, people, searching: Boolean(needle) && fetcher.data?.q !== needle };
}

/** Who is ticked in a picker (by id, in the order picked) and the toggle for one person. */
export function usePicked() {
  const [picked, setPicked] = useState<ReadonlyMap<string, PickablePerson>>(new Map());
  const toggle = (person: PickablePerson, on: boolean) =>
    setPicked((current) => {
      const next = new Map(current);
      if (on) next.set(person.id, person);
      else next.delete(person.id);
      return next;
    });
  return [picked, toggle] as const;
}

/**
 * Checkboxes over the community's members with a filter above them (searching every member, not
 * only the first page): those ticked stay listed and submitted as `name` whatever the filter shows.
 */
export function MemberChecklist({ name, initial, except, legend, filterLabel, nobody }: {
  name: string;
  initial: PickablePerson[];
  except?: ReadonlySet<string>;
  legend: string;
  filterLabel: string;
  nobody: string;
}) {
  const { t } = useTranslation();
  const [picked, toggle] = usePicked();
  const { filter, setFilter, people, searching } = useMemberSearch(initial, except);
  const shown = [...picked.values(), ...people.filter((p) => !picked.has(p.id))];
  return (
    <fieldset className="space-y-3">
      <legend className="mb-2 text-sm font-medium text-slate-800">{legend}</legend>
      <Field label={filterLabel} name={`${name}-filter`} value={filter} onChange={(e) => setFilter(e.currentTarget.value)} autoComplete="off" />
      <div className="grid max-h-56 gap-2 overflow-y-auto sm:grid-cols-2">
        {shown.map((person) => (
          <Checkbox key={person.id} name={name} value={person.id} label={person.name} checked={picked.has(person.id)} onChange={(e) => toggle(person, e.currentTarget.checked)} />
        ))}
        {shown.length === 0 ? <p className="text-sm text-slate-600">{searching ? t("picker.searching") : nobody}</p> : null}
      </div>
    </fieldset>
  );
}
