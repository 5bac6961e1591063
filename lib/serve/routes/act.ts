/**
 * POST /v1/act for a policy checkpoint: the body is lib/serve/act.ts's request, the reply its answer.
 *
 *   {"obs": [0, 1, 0, -1, 0, 0, 0, 0, 0], "mask": [1, 0, 1, 0, 1, 1, 1, 1, 1], "greedy": true}
 *   → {"action": 4, "probs": [0.01, 0, 0.02, 0, 0.93, …]}
 *
 * The handler runs in a bounded queue, one request at a time (lib/serve/work-queue.ts).
 */
import type { FastifyInstance } from "fastify";
import type { RequestHandler } from "../request";
import type { WorkQueue } from "../work-queue";

export function registerActRoute(app: FastifyInstance, handle: RequestHandler, queue: WorkQueue): void {
  app.post("/v1/act", {
    schema: { response: { 200: { type: "object", required: ["action", "probs"], properties: { action: { type: "integer" }, probs: { type: "array", items: { type: "number" } } } } } },
  }, (request) => queue.run(() => handle(request.body), request.answerSignal));
}
