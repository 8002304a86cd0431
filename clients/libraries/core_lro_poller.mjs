// @azure/core-lro's HTTP poller (createHttpPoller), its LongRunningOperation sent with fetch().
//
//     node core_lro_poller.mjs SUBMIT_URL JSON
//
// fetch() follows redirects, as the Azure SDK's own pipeline does; the poller picks
// its mode from the initial response (Operation-Location, else Location) and polls on
// Retry-After, one second without it. Same contract as the example clients: the
// result on stdout and exit 0, or the error on stderr and exit 1.
import { createHttpPoller } from "@azure/core-lro";

const [url, body] = process.argv.slice(2);

async function send(method, target, payload) {
  const response = await fetch(target, {
    method,
    headers: payload
      ? { Accept: "application/json", "Content-Type": "application/json" }
      : { Accept: "application/json" },
    body: payload,
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  const headers = {};
  response.headers.forEach((value, name) => {
    headers[name] = value; // already lower case, as RawResponse wants them
  });
  return {
    flatResponse: parsed,
    rawResponse: {
      statusCode: response.status,
      headers,
      body: parsed,
      request: { method, url: target },
    },
  };
}

const lro = {
  sendInitialRequest: () => send("POST", url, body),
  sendPollRequest: (path) => send("GET", new URL(path, url).href),
};

try {
  const poller = createHttpPoller(lro, { intervalInMs: 1000 });
  const result = await poller.pollUntilDone();
  console.log(JSON.stringify(result ?? null, null, 2));
} catch (error) {
  console.error(`${error.name}: ${error.message}`);
  process.exitCode = 1;
}
