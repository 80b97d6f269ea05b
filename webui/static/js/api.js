// The one module that talks to the server. Every path is relative to
// "api/", and so to the page: the UI works under any prefix.

/** An answer other than 2xx: message is the server's JSON "message". */
export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

// A 401 tells the app (main.js shows the login screen) through this event
// on window; the request still rejects with ApiError(401).
export const UNAUTHORIZED_EVENT = "portal:unauthorized";

async function request(method, path, body, signal) {
  const headers = { "X-Portal-Client": "web", "Accept": "application/json" };
  const init = { method, headers, credentials: "same-origin", signal };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(api.url(path), init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(`The portal cannot be reached (${err.message}): check the connection and that the portal runs, then try again.`, 0, "ENETWORK");
  }
  const text = await res.text();
  let data = null;
  if (text !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    // The portal's errors say what failed and what to do; an answer
    // without one came from something in between (a proxy, a gateway).
    const message = (data && typeof data.message === "string" && data.message) ||
      `The portal answered with status ${res.status} and no message: try again, and if it keeps failing, read the portal's log.`;
    if (res.status === 401) window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
    throw new ApiError(message, res.status, data && data.code);
  }
  return data;
}

export const api = {
  /** GET api/{path}: the parsed JSON answer. */
  get(path, { signal } = {}) {
    return request("GET", path, undefined, signal);
  },
  /** POST api/{path}: body undefined sends no body; anything else JSON. */
  post(path, body, { signal } = {}) {
    return request("POST", path, body, signal);
  },
  patch(path, body) {
    return request("PATCH", path, body);
  },
  del(path) {
    return request("DELETE", path);
  },
  /** The URL of api/{path}, for <img src> and downloads. */
  url(path) {
    return "api/" + path;
  },
};
