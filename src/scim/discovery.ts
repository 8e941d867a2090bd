// SCIM discovery (RFC 7644 §4, RFC 7643 §5–7): what this endpoint supports, its resource types,
// and the schemas of the attributes it returns. It advertises exactly what it does: read-only,
// filtering (up to MAX_RESULTS per page), no PATCH, bulk, sort, ETag or password change.
import { GROUP_SCHEMA, LIST_SCHEMA, USER_SCHEMA, USERSYNC_USER_SCHEMA } from "./resources.ts";

export const MAX_RESULTS = 1000;
const SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema";

export function serviceProviderConfig(base: string) {
  return {
    schemas: [SPC_SCHEMA],
    patch: { supported: false },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "Bearer token",
        description: "A read-only token made with `usersync scim-token create NAME`, sent as Authorization: Bearer <token>.",
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string) {
  return [
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: "User",
      name: "User",
      endpoint: "/Users",
      description: "User accounts (blocked accounts are active: false)",
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: USERSYNC_USER_SCHEMA, required: false }],
      meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: "Group",
      name: "Group",
      endpoint: "/Groups",
      description: "Groups and their members",
      schema: GROUP_SCHEMA,
      meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/Group` },
    },
  ];
}

type Attr = Record<string, unknown>;
const attr = (name: string, type: string, more: Attr = {}): Attr => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: "readOnly",
  returned: "default",
  uniqueness: "none",
  ...more,
});

export function schemas(base: string) {
  const list = [
    {
      id: USER_SCHEMA,
      name: "User",
      description: "User Account",
      attributes: [
        attr("userName", "string", { required: true, uniqueness: "server", description: "Unique identifier, normalised: NFC, trimmed, lower case." }),
        attr("name", "complex", {
          subAttributes: [attr("formatted", "string"), attr("familyName", "string"), attr("givenName", "string")],
        }),
        attr("displayName", "string"),
        attr("title", "string"),
        attr("active", "boolean", { description: "false when the account is blocked, by the sync or by an admin." }),
        attr("emails", "complex", {
          multiValued: true,
          subAttributes: [attr("value", "string"), attr("type", "string", { canonicalValues: ["work"] }), attr("primary", "boolean")],
        }),
        attr("groups", "complex", {
          multiValued: true,
          subAttributes: [attr("value", "string"), attr("$ref", "reference", { referenceTypes: ["Group"] }), attr("display", "string"), attr("type", "string", { canonicalValues: ["direct"] })],
        }),
      ],
    },
    {
      id: GROUP_SCHEMA,
      name: "Group",
      description: "Group",
      attributes: [
        attr("displayName", "string", { required: true }),
        attr("members", "complex", {
          multiValued: true,
          subAttributes: [attr("value", "string"), attr("$ref", "reference", { referenceTypes: ["User"] }), attr("display", "string"), attr("type", "string", { canonicalValues: ["User"] })],
        }),
      ],
    },
    {
      id: USERSYNC_USER_SCHEMA,
      name: "UsersyncUser",
      description: "How usersync holds the account",
      attributes: [
        attr("managedBySync", "boolean", { description: "The account was created by the sync and follows the feed." }),
        attr("blockedBy", "string", { canonicalValues: ["sync", "admin"], description: "Who blocked an inactive account: the sync (it left the feed) or an admin." }),
        attr("blockedAt", "dateTime"),
      ],
    },
  ];
  return list.map((s) => ({ schemas: [SCHEMA_SCHEMA], ...s, meta: { resourceType: "Schema", location: `${base}/Schemas/${s.id}` } }));
}

export function listOf(resources: unknown[]) {
  return { schemas: [LIST_SCHEMA], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources };
}
