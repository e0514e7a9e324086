import { SwitchboardError } from './errors.js';
import { readClaims, TokenSource } from './token-source.js';

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An unsigned JWT-shaped token: the SDK reads exp and iat, the server verifies. */
const jwtWith = (claims: { exp: number; iat?: number; n?: number }) => `${base64url({ alg: 'HS256' })}.${base64url(claims)}.sig`;
const seconds = () => Math.floor(Date.now() / 1000);

describe('TokenSource', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reads exp and iat from a JWT, and nothing from something else', () => {
    expect(readClaims(jwtWith({ exp: 2000, iat: 1000 }))).toEqual({ exp: 2_000_000, iat: 1_000_000 });
    expect(readClaims('not-a-jwt')).toEqual({});
    expect(readClaims('a.%%%.c')).toEqual({});
  });

  it('refreshes ahead of exp (90 s, before the server notice at 60 s) and hands the new token to listeners', async () => {
    let n = 0;
    const getToken = jest.fn(() => jwtWith({ iat: seconds(), exp: seconds() + 3600, n: ++n }));
    const tokens = new TokenSource(
      { getToken },
      () => undefined,
      () => 0,
    );
    const received: string[] = [];
    tokens.onToken((token) => received.push(token));
    const first = await tokens.current();
    expect(getToken).toHaveBeenCalledTimes(1);
    expect(await tokens.current()).toBe(first); // cached while valid

    await jest.advanceTimersByTimeAsync((3600 - 91) * 1000);
    expect(getToken).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(2000);
    expect(getToken).toHaveBeenCalledTimes(2);
    expect(received).toHaveLength(2);
    expect(received[1]).not.toBe(first);
    tokens.close();
  });

  it('refreshes a short-lived token at half-life', async () => {
    const getToken = jest.fn(() => jwtWith({ iat: seconds(), exp: seconds() + 60 }));
    const tokens = new TokenSource(
      { getToken },
      () => undefined,
      () => 0,
    );
    await tokens.current();
    await jest.advanceTimersByTimeAsync(29_000);
    expect(getToken).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(getToken).toHaveBeenCalledTimes(2);
    tokens.close();
  });

  it('reads exp on the server clock', async () => {
    const getToken = jest.fn(() => jwtWith({ iat: seconds(), exp: seconds() + 600 }));
    const tokens = new TokenSource(
      { getToken },
      () => undefined,
      () => 0,
    );
    await tokens.current();
    tokens.setServerClock(Date.now() + 300_000); // the server is 5 minutes ahead
    await jest.advanceTimersByTimeAsync(211_000); // 600 - 300 - 90 = 210 s on our clock
    expect(getToken).toHaveBeenCalledTimes(2);
    tokens.close();
  });

  it('does not loop when the identity provider returns the same token: it asks again later', async () => {
    const token = jwtWith({ iat: seconds(), exp: seconds() + 60 });
    const getToken = jest.fn(() => token);
    const tokens = new TokenSource(
      { getToken, refreshLeadSeconds: 90 },
      () => undefined,
      () => 0,
    );
    await tokens.current();
    await jest.advanceTimersByTimeAsync(31_000);
    expect(getToken).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(getToken).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(getToken).toHaveBeenCalledTimes(3);
    tokens.close();
  });

  it('reports a failing getToken() as TOKEN_UNAVAILABLE and tries again', async () => {
    const errors: SwitchboardError[] = [];
    const getToken = jest.fn<string, []>(() => {
      throw new Error('identity provider down');
    });
    const tokens = new TokenSource({ getToken }, (error) => errors.push(error));
    await expect(tokens.current()).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    expect(errors[0].message).toMatch(/identity provider down/);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(getToken).toHaveBeenCalledTimes(2);
    tokens.close();
  });

  it('fetches a new token after invalidate(), and never refreshes a fixed token', async () => {
    const getToken = jest.fn(() => jwtWith({ exp: seconds() + 3600, n: Math.random() }));
    const tokens = new TokenSource({ getToken }, () => undefined);
    const first = await tokens.current();
    tokens.invalidate();
    expect(await tokens.current()).not.toBe(first);

    const fixed = new TokenSource({ token: 'fixed' }, () => undefined);
    fixed.invalidate();
    expect(fixed.canRefresh).toBe(false);
    expect(await fixed.current()).toBe('fixed');
    tokens.close();
  });

  it('needs a token or getToken', () => {
    expect(() => new TokenSource({}, () => undefined)).toThrow(/token/);
  });
});

describe('TokenSource and the server notice (auth:expiring)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('ignores the notice when its own timer comes first, or when it holds a newer token', async () => {
    const getToken = jest.fn(() => jwtWith({ iat: seconds(), exp: seconds() + 3600, n: Math.random() }));
    const tokens = new TokenSource(
      { getToken },
      () => undefined,
      () => 0,
    );
    const token = await tokens.current();
    tokens.onServerNotice((readClaims(token).exp as number) + 0);
    tokens.onServerNotice(Date.now() + 1000); // about an older token
    expect(getToken).toHaveBeenCalledTimes(1);
    tokens.close();
  });

  it('refreshes on the notice for an opaque token, at most once per 10 s', async () => {
    let n = 0;
    const getToken = jest.fn(() => `opaque-${++n}`);
    const tokens = new TokenSource({ getToken }, () => undefined);
    await tokens.current();
    tokens.onServerNotice(Date.now() + 60_000);
    tokens.onServerNotice(Date.now() + 60_000);
    await jest.advanceTimersByTimeAsync(0);
    expect(getToken).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(10_000);
    tokens.onServerNotice(Date.now() + 60_000);
    await jest.advanceTimersByTimeAsync(0);
    expect(getToken).toHaveBeenCalledTimes(3);
    tokens.close();
  });
});
