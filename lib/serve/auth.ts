/**
 * Bearer-token auth for the HTTP server: every route needs `Authorization: Bearer <token>` but those
 * whose route config says `public: true` (GET /healthz; the playground's page, if it wants one).
 *
 * @fastify/bearer-auth parses the header and answers the error paths; the comparison is ours: both
 * tokens are hashed with SHA-256 and the digests compared with crypto.timingSafeEqual, so the time
 * taken says nothing about the token — not even its length (the plugin's own comparison of unequal
 * lengths returns early). A missing or wrong token is a 401 with `WWW-Authenticate: Bearer` and
 * OpenAI's error object (lib/serve/http-errors.ts); no message quotes what was sent, and nothing here
 * logs a token. Requests are keyed for the rate limit by a digest of their token, never the token.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import bearerAuth from "@fastify/bearer-auth";
import type { FastifyInstance, FastifyRequest } from "fastify";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route answers without a token (GET /healthz). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** A digest of the request's (accepted) token, for the rate limit's key; undefined without auth. */
    tokenKey?: string;
  }
}

/** A token clients cannot guess: 32 random bytes, base64url (43 characters). */
export function makeToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The problem with a token given by the user (file or environment), or undefined when it is usable in a header. */
export function tokenProblem(token: string): string | undefined {
  if (token.length === 0) return "it is empty";
  if (!/^[\x21-\x7e]+$/.test(token)) return "it holds spaces or characters outside printable ASCII, which an Authorization header cannot carry";
  if (token.length < 16) return `it has ${token.length} characters; use at least 16 (e.g. from: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")`;
  return undefined;
}

/** True for hosts only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** A constant-time check of a presented token against `token`. */
export function tokenChecker(token: string): (presented: string) => boolean {
  const expected = digest(token);
  return (presented) => timingSafeEqual(digest(presented), expected);
}

/** Adds the auth hook to `app` (before any route): routes not marked public need the token. */
export async function registerBearerAuth(app: FastifyInstance, token: string): Promise<void> {
  const check = tokenChecker(token);
  await app.register(bearerAuth, {
    addHook: false, // our hook below, so public routes can skip it
    keys: [],
    auth: (presented: string, request: FastifyRequest) => {
      if (!check(presented)) return false;
      request.tokenKey = digest(presented).toString("hex").slice(0, 32);
      return true;
    },
    specCompliance: "rfc6749", // the scheme is case-insensitive (RFC 7235): "bearer" is as good as "Bearer"
    verifyErrorLogLevel: null as never, // our error handler says what went wrong, without the header
  });
  app.addHook("onRequest", (request, reply, done) => {
    if (request.routeOptions.config?.public) return done();
    app.verifyBearerAuth!(request, reply, done);
  });
}
