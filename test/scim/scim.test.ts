// The read-only SCIM 2.0 endpoint, over real HTTP, checked against the request and response shapes
// of RFC 7644 (ListResponse §3.4.2, filters §3.4.2.2, paging §3.4.2.4, projection §3.4.2.5, errors
// §3.12, discovery §4) and the User/Group schemas of RFC 7643, on PGlite and PostgreSQL.
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { Hono } from "hono";
import { createMetrics } from "../../src/observe/index.ts";
import { createScimToken, revokeScimToken, scimApp } from "../../src/scim/index.ts";
import { hashToken } from "../../src/scim/tokens.ts";
import { applyFeed, json, person, simpleControl } from "../helpers/feeds.ts";
import { describeEachBackend } from "../helpers/store.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const EXT = "urn:usersync:params:scim:schemas:extension:2.0:User";

const groups = [
  { code: "staff", title: "Staff", managed: true },
  { code: "students", title: "Students", managed: true },
];

describeEachBackend("SCIM 2.0 endpoint", groups, (t) => {
  let server: ReturnType<typeof Bun.serve>;
  let token = "";
  let metricsText = async () => "";
  const base = () => `http://127.0.0.1:${server.port}/scim/v2`;

  async function get(path: string, auth: string | null = `Bearer ${token}`, init: RequestInit = {}) {
    const response = await fetch(`${base()}${path}`, { ...init, headers: { ...(auth ? { authorization: auth } : {}), ...(init.headers ?? {}) } });
    const body = await response.json();
    return { status: response.status, type: response.headers.get("content-type"), body, headers: response.headers };
  }
  const q = (filter: string, more = "") => `/Users?filter=${encodeURIComponent(filter)}${more}`;

  beforeAll(() => {
    const metrics = createMetrics(t().store.db);
    metricsText = () => metrics.render();
    const app = new Hono();
    app.route("/scim/v2", scimApp({ db: t().store.db, metrics }));
    server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  });
  afterAll(() => server.stop(true));

  beforeEach(async () => {
    const { store } = t();
    // ann, bob (staff); cat (students); dan leaves the feed (blocked by the sync); bob is blocked by an admin.
    await applyFeed(store, simpleControl(), {
      staff: json([person("Ann", { last: "Lee" }), person("bob"), person("cat", { groups: ["students"] }), person("dan")]),
    });
    await applyFeed(store, simpleControl(), { staff: json([person("Ann", { last: "Lee" }), person("bob"), person("cat", { groups: ["students"] })]) });
    await store.db.query("UPDATE users SET active = false, blocked_by = 'admin', blocked_at = now() WHERE username = 'bob'");
    // An account made outside the sync (not in the ledger).
    await store.db.query("INSERT INTO users (username, email, name_first, name_last) VALUES ('root-admin', 'root@example.org', 'Root', 'Admin')");
    token = (await createScimToken(store.db, "test idp")).token;
  });

  test("GET /Users is a ListResponse of every account, with application/scim+json", async () => {
    const r = await get("/Users");
    expect(r.status).toBe(200);
    expect(r.type).toBe("application/scim+json");
    expect(r.body.schemas).toEqual([LIST]);
    expect(r.body.totalResults).toBe(5);
    expect(r.body.startIndex).toBe(1);
    expect(r.body.itemsPerPage).toBe(5);
    expect(r.body.Resources.map((u: { userName: string }) => u.userName).sort()).toEqual(["ann", "bob", "cat", "dan", "root-admin"]);
    const ids = r.body.Resources.map((u: { id: string }) => Number(u.id));
    expect(ids).toEqual([...ids].sort((a: number, b: number) => a - b)); // a stable order for paging: by id
  });

  test("a User has the RFC 7643 shape, with active reflecting blocks and who blocked", async () => {
    const list = (await get("/Users")).body.Resources as Record<string, any>[];
    const ann = list.find((u) => u.userName === "ann")!;
    expect(ann.schemas).toEqual([USER, EXT]);
    expect(typeof ann.id).toBe("string");
    expect(ann.name).toEqual({ givenName: "First Ann", familyName: "Lee", formatted: "First Ann Lee" });
    expect(ann.displayName).toBe("First Ann Lee");
    expect(ann.emails).toEqual([{ value: "ann@example.org", type: "work", primary: true }]);
    expect(ann.active).toBe(true);
    expect(ann.groups).toEqual([{ value: expect.any(String), display: "Staff", $ref: expect.stringMatching(/\/scim\/v2\/Groups\/\d+$/), type: "direct" }]);
    expect(ann[EXT]).toEqual({ managedBySync: true });
    expect(ann.meta).toEqual({
      resourceType: "User",
      created: expect.any(String),
      lastModified: expect.any(String),
      location: `${base()}/Users/${ann.id}`,
      version: expect.stringMatching(/^W\/".+"$/),
    });
    const dan = list.find((u) => u.userName === "dan")!;
    expect(dan.active).toBe(false);
    expect(dan[EXT]).toMatchObject({ managedBySync: true, blockedBy: "sync" });
    const bob = list.find((u) => u.userName === "bob")!;
    expect(bob.active).toBe(false);
    expect(bob[EXT]).toMatchObject({ blockedBy: "admin", blockedAt: expect.any(String) });
    expect(list.find((u) => u.userName === "root-admin")![EXT]).toEqual({ managedBySync: false });

    const one = await get(`/Users/${ann.id}`);
    expect(one.status).toBe(200);
    expect(one.type).toBe("application/scim+json");
    expect(one.body).toEqual(ann);
  });

  test("filters on userName and emails: eq (case-insensitive), co, sw, ew, value paths, and/or/not", async () => {
    const names = async (filter: string) => ((await get(q(filter))).body.Resources as { userName: string }[]).map((u) => u.userName).sort();
    expect(await names('userName eq "ANN"')).toEqual(["ann"]);
    expect(await names('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "cat"')).toEqual(["cat"]);
    expect(await names('emails eq "Bob@Example.org"')).toEqual(["bob"]);
    expect(await names('emails.value co "example.org"')).toEqual(["ann", "bob", "cat", "dan", "root-admin"]);
    expect(await names('userName sw "ro"')).toEqual(["root-admin"]);
    expect(await names('emails.value ew "t@example.org"')).toEqual(["cat", "root-admin"]);
    expect(await names('emails[type eq "work" and value sw "d"]')).toEqual(["dan"]);
    expect(await names('active eq false')).toEqual(["bob", "dan"]);
    expect(await names('userName eq "ann" or name.familyName eq "admin"')).toEqual(["ann", "root-admin"]);
    expect(await names('not (active eq true) and userName ne "bob"')).toEqual(["dan"]);
    expect(await names('userName co "%"')).toEqual([]); // LIKE wildcards are plain characters
    expect(await names('title pr')).toEqual([]);
    const [students] = (await get('/Groups?filter=displayName%20eq%20%22students%22')).body.Resources;
    expect(await names(`groups.value eq "${students.id}"`)).toEqual(["cat"]);
    expect(await names('meta.lastModified gt "2000-01-01T00:00:00Z"')).toHaveLength(5);
  });

  test("a filter that cannot be understood is a 400 invalidFilter error in the SCIM error shape", async () => {
    for (const filter of ['userName eq', 'password eq "x"', 'active co "t"', 'name.middleName eq "x"', 'userName eq 12']) {
      const r = await get(q(filter));
      expect(r.status).toBe(400);
      expect(r.type).toBe("application/scim+json");
      expect(r.body).toEqual({ schemas: [ERROR], status: "400", scimType: "invalidFilter", detail: expect.any(String) });
    }
    expect((await get(q('password eq "x"'))).body.detail).toBe('Filtering on "password" is not supported');
  });

  test("startIndex and count page through the results (RFC 7644 §3.4.2.4)", async () => {
    const all = ((await get("/Users")).body.Resources as { userName: string }[]).map((u) => u.userName);
    const page = await get("/Users?startIndex=2&count=2");
    expect(page.body).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
    expect(page.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(all.slice(1, 3));
    const last = await get("/Users?startIndex=5&count=10");
    expect(last.body).toMatchObject({ totalResults: 5, startIndex: 5, itemsPerPage: 1 });
    expect(last.body.Resources[0].userName).toBe(all[4]);
    const none = await get("/Users?count=0");
    expect(none.body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
    const past = await get("/Users?startIndex=50");
    expect(past.body).toMatchObject({ totalResults: 5, startIndex: 50, itemsPerPage: 0, Resources: [] });
    const clamped = await get("/Users?startIndex=0&count=-3");
    expect(clamped.body).toMatchObject({ startIndex: 1, itemsPerPage: 0 });
    expect((await get("/Users?count=lots")).body).toMatchObject({ status: "400", scimType: "invalidValue" });
  });

  test("attributes and excludedAttributes choose what is returned; id and schemas always are", async () => {
    const only = (await get(q('userName eq "ann"', "&attributes=userName,name.familyName"))).body.Resources[0];
    expect(Object.keys(only).sort()).toEqual(["id", "name", "schemas", "userName"]);
    expect(only.name).toEqual({ familyName: "Lee" });
    const without = (await get(q('userName eq "ann"', "&excludedAttributes=groups,meta,id"))).body.Resources[0];
    expect(without.groups).toBeUndefined();
    expect(without.meta).toBeUndefined();
    expect(without.id).toBeDefined();
  });

  test("GET /Groups lists groups with their members; excludedAttributes=members leaves them out", async () => {
    const r = await get("/Groups");
    expect(r.status).toBe(200);
    expect(r.body.schemas).toEqual([LIST]);
    const staff = r.body.Resources.find((g: { externalId: string }) => g.externalId === "staff");
    expect(staff.schemas).toEqual([GROUP]);
    expect(staff.displayName).toBe("Staff");
    expect(staff.members.map((m: { display: string }) => m.display).sort()).toEqual(["ann", "bob", "dan"]);
    expect(staff.members[0]).toEqual({ value: expect.any(String), display: expect.any(String), $ref: expect.stringContaining("/scim/v2/Users/"), type: "User" });
    expect(staff.meta).toMatchObject({ resourceType: "Group", location: `${base()}/Groups/${staff.id}` });
    const lean = await get("/Groups?excludedAttributes=members");
    expect(lean.body.Resources.every((g: object) => !("members" in g))).toBe(true);
    const one = await get(`/Groups/${staff.id}`);
    expect(one.body).toEqual(staff);
    const byMember = await get(`/Groups?filter=${encodeURIComponent(`members.value eq "${staff.members[0].value}"`)}`);
    expect(byMember.body.Resources.map((g: { externalId: string }) => g.externalId)).toEqual(["staff"]);
  });

  test("an unknown resource is a 404 in the SCIM error shape", async () => {
    for (const path of ["/Users/999999", "/Users/not-a-number", "/Groups/424242", "/Elephants"]) {
      const r = await get(path);
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ schemas: [ERROR], status: "404" });
    }
  });

  test("discovery: ServiceProviderConfig says exactly what is supported; ResourceTypes and Schemas describe User and Group", async () => {
    const spc = (await get("/ServiceProviderConfig")).body;
    expect(spc.schemas).toEqual(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]);
    expect(spc).toMatchObject({ patch: { supported: false }, bulk: { supported: false }, filter: { supported: true, maxResults: 1000 }, sort: { supported: false }, etag: { supported: false }, changePassword: { supported: false } });
    expect(spc.authenticationSchemes[0].type).toBe("oauthbearertoken");
    const types = (await get("/ResourceTypes")).body;
    expect(types.schemas).toEqual([LIST]);
    expect(types.Resources.map((r: { id: string; endpoint: string; schema: string }) => [r.id, r.endpoint, r.schema])).toEqual([
      ["User", "/Users", USER],
      ["Group", "/Groups", GROUP],
    ]);
    expect((await get("/ResourceTypes/User")).body.id).toBe("User");
    const schemaList = (await get("/Schemas")).body;
    expect(schemaList.Resources.map((s: { id: string }) => s.id)).toEqual([USER, GROUP, EXT]);
    const user = (await get(`/Schemas/${USER}`)).body;
    expect(user.attributes.map((a: { name: string }) => a.name)).toEqual(["userName", "name", "displayName", "title", "active", "emails", "groups"]);
    expect(user.attributes[0]).toMatchObject({ name: "userName", type: "string", required: true, uniqueness: "server", mutability: "readOnly" });
  });

  test("every request needs a live SCIM token: none, a wrong, a revoked, or an upload key is 401", async () => {
    const none = await get("/Users", null);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="usersync SCIM"');
    expect(none.body).toMatchObject({ schemas: [ERROR], status: "401" });
    expect((await get("/Users", "Bearer usersync_scim_nope")).status).toBe(401);
    expect((await get("/ServiceProviderConfig", "Basic aGFwbG86eA==")).status).toBe(401);

    const { store } = t();
    const upload = "usersync_scim_looks-like-one-but-is-an-upload-key";
    await store.db.query("INSERT INTO api_keys (name, key_hash, key_prefix, scope) VALUES ('uploader', $1, 'x', 'upload')", [hashToken(upload)]);
    expect((await get("/Users", `Bearer ${upload}`)).status).toBe(401);

    const second = await createScimToken(store.db, "second");
    expect((await get("/Users", `Bearer ${second.token}`)).status).toBe(200);
    expect(await revokeScimToken(store.db, second.id)).toBe(true);
    expect((await get("/Users", `Bearer ${second.token}`)).status).toBe(401);
    const [row] = await store.db.query<{ key_hash: string }>("SELECT key_hash FROM api_keys WHERE id = $1", [second.id]);
    expect(row!.key_hash).toBe(hashToken(second.token)); // only the hash is stored
    expect(row!.key_hash).not.toContain(second.token);
    expect(await metricsText()).toMatch(/usersync_failed_logins_total\{door="scim"\} [1-9]/);
  });

  test("the endpoint is read-only: POST, PUT, PATCH and DELETE are 501 for a valid token, 401 without", async () => {
    const [ann] = (await get(q('userName eq "ann"'))).body.Resources;
    for (const [method, path] of [["POST", "/Users"], ["PUT", `/Users/${ann.id}`], ["PATCH", `/Users/${ann.id}`], ["DELETE", `/Users/${ann.id}`], ["POST", "/Groups"]] as const) {
      const r = await get(path, `Bearer ${token}`, { method, body: "{}", headers: { "content-type": "application/scim+json" } });
      expect(r.status).toBe(501);
      expect(r.body).toMatchObject({ schemas: [ERROR], status: "501" });
      expect((await get(path, null, { method, body: "{}" })).status).toBe(401);
    }
    expect((await get(q('userName eq "ann"'))).body.Resources[0].active).toBe(true);
  });
});
