/**
 * POST /v1/edit for an edit agent's checkpoint: the body is lib/serve/edit.ts's request, the reply
 * its answer.
 *
 *   {"instruction": "Capitalise the first word.", "text": "the cat sat."}
 *   → {"text": "The cat sat.", "steps": ["REPLACE token 0 with \"The\"", "STOP"], "stopped": true, "understood": true}
 *
 * The handler runs in a bounded queue, one request at a time (lib/serve/work-queue.ts). The reply
 * schema names the fields every answer has and lets others through (an abstaining agent's reason).
 */
import type { FastifyInstance } from "fastify";
import type { RequestHandler } from "../request";
import type { WorkQueue } from "../work-queue";

export function registerEditRoute(app: FastifyInstance, handle: RequestHandler, queue: WorkQueue): void {
  app.post("/v1/edit", {
    schema: {
      response: {
        200: {
          type: "object",
          required: ["text", "steps", "understood"],
          properties: { text: { type: "string" }, steps: { type: "array", items: { type: "string" } }, stopped: { type: "boolean" }, understood: { type: "boolean" } },
          additionalProperties: true,
        },
      },
    },
  }, (request) => queue.run(() => handle(request.body), request.answerSignal));
}
