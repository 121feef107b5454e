/**
 * The typed fetch client of the Contract API: openapi-fetch bound to the types `make sdk` generates into
 * `schema.ts` from openapi/openapi.yaml. This file is written by hand (and small); `schema.ts` is not.
 */
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { paths } from "./schema.js";

export type * from "./schema.js";

/** Every path and method of the contract, with typed parameters, bodies, results and errors. */
export type ApiClient = Client<paths>;

export interface ApiClientOptions extends ClientOptions {
  baseUrl: string;
  /** Called before each request; its token, when there is one, goes in `Authorization: Bearer`. */
  accessToken?: () => string | undefined;
}

/** A client for the service at `baseUrl`, authenticating with `accessToken()` when it returns a token. */
export function createApiClient({ accessToken, ...options }: ApiClientOptions): ApiClient {
  const client = createClient<paths>(options);
  if (accessToken !== undefined) {
    client.use({
      onRequest({ request }) {
        const token = accessToken();
        if (token !== undefined) request.headers.set("Authorization", `Bearer ${token}`);
        return request;
      },
    });
  }
  return client;
}

/**
 * The `bodySerializer` of multipart operations (`POST /files`, `POST /items/{item_id}/images`): Blob fields become
 * file parts (a `File` keeps its name and type), other fields text parts. openapi-fetch sends JSON otherwise.
 */
export function multipart(body: Readonly<Record<string, Blob | string | undefined>>): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(body)) {
    if (value !== undefined) form.append(name, value);
  }
  return form;
}

/**
 * The headers of form-encoded operations (`POST /token`, `/token/revoke`, `/login`): openapi-fetch then encodes the
 * typed body with URLSearchParams instead of JSON.
 */
export const FORM_ENCODED = { "Content-Type": "application/x-www-form-urlencoded" } as const;
