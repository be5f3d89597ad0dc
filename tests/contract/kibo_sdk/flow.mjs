// Kibo's official SDK (@kibocommerce/rest-sdk 3.2634.1, @kibocommerce/sdk-authentication 1.0.1) driving
// one refund return through a listening returnkit server. Run by ../test_kibo_sdk.py.
//
// Why this setup: the SDK's default path (clientId/sharedSecret in `Configuration`) builds a TenantManager
// that first fetches the tenant from `https://<authHost>/api/platform/tenants/<id>` -- the scheme is
// hard-coded in node_modules/@kibocommerce/rest-sdk/client-runtime/tenant-data-manager.js line 20 -- and
// `Configuration.getBaseAPIUrl` in client-runtime/configuration.js then sends every call to
// `https://<tenant.domain>/api`. So that path needs TLS plus the tenant endpoint: mode "default" runs it
// against `returnkit serve --tls`. The other mode uses only the SDK's public configuration over plain http: an `APIAuthClient` from
// @kibocommerce/sdk-authentication (which keeps an `http://` authHost as given) fetches the OAuth ticket, and
// `Configuration({tenantId, siteId, apiHost, accessToken})` sends the API calls to `apiHost` verbatim.
//
// Usage: node flow.mjs '<json>' with baseUrl, clientId, sharedSecret, tenantId, siteId, orderId, orderItemId,
// paymentId. Prints one JSON line with what each step answered; exits 1 (details on stderr) if a step
// other than the repeated Authorize fails.
import { Configuration } from '@kibocommerce/rest-sdk';
import { ReturnApi } from '@kibocommerce/rest-sdk/clients/Commerce/index.js';
import { APIAuthClient } from '@kibocommerce/sdk-authentication';

const args = JSON.parse(process.argv[2]);

// mode "default": the SDK exactly as its README configures it, against `returnkit serve --tls` (the
// process trusts returnkit's CA through NODE_EXTRA_CA_CERTS). Otherwise the accessToken setup above.
const host = args.baseUrl.replace(/^https?:\/\//, '');
const configuration =
  args.mode === 'default'
    ? new Configuration({
        tenantId: args.tenantId,
        siteId: args.siteId,
        clientId: args.clientId,
        sharedSecret: args.sharedSecret,
        authHost: host,
        apiHost: host,
      })
    : (() => {
        const auth = new APIAuthClient(
          { clientId: args.clientId, sharedSecret: args.sharedSecret, authHost: args.baseUrl },
          fetch,
        );
        return new Configuration({
          tenantId: args.tenantId,
          siteId: args.siteId,
          apiHost: args.baseUrl,
          accessToken: () => auth.getAccessToken(),
        });
      })();
const api = new ReturnApi(configuration);

const act = (actionName, returnId) => api.performReturnActions({ returnAction: { actionName, returnIds: [returnId] } });
const statuses = (collection) => (collection.items ?? []).map((r) => r.status);

// The SDK's ResponseError: `message` is the body's `message`, `apiError` the parsed body, and
// `response.correlationId` the x-vol-correlation header (an empty object when the header is missing).
const describe = (e) => ({
  name: e?.name,
  status: e?.response?.status,
  url: e?.response?.url,
  message: e?.message,
  apiErrorMessage: e?.apiError?.message,
  errorCode: e?.apiError?.errorCode,
  correlationId: e?.response?.correlationId,
});

try {
  const out = {};

  const created = await api.createReturn({
    _return: {
      originalOrderId: args.orderId,
      returnType: 'Refund',
      items: [{ orderItemId: args.orderItemId, reasons: [{ reason: 'Damaged', quantity: 1 }], quantityShipped: 1 }],
    },
  });
  out.created = { id: created.id, status: created.status, originalOrderId: created.originalOrderId };

  out.authorized = statuses(await act('Authorize', created.id));

  try {
    await act('Authorize', created.id);
    out.authorizeAgain = { threw: false };
  } catch (e) {
    out.authorizeAgain = { threw: true, ...describe(e) };
  }

  const refunded = await api.performPaymentActionForReturn({
    returnId: created.id,
    paymentId: args.paymentId,
    paymentAction: { actionName: 'CreditPayment', amount: 5, currencyCode: 'USD' },
  });
  out.refunded = { status: refunded.status, refundAmount: refunded.refundAmount };

  out.closed = statuses(await act('Close', created.id));

  console.log(JSON.stringify(out));
} catch (e) {
  console.error(JSON.stringify(describe(e)));
  console.error(e?.stack ?? String(e));
  process.exit(1);
}
