// Rye's official SDK (@rye-api/rye-sdk 1.4.2) reading a Rye order from a listening returnkit server after a
// return was requested. Run by ../test_rye_sdk.py.
//
// Why this setup: the SDK takes no base URL. `new RyeClient({authHeader, shopperIp, environment})` picks its URL
// from GRAPHQL_ENDPOINTS in node_modules/@rye-api/rye-sdk/dist/constants.js, and ENVIRONMENT.LOCAL there is
// `http://localhost:3000/v1/query`; so the test runs returnkit on port 3000 and this flow uses that public
// environment. The SDK has no returnOrder method (Rye deprecated the mutation), so mode "return" first sends
// returnOrder as a plain GraphQL POST to the same URL with the same headers the SDK's urql client sends
// (dist/ryeClient.js `initializeClient`), then reads the order through the SDK's `orderById`. Mode "read" only
// reads the order.
//
// Usage: node flow.mjs '<json>' with mode ("return" | "read"), authHeader, shopperIp, orderId and lineItems
// ([{id, quantity}], mode "return" only). Prints one JSON line: {endpoint, returnOrder?, order}; exits 1
// (details on stderr) when a request fails.
import { ENVIRONMENT, GRAPHQL_ENDPOINTS, RYE_SDK_VERSION, RYE_SHOPPER_IP, RyeClient } from '@rye-api/rye-sdk';

const args = JSON.parse(process.argv[2]);
const endpoint = GRAPHQL_ENDPOINTS[ENVIRONMENT.LOCAL];

const RETURN_ORDER = `
mutation ReturnOrder($input: ReturnOrderInput!) {
  returnOrder(input: $input) {
    result {
      __typename
      ... on ReturnAmazonOrderResult { orders { returnId amazonOrderId lineItems { productId quantity status } } }
      ... on ReturnShopifyOrderResult { orderId returnId status }
    }
    error { code message }
  }
}
`;

// The header set the SDK's urql client sends with every request.
const sdkHeaders = {
  Authorization: args.authHeader,
  [RYE_SHOPPER_IP]: args.shopperIp,
  'rye-debug': 'true',
  'rye-user-agent': `Rye/v1 Node/${RYE_SDK_VERSION}`,
};

async function returnOrder() {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      ...sdkHeaders,
      'content-type': 'application/json',
      // urql's fetchExchange sends this Accept header.
      accept: 'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed',
    },
    body: JSON.stringify({
      operationName: 'ReturnOrder',
      query: RETURN_ORDER,
      variables: { input: { orderId: args.orderId, lineItems: args.lineItems } },
    }),
  });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`returnOrder answered HTTP ${response.status}: ${text}`);
  }
  const body = JSON.parse(text);
  if (body.errors) {
    throw new Error(`returnOrder answered GraphQL errors: ${text}`);
  }
  return body.data.returnOrder;
}

try {
  const out = { endpoint };
  if (args.mode === 'return') {
    out.returnOrder = await returnOrder();
  }
  const client = new RyeClient({
    authHeader: args.authHeader,
    shopperIp: args.shopperIp,
    environment: ENVIRONMENT.LOCAL,
  });
  // orderById resolves to `data.orderByID`: undefined when urql reports an error (the SDK does not throw on
  // GraphQL errors), so a missing order prints as null here and the Python side reports it.
  const order = await client.orderById({ id: args.orderId });
  out.order = order ?? null;
  console.log(JSON.stringify(out));
} catch (e) {
  console.error(e?.stack ?? String(e));
  process.exit(1);
}
