import { bearerOf } from './bearer';

const withHeader = (authorization?: string | string[]) => ({ headers: { authorization } });

describe('bearerOf', () => {
  it('reads the token of a Bearer header, the scheme in any case and spaces around it tolerated', () => {
    expect(bearerOf(withHeader('Bearer abc.def.ghi'))).toBe('abc.def.ghi');
    expect(bearerOf(withHeader('bearer  abc '))).toBe('abc');
  });

  it('finds none without a header, with another scheme, with two tokens or a repeated header', () => {
    expect(bearerOf(withHeader())).toBeUndefined();
    expect(bearerOf(withHeader('Basic dXNlcjpwYXNz'))).toBeUndefined();
    expect(bearerOf(withHeader('Bearer a b'))).toBeUndefined();
    expect(bearerOf(withHeader(['Bearer a', 'Bearer b']))).toBeUndefined();
  });
});
