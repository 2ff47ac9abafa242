import { useEffect, useRef } from "react";

/**
 * For a panel opened in place by a toggle (a link that works without JavaScript): while `open`,
 * Escape calls `close` and puts focus back on `toggle`, and a click outside `box` calls `close`.
 * Returns the two refs to attach: `box` (the toggle and its panel) and `toggle`.
 */
export function usePopover(open: boolean, close: () => void) {
  const box = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLAnchorElement>(null);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      close();
      toggle.current?.focus();
    };
    const onClick = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) close();
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("click", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("click", onClick);
    };
    // `close` is a fresh closure each render; what it does depends on nothing that changes while open
  }, [open]);
  return { box, toggle };
}
