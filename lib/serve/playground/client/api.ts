/**
 * The page's calls to the playground's API. When the server has a token (it listens beyond this
 * machine), the page's address carries it in its fragment (#token=…, which browsers never send):
 * it is kept in sessionStorage for this tab and sent as a bearer token on every call.
 */

const TOKEN_KEY = "tsrl-playground-token";

function token(): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search); // out of the address bar
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** An API error: the server's message (OpenAI's error object), with the status. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

export async function api<T>(method: "GET" | "POST", url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError("the playground's server does not answer: is `tsrl playground` still running?", 0);
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const message = (data as { error?: { message?: string } } | undefined)?.error?.message ?? `${res.status} ${res.statusText}`;
    if (res.status === 401) throw new ApiError(`${message}. Open the address tsrl playground printed, with #token=<your token> at its end.`, 401);
    throw new ApiError(message, res.status);
  }
  return data as T;
}

export const get = <T>(url: string) => api<T>("GET", url);
export const post = <T>(url: string, body: unknown = {}) => api<T>("POST", url, body);
