// viewer.permissions (API.md "Conventions"): the actions the caller may take on the thing answered,
// named from one closed vocabulary (domain/permissions.ts), described here as an enum.
import { z } from "@hono/zod-openapi";
import { permissionNames } from "../permissions";

export const PermissionSchema = z.enum(permissionNames).openapi("Permission", {
  description: "An action the caller may take; the rules that grant it live in one place (domain/permissions.ts).",
});

export const ViewerPermissionsSchema = z
  .object({ permissions: z.array(PermissionSchema) })
  .openapi("ViewerPermissions", { description: "What the caller may do to this item, so clients never re-derive role rules." });
