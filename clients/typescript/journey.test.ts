/**
 * One user's journey through the generated TypeScript client against a real server at BASE_URL:
 * sign-up -> token -> create item -> list -> patch with If-Match -> upload an image -> delete, with typed problems.
 * Run by tests/sdk/test_typescript_client.py (tsc -p clients/typescript, then node --test dist/journey.test.js).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { createApiClient, FORM_ENCODED, type Item, multipart, type Problem, type User } from "./index.js";

const BASE_URL = process.env["BASE_URL"];
if (BASE_URL === undefined) throw new Error("BASE_URL names the server under test");

// The smallest well-formed PNG (1x1, greyscale).
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==",
  "base64",
);

function etagOf(response: Response): string {
  const etag = response.headers.get("ETag");
  assert.ok(etag, "the response carries an ETag");
  return etag;
}

test("sign-up, token, item lifecycle with If-Match, image upload and typed problems", async () => {
  let accessToken: string | undefined;
  const api = createApiClient({ baseUrl: BASE_URL, accessToken: () => accessToken });
  const email = `ts-${randomUUID()}@example.com`;
  const password = `journey ${randomUUID()}`;

  const signUp = await api.POST("/users", { body: { email, password, full_name: "TypeScript Journey" } });
  assert.equal(signUp.response.status, 201);
  const user: User | undefined = signUp.data;
  assert.ok(user);
  assert.equal(user.email, email);
  assert.ok(user.scopes.includes("items:write"));

  const token = await api.POST("/token", {
    body: { grant_type: "password", username: email, password },
    headers: FORM_ENCODED,
  });
  assert.equal(token.response.status, 200, JSON.stringify(token.error));
  assert.ok(token.data);
  assert.equal(token.data.token_type, "bearer");
  accessToken = token.data.access_token;

  const me = await api.GET("/users/me");
  assert.equal(me.data?.id, user.id);

  // 422: a problem document whose `errors` name the field, typed as the contract's Problem.
  const invalid = await api.POST("/items", { body: { name: "Broken", price: -1 } });
  assert.equal(invalid.response.status, 422);
  const validation: Problem | undefined = invalid.error;
  assert.ok(validation);
  assert.equal(validation.status, 422);
  assert.ok(validation.errors?.some((error) => error.loc.includes("price")));

  const created = await api.POST("/items", {
    body: { name: "Foo", description: null, price: 35.4, tags: ["rock"] },
  });
  assert.equal(created.response.status, 201, JSON.stringify(created.error));
  const item: Item | undefined = created.data;
  assert.ok(item);
  assert.equal(item.name, "Foo");
  assert.equal(item.description, null);
  assert.equal(item.owner_id, user.id);
  assert.deepEqual(item.images, []);
  const createdEtag = etagOf(created.response);

  const listed = await api.GET("/items", { params: { query: { mine: true, limit: 10 } } });
  assert.deepEqual(
    listed.data?.map((each) => each.id),
    [item.id],
  );

  const patched = await api.PATCH("/items/{item_id}", {
    params: { path: { item_id: item.id }, header: { "If-Match": createdEtag } },
    body: { price: 42, tax: null },
  });
  assert.equal(patched.response.status, 200, JSON.stringify(patched.error));
  assert.equal(patched.data?.price, 42);
  assert.equal(patched.data?.tax, null);
  const patchedEtag = etagOf(patched.response);
  assert.notEqual(patchedEtag, createdEtag);

  // 412: the ETag of the create is stale now.
  const stale = await api.PATCH("/items/{item_id}", {
    params: { path: { item_id: item.id }, header: { "If-Match": createdEtag } },
    body: { price: 1 },
  });
  assert.equal(stale.response.status, 412);
  assert.equal(stale.data, undefined);
  assert.equal(stale.error?.status, 412);
  assert.equal(stale.error?.instance, `/items/${item.id}`);

  const uploaded = await api.POST("/items/{item_id}/images", {
    params: { path: { item_id: item.id } },
    body: { file: new File([PNG], "dot.png", { type: "image/png" }), name: "A dot" },
    bodySerializer: multipart,
  });
  assert.equal(uploaded.response.status, 201, JSON.stringify(uploaded.error));
  const image = uploaded.data?.images[0];
  assert.ok(image);
  assert.equal(image.name, "A dot");
  const imageEtag = etagOf(uploaded.response);

  // The image's URL is the public download: the same bytes, typed as a Blob by the generated schema.
  const fileId = new URL(image.url).pathname.split("/")[2];
  assert.ok(fileId);
  const download = await api.GET("/files/{file_id}/content", {
    params: { path: { file_id: fileId } },
    parseAs: "blob",
  });
  assert.equal(download.response.status, 200);
  assert.ok(download.data);
  assert.equal(download.data.type, "image/png");
  assert.deepEqual(Buffer.from(await download.data.arrayBuffer()), PNG);

  const deleted = await api.DELETE("/items/{item_id}", {
    params: { path: { item_id: item.id }, header: { "If-Match": imageEtag } },
  });
  assert.equal(deleted.response.status, 204, JSON.stringify(deleted.error));

  const gone = await api.GET("/items/{item_id}", { params: { path: { item_id: item.id } } });
  assert.equal(gone.response.status, 404);
  const notFound: Problem | undefined = gone.error;
  assert.equal(notFound?.type, "/problems/not-found");
});
