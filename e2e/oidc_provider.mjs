// A standards-conformant OpenID Connect provider for the single sign-on tests
// (crates/redress/tests/api/sso.rs): `oidc-provider` (certified by the OpenID Foundation),
// with two registered clients and no login form of its own.
//
//   node e2e/oidc_provider.mjs REDIRECT_URI...
//
// (one per application under test, each registered for the client `redress`)
// prints `issuer http://127.0.0.1:PORT` once it listens, then serves until killed.
//
// Who signs in is the authorization request's `login_hint` (the test adds it to the URL the
// application redirects to): `person@example` signs in as that address, verified. A prefix
// makes the provider misbehave the way the test needs, with a correctly signed ID token:
//   unverified:ADDRESS  the address is not verified (email_verified: false)
//   nonce:ADDRESS       the ID token carries another nonce than the one asked for
//   expired:ADDRESS     the ID token expired an hour ago
//   audience:ADDRESS    the ID token was issued to the other client
//   tampered:ADDRESS    the ID token's signature does not match its claims

import { createServer } from 'node:http';
import { Provider } from 'oidc-provider';
import * as jose from 'jose';

const redirectUris = process.argv.slice(2);
if (redirectUris.length === 0) {
  console.error('usage: node e2e/oidc_provider.mjs REDIRECT_URI...');
  process.exit(2);
}

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const modes = ['unverified', 'nonce', 'expired', 'audience', 'tampered'];
/** The mode and address a login hint names. */
const parse = (hint) => {
  const at = hint.indexOf(':');
  const mode = at > 0 ? hint.slice(0, at) : '';
  return modes.includes(mode) ? { mode, email: hint.slice(at + 1) } : { mode: '', email: hint };
};

let handler = null;
const server = createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  } else {
    handler(req, res);
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'redress',
      client_secret: 'redress-test-secret',
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    {
      client_id: 'another-client',
      client_secret: 'another-secret',
      redirect_uris: ['http://127.0.0.1:9/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ['redress-oidc-test-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // The address and name in the ID token itself, as most company providers put them.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    const { mode, email } = parse(id);
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email,
          email_verified: mode !== 'unverified',
          name: email.split('@')[0].replace(/[.-]/g, ' '),
        };
      },
    };
  },
});

// The misbehaviours: the ID token the token endpoint answers with, re-signed with the
// provider's own key after the change (so only the claim is wrong).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route !== 'token' || !ctx.body?.id_token) return;
  const claims = jose.decodeJwt(ctx.body.id_token);
  const { mode } = parse(claims.sub);
  if (!mode || mode === 'unverified') return;
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'nonce') claims.nonce = 'a-nonce-this-sign-in-never-sent';
  if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  if (mode === 'audience') Object.assign(claims, { aud: 'another-client', azp: 'another-client' });
  let token = await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'JWT' })
    .sign(privateKey);
  if (mode === 'tampered') {
    const [header, , signature] = token.split('.');
    const forged = { ...claims, email: `admin-${claims.email}` };
    token = `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
  }
  ctx.body = { ...ctx.body, id_token: token };
});

/** Signs in whoever the login hint names, and grants what the client asked for. */
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const accountId = details.params.login_hint;
  if (!accountId) {
    res.statusCode = 400;
    res.end('this test provider signs in the login_hint; none was given');
    return;
  }
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

handler = provider.callback();
console.log(`issuer ${issuer}`);
