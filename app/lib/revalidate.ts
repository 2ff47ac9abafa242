// After an action the API refused because the data moved under it (409: someone else acted first;
// 404: the thing is gone), the page's data is stale by definition. React Router skips revalidation
// after a 4xx action by default; pages whose actions can lose such a race export this instead, so
// the list shows what is true now beside the message that explains it.
import type { ShouldRevalidateFunctionArgs } from "react-router";

/** `shouldRevalidate` for pages whose actions can lose a race: reload after a 404 or 409 too. */
export function revalidateAfterRace({ actionStatus, defaultShouldRevalidate }: ShouldRevalidateFunctionArgs): boolean {
  return actionStatus === 404 || actionStatus === 409 ? true : defaultShouldRevalidate;
}
