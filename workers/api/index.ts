// The /api/v1 surface: one sub-app per resource, mounted here, and the OpenAPI 3.1 document
// generated from the same zod schemas that validate requests.
import { createRouter } from "./factory";
import { docs } from "./docs";
import { communities } from "./communities";
import { members } from "./members";
import { invites } from "./invites";
import { auth } from "./auth";
import { me } from "./me";
import { uploads } from "./uploads";
import { dev } from "./dev";
import { spaces } from "./spaces";
import { posts } from "./posts";
import { comments } from "./comments";
import { reactions } from "./reactions";
import { notifications } from "./notifications";
import { search } from "./search";
import { mentionSuggestions } from "./mention-suggestions";
import { deadLetters } from "./dead-letters";
import { exportsRouter } from "./exports";
import { chat } from "./chat";
import { conversations } from "./conversations";
import { inbox } from "./inbox";
import { billing } from "./billing";
import { webhooks } from "./webhooks";
import { billingState } from "./billing-state";

export const api = createRouter().basePath("/api/v1");

api.route("/", docs);
api.route("/", communities);
api.route("/", members);
api.route("/", invites);
api.route("/", auth);
api.route("/", me);
api.route("/", uploads);
api.route("/", dev);
api.route("/", spaces);
api.route("/", posts);
api.route("/", comments);
api.route("/", reactions);
api.route("/", notifications);
api.route("/", search);
api.route("/", mentionSuggestions);
api.route("/", deadLetters);
api.route("/", exportsRouter);
api.route("/", chat);
api.route("/", conversations);
api.route("/", inbox);
api.route("/", billing);
api.route("/", webhooks);
api.route("/", billingState);

const documentConfig = {
  openapi: "3.1.0",
  info: {
    title: "Enclave API",
    version: "1.0.0",
    description: "The public API of an Enclave deployment. Errors answer { error: { code, message } }.",
  },
};

api.doc31("/openapi.json", documentConfig);

/** The OpenAPI 3.1 document GET /api/v1/openapi.json answers, for the API reference page. */
export const openApiDocument = () => api.getOpenAPI31Document(documentConfig);

export type Api = typeof api;
