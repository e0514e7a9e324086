import { AppError } from '../common/app.errors';
import { extractHandshakeToken, type HandshakeLike } from './handshake-token';

const handshake = (parts: Partial<HandshakeLike>): HandshakeLike => ({ auth: {}, headers: {}, query: {}, ...parts });
const codeOf = (parts: Partial<HandshakeLike>): string => {
  try {
    extractHandshakeToken(handshake(parts));
  } catch (error) {
    return (error as AppError).code;
  }
  return 'accepted';
};

describe('extractHandshakeToken', () => {
  it('reads auth.token first, then a Bearer header (any case)', () => {
    expect(extractHandshakeToken(handshake({ auth: { token: 'a' }, headers: { authorization: 'Bearer b' } }))).toBe('a');
    expect(extractHandshakeToken(handshake({ headers: { authorization: 'bearer  b ' } }))).toBe('b');
  });

  it('refuses query-string tokens as AUTH_MISSING with an explanation', () => {
    expect(() => extractHandshakeToken(handshake({ query: { token: 'a' } }))).toThrow(/query string/);
    expect(codeOf({ query: { access_token: 'a' } })).toBe('AUTH_MISSING');
  });

  it('classifies absent and malformed tokens', () => {
    expect(codeOf({})).toBe('AUTH_MISSING');
    expect(codeOf({ auth: { token: '' } })).toBe('AUTH_INVALID');
    expect(codeOf({ auth: { token: { nested: true } } })).toBe('AUTH_INVALID');
    expect(codeOf({ headers: { authorization: 'Token abc' } })).toBe('AUTH_INVALID');
    expect(codeOf({ headers: { authorization: 'Bearer a b' } })).toBe('AUTH_INVALID');
  });
});
