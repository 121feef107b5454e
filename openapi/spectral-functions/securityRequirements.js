// Replaces spectral:oas' oas3-operation-security-defined, which reads OpenAPI 3.0: in 3.1 a requirement of a
// non-OAuth2 scheme may list roles (3.1 §4.8.30). Every scheme named exists in components.securitySchemes; an
// oauth2 requirement lists scopes of its own flows; another scheme's roles must be scopes of
// options.rolesAreScopesOf (here the session cookie carries the same scopes as the bearer token).
import { deref } from './_document.js';

function scopesOf(scheme) {
  const scopes = new Set();
  for (const flow of Object.values(scheme?.flows ?? {})) for (const name of Object.keys(flow?.scopes ?? {})) scopes.add(name);
  return scopes;
}

export default function securityRequirements(requirement, options, context) {
  const document = context.document.data;
  const schemes = document.components?.securitySchemes ?? {};
  const roles = scopesOf(deref(document, schemes[options.rolesAreScopesOf]));
  const results = [];
  for (const [name, listed] of Object.entries(requirement ?? {})) {
    const scheme = deref(document, schemes[name]);
    if (!scheme) {
      results.push({ message: `security scheme ${name} is not in components.securitySchemes`, path: [...context.path, name] });
      continue;
    }
    if (scheme.type === 'openIdConnect') continue;
    const allowed = scheme.type === 'oauth2' ? scopesOf(scheme) : roles;
    (listed ?? []).forEach((scope, index) => {
      if (!allowed.has(scope)) results.push({ message: `"${scope}" is not a scope ${name} can hold`, path: [...context.path, name, index] });
    });
  }
  return results;
}
