/**
 * DNS rebinding: a page on another site can point its own host name at 127.0.0.1 and then talk to a
 * token-less server on this machine as if it were "same origin". A browser still sends that site's
 * name in the Host header, so a server that listens on loopback answers only requests whose Host is
 * a loopback name (localhost, 127.x.x.x, [::1]) and refuses the rest (HTTP 403, saying which
 * address to open). A server on another interface has a token, which no other site knows.
 */
import type { FastifyInstance } from "fastify";
import { isLoopback } from "../auth";
import { openAiError } from "../http-errors";

/** The host name of a Host header ("127.0.0.1:8501" → "127.0.0.1", "[::1]:80" → "[::1]"). */
export function hostName(header: string | undefined): string {
  if (!header) return "";
  const h = header.trim();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon >= 0 ? h.slice(0, colon) : h;
}

export function requireLoopbackHost(app: FastifyInstance): void {
  app.addHook("onRequest", (request, reply, done) => {
    const host = hostName(request.headers.host);
    if (isLoopback(host)) return done();
    const shown = host.length > 60 ? `${host.slice(0, 60)}…` : host;
    const address = app.server.address();
    const port = address !== null && typeof address === "object" ? address.port : "PORT";
    reply.code(403).send(openAiError(`this playground listens on this machine only and answers requests addressed to it (Host: localhost or 127.0.0.1), not to ${JSON.stringify(shown)}; open http://127.0.0.1:${port}/`, "invalid_request_error", null, "wrong_host"));
  });
}
