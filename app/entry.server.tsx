import { isbot } from "isbot";
import { renderToReadableStream } from "react-dom/server";
import type { EntryContext, RouterContextProvider } from "react-router";
import { ServerRouter } from "react-router";
import { cloudflareContext } from "./context";

export default async function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  routerContext: EntryContext,
  loadContext: RouterContextProvider,
) {
  const { nonce } = loadContext.get(cloudflareContext);
  const body = await renderToReadableStream(<ServerRouter context={routerContext} url={request.url} nonce={nonce} />, {
    nonce,
    // React 19.2 moves a finished Suspense boundary (each list item is one, ItemBoundary) past the
    // first 12.8 KB out of place, revealed by an inline script: without JavaScript the reader would
    // keep the "could not be shown" fallback of every later comment. Finished items stay in place.
    progressiveChunkSize: Number.POSITIVE_INFINITY,
    // a shell that fails rejects this call (React Router answers with the error page); an error
    // reported here is one item inside its own boundary (components/item-boundary.tsx), which the
    // page shows as a notice: log it and keep the page's status
    onError(error: unknown) {
      console.error(error);
    },
  });

  if (isbot(request.headers.get("user-agent") || "") || routerContext.isSpaMode) {
    await body.allReady;
  }

  responseHeaders.set("Content-Type", "text/html; charset=utf-8");
  return new Response(body, { headers: responseHeaders, status: responseStatusCode });
}
