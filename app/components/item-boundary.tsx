// One bad item (a post, a comment, a notification, a member row) must never take down its list,
// thread or page. Each item renders inside its own boundary: on the server an item that throws is
// left to its <Suspense> fallback (the rest of the page streams on, status 200), and in the
// browser the error boundary keeps a short notice in its place.
import { Component, Suspense, type ErrorInfo, type ReactNode } from "react";
import { useTranslation } from "react-i18next";

function ItemFailed() {
  const { t } = useTranslation();
  return <p className="rounded-xl border border-dashed border-slate-300 bg-white px-4 py-3 text-sm text-slate-600">{t("loadError.item")}</p>;
}

class Boundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  componentDidCatch(error: unknown, info: ErrorInfo) {
    console.error("an item could not be shown", error, info.componentStack);
  }

  render() {
    return this.state.failed ? <ItemFailed /> : this.props.children;
  }
}

/** Renders `children` (one list item), or a notice that this one item could not be shown. */
export function ItemBoundary({ children }: { children: ReactNode }) {
  return (
    <Suspense fallback={<ItemFailed />}>
      <Boundary>{children}</Boundary>
    </Suspense>
  );
}
