// fetch() for the JSON API: sends and parses JSON, and turns the server's error shape
// {"error": {"code", "message", "fields"?}} (or a network failure) into an ApiError whose
// message can be shown to people as is.
//
// CSRF: requests that change something (anything but GET/HEAD) carry the session's
// X-CSRF-Token. The token arrives with GET /api/auth/session, GET /api/me and the log-in/sign-up answers; any
// answer carrying a `csrf_token` replaces the one kept here.

let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = typeof token === 'string' && token !== '' ? token : null;
}

// For requests made by other clients than api() (the tus uploads): the header to send.
export function csrfHeaders() {
  return csrfToken ? { 'X-CSRF-Token': csrfToken } : {};
}

export class ApiError extends Error {
  constructor(status, code, message, { fields = {}, retryAfter = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status; // 0 when the server could not be reached
    this.code = code;
    this.fields = fields; // {"<field>": {code, message}} for form validation errors
    this.retryAfter = retryAfter; // seconds, from Retry-After on 429 answers
  }
}

// keepalive: the request outlives the page (view heartbeats sent while it is left).
export async function api(path, { method = 'GET', body, headers = {}, signal, keepalive = false } = {}) {
  const init = {
    method,
    headers: { Accept: 'application/json', ...headers },
    credentials: 'same-origin',
    signal,
    keepalive,
  };
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) init.headers['X-CSRF-Token'] = csrfToken;
  if (body instanceof FormData || body instanceof Blob) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
  }

  const isJson = (response.headers.get('Content-Type') ?? '').includes('application/json');
  // Read every body to its end (even a 204's): a response left unread counts as cancelled
  // when the page navigates right after the request.
  const data = isJson ? await response.json().catch(() => null) : await response.arrayBuffer().then(() => null, () => null);
  if (!response.ok) {
    const error = data?.error;
    const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
    throw new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? `Something went wrong (the server answered ${response.status}). Please try again.`,
      { fields: error?.fields ?? {}, retryAfter: Number.isFinite(retryAfter) ? retryAfter : null },
    );
  }
  if (typeof data?.csrf_token === 'string') setCsrfToken(data.csrf_token);
  return data;
}
