// Helpers shared by this project's Spectral functions: they read the unresolved document, so a `$ref` can be
// followed by hand and its target's name checked (the Problem schema, a component's name).

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The value a local JSON pointer (`#/components/...`) names in `document`, or undefined. */
export function pointer(document, ref) {
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return undefined;
  let node = document;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

/** `node` with its chain of local `$ref`s followed (at most 20 hops), or undefined for a dangling one. */
export function deref(document, node) {
  for (let hops = 0; hops < 20; hops++) {
    if (node === null || typeof node !== 'object' || typeof node.$ref !== 'string') return node;
    node = pointer(document, node.$ref);
  }
  return undefined;
}

/** Every operation: [path template, method, operation object] (path items followed through `$ref`). */
export function operations(document) {
  const found = [];
  for (const [template, rawItem] of Object.entries(document.paths ?? {})) {
    const item = deref(document, rawItem);
    if (item === null || typeof item !== 'object') continue;
    for (const method of HTTP_METHODS) {
      if (item[method] && typeof item[method] === 'object') found.push([template, method, item[method]]);
    }
  }
  return found;
}

/** True for a media type that carries JSON: `application/json` or any `+json` suffix. */
export function isJson(mediaType) {
  const essence = mediaType.split(';')[0].trim().toLowerCase();
  return essence === 'application/json' || /^[a-z]+\/[^/]+\+json$/.test(essence);
}
