// No unused security scheme: each one in components.securitySchemes is named by some security requirement (the
// root's or an operation's). oas3-unused-component covers the other component kinds, which are used by `$ref`.
import { operations } from './_document.js';

export default function securitySchemesUsed(document, _options, context) {
  const used = new Set();
  const requirements = [...(document.security ?? []), ...operations(document).flatMap(([, , op]) => op.security ?? [])];
  for (const requirement of requirements) for (const name of Object.keys(requirement ?? {})) used.add(name);
  return Object.keys(document.components?.securitySchemes ?? {})
    .filter((name) => !used.has(name))
    .map((name) => ({ message: `security scheme ${name} is never required`, path: [...context.path, 'components', 'securitySchemes', name] }));
}
