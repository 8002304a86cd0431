// Start a job on an asynchronous HTTP API and wait for its outcome, with fetch().
// Runs in browsers (import { waitForJob }) and on Node.js 20 or newer:
//
// Conventions: rfc9110 azure request-reply aip151 job-resource odata
//
//     node poll.mjs URL [JSON]      POST the JSON body to URL, then wait for the job
//     node poll.mjs --monitor URL   wait for a job that is already running
//
// Prints the result (JSON) and exits 0 when the job succeeds. When it fails, is
// canceled or is no longer known, says why on stderr and exits 1; exits 3 when
// --deadline (seconds, default 300) passes first.

const PENDING = new Set(["queued", "notstarted", "running", "pending", "inprogress", "accepted"]);
const FAILED = new Set(["failed", "canceled", "cancelled"]);
const TRANSIENT = new Set([429, 502, 503, 504]);

export class JobFailed extends Error {}
export class GaveUp extends Error {}

/** Seconds to wait: Retry-After is delay-seconds or an HTTP-date (RFC 9110 10.2.3). */
export function retryAfter(value) {
  if (!value) return null;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, (when - Date.now()) / 1000);
}

async function problem(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    return `${response.status}: ${body.detail ?? body.message ?? body.title ?? text}`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

function errorOf(body) {
  const error = body.error ?? {};
  if (typeof error !== "object") return String(error);
  return error.detail ?? error.message ?? error.code ?? JSON.stringify(error);
}

/**
 * Wait for a job: give `submit` (and `body`) to start one, or `monitor` to follow one.
 * Resolves with the result; rejects with JobFailed or GaveUp.
 */
export async function waitForJob({
  submit, body = {}, monitor, deadline = 300, apiRoot, cap = 30,
}) {
  const giveUp = Date.now() + deadline * 1000;
  const etags = new Map();
  let backoff = 1;

  async function wait(response) {
    // Never sooner than the server asked; without a hint, back off. Jitter spreads clients apart.
    let hint = response ? retryAfter(response.headers.get("Retry-After")) : null;
    if (hint === null) {
      hint = Math.min(cap, backoff);
      backoff *= 2;
    }
    const delay = hint * (1 + Math.random() * 0.2);
    if (Date.now() + delay * 1000 > giveUp) {
      const why = `the next poll would be past the ${deadline} s deadline`;
      throw new GaveUp(`the job is not done, and ${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay * 1000));
  }

  // A dropped connection or a restarting server (fetch rejects): try again later.
  async function send(url, init) {
    for (;;) {
      try {
        return await fetch(url, init);
      } catch (error) {
        if (!(error instanceof TypeError)) throw error;
        await wait(null);
      }
    }
  }

  async function get(url) {
    const headers = { Accept: "application/json" };
    if (etags.has(url)) headers["If-None-Match"] = etags.get(url);
    // fetch follows a 303 or 302 by itself; redirect: "manual" would stop it, but a
    // browser then answers an opaque redirect whose Location no script may read.
    // response.redirected says it followed one, and so that the job is done.
    const response = await send(url, { headers });
    if (response.status === 200 && !response.redirected && response.headers.has("ETag")) {
      etags.set(url, response.headers.get("ETag"));
    }
    return response;
  }

  /** What one answer means: { next, wait } to ask again, or { result }. */
  async function read(response, url) {
    const code = response.status;
    if (TRANSIENT.has(code) || code === 304) return { next: url, wait: true };
    if (code === 404 || code === 410) {
      throw new JobFailed(`the job is no longer known at ${url}: ${await problem(response)}`);
    }
    if (code >= 400) throw new JobFailed(await problem(response));
    const text = await response.text();
    const data = text ? JSON.parse(text) : {};
    if (response.redirected) return { result: data }; // the 303 (or 302) led to the result
    const status = typeof data?.status === "string" ? data.status.toLowerCase() : "";
    if (code === 201 || code === 202) {
      const named = response.headers.get("Location")
        ?? response.headers.get("Operation-Location")
        ?? response.headers.get("Content-Location");
      // A 201's Location is the job itself, worth asking at once.
      const next = named ? new URL(named, url).href : url;
      return { next, wait: code === 202 || PENDING.has(status) };
    }
    const final = response.headers.get("AsyncResult");
    if (final !== null) {
      // OData: finished; the body is the final response's body.
      if (!final.startsWith("2")) {
        throw new JobFailed(`the request ended with ${final}: ${errorOf(data)}`);
      }
      return { result: data };
    }
    if (data && typeof data === "object" && "done" in data && "name" in data) {
      // An AIP-151 Operation: poll it by name (relative to the API's root) until done.
      if (data.done) {
        if (data.error) {
          const message = data.error.message ?? JSON.stringify(data.error);
          throw new JobFailed(`the operation failed: ${message}`);
        }
        return { result: data.response };
      }
      const root = apiRoot ?? (url.includes("/operations/")
        ? url.split("/operations/")[0]
        : url.split("/").slice(0, -2).join("/"));
      return { next: `${root.replace(/\/$/, "")}/${data.name}`, wait: true };
    }
    if (FAILED.has(status)) throw new JobFailed(`the job ${status}: ${errorOf(data)}`);
    if (PENDING.has(status)) return { next: url, wait: true };
    const link = data?.resourceLocation ?? data?.result;
    if (status === "succeeded" && typeof link === "string") {
      return { next: new URL(link, url).href, wait: false };
    }
    // Embedded: Azure's status monitor, a job resource.
    if (status === "succeeded" && link && typeof link === "object") return { result: link };
    return { result: data };
  }

  let url = submit ?? monitor;
  let response;
  if (submit) {
    // A POST is retried only with the same Idempotency-Key, so a retry never starts a second job.
    const headers = {
      "Content-Type": "application/json",
      Accept: "application/json",
      // A structured-field string (RFC 8941), as the Idempotency-Key draft defines it.
      "Idempotency-Key": `"${crypto.randomUUID()}"`,
      // OData answers 202 only to a request that prefers it; elsewhere it is the default.
      Prefer: "respond-async",
    };
    for (;;) {
      response = await send(submit, { method: "POST", headers, body: JSON.stringify(body) });
      if (!TRANSIENT.has(response.status)) break;
      await wait(response);
    }
  } else {
    response = await get(monitor);
  }
  for (;;) {
    const step = await read(response, url);
    if (!("next" in step)) return step.result;
    if (step.wait) await wait(response);
    url = step.next;
    response = await get(url);
  }
}

async function main(args) {
  const options = { deadline: 300 };
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--monitor") options.monitorOnly = true;
    else if (args[i] === "--deadline") options.deadline = Number(args[++i]);
    else if (args[i] === "--api-root") options.apiRoot = args[++i];
    else rest.push(args[i]);
  }
  if (rest.length < 1) {
    console.error("usage: node poll.mjs [--deadline S] [--api-root URL] URL [JSON]");
    console.error("       node poll.mjs [--deadline S] --monitor URL");
    return 2;
  }
  const { monitorOnly, ...settings } = options;
  const job = monitorOnly
    ? { monitor: rest[0] }
    : { submit: rest[0], body: JSON.parse(rest[1] ?? "{}") };
  try {
    console.log(JSON.stringify(await waitForJob({ ...job, ...settings }), null, 2));
    return 0;
  } catch (error) {
    if (error instanceof GaveUp) {
      console.error(`gave up: ${error.message}`);
      return 3;
    }
    const what = error instanceof JobFailed ? "job failed" : "request failed";
    console.error(`${what}: ${error.message}`);
    return 1;
  }
}

// Run from the command line (not when a page imports it).
if (globalThis.process?.argv?.[1]) {
  const { pathToFileURL } = await import("node:url");
  if (import.meta.url === pathToFileURL(process.argv[1]).href) {
    process.exitCode = await main(process.argv.slice(2));
  }
}
