// Stripe's request encoding as the `stripe` package writes it (utils.stringifyRequestData):
// `a[b][0][c]=v`, arrays as indexed brackets, every value a string. Decoding gives the nested
// object back with arrays restored and strings left as strings (callers coerce per field).

/**
 * Decodes a form-encoded Stripe request body or query string into nested objects and arrays.
 * @param {string} text `line_items[0][price]=price_1&expand[0]=subscription`
 * @returns {Record<string, unknown>} `{line_items: [{price: "price_1"}], expand: ["subscription"]}`
 */
export function decodeForm(text) {
  /** @type {Record<string, any>} */
  const root = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const head = key.split("[", 1)[0];
    const rest = [...key.slice(head.length).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]);
    const path = [head, ...rest];
    let node = root;
    path.forEach((segment, i) => {
      // `expand[]=x` (the empty index some clients send) appends
      const name = segment === "" ? String(Object.keys(node).length) : segment;
      if (i === path.length - 1) node[name] = value;
      else node = node[name] ??= {};
    });
  }
  return arraysRestored(root);
}

/** @param {any} node */
function arraysRestored(node) {
  if (node === null || typeof node !== "object") return node;
  const keys = Object.keys(node);
  for (const k of keys) node[k] = arraysRestored(node[k]);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => node[k]);
  }
  return node;
}
